//! Pages for visitors who are not signed in, rendered once and served from memory: the topic
//! page, the brand page and the home page are most of a community's traffic, and the same for
//! every visitor but for the CSRF token in their forms.
//!
//! A page is rendered with a placeholder where the token goes and kept in pieces around it;
//! each visitor gets the pieces joined by their own token. Any write this node answers
//! (every non-GET request that succeeds) makes every kept page stale at once; writes elsewhere
//! (other nodes, commands, background jobs) show within `FRESH_FOR`. A stale page is rendered
//! again by the first request that finds it so; visitors who come meanwhile get the stale
//! copy rather than all rendering it at once. Signed-in members never get a kept page, so
//! whoever wrote sees their write at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};

use super::page::{FLASH_COOKIE, PageResult, lang_of};
use super::session::{self, SESSION_COOKIE};
use crate::app::AppState;

/// How long a kept page may be served without a write on this node.
const FRESH_FOR: Duration = Duration::from_secs(1);
/// How long a stale page may still be served while another request renders it again.
const STALE_FOR: Duration = Duration::from_secs(5);
/// The most the kept pages may hold in all.
const MAX_BYTES: usize = 32 * 1024 * 1024;

/// Put in a request's extensions while its page is rendered for keeping: the page's forms get
/// the placeholder instead of the visitor's CSRF token.
#[derive(Clone)]
pub struct RenderingForCache(pub String);

struct Kept {
    generation: u64,
    made: Instant,
    /// The page split at each placeholder.
    pieces: Vec<Bytes>,
    /// The same pieces compressed, so gzip costs a visitor no compression of their own.
    deflated: Option<Vec<Bytes>>,
    /// Unique among the pages kept by this process, for the ETag.
    serial: u64,
    /// Set by the request that renders the page again once it is stale.
    refreshing: AtomicBool,
}

impl Kept {
    /// Bytes held, the compressed copy included.
    fn size(&self) -> usize {
        let deflated = self.deflated.iter().flatten();
        self.pieces.iter().chain(deflated).map(Bytes::len).sum()
    }
}

pub struct PageCache {
    placeholder: String,
    generation: AtomicU64,
    serial: AtomicU64,
    pages: Mutex<HashMap<String, Arc<Kept>>>,
    /// One turn per page not kept yet, so a burst of visitors renders it once.
    turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache {
            placeholder: format!("csrf-{}", crate::secret::random_token()),
            generation: AtomicU64::new(0),
            serial: AtomicU64::new(0),
            pages: Mutex::new(HashMap::new()),
            turns: Mutex::new(HashMap::new()),
        }
    }
}

impl PageCache {
    /// Makes every kept page stale (a write happened).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// The kept page to serve, unless this request should render it (again).
    fn servable(&self, key: &str) -> Option<Arc<Kept>> {
        let kept = self.pages_lock().get(key)?.clone();
        if self.is_fresh(&kept) {
            return Some(kept);
        }
        let someone_renders = kept.refreshing.swap(true, Ordering::AcqRel);
        (someone_renders && kept.made.elapsed() < STALE_FOR).then_some(kept)
    }

    fn fresh(&self, key: &str) -> Option<Arc<Kept>> {
        let kept = self.pages_lock().get(key)?.clone();
        self.is_fresh(&kept).then_some(kept)
    }

    fn is_fresh(&self, kept: &Kept) -> bool {
        kept.generation == self.generation.load(Ordering::Acquire)
            && kept.made.elapsed() < FRESH_FOR
    }

    fn pages_lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Kept>>> {
        self.pages.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn keep(&self, key: String, html: &[u8], generation: u64) -> Arc<Kept> {
        let pieces = split(html, self.placeholder.as_bytes());
        let kept = Arc::new(Kept {
            generation,
            made: Instant::now(),
            deflated: pieces.iter().map(|p| gzip::deflate(p)).collect(),
            pieces,
            serial: self.serial.fetch_add(1, Ordering::Relaxed),
            refreshing: AtomicBool::new(false),
        });
        let mut pages = self.pages_lock();
        let held: usize = pages.values().map(|k| k.size()).sum::<usize>() + kept.size();
        if held > MAX_BYTES {
            pages.retain(|_, k| self.is_fresh(k));
            if pages.values().map(|k| k.size()).sum::<usize>() + kept.size() > MAX_BYTES {
                pages.clear();
            }
        }
        pages.insert(key, kept.clone());
        kept
    }
}

/// A request's place in the queue to render one page; the queue is forgotten when the last
/// request in it is done (or gone: a visitor who leaves drops it too).
struct Turn<'a> {
    cache: &'a PageCache,
    key: &'a str,
    mutex: Arc<tokio::sync::Mutex<()>>,
}

impl<'a> Turn<'a> {
    fn take(cache: &'a PageCache, key: &'a str) -> Turn<'a> {
        let mut turns = cache.turns.lock().unwrap_or_else(|e| e.into_inner());
        let mutex = turns.entry(key.to_string()).or_default().clone();
        Turn { cache, key, mutex }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut turns = self.cache.turns.lock().unwrap_or_else(|e| e.into_inner());
        // the map's reference and this one: nobody else waits
        if Arc::strong_count(&self.mutex) <= 2 {
            turns.remove(self.key);
        }
    }
}

/// The page from memory when the visitor is not signed in and a fresh one is kept; else
/// rendered by `render` (and kept, when it can be).
pub async fn serve<F, Fut>(req: &HttpRequest, state: &AppState, render: F) -> PageResult
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = PageResult>,
{
    let Some(key) = key_of(req) else {
        return render().await;
    };
    let cache = &state.pages;
    let token = session::csrf_token(req, state);
    if let Some(kept) = cache.servable(&key) {
        return Ok(respond(req, &kept, &token));
    }
    let turn = Turn::take(cache, &key);
    let _mine = turn.mutex.lock().await;
    match cache.fresh(&key) {
        Some(kept) => Ok(respond(req, &kept, &token)), // rendered while this request waited
        None => render_and_keep(req, cache, key.clone(), &token, render).await,
    }
}

async fn render_and_keep<F, Fut>(
    req: &HttpRequest,
    cache: &PageCache,
    key: String,
    token: &str,
    render: F,
) -> PageResult
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = PageResult>,
{
    let generation = cache.generation.load(Ordering::Acquire);
    req.extensions_mut()
        .insert(RenderingForCache(cache.placeholder.clone()));
    let rendered = render().await?;
    req.extensions_mut().remove::<RenderingForCache>();
    if rendered.status() != actix_web::http::StatusCode::OK
        || rendered.headers().contains_key(header::SET_COOKIE)
    {
        return Ok(rendered);
    }
    let body = actix_web::body::to_bytes(rendered.into_body())
        .await
        .map_err(|e| crate::error::AppError::Internal(anyhow::anyhow!("page body: {e}")))?;
    let kept = cache.keep(key, &body, generation);
    Ok(respond(req, &kept, token))
}

/// Only visitors without a session, a bearer token or a flash message to show.
fn key_of(req: &HttpRequest) -> Option<String> {
    let anonymous = req.cookie(SESSION_COOKIE).is_none()
        && !req.headers().contains_key(header::AUTHORIZATION)
        && req.cookie(FLASH_COOKIE).is_none();
    anonymous.then(|| format!("{}{}", lang_of(req, None).code(), req.uri()))
}

fn respond(req: &HttpRequest, kept: &Kept, token: &str) -> HttpResponse {
    // the token is in the page, so the tag changes with it
    let etag = format!("\"p{:x}-{}\"", kept.serial, &token[..token.len().min(12)]);
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if unchanged {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish();
    }
    let mut response = HttpResponse::Ok();
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((header::ETAG, etag))
        .insert_header((header::VARY, "Accept-Encoding"));
    if let Some(deflated) = kept.deflated.as_ref().filter(|_| accepts_gzip(req)) {
        response.insert_header((header::CONTENT_ENCODING, "gzip"));
        return response.body(gzip::join(&kept.pieces, deflated, token.as_bytes()));
    }
    let plain: usize = kept.pieces.iter().map(Bytes::len).sum();
    let mut body = Vec::with_capacity(plain + kept.pieces.len() * token.len());
    for (i, piece) in kept.pieces.iter().enumerate() {
        if i > 0 {
            body.extend_from_slice(token.as_bytes());
        }
        body.extend_from_slice(piece);
    }
    response.body(body)
}

fn accepts_gzip(req: &HttpRequest) -> bool {
    let accepted = req.headers().get_all(header::ACCEPT_ENCODING);
    let codings = accepted
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','));
    codings.into_iter().any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        let gzip = parts
            .next()
            .is_some_and(|name| name.eq_ignore_ascii_case("gzip"));
        let weight = parts
            .find_map(|p| p.strip_prefix("q="))
            .map_or(1.0, |q| q.parse::<f32>().unwrap_or(0.0));
        gzip && weight > 0.0
    })
}

/// A gzip stream assembled from pieces compressed once and a token that differs per visitor.
/// Each piece is raw DEFLATE ended by a sync flush, so it stops at a byte boundary and refers
/// to nothing before it; the token goes between them as a stored (uncompressed) block.
mod gzip {
    use actix_web::web::Bytes;
    use flate2::{Compress, Compression, FlushCompress};

    const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    /// An empty final block with fixed codes: ends the DEFLATE stream.
    const LAST_BLOCK: [u8; 2] = [0x03, 0x00];

    /// None if zlib fails (it does not on memory it was given; then the page goes plain).
    pub fn deflate(piece: &[u8]) -> Option<Bytes> {
        let mut compress = Compress::new(Compression::default(), false);
        let mut out = Vec::new();
        loop {
            out.reserve(piece.len() / 3 + 64);
            let read = compress.total_in() as usize;
            compress
                .compress_vec(&piece[read..], &mut out, FlushCompress::Sync)
                .ok()?;
            // all read and room left over: the flush is complete
            if compress.total_in() as usize == piece.len() && out.len() < out.capacity() {
                return Some(Bytes::from(out));
            }
        }
    }

    pub fn join(pieces: &[Bytes], deflated: &[Bytes], token: &[u8]) -> Vec<u8> {
        let size: usize = deflated.iter().map(Bytes::len).sum();
        let mut out = Vec::with_capacity(size + pieces.len() * (token.len() + 5) + 20);
        out.extend_from_slice(&HEADER);
        let mut crc = crc32fast::Hasher::new();
        let mut length = 0usize;
        for (i, (piece, packed)) in pieces.iter().zip(deflated).enumerate() {
            if i > 0 {
                stored_block(&mut out, token);
                crc.update(token);
                length += token.len();
            }
            out.extend_from_slice(packed);
            crc.update(piece);
            length += piece.len();
        }
        out.extend_from_slice(&LAST_BLOCK);
        out.extend_from_slice(&crc.finalize().to_le_bytes());
        out.extend_from_slice(&(length as u32).to_le_bytes());
        out
    }

    /// A non-final stored block (tokens are far shorter than its 65,535-byte limit).
    fn stored_block(out: &mut Vec<u8>, data: &[u8]) {
        let len = data.len().min(u16::MAX as usize) as u16;
        out.push(0x00);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(&data[..len as usize]);
    }
}

fn split(html: &[u8], placeholder: &[u8]) -> Vec<Bytes> {
    let mut pieces = vec![];
    let mut rest = html;
    while let Some(at) = find(rest, placeholder) {
        pieces.push(Bytes::copy_from_slice(&rest[..at]));
        rest = &rest[at + placeholder.len()..];
    }
    pieces.push(Bytes::copy_from_slice(rest));
    pieces
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::{gzip, split};
    use std::io::Read;

    #[test]
    fn gzip_only_when_asked_for_and_not_refused() {
        let asks = |value: &str| {
            let req = actix_web::test::TestRequest::default()
                .insert_header(("accept-encoding", value))
                .to_http_request();
            super::accepts_gzip(&req)
        };
        assert!(asks("gzip, deflate, br, zstd"));
        assert!(asks("br;q=1.0, GZIP;q=0.5"));
        assert!(!asks("br"));
        assert!(!asks("gzip;q=0, br"));
        assert!(!asks("identity"));
    }

    #[test]
    fn gzip_of_pieces_and_a_token_is_the_whole_page() {
        let page =
            "<html><p>説明 ".repeat(3000) + "TOKEN</p><form>TOKEN</form>" + &"x".repeat(70_000);
        let pieces = split(page.as_bytes(), b"TOKEN");
        let deflated: Vec<_> = pieces
            .iter()
            .map(|p| gzip::deflate(p).expect("deflate"))
            .collect();
        let stream = gzip::join(&pieces, &deflated, b"abc-123");
        let mut unpacked = String::new();
        flate2::read::GzDecoder::new(&stream[..])
            .read_to_string(&mut unpacked)
            .expect("valid gzip");
        assert_eq!(unpacked, page.replace("TOKEN", "abc-123"));
        assert!(
            stream.len() < page.len() / 4,
            "compressed: {}",
            stream.len()
        );
    }

    #[test]
    fn pages_split_at_every_placeholder() {
        let pieces = split(b"<a>XX</a><b>XX</b>", b"XX");
        assert_eq!(pieces, vec!["<a>", "</a><b>", "</b>"]);
        assert_eq!(split(b"none", b"XX"), vec!["none"]);
    }
}
