//! The insights page over a generated community (`kotae demo --topics N`, 100,000 topics and
//! about 900,000 replies by default): each aggregate query timed in process, then the page and
//! the JSON through a release server on loopback, one request at a time, for the busiest brand
//! and for the whole site.
//!
//! Run: cargo bench --bench insights
//! KOTAE_BENCH_TOPICS sets the size; KOTAE_BENCH_DIR keeps the data set between runs (it is
//! generated once per directory); KOTAE_TEST_DATABASE_URL runs it on PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use kotae::model::insights::{self as figures, Scope, Weights};

const RUNS: usize = 20;

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn timed<T>(label: &str, mut work: impl FnMut() -> T) {
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        std::hint::black_box(work());
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "  {label:<28} p50 {:>7.2} ms  p99 {:>7.2} ms",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3
    );
}

fn kotae(env: &[(&str, String)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kotae"));
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("KOTAE_")) {
        command.env_remove(key);
    }
    command.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    command
}

fn main() {
    let topics: usize = std::env::var("KOTAE_BENCH_TOPICS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let kept = std::env::var("KOTAE_BENCH_DIR").ok();
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = kept.map_or_else(|| temp.path().to_path_buf(), std::path::PathBuf::from);
    std::fs::create_dir_all(&dir).expect("bench dir");
    let url = std::env::var("KOTAE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| dir.join("kotae.db").display().to_string());
    let env = [
        ("KOTAE_DATA_DIR", dir.display().to_string()),
        ("KOTAE_DATABASE_URL", url.clone()),
        ("KOTAE_RATE_LIMITS", "off".to_string()),
        ("KOTAE_LOG", "info,kotae::http=warn".to_string()),
    ];
    if !dir.join(format!("generated-{topics}")).exists() {
        let started = Instant::now();
        let out = kotae(&env)
            .args(["demo", "--topics", &topics.to_string()])
            .output()
            .expect("kotae demo");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        print!("{}", String::from_utf8_lossy(&out.stdout));
        println!("generated in {:.1} s", started.elapsed().as_secs_f64());
        std::fs::write(dir.join(format!("generated-{topics}")), "").expect("mark");
    }

    let mut c = kotae::db::connect(&url).expect("database");
    let (brand, slug): (i64, String) = {
        use kotae::db::schema::{brands, topics};
        let busiest: i64 = topics::table
            .group_by(topics::brand_id)
            .select(topics::brand_id)
            .order(diesel::dsl::count_star().desc())
            .first(&mut c)
            .expect("a brand");
        let slug = brands::table
            .find(busiest)
            .select(brands::slug)
            .first(&mut c)
            .expect("slug");
        (busiest, slug)
    };
    if std::env::var("KOTAE_BENCH_PLANS").is_ok() {
        #[derive(diesel::QueryableByName, Debug)]
        struct Plan {
            #[diesel(sql_type = diesel::sql_types::Text)]
            detail: String,
        }
        let sql = std::env::var("KOTAE_BENCH_PLANS").unwrap();
        let rows: Vec<Plan> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load(&mut c)
            .expect("plan");
        for r in rows {
            println!("{}", r.detail);
        }
        return;
    }
    let today = chrono::Utc::now().date_naive();
    for days in [30, 90] {
        let period = kotae::service::insights::Period::last(days, today);
        let from = period.first_day.and_hms_opt(0, 0, 0).unwrap();
        let to = (period.last_day + chrono::Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let s = Scope {
            brand: Some(kotae::model::BrandId(brand)),
            product: None,
            from,
            to,
        };
        let w = Weights {
            helpful: 10,
            accepted: 25,
        };
        println!("queries for {slug}, last {days} days (in process, {RUNS} runs):");
        timed("kinds", || figures::kinds(&mut c, &s).unwrap());
        timed("response times", || {
            figures::response_times(&mut c, &s).unwrap()
        });
        timed("answered by", || figures::answered_by(&mut c, &s).unwrap());
        timed("waiting now", || {
            figures::waiting(&mut c, &s, Some(from)).unwrap()
        });
        timed("escalations opened", || {
            figures::escalations_opened(&mut c, &s).unwrap()
        });
        timed("escalation times", || {
            figures::escalation_times(&mut c, &s, false).unwrap()
        });
        timed("feelings", || {
            figures::feelings(&mut c, &s, 86_400).unwrap()
        });
        timed("top problems", || {
            figures::top_problems(&mut c, &s, 10).unwrap()
        });
        timed("ideas", || figures::ideas(&mut c, &s).unwrap());
        timed("implemented", || {
            figures::implemented(&mut c, &s, 10).unwrap()
        });
        timed("people (helpers, staff)", || {
            figures::people(&mut c, &s, w, 200, 10).unwrap()
        });
        timed("assigned", || figures::assigned(&mut c, &s).unwrap());
        timed("solved by", || figures::solved_by(&mut c, &s).unwrap());
        timed("staff response", || {
            figures::staff_response_times(&mut c, &s).unwrap()
        });
    }
    drop(c);

    let (mut server, base) = common::spawn_server({
        let mut command = kotae(&env);
        command.env("KOTAE_BIND", "127.0.0.1:0").arg("serve");
        command
    });
    let client = common::Client::new(&base);
    let (status, body) = client.post_json(
        "/api/v1/tokens",
        &serde_json::json!({ "login": "dana", "password": kotae::demo::PASSWORD }),
    );
    assert_eq!(status, 201, "{body}");
    let token = body["token"].as_str().expect("token").to_string();
    let web = common::Client::new(&base);
    web.submit(
        "/sign-in",
        "/sign-in",
        &[("login", "dana"), ("password", kotae::demo::PASSWORD)],
    );
    println!("through the server (release, loopback, one at a time, {RUNS} requests each):");
    for path in [
        format!("/brands/{slug}/insights?days=30"),
        format!("/brands/{slug}/insights?days=90"),
        "/admin/insights?days=30".to_string(),
    ] {
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            let answer = web.get(&path);
            times.push(started.elapsed());
            assert_eq!(answer.status, 200, "{path}");
        }
        times.sort();
        println!(
            "  page {path:<40} p50 {:>7.1} ms  p99 {:>7.1} ms",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3
        );
    }
    let api = format!("/api/v1/brands/{slug}/insights?days=90");
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let (status, _) = client.get_as(&api, &token);
        times.push(started.elapsed());
        assert_eq!(status, 200);
    }
    times.sort();
    println!(
        "  json {api:<40} p50 {:>7.1} ms  p99 {:>7.1} ms",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3
    );
    let _ = server.kill();
    let _ = server.wait();
}
