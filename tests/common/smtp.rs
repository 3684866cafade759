//! A test-only SMTP server (an "SMTP sink") for the integration tests.
//!
//! It listens on 127.0.0.1, speaks just enough RFC 5321 for lettre's SMTP
//! transport (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, AUTH PLAIN/LOGIN),
//! records every accepted message in memory, and can be switched at runtime to
//! fail recipients temporarily (451) or permanently (550), to require
//! authentication, or be stopped to simulate an unreachable mail server.
//! Only std is used; one thread serves each connection.
#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// One message as received.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    /// Envelope sender, without `<>`.
    pub mail_from: String,
    /// Envelope recipients, without `<>`.
    pub rcpt_to: Vec<String>,
    /// The raw message (headers + body) after dot-unstuffing, CRLF line endings.
    pub data: String,
    /// `(username, password)` if the client authenticated.
    pub auth: Option<(String, String)>,
    /// When the sink had the whole message.
    pub received_at: Instant,
}

impl ReceivedMail {
    /// Value of the first header with this name (case-insensitive), unfolded, or None.
    pub fn header(&self, name: &str) -> Option<String> {
        let (head, _) = split_entity(&self.data);
        parse_headers(head)
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The decoded text/plain part (searching nested multiparts); for a message
    /// that is not multipart, the decoded single body. Line endings become `\n`.
    pub fn text_body(&self) -> String {
        if let Some(text) = find_part(&self.data, "text/plain") {
            return text;
        }
        let (head, body) = split_entity(&self.data);
        let headers = parse_headers(head);
        if mime_type(&headers).starts_with("multipart/") {
            String::new()
        } else {
            decode_body(&headers, body)
        }
    }

    /// The decoded text/html part, or None if there is none. Line endings become `\n`.
    pub fn html_body(&self) -> Option<String> {
        find_part(&self.data, "text/html")
    }

    /// The Subject with RFC 2047 encoded-words decoded (empty if absent).
    pub fn subject(&self) -> String {
        self.header("Subject")
            .map(|s| decode_rfc2047(&s))
            .unwrap_or_default()
    }
}

/// How the sink answers, switchable while running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Accept every recipient.
    Accept,
    /// Answer 451 to RCPT TO.
    TempFail,
    /// Answer 550 to RCPT TO.
    PermFail,
}

struct Shared {
    mode: Mutex<Mode>,
    auth: Mutex<Option<(String, String)>>,
    messages: Mutex<Vec<ReceivedMail>>,
    conns: Mutex<Vec<(u64, TcpStream)>>,
    stopped: AtomicBool,
    next_conn: AtomicU64,
    next_queue_id: AtomicU64,
}

/// A running SMTP sink; stopped when dropped.
pub struct SmtpSink {
    port: u16,
    shared: Arc<Shared>,
    accept_thread: Mutex<Option<JoinHandle<()>>>,
}

impl SmtpSink {
    /// Bind 127.0.0.1 on a free port and serve in background threads.
    pub fn start() -> SmtpSink {
        SmtpSink::start_on(0)
    }

    /// Bind 127.0.0.1 on `port` (e.g. to bring the sink back after `stop()`).
    pub fn start_on(port: u16) -> SmtpSink {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .unwrap_or_else(|e| panic!("smtp sink: cannot bind 127.0.0.1:{port}: {e}"));
        let port = listener.local_addr().expect("smtp sink: local_addr").port();
        let shared = Arc::new(Shared {
            mode: Mutex::new(Mode::Accept),
            auth: Mutex::new(None),
            messages: Mutex::new(Vec::new()),
            conns: Mutex::new(Vec::new()),
            stopped: AtomicBool::new(false),
            next_conn: AtomicU64::new(0),
            next_queue_id: AtomicU64::new(1),
        });
        let loop_shared = Arc::clone(&shared);
        let handle = thread::Builder::new()
            .name("smtp-sink-accept".to_owned())
            .spawn(move || accept_loop(listener, loop_shared))
            .expect("smtp sink: spawn accept thread");
        SmtpSink {
            port,
            shared,
            accept_thread: Mutex::new(Some(handle)),
        }
    }

    /// The port the sink listens (or listened) on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `smtp://127.0.0.1:PORT` (plain SMTP, no TLS).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Change how RCPT TO is answered from now on.
    pub fn set_mode(&self, mode: Mode) {
        *lock(&self.shared.mode) = mode;
    }

    /// Require AUTH (PLAIN or LOGIN) with these credentials before MAIL FROM.
    pub fn require_auth(&self, user: &str, password: &str) {
        *lock(&self.shared.auth) = Some((user.to_owned(), password.to_owned()));
    }

    /// All messages received so far.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        lock(&self.shared.messages).clone()
    }

    /// Messages whose envelope recipients include `address` (case-insensitive).
    pub fn messages_to(&self, address: &str) -> Vec<ReceivedMail> {
        lock(&self.shared.messages)
            .iter()
            .filter(|m| m.rcpt_to.iter().any(|r| r.eq_ignore_ascii_case(address)))
            .cloned()
            .collect()
    }

    /// Poll until at least `count` messages to `address` arrived; panic after `timeout`.
    pub fn wait_for(&self, address: &str, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self.messages_to(address);
            if found.len() >= count {
                return found;
            }
            if Instant::now() >= deadline {
                self.timed_out(&format!(
                    "{count} message(s) to {address} after {timeout:?}, got {}",
                    found.len()
                ));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Poll until a message to `address` that is `wanted` arrived; panic after `timeout`.
    /// (Other mail to the same address may come first.)
    pub fn wait_for_one(
        &self,
        address: &str,
        timeout: Duration,
        wanted: impl Fn(&ReceivedMail) -> bool,
    ) -> ReceivedMail {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = self.messages_to(address).into_iter().find(|m| wanted(m)) {
                return found;
            }
            if Instant::now() >= deadline {
                self.timed_out(&format!(
                    "the wanted message to {address} after {timeout:?}"
                ));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn timed_out(&self, waited_for: &str) -> ! {
        let all: Vec<String> = self
            .messages()
            .iter()
            .map(|m| {
                format!(
                    "from <{}> to {:?}: {:?}",
                    m.mail_from,
                    m.rcpt_to,
                    m.subject()
                )
            })
            .collect();
        panic!("smtp sink: timed out waiting for {waited_for}; all received messages: {all:#?}");
    }

    /// Stop listening (new connections are refused) and drop open connections.
    /// Idempotent; when it returns the port is free again.
    pub fn stop(&self) {
        let Some(handle) = lock(&self.accept_thread).take() else {
            return;
        };
        self.shared.stopped.store(true, Ordering::SeqCst);
        // Wake the blocking accept() so the loop sees the flag and drops the listener.
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let _ = TcpStream::connect_timeout(&addr, Duration::from_secs(2));
        let _ = handle.join();
        for (_, stream) in lock(&self.shared.conns).drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop()
    }
}

/// Lock ignoring poisoning (a panicking test must not cascade into the sink).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stopped.load(Ordering::SeqCst) {
            break; // dropping `listener` releases the port
        }
        let Ok(stream) = conn else {
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        let Ok(clone) = stream.try_clone() else {
            continue;
        };
        let id = shared.next_conn.fetch_add(1, Ordering::SeqCst);
        lock(&shared.conns).push((id, clone));
        let conn_shared = Arc::clone(&shared);
        thread::Builder::new()
            .name("smtp-sink-conn".to_owned())
            .spawn(move || {
                let _ = serve(stream, &conn_shared);
                lock(&conn_shared.conns).retain(|(c, _)| *c != id);
            })
            .expect("smtp sink: spawn connection thread");
    }
}

fn send(out: &mut TcpStream, reply: &str) -> io::Result<()> {
    out.write_all(format!("{reply}\r\n").as_bytes())
}

/// One line without its CRLF or LF; None at end of stream.
fn read_line(reader: &mut BufReader<TcpStream>) -> io::Result<Option<String>> {
    let mut buf = Vec::new();
    if reader.read_until(b'\n', &mut buf)? == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

/// Serve one connection; any I/O error (timeout, reset, EOF) just ends it.
fn serve(stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    send(&mut out, "220 kotae-test-sink ESMTP")?;
    let mut authed: Option<(String, String)> = None;
    let mut mail_from: Option<String> = None;
    let mut rcpt_to: Vec<String> = Vec::new();
    while let Some(line) = read_line(&mut reader)? {
        let (verb, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let arg = arg.trim();
        let reply = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                (mail_from, rcpt_to) = (None, Vec::new());
                let mut lines = vec![
                    "kotae-test-sink",
                    "8BITMIME",
                    "SMTPUTF8",
                    "ENHANCEDSTATUSCODES",
                ];
                if lock(&shared.auth).is_some() {
                    lines.push("AUTH PLAIN LOGIN");
                }
                let last = lines.len() - 1;
                let all: Vec<String> = lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| format!("250{}{l}", if i == last { ' ' } else { '-' }))
                    .collect();
                all.join("\r\n")
            }
            "HELO" => {
                (mail_from, rcpt_to) = (None, Vec::new());
                "250 kotae-test-sink".to_owned()
            }
            "AUTH" => auth(arg, &mut out, &mut reader, shared, &mut authed)?,
            "MAIL" => {
                if lock(&shared.auth).is_some() && authed.is_none() {
                    "530 5.7.0 Authentication required".to_owned()
                } else if mail_from.is_some() {
                    "503 5.5.1 Nested MAIL command".to_owned()
                } else if let Some(addr) = strip_ci(arg, "FROM:").and_then(parse_path) {
                    (mail_from, rcpt_to) = (Some(addr), Vec::new());
                    "250 2.1.0 Ok".to_owned()
                } else {
                    "501 5.5.4 Syntax: MAIL FROM:<address>".to_owned()
                }
            }
            "RCPT" => {
                let mode = *lock(&shared.mode);
                if mail_from.is_none() {
                    "503 5.5.1 Need MAIL before RCPT".to_owned()
                } else if let Some(addr) = strip_ci(arg, "TO:").and_then(parse_path) {
                    match mode {
                        Mode::Accept => {
                            rcpt_to.push(addr);
                            "250 2.1.5 Ok".to_owned()
                        }
                        Mode::TempFail => "451 4.3.0 Temporary failure (test sink)".to_owned(),
                        Mode::PermFail => "550 5.1.1 Mailbox unavailable (test sink)".to_owned(),
                    }
                } else {
                    "501 5.5.4 Syntax: RCPT TO:<address>".to_owned()
                }
            }
            "DATA" => {
                if mail_from.is_none() || rcpt_to.is_empty() {
                    "503 5.5.1 Need RCPT before DATA".to_owned()
                } else {
                    send(&mut out, "354 End data with <CR><LF>.<CR><LF>")?;
                    let mut data = String::new();
                    loop {
                        let Some(line) = read_line(&mut reader)? else {
                            return Ok(());
                        };
                        if line == "." {
                            break;
                        }
                        data.push_str(line.strip_prefix('.').unwrap_or(&line));
                        data.push_str("\r\n");
                    }
                    let id = shared.next_queue_id.fetch_add(1, Ordering::SeqCst);
                    lock(&shared.messages).push(ReceivedMail {
                        mail_from: mail_from.take().unwrap_or_default(),
                        rcpt_to: std::mem::take(&mut rcpt_to),
                        data,
                        auth: authed.clone(),
                        received_at: Instant::now(),
                    });
                    format!("250 2.0.0 Ok: queued as SINK{id}")
                }
            }
            "RSET" => {
                (mail_from, rcpt_to) = (None, Vec::new());
                "250 2.0.0 Ok".to_owned()
            }
            "NOOP" => "250 2.0.0 Ok".to_owned(),
            "QUIT" => {
                send(&mut out, "221 2.0.0 Bye")?;
                return Ok(());
            }
            "" => "500 5.5.2 Syntax error".to_owned(),
            _ => "502 5.5.2 Command not implemented".to_owned(),
        };
        send(&mut out, &reply)?;
    }
    Ok(())
}

/// Handle `AUTH <mechanism> [initial-response]`; returns the final reply.
/// When no credentials are required any credentials are accepted (and recorded).
fn auth(
    arg: &str,
    out: &mut TcpStream,
    reader: &mut BufReader<TcpStream>,
    shared: &Shared,
    authed: &mut Option<(String, String)>,
) -> io::Result<String> {
    if authed.is_some() {
        return Ok("503 5.5.1 Already authenticated".to_owned());
    }
    let mut words = arg.split_whitespace();
    let mechanism = words.next().unwrap_or("").to_ascii_uppercase();
    let initial = words.next().map(str::to_owned);
    let mut prompt = |challenge: &str| -> io::Result<String> {
        send(out, challenge)?;
        read_line(reader)?.ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof))
    };
    let creds = match mechanism.as_str() {
        "PLAIN" => {
            let response = match initial {
                Some(r) => r,
                None => prompt("334 ")?,
            };
            // authzid NUL authcid NUL passwd
            base64_str(&response).and_then(|s| {
                let parts: Vec<&str> = s.split('\0').collect();
                (parts.len() == 3).then(|| (parts[1].to_owned(), parts[2].to_owned()))
            })
        }
        "LOGIN" => {
            let user = match initial {
                Some(u) => u,
                None => prompt("334 VXNlcm5hbWU6")?,
            };
            let password = prompt("334 UGFzc3dvcmQ6")?;
            base64_str(&user).zip(base64_str(&password))
        }
        _ => return Ok("504 5.5.4 Unrecognized authentication type".to_owned()),
    };
    let Some((user, password)) = creds else {
        return Ok("501 5.5.2 Cannot decode response".to_owned());
    };
    let ok = match &*lock(&shared.auth) {
        Some((u, p)) => *u == user && *p == password,
        None => true,
    };
    if ok {
        *authed = Some((user, password));
        Ok("235 2.7.0 Authentication successful".to_owned())
    } else {
        Ok("535 5.7.8 Authentication credentials invalid".to_owned())
    }
}

/// `s` without a case-insensitive ASCII `prefix`.
fn strip_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// `<addr> PARAMS...` (or a bare `addr`) to `addr`; `<>` gives "".
fn parse_path(s: &str) -> Option<String> {
    let s = s.trim_start();
    match s.strip_prefix('<') {
        Some(rest) => rest.split_once('>').map(|(a, _)| a.trim().to_owned()),
        None => s.split_whitespace().next().map(str::to_owned),
    }
}

/// Base64 decoder (standard alphabet; padding and whitespace ignored).
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1u32 << bits) - 1;
        }
    }
    Some(out)
}

fn base64_str(s: &str) -> Option<String> {
    base64_decode(s).and_then(|b| String::from_utf8(b).ok())
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Quoted-printable (or, with `q_encoding`, RFC 2047 "Q") decoding.
fn qp_decode(s: &str, q_encoding: bool) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'=' if b[i + 1..].starts_with(b"\r\n") => i += 3, // soft line break
            b'=' if b[i + 1..].starts_with(b"\n") => i += 2,
            b'=' => match (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => {
                    out.push((h << 4) | l);
                    i += 3;
                }
                _ => {
                    out.push(b'=');
                    i += 1;
                }
            },
            b'_' if q_encoding => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Decode RFC 2047 encoded-words (charset assumed UTF-8); whitespace between
/// adjacent encoded-words is dropped, bytes are joined before UTF-8 decoding.
fn decode_rfc2047(s: &str) -> String {
    let mut out = String::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut rest = s;
    while let Some((start, end, bytes)) = next_encoded_word(rest) {
        let before = &rest[..start];
        if pending.is_empty() || !before.chars().all(char::is_whitespace) {
            out.push_str(&String::from_utf8_lossy(&std::mem::take(&mut pending)));
            out.push_str(before);
        }
        pending.extend(bytes);
        rest = &rest[end..];
    }
    out.push_str(&String::from_utf8_lossy(&pending));
    out.push_str(rest);
    out
}

/// (start, end, decoded bytes) of the first well-formed `=?charset?B|Q?text?=` in `s`.
fn next_encoded_word(s: &str) -> Option<(usize, usize, Vec<u8>)> {
    let mut from = 0;
    while let Some(offset) = s[from..].find("=?") {
        let start = from + offset;
        let parsed = (|| -> Option<(usize, usize, Vec<u8>)> {
            let (charset, rest) = s[start + 2..].split_once('?')?;
            let (encoding, rest) = rest.split_once('?')?;
            let text = &rest[..rest.find("?=")?];
            if charset.is_empty()
                || charset.contains(char::is_whitespace)
                || text.contains(char::is_whitespace)
            {
                return None;
            }
            let bytes = match encoding {
                "B" | "b" => base64_decode(text)?,
                "Q" | "q" => qp_decode(text, true),
                _ => return None,
            };
            let len = 2 + charset.len() + 1 + encoding.len() + 1 + text.len() + 2;
            Some((start, start + len, bytes))
        })();
        if parsed.is_some() {
            return parsed;
        }
        from = start + 2;
    }
    None
}

/// Split a message or MIME part into (header block, body).
fn split_entity(entity: &str) -> (&str, &str) {
    if let Some(body) = entity.strip_prefix("\r\n") {
        return ("", body);
    }
    match entity.find("\r\n\r\n") {
        Some(i) => (&entity[..i], &entity[i + 4..]),
        None => (entity, ""),
    }
}

/// Headers in order, with folded continuation lines joined by a single space.
fn parse_headers(head: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                if !value.is_empty() {
                    value.push(' ');
                }
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    headers
}

fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Lower-case MIME type from Content-Type (default text/plain).
fn mime_type(headers: &[(String, String)]) -> String {
    let ct = header_value(headers, "Content-Type").unwrap_or("text/plain");
    ct.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// A `key=value` parameter of a header value such as Content-Type.
fn header_param(value: &str, key: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(key)
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// The decoded body of the first (depth-first) part of MIME type `want`.
fn find_part(entity: &str, want: &str) -> Option<String> {
    let (head, body) = split_entity(entity);
    let headers = parse_headers(head);
    let mime = mime_type(&headers);
    if mime.starts_with("multipart/") {
        let boundary = header_param(header_value(&headers, "Content-Type")?, "boundary")?;
        multipart_parts(body, &boundary)
            .iter()
            .find_map(|part| find_part(part, want))
    } else if mime == want {
        Some(decode_body(&headers, body))
    } else {
        None
    }
}

/// The raw parts (headers + body) of a multipart body.
fn multipart_parts(body: &str, boundary: &str) -> Vec<String> {
    let (delimiter, close) = (format!("--{boundary}"), format!("--{boundary}--"));
    let mut parts = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in body.split("\r\n") {
        let trimmed = line.trim_end();
        if trimmed == close || trimmed == delimiter {
            if let Some(part) = current.take() {
                parts.push(part.join("\r\n"));
            }
            if trimmed == close {
                break;
            }
            current = Some(Vec::new());
        } else if let Some(part) = current.as_mut() {
            part.push(line);
        }
    }
    if let Some(part) = current {
        parts.push(part.join("\r\n")); // unterminated multipart
    }
    parts
}

/// Undo Content-Transfer-Encoding, decode as UTF-8 and turn CRLF into LF.
fn decode_body(headers: &[(String, String)], body: &str) -> String {
    let cte = header_value(headers, "Content-Transfer-Encoding")
        .unwrap_or("7bit")
        .trim()
        .to_ascii_lowercase();
    let bytes = match cte.as_str() {
        "base64" => base64_decode(body).unwrap_or_else(|| body.as_bytes().to_vec()),
        "quoted-printable" => qp_decode(body, false),
        _ => body.as_bytes().to_vec(),
    };
    String::from_utf8_lossy(&bytes).replace("\r\n", "\n")
}
