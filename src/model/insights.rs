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

    /// `topics t` read through the index that covers the period's topics by creation.
    fn created(&self, d: &Dialect) -> String {
        let index = if self.brand.is_some() {
            "topics_brand_created"
        } else {
            "topics_created"
        };
        format!("topics t {}", d.indexed_by(index))
    }

    /// `topics t` read through the index of resolution times (a brand's only).
    fn resolved(&self, d: &Dialect) -> String {
        match self.brand {
            Some(_) => format!("topics t {}", d.indexed_by("topics_brand_resolved")),
            None => "topics t".to_string(),
        }
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
                 FROM (SELECT key, secs, ROW_NUMBER() OVER w AS rn, \
                 COUNT(*) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS n \
                 FROM ({}) rows_of WINDOW w AS (PARTITION BY key ORDER BY secs)) ranked \
                 WHERE rn = (n + 1) / 2 OR rn = (9 * n + 9) / 10 GROUP BY key, n ORDER BY key",
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
                 FROM {} WHERE {} AND t.created_at >= ? AND t.created_at < ? GROUP BY t.kind",
                s.created(d),
                s.topics(d)
            )
        },
        &s.binds_and_period(),
    )
}

/// Time from posting to the first response, the first staff response and resolution, for
/// the period's topics, per kind and over all, from one pass over them: keys such as
/// "first:question", "staff:all", "resolution:idea".
pub fn response_times(c: &mut DbConn, s: &Scope) -> QueryResult<Vec<Timing>> {
    percentiles(
        c,
        |d| {
            let base = format!(
                "SELECT t.kind AS kind, {} AS first_secs, {} AS staff_secs, {} AS resolution_secs \
                 FROM {} WHERE {} AND t.created_at >= ? AND t.created_at < ?",
                d.seconds_between("t.created_at", "t.first_response_at"),
                d.seconds_between("t.created_at", "t.first_staff_response_at"),
                d.seconds_between("t.created_at", "t.resolved_at"),
                s.created(d),
                s.topics(d)
            );
            let branches: Vec<String> = [
                ("first", "first_secs"),
                ("staff", "staff_secs"),
                ("resolution", "resolution_secs"),
            ]
            .iter()
            .flat_map(|(name, column)| {
                [
                    format!("SELECT '{name}:' || kind AS key, {column} AS secs FROM base WHERE {column} IS NOT NULL"),
                    format!("SELECT '{name}:all' AS key, {column} AS secs FROM base WHERE {column} IS NOT NULL"),
                ]
            })
            .collect();
            format!(
                "WITH base AS MATERIALIZED ({base}) {}",
                branches.join(" UNION ALL ")
            )
        },
        &s.binds_and_period(),
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
                 COUNT(*) AS n FROM {} LEFT JOIN replies a ON a.id = COALESCE(t.accepted_reply_id, \
                 (SELECT h.id FROM replies h WHERE h.topic_id = t.id AND h.helpful_count > 0 AND {} \
                 ORDER BY h.created_at, h.id LIMIT 1)) \
                 WHERE {} AND t.kind = 'question' AND t.created_at >= ? AND t.created_at < ? GROUP BY 1",
                d.is_true("a.official"),
                s.created(d),
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
                 FROM {} WHERE t.resolved_at IS NULL AND {}",
                s.resolved(d),
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
                "SELECT t.feeling AS feeling, {bucket} AS bucket, COUNT(*) AS n FROM {} \
                 WHERE {} AND t.created_at >= ? AND t.created_at < ? AND t.feeling IS NOT NULL \
                 GROUP BY 1, 2",
                s.created(d),
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
    // count the period's me-toos per topic first, so each topic is looked up once
    let mut binds = vec![Bind::Time(s.from), Bind::Time(s.to)];
    binds.extend(s.binds());
    aggregate::load(
        c,
        |d| {
            format!(
                "SELECT t.id AS id, t.title AS title, t.status AS status, b.slug AS brand_slug, \
                 m.n AS n, CAST(t.me_too_count AS BIGINT) AS total FROM \
                 (SELECT topic_id, COUNT(*) AS n FROM me_toos WHERE created_at >= ? AND created_at < ? \
                 GROUP BY topic_id) m \
                 JOIN topics t ON t.id = m.topic_id JOIN brands b ON b.id = t.brand_id \
                 WHERE {} AND t.kind = 'problem' ORDER BY m.n DESC, t.id LIMIT {limit}",
                s.topics(d)
            )
        },
        &binds,
    )
}

/// Ideas posted in the period, per status.
pub fn ideas(c: &mut DbConn, s: &Scope) -> QueryResult<Vec<KeyCount>> {
    aggregate::load(
        c,
        |d| {
            format!(
                "SELECT t.status AS key, COUNT(*) AS n FROM {} WHERE {} AND t.kind = 'idea' \
                 AND t.created_at >= ? AND t.created_at < ? GROUP BY 1",
                s.created(d),
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
                 CAST(t.me_too_count AS BIGINT) AS total FROM {} JOIN brands b ON b.id = t.brand_id \
                 WHERE {} AND t.kind = 'idea' AND t.status = 'implemented' \
                 AND t.resolved_at >= ? AND t.resolved_at < ? ORDER BY n DESC, t.id LIMIT {limit}",
                s.resolved(d),
                s.topics(d)
            )
        },
        &s.binds_and_period(),
    )
}

/// A member who replied in the scope during the period: community replies (not official,
/// not on their own topic) with their helpful votes and accepted answers, and topics given an
/// official reply.
#[derive(Debug, Clone, QueryableByName, Serialize)]
pub struct Person {
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
    #[serde(skip)]
    #[diesel(sql_type = BigInt)]
    pub official_topics: i64,
    /// Points over all time and all communities, which make a champion.
    #[diesel(sql_type = BigInt)]
    pub all_time_points: i64,
    /// Place among the period's helpers, by points earned in the period.
    #[serde(skip)]
    #[diesel(sql_type = BigInt)]
    pub place: i64,
}

/// Points weights: per helpful vote, per accepted answer.
#[derive(Debug, Clone, Copy)]
pub struct Weights {
    pub helpful: i64,
    pub accepted: i64,
}

/// Everyone who replied in the period, in one pass over the replies, kept when they are
/// among the `top` helpers, or champions (all-time points from `champions_from`), or
/// answered officially; best helpers first.
pub fn people(
    c: &mut DbConn,
    s: &Scope,
    w: Weights,
    champions_from: i64,
    top: i64,
) -> QueryResult<Vec<Person>> {
    let mut binds = s.binds_and_period();
    binds.push(Bind::Time(s.from));
    let (h, a) = (w.helpful, w.accepted);
    aggregate::load(
        c,
        |d| {
            let community = format!(
                "{} AND r.author_id <> t.author_id",
                d.is_false("r.official")
            );
            let official = d.is_true("r.official");
            format!(
                "SELECT id, username, display_name, replies, helpful, accepted, official_topics, \
                 all_time_points, place FROM (\
                 SELECT u.id AS id, u.username AS username, u.display_name AS display_name, \
                 x.replies AS replies, x.helpful AS helpful, x.accepted AS accepted, \
                 x.official_topics AS official_topics, \
                 CAST(u.helpful_received AS BIGINT) * {h} + CAST(u.accepted_answers AS BIGINT) * {a} \
                 AS all_time_points, ROW_NUMBER() OVER (ORDER BY x.helpful * {h} + x.accepted * {a} DESC, \
                 x.replies DESC, u.id) AS place FROM (\
                 SELECT r.author_id AS author, \
                 COALESCE(SUM(CASE WHEN {community} THEN 1 ELSE 0 END), 0) AS replies, \
                 COALESCE(SUM(CASE WHEN {community} THEN r.helpful_count ELSE 0 END), 0) AS helpful, \
                 COALESCE(SUM(CASE WHEN {community} AND t.accepted_reply_id = r.id THEN 1 ELSE 0 END), 0) \
                 AS accepted, COUNT(DISTINCT CASE WHEN {official} THEN r.topic_id END) AS official_topics \
                 FROM replies r JOIN topics t ON t.id = r.topic_id \
                 WHERE {} AND r.created_at >= ? AND r.created_at < ? AND t.last_activity_at >= ? AND {} \
                 GROUP BY r.author_id) x JOIN users u ON u.id = x.author) ranked \
                 WHERE (replies > 0 AND (place <= {top} OR all_time_points >= {champions_from})) \
                 OR official_topics > 0 ORDER BY place LIMIT 500",
                s.topics(d),
                d.is_false("r.hidden"),
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
                "SELECT CAST(t.assignee_id AS TEXT) AS key, COUNT(*) AS n FROM {} WHERE {} \
                 AND t.created_at >= ? AND t.created_at < ? AND t.assignee_id IS NOT NULL GROUP BY 1",
                s.created(d),
                s.topics(d)
            )
        },
        &s.binds_and_period(),
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
                 FROM {} JOIN topic_events e ON e.topic_id = t.id WHERE {} \
                 AND t.resolved_at >= ? AND t.resolved_at < ? AND e.kind = 'status' \
                 AND e.created_at = t.resolved_at AND e.actor_id IS NOT NULL GROUP BY 1",
                s.resolved(d),
                s.topics(d)
            )
        },
        &s.binds_and_period(),
    )
}

/// Per staff member (key: user id): time from posting to their reply, over the period's
/// topics whose first staff reply was theirs.
pub fn staff_response_times(c: &mut DbConn, s: &Scope) -> QueryResult<Vec<Timing>> {
    percentiles(
        c,
        |d| {
            format!(
                "SELECT CAST(r.author_id AS TEXT) AS key, {} AS secs FROM {} \
                 JOIN replies r ON r.topic_id = t.id AND r.created_at = t.first_staff_response_at \
                 WHERE {} AND t.created_at >= ? AND t.created_at < ? \
                 AND t.first_staff_response_at IS NOT NULL AND {}",
                d.seconds_between("t.created_at", "r.created_at"),
                s.created(d),
                s.topics(d),
                d.is_true("r.official")
            )
        },
        &s.binds_and_period(),
    )
}
