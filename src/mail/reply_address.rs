//! Reply addresses: `reply+KEY@` the domain of KOTAE_MAIL_FROM, one per recipient and topic.
//! KEY says what a reply becomes (a reply, or a staff internal note), for whom, on which
//! topic and since when, signed with the server's key; lowercase only, since mail systems
//! may change the case of an address. A key lasts 180 days.

use crate::model::{TopicId, UserId};
use crate::secret::SigningKey;

const LIFETIME_DAYS: i64 = 180;
/// Hex digits of the signature kept in the address: 128 bits.
const MAC_HEX: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Posted as the person's reply on the topic.
    Reply,
    /// Kept as a staff internal note on the topic.
    Note,
}

impl Purpose {
    fn code(self) -> char {
        match self {
            Purpose::Reply => 'r',
            Purpose::Note => 'n',
        }
    }
}

/// A reply address and what replies to it become.
#[derive(Debug, Clone)]
pub struct ReplyTo {
    pub purpose: Purpose,
    pub address: String,
}

/// Days since 1970-01-01 (UTC): the key's date.
pub fn today() -> i64 {
    chrono::Utc::now().timestamp().div_euclid(86_400)
}

fn signed_part(purpose: Purpose, user: UserId, topic: TopicId, day: i64) -> String {
    format!(
        "{}-{}-{}-{}",
        purpose.code(),
        base36(user.0),
        base36(topic.0),
        base36(day)
    )
}

fn base36(mut n: i64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    if n <= 0 {
        return "0".into();
    }
    let mut out = vec![];
    while n > 0 {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII digits")
}

fn from_base36(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 12 {
        return None;
    }
    i64::from_str_radix(text, 36).ok()
}

/// The key of an address (what follows `reply+`).
pub fn key(
    signer: &SigningKey,
    purpose: Purpose,
    user: UserId,
    topic: TopicId,
    day: i64,
) -> String {
    let signed = signed_part(purpose, user, topic, day);
    let mac = signer.sign_hex("reply-address", &signed);
    format!("{signed}-{}", &mac[..MAC_HEX])
}

pub fn address(
    signer: &SigningKey,
    domain: &str,
    purpose: Purpose,
    user: UserId,
    topic: TopicId,
) -> String {
    format!(
        "reply+{}@{domain}",
        key(signer, purpose, user, topic, today())
    )
}

/// Why a key was not taken.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    Malformed,
    Forged,
    Expired,
}

/// Reads a key back (case does not matter), checked against the signature and its age.
pub fn read(
    signer: &SigningKey,
    key: &str,
    today: i64,
) -> Result<(Purpose, UserId, TopicId), Refused> {
    let key = key.trim().to_ascii_lowercase();
    if key.len() > 64 {
        return Err(Refused::Malformed);
    }
    let parts: Vec<&str> = key.split('-').collect();
    let [purpose, user, topic, day, mac] = parts[..] else {
        return Err(Refused::Malformed);
    };
    let purpose = match purpose {
        "r" => Purpose::Reply,
        "n" => Purpose::Note,
        _ => return Err(Refused::Malformed),
    };
    let (Some(user), Some(topic), Some(day)) =
        (from_base36(user), from_base36(topic), from_base36(day))
    else {
        return Err(Refused::Malformed);
    };
    let (user, topic) = (UserId(user), TopicId(topic));
    let signed = signed_part(purpose, user, topic, day);
    if mac.len() != MAC_HEX || !signer.verify_hex_prefix("reply-address", &signed, mac) {
        return Err(Refused::Forged);
    }
    if day > today + 1 || today - day > LIFETIME_DAYS {
        return Err(Refused::Expired);
    }
    Ok((purpose, user, topic))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> SigningKey {
        SigningKey::for_tests(b"0123456789abcdef0123456789abcdef")
    }

    #[test]
    fn a_key_reads_back_in_any_case_until_it_expires() {
        let key = key(
            &signer(),
            Purpose::Note,
            UserId(42),
            TopicId(123_456),
            20_000,
        );
        assert!(key.len() + "reply+".len() <= 64, "{key}");
        let read_on = |day| read(&signer(), &key.to_uppercase(), day);
        assert_eq!(
            read_on(20_000),
            Ok((Purpose::Note, UserId(42), TopicId(123_456)))
        );
        assert_eq!(read_on(20_180).map(|r| r.0), Ok(Purpose::Note));
        assert_eq!(read_on(20_181), Err(Refused::Expired));
        assert_eq!(
            read_on(19_990),
            Err(Refused::Expired),
            "dated in the future"
        );
    }

    #[test]
    fn changed_or_made_up_keys_are_refused() {
        let key = key(&signer(), Purpose::Reply, UserId(7), TopicId(9), 20_000);
        let other_user = key.replacen("-7-", "-8-", 1);
        assert_eq!(read(&signer(), &other_user, 20_000), Err(Refused::Forged));
        let as_note = format!("n{}", &key[1..]);
        assert_eq!(read(&signer(), &as_note, 20_000), Err(Refused::Forged));
        let other_server = SigningKey::for_tests(b"another key, another server, no!");
        assert_eq!(read(&other_server, &key, 20_000), Err(Refused::Forged));
        for bad in ["", "r-7-9", "x-7-9-fff-00", "r-7-9-fff-zz", &"a".repeat(65)] {
            assert!(read(&signer(), bad, 20_000).is_err(), "{bad}");
        }
    }
}
