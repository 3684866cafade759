//! `/metrics` in Prometheus' text format: requests by route, method and status with their
//! latency, and, read when scraped, the mail and webhook queues, the search indexer's lag,
//! open escalations and the database pool. With `KOTAE_METRICS_TOKEN` set it asks for that
//! bearer token; without, it answers callers on loopback only, and never a request that a
//! proxy forwarded (a proxy on the same machine is itself a loopback peer).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use diesel::prelude::*;

use super::errors::PageError;
use super::page::PageResult;
use crate::app::AppState;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// One route, method and status: how many, how long in all, and by bucket.
#[derive(Default)]
struct Series {
    count: AtomicU64,
    micros: AtomicU64,
    buckets: [AtomicU64; BUCKETS.len()],
}

impl Series {
    fn record(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        self.count.fetch_add(1, Ordering::Relaxed);
        self.micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
    }
}

type Key = (String, &'static str, u16);

#[derive(Default)]
pub struct Metrics {
    series: RwLock<HashMap<Key, Series>>,
}

fn method_name(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

impl Metrics {
    /// Counts one answered request; `route` is the matched pattern, never the raw path.
    pub fn observe(
        &self,
        route: Option<String>,
        method: &actix_web::http::Method,
        status: u16,
        took: Duration,
    ) {
        let key = (
            route.unwrap_or_else(|| "unmatched".into()),
            method_name(method),
            status,
        );
        {
            let all = self.series.read().unwrap_or_else(|e| e.into_inner());
            if let Some(series) = all.get(&key) {
                series.record(took);
                return;
            }
        }
        let mut all = self.series.write().unwrap_or_else(|e| e.into_inner());
        all.entry(key).or_default().record(took);
    }

    fn write_requests(&self, out: &mut String) {
        let all = self.series.read().unwrap_or_else(|e| e.into_inner());
        let mut keys: Vec<&Key> = all.keys().collect();
        keys.sort();
        out.push_str("# HELP kotae_http_requests_total Requests answered.\n");
        out.push_str("# TYPE kotae_http_requests_total counter\n");
        for key in &keys {
            let n = all[*key].count.load(Ordering::Relaxed);
            let _ = writeln!(out, "kotae_http_requests_total{{{}}} {n}", labels(key));
        }
        out.push_str("# HELP kotae_http_request_duration_seconds Time to answer.\n");
        out.push_str("# TYPE kotae_http_request_duration_seconds histogram\n");
        for key in &keys {
            let series = &all[*key];
            let labels = labels(key);
            let mut below = 0;
            for (bound, bucket) in BUCKETS.iter().zip(&series.buckets) {
                below += bucket.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "kotae_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {below}"
                );
            }
            let count = series.count.load(Ordering::Relaxed);
            let sum = series.micros.load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(
                out,
                "kotae_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "kotae_http_request_duration_seconds_sum{{{labels}}} {sum}"
            );
            let _ = writeln!(
                out,
                "kotae_http_request_duration_seconds_count{{{labels}}} {count}"
            );
        }
    }
}

fn labels((route, method, status): &Key) -> String {
    let route = route.replace('\\', "\\\\").replace('"', "\\\"");
    format!("route=\"{route}\",method=\"{method}\",status=\"{status}\"")
}

/// What is read from the database at each scrape.
struct Queues {
    mail_pending: i64,
    mail_oldest_secs: f64,
    webhooks_pending: i64,
    escalations_open: i64,
    last_change: i64,
}

fn queues(c: &mut DbConn) -> AppResult<Queues> {
    use crate::db::schema::{escalations, outbox_emails, search_changes, webhook_deliveries};
    let pending = outbox_emails::table.filter(outbox_emails::status.eq("pending"));
    let mail_pending: i64 = pending.count().get_result(c)?;
    let oldest: Option<chrono::NaiveDateTime> = pending
        .select(diesel::dsl::min(outbox_emails::created_at))
        .first(c)?;
    let at = crate::model::now();
    Ok(Queues {
        mail_pending,
        mail_oldest_secs: oldest.map_or(0.0, |o| (at - o).num_milliseconds() as f64 / 1e3),
        webhooks_pending: webhook_deliveries::table
            .filter(webhook_deliveries::status.eq("pending"))
            .count()
            .get_result(c)?,
        escalations_open: escalations::table
            .filter(escalations::state.ne("resolved"))
            .count()
            .get_result(c)?,
        last_change: search_changes::table
            .select(diesel::dsl::max(search_changes::seq))
            .first::<Option<i64>>(c)?
            .unwrap_or(0),
    })
}

fn gauge(out: &mut String, name: &str, help: &str, value: impl std::fmt::Display) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
    );
}

fn allowed(req: &HttpRequest, state: &AppState) -> bool {
    match &state.config.metrics_token {
        Some(token) => req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| {
                crate::secret::token_hash(given) == crate::secret::token_hash(token)
            }),
        None => {
            let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"]
                .iter()
                .any(|h| req.headers().contains_key(*h));
            !forwarded && req.peer_addr().is_some_and(|a| a.ip().is_loopback())
        }
    }
}

/// GET /metrics
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    if !allowed(&req, &state) {
        return Err(AppError::NotFound.into());
    }
    let q = state.services.db.run(queues).await?;
    let applied = state
        .search
        .applied()
        .map_err(|e| PageError(AppError::Internal(e)))?;
    let (size, open, idle) = state.services.db.pool_use();
    let mut out = String::with_capacity(16 * 1024);
    state.metrics.write_requests(&mut out);
    gauge(
        &mut out,
        "kotae_outbox_pending",
        "Mail waiting to be sent.",
        q.mail_pending,
    );
    gauge(
        &mut out,
        "kotae_outbox_oldest_age_seconds",
        "Age of the oldest mail waiting (0 when none).",
        q.mail_oldest_secs,
    );
    gauge(
        &mut out,
        "kotae_webhook_deliveries_pending",
        "Webhook deliveries waiting or being retried.",
        q.webhooks_pending,
    );
    gauge(
        &mut out,
        "kotae_search_indexer_lag",
        "Search changes written but not yet in this node's index.",
        (q.last_change - applied).max(0),
    );
    gauge(
        &mut out,
        "kotae_escalations_open",
        "Escalations not resolved.",
        q.escalations_open,
    );
    gauge(
        &mut out,
        "kotae_db_pool_size",
        "Connections the pool may hold.",
        size,
    );
    gauge(
        &mut out,
        "kotae_db_pool_connections",
        "Connections open.",
        open,
    );
    gauge(
        &mut out,
        "kotae_db_pool_idle",
        "Connections open and idle.",
        idle,
    );
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(out))
}
