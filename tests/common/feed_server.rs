//! An Atom feed on a loopback port, as a review site would serve it: its items can be
//! changed, it answers If-None-Match with 304 when nothing changed, and it counts what it
//! was asked.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Shared {
    items: Mutex<Vec<(String, String, String)>>,
    requests: AtomicUsize,
    not_modified: AtomicUsize,
    stop: AtomicBool,
}

pub struct FeedServer {
    pub port: u16,
    shared: Arc<Shared>,
}

impl FeedServer {
    pub fn start() -> FeedServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the feed server");
        let port = listener.local_addr().expect("address").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let shared = Arc::new(Shared::default());
        let serving = shared.clone();
        std::thread::spawn(move || {
            while !serving.stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => answer(stream, &serving),
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        FeedServer { port, shared }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/feed.xml", self.port)
    }

    /// Adds an item: its id, title and summary (as the site wrote them, markup and all).
    pub fn add(&self, id: &str, title: &str, summary: &str) {
        self.shared
            .items
            .lock()
            .unwrap()
            .push((id.into(), title.into(), summary.into()));
    }

    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    pub fn not_modified(&self) -> usize {
        self.shared.not_modified.load(Ordering::SeqCst)
    }
}

impl Drop for FeedServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn document(items: &[(String, String, String)]) -> String {
    let entries: String = items
        .iter()
        .map(|(id, title, summary)| {
            format!(
                "<entry><id>urn:review:{id}</id><title type=\"html\">{}</title>\
                 <updated>2026-12-01T10:00:00Z</updated><link href=\"https://reviews.example/{id}\"/>\
                 <summary type=\"html\">{}</summary></entry>",
                escape(title),
                escape(summary)
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\
         <title>Printer reviews</title><id>urn:reviews</id><updated>2026-12-01T10:00:00Z</updated>{entries}</feed>"
    )
}

fn answer(stream: std::net::TcpStream, shared: &Shared) {
    stream.set_nonblocking(false).ok();
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut if_none_match = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("if-none-match")
        {
            if_none_match = value.trim().to_string();
        }
    }
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let body = document(&shared.items.lock().unwrap());
    let etag = format!("\"{:x}\"", crc32fast::hash(body.as_bytes()));
    let mut stream = stream;
    let reply = if if_none_match == etag {
        shared.not_modified.fetch_add(1, Ordering::SeqCst);
        format!("HTTP/1.1 304 Not Modified\r\netag: {etag}\r\nconnection: close\r\n\r\n")
    } else {
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/atom+xml\r\netag: {etag}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    stream.write_all(reply.as_bytes()).ok();
}
