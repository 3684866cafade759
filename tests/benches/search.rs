//! Search at scale and freshness. Run: cargo bench --bench search
//!
//! 1. Freshness: through a release server, 200 topics posted one at a time, each searched
//!    for until found; the delay from the API's answer to the first search that finds it.
//! 2. Scale: 100,000 topics with 9 replies each (1,000,000 posts) written straight into a
//!    SQLite file, `rebuild` timed (what `kotae reindex` does), then a release server on that
//!    data answers searches from 8 concurrent clients.
//!
//! The corpus is natural text by default (kotae::corpus: Zipf-distributed words, English and
//! Japanese topics) searched with 100 queries of one to three words, phrases, exclusions and
//! Japanese; KOTAE_BENCH_CORPUS=dense makes every word of a 52-word vocabulary appear in
//! nearly every topic instead (the worst case). KOTAE_BENCH_TOPICS changes the corpus size
//! (default 100000); KOTAE_BENCH_DIR keeps the corpus between runs; KOTAE_BENCH_PART=freshness
//! or scale runs one part.

#[path = "../common/mod.rs"]
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use kotae::corpus::Rng;
use serde_json::json;

const WORDS: [&str; 40] = [
    "printer",
    "scanner",
    "paper",
    "jam",
    "toner",
    "driver",
    "update",
    "firmware",
    "wifi",
    "network",
    "battery",
    "screen",
    "camera",
    "lens",
    "focus",
    "cloud",
    "backup",
    "sync",
    "error",
    "crash",
    "slow",
    "noise",
    "leak",
    "cartridge",
    "tray",
    "duplex",
    "colour",
    "sensor",
    "door",
    "login",
    "password",
    "account",
    "invoice",
    "refund",
    "shipping",
    "warranty",
    "install",
    "cable",
    "bluetooth",
    "app",
];
const JA: [&str; 12] = [
    "印刷",
    "自動ドア",
    "感度",
    "電池",
    "画面",
    "接続",
    "設定",
    "更新",
    "故障",
    "返金",
    "配送",
    "保証",
];

/// A sentence of the dense corpus: every fifth word Japanese.
fn dense_sentence(rng: &mut Rng, words: usize) -> String {
    (0..words)
        .map(|_| {
            let from: &[&str] = if rng.next_u64().is_multiple_of(5) {
                &JA
            } else {
                &WORDS
            };
            from[rng.below(from.len())]
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 * q).ceil() as usize).saturating_sub(1)]
}

fn freshness() {
    let app = common::TestApp::start();
    let co = common::staff::company(&app);
    let mut took = vec![];
    for i in 0..200 {
        let word = format!("fresh{i}x");
        let (status, _) = app.as_member(
            &co.asker,
            "POST",
            "/api/v1/brands/acme/topics",
            json!({ "kind": "question", "title": format!("Topic {word}"), "body": "Body." }),
        );
        assert_eq!(status, 201);
        let posted = Instant::now();
        loop {
            let answer = app.client().get(&format!("/api/v1/search?q={word}"));
            if answer.json()["total"].as_u64() == Some(1) {
                took.push(posted.elapsed());
                break;
            }
            assert!(
                posted.elapsed() < Duration::from_secs(10),
                "{word} never found"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    took.sort();
    println!(
        "freshness, 200 topics: p50 {:?} p99 {:?} max {:?}",
        percentile(&took, 0.5),
        percentile(&took, 0.99),
        took[took.len() - 1]
    );
}

/// The corpus's text: "natural" (the default: Zipf-distributed words over a vocabulary of
/// thousands, English and Japanese topics) or "dense" (KOTAE_BENCH_CORPUS=dense: every word
/// of a 52-word vocabulary in nearly every topic, the worst case for a search engine).
enum Text {
    Natural(kotae::corpus::Corpus),
    Dense(Rng),
}

impl Text {
    fn from_env() -> Text {
        match std::env::var("KOTAE_BENCH_CORPUS").as_deref() {
            Ok("dense") => Text::Dense(Rng::new(0x9E37_79B9_7F4A_7C15)),
            _ => Text::Natural(kotae::corpus::Corpus::new(0x9E37_79B9_7F4A_7C15)),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Text::Natural(_) => "natural",
            Text::Dense(_) => "dense",
        }
    }

    /// Title, body and nine replies.
    fn topic(&mut self) -> (String, String, Vec<String>) {
        match self {
            Text::Dense(rng) => (
                dense_sentence(rng, 6),
                dense_sentence(rng, 30),
                (0..9).map(|_| dense_sentence(rng, 25)).collect(),
            ),
            Text::Natural(corpus) => {
                let japanese = corpus.rng.chance(0.3);
                let title = corpus.title(japanese);
                let length = corpus.length(15, 150);
                let body = corpus.text(japanese, length);
                let replies = (0..9)
                    .map(|_| {
                        let length = corpus.length(8, 80);
                        corpus.text(japanese, length)
                    })
                    .collect();
                (title, body, replies)
            }
        }
    }

    /// What the clients search for: for the natural corpus, 100 queries of the words people
    /// search with (not the most common ones), one to three words, phrases, exclusions,
    /// Japanese.
    fn queries(&self) -> Vec<String> {
        if let Text::Dense(_) = self {
            return QUERIES.iter().map(|q| q.to_string()).collect();
        }
        let mut corpus = kotae::corpus::Corpus::new(99);
        let from = kotae::corpus::FUNCTION_WORDS;
        (0..100)
            .map(|i| match i % 10 {
                0..=3 => corpus.words(false, 2, from).join(" "),
                4 => corpus.words(false, 1, from).join(" "),
                5 => corpus.words(false, 3, from).join(" "),
                6 => format!("\"{}\"", corpus.words(false, 2, from).join(" ")),
                7 => corpus.words(true, 1, 5).join(" "),
                8 => corpus.words(true, 2, 5).join(" "),
                _ => corpus.words(false, 2, from).join(" -"),
            })
            .collect()
    }
}

fn build_corpus(url: &str, topics: usize, text: &mut Text) {
    let mut c = kotae::db::connect(url).expect("database");
    kotae::db::migrate::run(&mut c).expect("migrations");
    let now = "2026-11-23 00:00:00";
    diesel::sql_query(format!(
        "INSERT INTO users (username, email, email_key, email_verified, display_name, password_hash, language, site_admin, created_at, updated_at) \
         VALUES ('bench', 'bench@example.com', 'bench@example.com', 1, 'Bench', 'x', 'en', 0, '{now}', '{now}')"
    ))
    .execute(&mut c)
    .expect("user");
    diesel::sql_query(format!(
        "INSERT INTO brands (slug, name, created_by, last_activity_at, created_at) VALUES ('acme', 'Acme', 1, '{now}', '{now}')"
    ))
    .execute(&mut c)
    .expect("brand");
    let started = Instant::now();
    diesel::sql_query("BEGIN").execute(&mut c).expect("begin");
    for chunk in 0..topics.div_ceil(500) {
        let first = chunk * 500;
        let last = (first + 500).min(topics);
        let mut values = vec![];
        let mut replies = vec![];
        for id in first + 1..=last {
            let (title, body, answers) = text.topic();
            values.push(format!(
                "(1, 1, 'question', '{title}', '{body}', '{body}', 'open', '{now}', '{now}', 9)"
            ));
            for answer in answers {
                replies.push(format!("({id}, 1, '{answer}', '{answer}', '{now}')"));
            }
        }
        diesel::sql_query(format!(
            "INSERT INTO topics (brand_id, author_id, kind, title, body, body_html, status, created_at, last_activity_at, reply_count) VALUES {}",
            values.join(",")
        ))
        .execute(&mut c)
        .expect("topics");
        diesel::sql_query(format!(
            "INSERT INTO replies (topic_id, author_id, body, body_html, created_at) VALUES {}",
            replies.join(",")
        ))
        .execute(&mut c)
        .expect("replies");
    }
    diesel::sql_query("COMMIT").execute(&mut c).expect("commit");
    println!(
        "corpus ({}): {topics} topics, {} posts written in {:.1} s",
        text.name(),
        topics * 10,
        started.elapsed().as_secs_f64()
    );
}

const QUERIES: [&str; 10] = [
    "printer jam",
    "toner leak",
    "wifi network",
    "印刷",
    "自動ドア 感度",
    "battery -screen",
    "\"paper jam\"",
    "firmware update crash",
    "refund shipping",
    "camera lens focus",
];

/// Each query's service time in the process, one at a time, without HTTP; the slowest
/// five also with tantivy's Count and TopDocs alone, to show where their time goes.
fn engine_times(index: &kotae::search::SearchIndex, queries: &[String]) {
    use kotae::search::{SortBy, query};
    use tantivy::collector::{Count, TopDocs};
    let runs = 5;
    let mut times = vec![];
    for text in queries {
        let q = query::build(&query::parse(text), index.field_set(), query::Match::All);
        let started = Instant::now();
        let mut total = 0;
        for _ in 0..runs {
            let found = index.search(&q, SortBy::Relevance, 20, 0);
            total = found.expect("search").counts.total;
        }
        times.push((started.elapsed() / runs, total, text, q));
    }
    times.sort_by_key(|t| t.0);
    let sorted: Vec<Duration> = times.iter().map(|t| t.0).collect();
    println!(
        "in process, {} queries one at a time: p50 {:?} p99 {:?} max {:?}",
        times.len(),
        percentile(&sorted, 0.5),
        percentile(&sorted, 0.99),
        sorted[sorted.len() - 1]
    );
    let searcher = index.searcher();
    let time = |run: &dyn Fn()| {
        let started = Instant::now();
        for _ in 0..runs {
            run();
        }
        started.elapsed() / runs
    };
    for (took, total, text, q) in times.iter().rev().take(5) {
        let count = time(&|| drop(searcher.search(q.query.as_ref(), &Count)));
        let top = TopDocs::with_limit(20).order_by_score();
        let top = time(&|| drop(searcher.search(q.query.as_ref(), &top)));
        let plain = match &q.core {
            Some(core) => {
                let shortlist = TopDocs::with_limit(100).order_by_score();
                let took = time(&|| drop(searcher.search(core.as_ref(), &shortlist)));
                format!("plain, shortlist {took:?}")
            }
            None => "not plain".to_string(),
        };
        let tally = time(&|| drop(searcher.search(q.query.as_ref(), &kotae::search::tally::Tally)));
        println!(
            "  {text:<32} {total:>7} found, {plain}: {took:?} (Count alone {count:?}, tally {tally:?}, TopDocs of all {top:?})"
        );
    }
}

fn scale() {
    let topics: usize = std::env::var("KOTAE_BENCH_TOPICS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let temp = tempfile::tempdir().expect("temp dir");
    // KOTAE_BENCH_DIR keeps the corpus for a later run (or for profiling a server on it)
    let kept = std::env::var("KOTAE_BENCH_DIR")
        .ok()
        .map(std::path::PathBuf::from);
    let dir = kept.as_deref().unwrap_or(temp.path());
    let mut text = Text::from_env();
    let url = dir
        .join(format!("kotae-{}.db", text.name()))
        .to_string_lossy()
        .into_owned();
    if !std::path::Path::new(&url).exists() {
        std::fs::create_dir_all(dir).expect("bench dir");
        build_corpus(&url, topics, &mut text);
    }
    let queries = text.queries();
    {
        let mut c = kotae::db::connect(&url).expect("database");
        let index = kotae::search::SearchIndex::open(&dir.join("search")).expect("index");
        let started = Instant::now();
        let count = kotae::search::indexer::rebuild(&mut c, &index).expect("rebuild");
        let secs = started.elapsed().as_secs_f64();
        println!(
            "rebuild: {count} topics ({} posts) in {secs:.1} s = {:.0} posts/s",
            count * 10,
            (count * 10) as f64 / secs
        );
        engine_times(&index, &queries);
    }
    let mut server = Command::new(env!("CARGO_BIN_EXE_kotae"));
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("KOTAE_")) {
        server.env_remove(key); // the bench's own settings are not the server's
    }
    server
        .arg("serve")
        .env("KOTAE_DATA_DIR", dir)
        .env("KOTAE_DATABASE_URL", &url)
        .env("KOTAE_BIND", "127.0.0.1:0")
        .env("KOTAE_RATE_LIMITS", "off")
        .env("KOTAE_LOG", "warn,kotae=info,kotae::http=warn");
    let (mut server, base) = common::spawn_server(server);
    let queries = std::sync::Arc::new(queries);
    let per_client = 500;
    let started = Instant::now();
    let handles: Vec<_> = (0..8)
        .map(|n| {
            let (base, queries) = (base.clone(), queries.clone());
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                let mut took = vec![];
                for i in 0..per_client {
                    let q = &queries[(i * 8 + n) % queries.len()];
                    let url = format!(
                        "{base}/api/v1/search?{}",
                        serde_urlencoded::to_string([("q", q)]).expect("q")
                    );
                    let at = Instant::now();
                    let mut answer = agent.get(&url).call().expect("search");
                    let _ = answer.body_mut().read_to_string().expect("body");
                    took.push(at.elapsed());
                }
                took
            })
        })
        .collect();
    let mut took: Vec<Duration> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("client"))
        .collect();
    let secs = started.elapsed().as_secs_f64();
    took.sort();
    println!(
        "search over {} posts ({} corpus), 8 clients, {} requests: {:.0} req/s, p50 {:?} p99 {:?}",
        topics * 10,
        text.name(),
        took.len(),
        took.len() as f64 / secs,
        percentile(&took, 0.5),
        percentile(&took, 0.99)
    );
    let _ = server.kill();
    let _ = server.wait();
}

fn main() {
    // KOTAE_BENCH_PART=freshness or scale runs one part
    let part = std::env::var("KOTAE_BENCH_PART").unwrap_or_default();
    if part != "scale" {
        freshness();
    }
    if part != "freshness" {
        scale();
    }
}
