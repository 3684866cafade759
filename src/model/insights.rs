//! The aggregate queries behind the insights figures: each counts or ranks inside the
//! database over one scope (a brand or the whole site, optionally one product) and one period,
//! and returns a handful of rows. Percentiles are nearest-rank: the value at rank ⌈p·n⌉.

use chrono::NaiveDateTime;
use diesel::QueryResult;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Double, Nullable, Text};
use serde::Serialize;

use super::{BrandId, ProductId};
use crate::db::DbConn;
use crate::db::aggregate::{self, Bind, Dialect};

/// Whose topics and which period: `from` inclusive, `to` exclusive.
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub brand: Option<BrandId>,
    pub product: Option<ProductId>,
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
}

impl Scope {
    /// The conditions on topics `t` that every figure shares, and their binds.
    fn topics(&self, d: &Dialect) -> String {
        let mut sql = format!("{} AND t.duplicate_of IS NULL", d.is_false("t.hidden"));
        if self.brand.is_some() {
            sql.push_str(" AND t.brand_id = ?");
        }
        if self.product.is_some() {
            sql.push_str(" AND t.product_id = ?");
        }
        sql
    }

    fn binds(&self) -> Vec<Bind> {
        let mut binds = Vec::new();
        if let Some(b) = self.brand {
            binds.push(Bind::Int(b.0));
        }
        if let Some(p) = self.product {
            binds.push(Bind::Int(p.0));
        }
        binds
    }

    /// The scope's binds followed by the period's two ends.
    fn binds_and_period(&self) -> Vec<Bind> {
        let mut binds = self.binds();
        binds.extend([Bind::Time(self.from), Bind::Time(self.to)]);
        binds
    }
}

/// A count for one key (a kind, a status, a reason, a user id as text).
#[derive(Debug, Clone, QueryableByName, Serialize)]
pub struct KeyCount {
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// How long something took, in seconds, over `n` cases of one key.
#[derive(Debug, Clone, QueryableByName, Serialize)]
pub struct Timing {
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
    #[diesel(sql_type = Nullable<Double>)]
    pub median: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub p90: Option<f64>,
}

/// The median and 90th percentile of `secs` for each `key` of the rows `inner` selects.
fn percentiles(
    c: &mut DbConn,
    inner: impl Fn(&Dialect) -> String,
    binds: &[Bind],
) -> QueryResult<Vec<Timing>> {
    aggregate::load(
        c,
        |d| {
            format!(
                "SELECT key, n, MAX(CASE WHEN rn = (n + 1) / 2 THEN secs END) AS median, \
                 MAX(CASE WHEN rn = (9 * n + 9) / 10 THEN secs END) AS p90 \
                 FROM (SELECT key, secs, ROW_NUMBER() OVER (PARTITION BY key ORDER BY secs) AS rn, \
                 COUNT(*) OVER (PARTITION BY key) AS n FROM ({}) rows_of) ranked GROUP BY key, n \
                 ORDER BY key",
                inner(d)
            )
        },
        binds,
    )
}

/// Topics created in the period, per kind.
#[derive(Debug, Clone, QueryableByName, Serialize)]
pub struct KindCounts {
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = BigInt)]
    pub topics: i64,
    #[diesel(sql_type = BigInt)]
    pub without_response: i64,
    #[diesel(sql_type = BigInt)]
    pub without_staff_response: i64,
    #[diesel(sql_type = BigInt)]
    pub resolved: i64,
}

pub fn kinds(c: &mut DbConn, s: &Scope) -> QueryResult<Vec<KindCounts>> {
    aggregate::load(
        c,
        |d| {
            format!(
                "SELECT t.kind AS kind, COUNT(*) AS topics, \
                 COALESCE(SUM(CASE WHEN t.first_response_at IS NULL THEN 1 ELSE 0 END), 0) AS without_response, \
                 COALESCE(SUM(CASE WHEN t.first_staff_response_at IS NULL THEN 1 ELSE 0 END), 0) AS without_staff_response, \
                 COALESCE(SUM(CASE WHEN t.resolved_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS resolved \
                 FROM topics t WHERE {} AND t.created_at >= ? AND t.created_at < ? GROUP BY t.kind",
                s.topics(d)
            )
        },
        &s.binds_and_period(),
    )
}

/// Which response time of the period's topics.
#[derive(Debug, Clone, Copy)]
pub enum Response {
    First,
    FirstStaff,
    Resolution,
}

impl Response {
    fn column(self) -> &'static str {
        match self {
            Response::First => "t.first_response_at",
            Response::FirstStaff => "t.first_staff_response_at",
            Response::Resolution => "t.resolved_at",
        }
    }
}

/// Time from posting to `response` for the period's topics, per kind and over all (key "all").
pub fn response_times(c: &mut DbConn, s: &Scope, response: Response) -> QueryResult<Vec<Timing>> {
    let column = response.column();
    let rows = |d: &Dialect, key: &str| {
        format!(
            "SELECT {key} AS key, {} AS secs FROM topics t WHERE {} \
             AND t.created_at >= ? AND t.created_at < ? AND {column} IS NOT NULL",
            d.seconds_between("t.created_at", column),
            s.topics(d)
        )
    };
    let mut binds = s.binds_and_period();
    binds.extend(s.binds_and_period());
    percentiles(
        c,
        |d| format!("{} UNION ALL {}", rows(d, "t.kind"), rows(d, "'all'")),
        &binds,
    )
}

/// Questions of the period by who answered them: the accepted answer, else the first reply
/// voted helpful, decides ("community", "staff", or "none").
pub fn answered_by(c: &mut DbConn, s: &Scope) -> QueryResult<Vec<KeyCount>> {
    aggregate::load(
        c,
        |d| {
            format!(
                "SELECT CASE WHEN a.id IS NULL THEN 'none' WHEN {} THEN 'staff' ELSE 'community' END AS key, \
                 COUNT(*) AS n FROM topics t LEFT JOIN replies a ON a.id = COALESCE(t.accepted_reply_id, \
                 (SELECT h.id FROM replies h WHERE h.topic_id = t.id AND h.helpful_count > 0 AND {} \
                 ORDER BY h.created_at, h.id LIMIT 1)) \
                 WHERE {} AND t.kind = 'question' AND t.created_at >= ? AND t.created_at < ? GROUP BY 1",
                d.is_true("a.official"),
                d.is_false("h.hidden"),
                s.topics(d)
            )
        },
        &s.binds_and_period(),
    )
}

/// Threads waiting now, whatever the period: open, without any reply, and past the first
/// response target without a staff reply (`overdue_before` None: no target).
#[derive(Debug, Clone, QueryableByName, Serialize)]
pub struct Waiting {
    #[diesel(sql_type = BigInt)]
    pub open: i64,
    #[diesel(sql_type = BigInt)]
    pub unanswered: i64,
    #[diesel(sql_type = BigInt)]
    pub overdue: i64,
}

pub fn waiting(
    c: &mut DbConn,
    s: &Scope,
    overdue_before: Option<NaiveDateTime>,
) -> QueryResult<Waiting> {
    let mut binds = vec![Bind::Time(
        overdue_before.unwrap_or(chrono::DateTime::UNIX_EPOCH.naive_utc()),
    )];
    binds.extend(s.binds());
    let rows: Vec<Waiting> = aggregate::load(
        c,
        |d| {
            format!(
                "SELECT COUNT(*) AS open, \
                 COALESCE(SUM(CASE WHEN t.reply_count = 0 THEN 1 ELSE 0 END), 0) AS unanswered, \
                 COALESCE(SUM(CASE WHEN t.first_staff_response_at IS NULL AND t.created_at < ? \
                 THEN 1 ELSE 0 END), 0) AS overdue \
                 FROM topics t WHERE t.resolved_at IS NULL AND {}",
                s.topics(d)
            )
        },
        &binds,
    )?;
    Ok(rows.into_iter().next().unwrap_or(Waiting {
        open: 0,
        unanswered: 0,
        overdue: 0,
    }))
}

/// What an escalation is counted under: the rule that opened it, else who did ("staff",
/// "author").
const ESCALATION_REASON: &str = "COALESCE(e.rule, e.source)";

/// Escalations opened in the period, per reason.
pub fn escalations_opened(c: &mut DbConn, s: &Scope) -> QueryResult<Vec<KeyCount>> {
    aggregate::load(
        c,
        |d| {
            format!(
                "SELECT {ESCALATION_REASON} AS key, COUNT(*) AS n FROM escalations e \
                 JOIN topics t ON t.id = e.topic_id WHERE {} AND e.opened_at >= ? AND e.opened_at < ? \
                 GROUP BY 1 ORDER BY 1",
                s.topics(d)
            )
        },
        &s.binds_and_period(),
    )
}

/// Time from opening to `column` ("acknowledged_at" or "resolved_at") for the period's
/// escalations, per reason and over all.
pub fn escalation_times(c: &mut DbConn, s: &Scope, resolved: bool) -> QueryResult<Vec<Timing>> {
    let column = if resolved {
        "e.resolved_at"
    } else {
        "e.acknowledged_at"
    };
    let rows = |d: &Dialect, key: &str| {
        format!(
            "SELECT {key} AS key, {} AS secs FROM escalations e JOIN topics t ON t.id = e.topic_id \
             WHERE {} AND e.opened_at >= ? AND e.opened_at < ? AND {column} IS NOT NULL",
            d.seconds_between("e.opened_at", column),
            s.topics(d)
        )
    };
    let mut binds = s.binds_and_period();
    binds.extend(s.binds_and_period());
    percentiles(
        c,
        |d| {
            format!(
                "{} UNION ALL {}",
                rows(d, ESCALATION_REASON),
                rows(d, "'all'")
            )
        },
        &binds,
    )
}

/// Topics with a feeling, per feeling and per bucket of `bucket_secs` from the period's start.
#[derive(Debug, Clone, QueryableByName)]
pub struct FeelingCount {
    #[diesel(sql_type = Text)]
    pub feeling: String,
    #[diesel(sql_type = BigInt)]
    pub bucket: i64,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

pub fn feelings(c: &mut DbConn, s: &Scope, bucket_secs: i64) -> QueryResult<Vec<FeelingCount>> {
    let start = s.from.and_utc().timestamp();
    aggregate::load(
        c,
        |d| {
            let bucket = d.floor(&format!(
                "({} - {start}) / {bucket_secs}",
                d.epoch("t.created_at")
            ));
            format!(
                "SELECT t.feeling AS feeling, {bucket} AS bucket, COUNT(*) AS n FROM topics t \
                 WHERE {} AND t.created_at >= ? AND t.created_at < ? AND t.feeling IS NOT NULL \
                 GROUP BY 1, 2",
                s.topics(d)
            )
        },
        &s.binds_and_period(),
    )
}

/// A topic ranked by something counted in the period.
#[derive(Debug, Clone, QueryableByName, Serialize)]
pub struct RankedTopic {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub brand_slug: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
    #[diesel(sql_type = BigInt)]
    pub total: i64,
}

/// Problems with the most "me too" in the period (`total`: all their me-toos).
pub fn top_problems(c: &mut DbConn, s: &Scope, limit: i64) -> QueryResult<Vec<RankedTopic>> {
    aggregate::load(
        c,
        |d| {
            format!(
                "SELECT t.id AS id, t.title AS title, t.status AS status, b.slug AS brand_slug, \
                 COUNT(*) AS n, CAST(t.me_too_count AS BIGINT) AS total FROM me_toos m \
                 JOIN topics t ON t.id = m.topic_id JOIN brands b ON b.id = t.brand_id \
                 WHERE {} AND t.kind = 'problem' AND m.created_at >= ? AND m.created_at < ? \
                 GROUP BY t.id, t.title, t.status, b.slug, t.me_too_count \
                 ORDER BY n DESC, t.id LIMIT {limit}",
                s.topics(d)
            )
        },
        &s.binds_and_period(),
    )
}

/// Ideas posted in the period, per status.
pub fn ideas(c: &mut DbConn, s: &Scope) -> QueryResult<Vec<KeyCount>> {
    aggregate::load(
        c,
        |d| {
            format!(
                "SELECT t.status AS key, COUNT(*) AS n FROM topics t WHERE {} AND t.kind = 'idea' \
                 AND t.created_at >= ? AND t.created_at < ? GROUP BY 1",
                s.topics(d)
            )
        },
        &s.binds_and_period(),
    )
}

/// Ideas implemented in the period with the people who heard it (`n`: their followers, which
/// takes in the author and everyone who said "me too").
pub fn implemented(c: &mut DbConn, s: &Scope, limit: i64) -> QueryResult<Vec<RankedTopic>> {
    aggregate::load(
        c,
        |d| {
            format!(
                "SELECT t.id AS id, t.title AS title, t.status AS status, b.slug AS brand_slug, \
                 (SELECT COUNT(*) FROM topic_follows f WHERE f.topic_id = t.id) AS n, \
                 CAST(t.me_too_count AS BIGINT) AS total FROM topics t JOIN brands b ON b.id = t.brand_id \
                 WHERE {} AND t.kind = 'idea' AND t.status = 'implemented' \
                 AND t.resolved_at >= ? AND t.resolved_at < ? ORDER BY n DESC, t.id LIMIT {limit}",
                s.topics(d)
            )
        },
        &s.binds_and_period(),
    )
}

/// A member who answered in the scope during the period, without the official badge.
#[derive(Debug, Clone, QueryableByName, Serialize)]
pub struct Helper {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub username: String,
    #[diesel(sql_type = Text)]
    pub display_name: String,
    #[diesel(sql_type = BigInt)]
    pub replies: i64,
    #[diesel(sql_type = BigInt)]
    pub helpful: i64,
    #[diesel(sql_type = BigInt)]
    pub accepted: i64,
    /// Points over all time and all communities, which make a champion.
    #[diesel(sql_type = BigInt)]
    pub all_time_points: i64,
}

/// Points weights: per helpful vote, per accepted answer.
#[derive(Debug, Clone, Copy)]
pub struct Weights {
    pub helpful: i64,
    pub accepted: i64,
}

/// The community's best helpers in the period by points earned there, or (with
/// `champions_from`) every helper whose all-time points reach that line.
pub fn helpers(
    c: &mut DbConn,
    s: &Scope,
    w: Weights,
    champions_from: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Helper>> {
    let mut binds = s.binds_and_period();
    binds.push(Bind::Time(s.from));
    let points = format!(
        "(CAST(u.helpful_received AS BIGINT) * {} + CAST(u.accepted_answers AS BIGINT) * {})",
        w.helpful, w.accepted
    );
    let having = champions_from.map_or(String::new(), |line| format!("HAVING {points} >= {line}"));
    aggregate::load(
        c,
        |d| {
            format!(
                "SELECT u.id AS id, u.username AS username, u.display_name AS display_name, \
                 COUNT(*) AS replies, COALESCE(SUM(r.helpful_count), 0) AS helpful, \
                 COALESCE(SUM(CASE WHEN t.accepted_reply_id = r.id THEN 1 ELSE 0 END), 0) AS accepted, \
                 {points} AS all_time_points \
                 FROM replies r JOIN topics t ON t.id = r.topic_id JOIN users u ON u.id = r.author_id \
                 WHERE {} AND r.created_at >= ? AND r.created_at < ? AND t.last_activity_at >= ? \
                 AND {} AND {} AND r.author_id <> t.author_id \
                 GROUP BY u.id, u.username, u.display_name, u.helpful_received, u.accepted_answers {having} \
                 ORDER BY COALESCE(SUM(r.helpful_count), 0) * {} \
                 + COALESCE(SUM(CASE WHEN t.accepted_reply_id = r.id THEN 1 ELSE 0 END), 0) * {} DESC, \
                 COUNT(*) DESC, u.id LIMIT {limit}",
                s.topics(d),
                d.is_false("r.official"),
                d.is_false("r.hidden"),
                w.helpful,
                w.accepted
            )
        },
        &binds,
    )
}

/// Per staff member (key: user id): the period's topics now assigned to them.
pub fn assigned(c: &mut DbConn, s: &Scope) -> QueryResult<Vec<KeyCount>> {
    aggregate::load(
        c,
        |d| {
            format!(
                "SELECT CAST(t.assignee_id AS TEXT) AS key, COUNT(*) AS n FROM topics t WHERE {} \
                 AND t.created_at >= ? AND t.created_at < ? AND t.assignee_id IS NOT NULL GROUP BY 1",
                s.topics(d)
            )
        },
        &s.binds_and_period(),
    )
}

/// Per author (key: user id): topics given an official reply in the period.
pub fn answered_officially(c: &mut DbConn, s: &Scope) -> QueryResult<Vec<KeyCount>> {
    let mut binds = s.binds_and_period();
    binds.push(Bind::Time(s.from));
    aggregate::load(
        c,
        |d| {
            format!(
                "SELECT CAST(r.author_id AS TEXT) AS key, COUNT(DISTINCT r.topic_id) AS n FROM replies r \
                 JOIN topics t ON t.id = r.topic_id WHERE {} AND r.created_at >= ? AND r.created_at < ? \
                 AND t.last_activity_at >= ? AND {} GROUP BY 1",
                s.topics(d),
                d.is_true("r.official")
            )
        },
        &binds,
    )
}

/// Per member (key: user id): topics resolved in the period by a status they set (the
/// resolving event carries the very time the topic was resolved).
pub fn solved_by(c: &mut DbConn, s: &Scope) -> QueryResult<Vec<KeyCount>> {
    aggregate::load(
        c,
        |d| {
            format!(
                "SELECT CAST(e.actor_id AS TEXT) AS key, COUNT(DISTINCT e.topic_id) AS n \
                 FROM topics t JOIN topic_events e ON e.topic_id = t.id WHERE {} \
                 AND t.resolved_at >= ? AND t.resolved_at < ? AND e.kind = 'status' \
                 AND e.created_at = t.resolved_at AND e.actor_id IS NOT NULL GROUP BY 1",
                s.topics(d)
            )
        },
        &s.binds_and_period(),
    )
}

/// Per staff member (key: user id): time from posting to their reply, for the topics where
/// theirs was the first staff reply, made in the period.
pub fn staff_response_times(c: &mut DbConn, s: &Scope) -> QueryResult<Vec<Timing>> {
    let mut binds = s.binds_and_period();
    binds.push(Bind::Time(s.from));
    percentiles(
        c,
        |d| {
            format!(
                "SELECT CAST(r.author_id AS TEXT) AS key, {} AS secs FROM replies r \
                 JOIN topics t ON t.id = r.topic_id WHERE {} AND r.created_at >= ? AND r.created_at < ? \
                 AND t.last_activity_at >= ? AND {} AND r.created_at = t.first_staff_response_at",
                d.seconds_between("t.created_at", "r.created_at"),
                s.topics(d),
                d.is_true("r.official")
            )
        },
        &binds,
    )
}
