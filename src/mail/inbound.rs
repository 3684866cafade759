//! Inbound mail: one RFC 5322 message, parsed by mail-parser, checked for what must never
//! be posted (bounces, auto-replies, mail without our reply address), and cut down to the
//! new text: quoted history (Gmail, Outlook, Apple Mail and Thunderbird styles, English and
//! Japanese), our "reply above this line" marker and signatures go.

use mail_parser::{Message, MessageParser, MimeHeaders as _};
use sha2::{Digest, Sha256};

/// Larger messages are dropped unread (a reply with a photo attached still fits).
pub const INBOUND_MAX: usize = 4 * 1024 * 1024;
const MESSAGE_KEY_MAX: usize = 300;

/// A message that may become a post.
#[derive(Debug)]
pub struct Inbound {
    /// Its Message-ID, or a hash of the whole message when it has none: never posted twice.
    pub message_key: String,
    pub from: String,
    /// What follows `reply+` in each of its recipients at our domain.
    pub keys: Vec<String>,
    pub text: String,
}

/// Why a message is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    TooLarge,
    Unreadable,
    Bounce,
    AutoReply,
    NoSender,
    NoReplyAddress,
    Empty,
}

impl Dropped {
    pub fn as_str(self) -> &'static str {
        match self {
            Dropped::TooLarge => "too_large",
            Dropped::Unreadable => "unreadable",
            Dropped::Bounce => "bounce",
            Dropped::AutoReply => "auto_reply",
            Dropped::NoSender => "no_sender",
            Dropped::NoReplyAddress => "no_reply_address",
            Dropped::Empty => "empty",
        }
    }
}

/// Reads a message sent to `reply+KEY@domain`.
pub fn read(raw: &[u8], domain: &str) -> Result<Inbound, Dropped> {
    if raw.len() > INBOUND_MAX {
        return Err(Dropped::TooLarge);
    }
    let message = MessageParser::default()
        .parse(raw)
        .filter(|m| m.from().is_some() || m.message_id().is_some())
        .ok_or(Dropped::Unreadable)?;
    if is_bounce(&message) {
        return Err(Dropped::Bounce);
    }
    if is_automatic(&message) {
        return Err(Dropped::AutoReply);
    }
    let from = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .filter(|a| a.contains('@'))
        .ok_or(Dropped::NoSender)?
        .to_string();
    let keys = reply_keys(&message, domain);
    if keys.is_empty() {
        return Err(Dropped::NoReplyAddress);
    }
    let text = message
        .body_text(0)
        .map(|body| new_text(&body))
        .unwrap_or_default();
    if text.is_empty() {
        return Err(Dropped::Empty);
    }
    Ok(Inbound {
        message_key: message_key(&message, raw),
        from,
        keys,
        text,
    })
}

fn message_key(message: &Message, raw: &[u8]) -> String {
    match message.message_id().map(str::trim) {
        Some(id) if !id.is_empty() && id.len() <= MESSAGE_KEY_MAX => format!("<{id}>"),
        _ => format!("sha256:{}", hex::encode(Sha256::digest(raw))),
    }
}

fn header(message: &Message, name: &str) -> String {
    message
        .header_raw(name)
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn is_bounce(message: &Message) -> bool {
    let sender = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or("")
        .to_ascii_lowercase();
    message.is_content_type("multipart", "report")
        || header(message, "Return-Path") == "<>"
        || sender.starts_with("mailer-daemon@")
        || sender.starts_with("postmaster@")
}

/// Auto-replies, out-of-office notes and list or bulk mail (RFC 3834 and the headers the
/// common mail systems set instead).
fn is_automatic(message: &Message) -> bool {
    let auto_submitted = header(message, "Auto-Submitted");
    let precedence = header(message, "Precedence");
    let subject = message.subject().unwrap_or("").trim().to_lowercase();
    (!auto_submitted.is_empty() && auto_submitted != "no")
        || matches!(precedence.as_str(), "bulk" | "junk" | "list" | "auto_reply")
        || [
            "X-Autoreply",
            "X-Autorespond",
            "X-AutoReply-From",
            "X-Mail-Autoreply",
            "List-Id",
        ]
        .iter()
        .any(|h| message.header_raw(*h).is_some())
        || header(message, "X-Auto-Response-Suppress").contains("oof")
        || [
            "auto:",
            "automatic reply",
            "autoreply",
            "out of office",
            "自動応答",
            "自動返信",
            "不在",
        ]
        .iter()
        .any(|p| subject.starts_with(p))
}

/// Every `reply+KEY@domain` among the message's recipients (To, Cc and the delivery headers
/// an MTA adds).
fn reply_keys(message: &Message, domain: &str) -> Vec<String> {
    let mut addresses: Vec<String> = message
        .all_to()
        .chain(message.all_cc())
        .flat_map(|list| list.iter())
        .filter_map(|a| a.address())
        .map(str::to_string)
        .collect();
    for name in ["Delivered-To", "X-Original-To", "Envelope-To"] {
        for value in message.header_values(name) {
            if let Some(text) = value.as_text() {
                addresses.push(text.trim().trim_matches(['<', '>']).to_string());
            }
        }
    }
    let mut keys: Vec<String> = addresses
        .iter()
        .filter_map(|a| a.rsplit_once('@'))
        .filter(|(_, d)| d.eq_ignore_ascii_case(domain))
        .filter_map(|(local, _)| {
            let local = local.to_ascii_lowercase();
            local.strip_prefix("reply+").map(str::to_string)
        })
        .collect();
    keys.dedup();
    keys
}

/// The reply's own words: everything above our marker, the first quote header, the first
/// signature; quoted lines dropped.
pub fn new_text(body: &str) -> String {
    let body = body.replace("\r\n", "\n");
    let lines: Vec<&str> = body.lines().collect();
    let end = (0..lines.len())
        .find(|&i| ends_the_reply(&lines, i))
        .unwrap_or(lines.len());
    let kept: Vec<&str> = lines[..end]
        .iter()
        .copied()
        .filter(|l| !l.trim_start().starts_with('>'))
        .collect();
    kept.join("\n").trim().to_string()
}

/// Whether line `i` starts what is not the reply: our marker, a quote header, an original
/// message block, a signature.
fn ends_the_reply(lines: &[&str], i: usize) -> bool {
    let line = lines[i].trim();
    let lower = line.to_lowercase();
    let next = |n: usize| lines.get(i + n).map_or("", |l| l.trim());
    lower.contains("reply above this line")
        || line.contains("この行より上に返信")
        || is_quote_header(line, &lower, next(1), next(2))
        || is_original_block(line, &lower, next(1))
        || is_signature(lines[i], &lower)
}

fn is_quote_header(line: &str, lower: &str, next: &str, after: &str) -> bool {
    // English clients: "On Tue, 1 Dec 2026 at 10:00, Kotae <…> wrote:", sometimes wrapped
    let english = lower.starts_with("on ")
        && (lower.ends_with("wrote:")
            || next.to_lowercase().ends_with("wrote:")
            || after.to_lowercase().ends_with("wrote:"));
    // Japanese clients: "2026年12月2日(水) 10:00 Kotae <…>:" (Gmail), "…のメール:" (Apple
    // Mail), "…さんは書きました:" (Thunderbird), "…wrote:" (any)
    let dated = line.chars().take(4).all(|c| c.is_ascii_digit())
        && (line.contains('年') || line.contains('/'))
        && has_time(line)
        && (line.ends_with(':') || line.ends_with('：') || next.ends_with(':'));
    english
        || dated
        || lower.ends_with(" wrote:")
        || line.ends_with("のメール:")
        || line.ends_with("のメッセージ:")
        || line.ends_with("書きました:")
        || line.ends_with("書きました：")
}

/// Whether the line holds a time of day such as 9:05 or 10:00.
fn has_time(line: &str) -> bool {
    line.as_bytes().windows(4).any(|w| {
        w[0].is_ascii_digit() && w[1] == b':' && w[2].is_ascii_digit() && w[3].is_ascii_digit()
    })
}

fn is_original_block(line: &str, lower: &str, next: &str) -> bool {
    let dashes = line.starts_with("---") && line.ends_with("---");
    (dashes && (lower.contains("original message") || line.contains("元のメッセージ")))
        || (line.len() >= 10 && line.chars().all(|c| c == '_'))
        || ((lower.starts_with("from:")
            || line.starts_with("差出人:")
            || line.starts_with("差出人："))
            && ["sent:", "date:", "to:", "送信日時", "宛先"]
                .iter()
                .any(|h| next.to_lowercase().starts_with(h)))
}

fn is_signature(raw_line: &str, lower: &str) -> bool {
    raw_line == "-- "
        || raw_line == "--"
        || lower.starts_with("sent from my ")
        || lower.starts_with("get outlook for ")
        || lower.starts_with("sent from mail for windows")
        || lower.starts_with("iphoneから送信")
        || lower.starts_with("androidから送信")
        || lower.starts_with("android から送信")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_history_and_signatures_are_cut_in_every_style() {
        let cases = [
            // Gmail, wrapped header
            "Thanks, that fixed it!\n\nOn Wed, Dec 2, 2026 at 10:00 AM Kotae <\nkotae@example.com> wrote:\n> A new reply\n> more",
            // Apple Mail
            "Thanks, that fixed it!\n\nSent from my iPhone\n\n> On 2 Dec 2026, at 10:00, Kotae <kotae@example.com> wrote:\n>\n> A new reply",
            // Outlook
            "Thanks, that fixed it!\n\n________________________________\nFrom: Kotae <kotae@example.com>\nSent: Wednesday, December 2, 2026 10:00\nTo: ana@example.com",
            "Thanks, that fixed it!\r\n\r\n-----Original Message-----\r\nFrom: Kotae\r\nA new reply",
            // Thunderbird
            "Thanks, that fixed it!\n\nOn 12/2/26 10:00, Kotae wrote:\n> A new reply",
            "Thanks, that fixed it!\n-- \nAna Example\nACME Corp",
            // our marker
            "Thanks, that fixed it!\n\n## Reply above this line to answer on the community ##\nA new reply",
        ];
        for case in cases {
            assert_eq!(new_text(case), "Thanks, that fixed it!", "{case:?}");
        }
    }

    #[test]
    fn japanese_quote_headers_are_cut() {
        let cases = [
            "直りました。ありがとうございます。\n\n2026年12月2日(水) 10:00 Kotae <kotae@example.com>:\n> 新しい返信",
            "直りました。ありがとうございます。\n\n2026/12/02 10:00、Kotae <kotae@example.com>のメール:\n\n> 新しい返信",
            "直りました。ありがとうございます。\n\nKotae さんは書きました:\n> 新しい返信",
            "直りました。ありがとうございます。\n\niPhoneから送信",
            "直りました。ありがとうございます。\n\n差出人: Kotae <kotae@example.com>\n送信日時: 2026年12月2日 10:00",
            "直りました。ありがとうございます。\n\n―― この行より上に返信を書いてください ――\n新しい返信",
        ];
        for case in cases {
            assert_eq!(
                new_text(case),
                "直りました。ありがとうございます。",
                "{case:?}"
            );
        }
    }

    #[test]
    fn an_answer_between_quotes_keeps_its_own_lines() {
        let text = "> Which model is it?\nThe X200.\n> Since when?\nSince Monday.";
        assert_eq!(new_text(text), "The X200.\nSince Monday.");
        assert_eq!(new_text("> only a quote\n>\n"), "");
    }
}
