//! A webhook receiver on a loopback port: records each request (path, Standard Webhooks
//! headers, body) and whether it answered. It can be down (the port refuses connections),
//! up, or set to crash once: read the next request and die without answering, as a
//! receiver restarted mid-delivery does, then come back on the same port.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: String,
    /// Whether the receiver answered 200 (false: it died reading this one).
    pub answered: bool,
}

impl Hit {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Default)]
struct Shared {
    hits: Mutex<Vec<Hit>>,
    crash_next: AtomicBool,
    stop: AtomicBool,
}

pub struct Receiver {
    pub port: u16,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Receiver {
    /// A receiver on a free port, down until `up`.
    pub fn new() -> Receiver {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        Receiver {
            port,
            shared: Arc::default(),
            thread: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn up(&mut self) {
        assert!(self.thread.is_none(), "already up");
        let listener = TcpListener::bind(("127.0.0.1", self.port)).expect("bind the receiver");
        listener.set_nonblocking(true).expect("nonblocking");
        self.shared.stop.store(false, Ordering::SeqCst);
        let shared = self.shared.clone();
        self.thread = Some(std::thread::spawn(move || serve(&listener, &shared)));
    }

    /// Stops listening: connections are refused until `up`.
    pub fn down(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            thread.join().expect("receiver thread");
        }
    }

    /// The next request is read and then the receiver dies without answering.
    pub fn crash_on_next(&self) {
        self.shared.crash_next.store(true, Ordering::SeqCst);
    }

    pub fn is_up(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.shared.hits.lock().unwrap().clone()
    }

    /// Waits until `done` holds for the hits so far.
    pub fn wait_until(&self, timeout: Duration, done: impl Fn(&[Hit]) -> bool) -> Vec<Hit> {
        let deadline = Instant::now() + timeout;
        loop {
            let hits = self.hits();
            if done(&hits) {
                return hits;
            }
            assert!(
                Instant::now() < deadline,
                "receiver waited in vain; it has {hits:#?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.down();
    }
}

fn serve(listener: &TcpListener, shared: &Shared) {
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                if !handle(stream, shared) {
                    return; // crashed: the listener closes with this thread
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(_) => return,
        }
    }
}

/// Reads one request and answers it; false when it crashed instead.
fn handle(stream: TcpStream, shared: &Shared) -> bool {
    stream.set_nonblocking(false).ok();
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return true;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length.min(1 << 20)];
    reader.read_exact(&mut body).ok();
    let crash = shared.crash_next.swap(false, Ordering::SeqCst);
    let mut hit = Hit {
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        answered: false,
    };
    if crash {
        shared.hits.lock().unwrap().push(hit);
        return false;
    }
    let mut stream = stream;
    let answered = stream
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
        .is_ok();
    hit.answered = answered;
    shared.hits.lock().unwrap().push(hit);
    true
}
