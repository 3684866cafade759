//! `kotae demo --topics N`: a large, realistic community for benchmarks and for looking at
//! the product at scale. Activity follows power laws (a few brands and members do most of
//! it, a few threads draw most replies and me-toos); kinds, statuses, feelings, response and
//! resolution times come in plausible shares; text is English and Japanese from
//! `crate::corpus`. Rows go in by multi-row inserts with ids chosen here, a few thousand
//! topics per transaction, so it loads fast on both databases.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::rows::{self, Batch, EscalationRow, EventRow, ReplyRow, TopicRow};
use crate::corpus::{Corpus, Rng};
use crate::db::schema::{
    brand_members, brands, escalations, products, replies, topic_events, topics, users,
};
use crate::db::{self, DbConn};
use crate::model::{TopicId, now};

/// How big a community to generate.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub topics: usize,
    pub brands: usize,
    pub members: usize,
    /// The mean number of replies per topic.
    pub replies: usize,
    pub seed: u64,
}

/// What was generated.
#[derive(Debug, Default)]
pub struct Report {
    pub topics: usize,
    pub replies: usize,
    pub me_toos: usize,
    pub members: usize,
    pub brands: usize,
}

/// Topics per transaction.
const CHUNK: usize = 2000;
/// SQLite's page cache while loading. With its default, 2 MiB, each chunk's transaction read
/// the indexes' pages back from the kernel and spilled them to the log before committing:
/// a quarter to a third more time in system calls.
const LOAD_CACHE_KIB: u32 = 256 * 1024;
/// The period the topics spread over, most of them recent.
const HISTORY_DAYS: f64 = 365.0;
/// Staff per claimed brand (the first is its admin).
const STAFF_PER_BRAND: usize = 4;

const ENGLISH_NAMES: [&str; 12] = [
    "Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn",
    "Rowan", "Harper",
];
const ENGLISH_SURNAMES: [&str; 10] = [
    "Smith", "Garcia", "Chen", "Okafor", "Novak", "Silva", "Kim", "Müller", "Haddad", "Brown",
];
const JAPANESE_NAMES: [&str; 10] = [
    "佐藤 陽菜",
    "鈴木 蓮",
    "高橋 結衣",
    "田中 湊",
    "伊藤 葵",
    "渡辺 大和",
    "山本 凛",
    "中村 陽翔",
    "小林 芽依",
    "加藤 悠真",
];
const BRAND_NOUNS: [&str; 10] = [
    "Printers", "Cameras", "Cloud", "Audio", "Bikes", "Phones", "Kitchen", "Games", "Energy",
    "Mobility",
];

/// A weighted choice by a power law: item k has weight 1 / (k + 1)^exponent.
struct PowerLaw {
    cumulative: Vec<f64>,
}

impl PowerLaw {
    fn new(n: usize, exponent: f64) -> PowerLaw {
        let mut total = 0.0;
        let cumulative = (0..n.max(1))
            .map(|k| {
                total += 1.0 / ((k + 1) as f64).powf(exponent);
                total
            })
            .collect();
        PowerLaw { cumulative }
    }

    fn pick(&self, rng: &mut Rng) -> usize {
        let total = *self.cumulative.last().unwrap_or(&1.0);
        let target = rng.unit() * total;
        self.cumulative
            .partition_point(|&c| c < target)
            .min(self.cumulative.len() - 1)
    }
}

/// A normal draw (Box–Muller).
fn normal(rng: &mut Rng) -> f64 {
    let (u, v) = (rng.unit().max(1e-12), rng.unit());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// Minutes until something happens: log-normal around `median` minutes.
fn wait_minutes(rng: &mut Rng, median: f64, spread: f64) -> i64 {
    (median * (spread * normal(rng)).exp()).clamp(1.0, 60.0 * 24.0 * 60.0) as i64
}

/// One of `shares` (weights) by chance.
fn share<T: Copy>(rng: &mut Rng, shares: &[(T, f64)]) -> T {
    let total: f64 = shares.iter().map(|s| s.1).sum();
    let mut target = rng.unit() * total;
    for (value, weight) in shares {
        if target < *weight {
            return *value;
        }
        target -= weight;
    }
    shares[shares.len() - 1].0
}

struct Brand {
    id: i64,
    japanese: bool,
    products: Vec<i64>,
    /// Staff user ids; empty while the community is unclaimed.
    staff: Vec<i64>,
}

struct People {
    ids: Vec<i64>,
    activity: PowerLaw,
}

/// Ids this run starts from: one past the largest in each table.
struct NextIds {
    user: i64,
    brand: i64,
    product: i64,
    topic: i64,
    reply: i64,
    event: i64,
    escalation: i64,
}

fn next_ids(c: &mut DbConn) -> QueryResult<NextIds> {
    use diesel::dsl::max;
    let after = |v: Option<i64>| v.unwrap_or(0) + 1;
    Ok(NextIds {
        user: after(users::table.select(max(users::id)).first(c)?),
        brand: after(brands::table.select(max(brands::id)).first(c)?),
        product: after(products::table.select(max(products::id)).first(c)?),
        topic: after(topics::table.select(max(topics::id)).first(c)?),
        reply: after(replies::table.select(max(replies::id)).first(c)?),
        event: after(topic_events::table.select(max(topic_events::id)).first(c)?),
        escalation: after(escalations::table.select(max(escalations::id)).first(c)?),
    })
}

/// The generator's state while it runs.
struct Generator {
    rng: Rng,
    corpus: Corpus,
    now: NaiveDateTime,
    ids: NextIds,
    brands: Vec<Brand>,
    brand_activity: PowerLaw,
    people: People,
    helpful_received: HashMap<i64, i32>,
    accepted_answers: HashMap<i64, i32>,
    report: Report,
}

/// Generates the community into the database (which may already hold the small demo),
/// handing each chunk's topics to `loaded` once they are committed.
pub fn generate(
    c: &mut DbConn,
    o: &Options,
    loaded: &mut dyn FnMut(&mut DbConn, &[TopicId]) -> anyhow::Result<()>,
) -> anyhow::Result<Report> {
    let hash = crate::password::hash_now(super::PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut g = Generator {
        rng: Rng::new(o.seed),
        corpus: Corpus::new(o.seed ^ 0x5eed),
        now: now(),
        ids: next_ids(c)?,
        brands: Vec::new(),
        brand_activity: PowerLaw::new(o.brands, 1.0),
        people: People {
            ids: Vec::new(),
            activity: PowerLaw::new(o.members, 0.8),
        },
        helpful_received: HashMap::new(),
        accepted_answers: HashMap::new(),
        report: Report::default(),
    };
    if let DbConn::Sqlite(c) = c {
        diesel::sql_query(format!("PRAGMA cache_size = -{LOAD_CACHE_KIB}")).execute(c)?;
    }
    g.members(c, o.members, &hash)?;
    g.brands(c, o.brands, &hash)?;
    // the rows of one chunk are made on a thread of their own while the last one goes in
    let (made, chunks) = std::sync::mpsc::sync_channel::<Batch>(1);
    let mut g = std::thread::scope(|s| {
        let maker = s.spawn(move || {
            let mut left = o.topics;
            while left > 0 {
                let n = CHUNK.min(left);
                let mut batch = Batch::default();
                for _ in 0..n {
                    g.topic(&mut batch, o.replies);
                }
                if made.send(batch).is_err() {
                    break; // loading failed: its error is the one to report
                }
                left -= n;
            }
            g
        });
        for batch in chunks {
            db::backend::write_transaction(c, |c| rows::insert(c, &batch))?;
            let ids: Vec<TopicId> = batch.topics.iter().map(|t| TopicId(t.id)).collect();
            loaded(c, &ids)?;
        }
        maker
            .join()
            .map_err(|_| anyhow::anyhow!("the generator panicked"))
    })?;
    g.finish(c)?;
    Ok(g.report)
}

impl Generator {
    fn at_days_ago(&self, days: f64) -> NaiveDateTime {
        self.now - Duration::seconds((days * 86_400.0) as i64)
    }

    fn members(&mut self, c: &mut DbConn, n: usize, hash: &str) -> anyhow::Result<()> {
        let mut new_users = Vec::with_capacity(n);
        for _ in 0..n {
            let id = self.ids.user;
            self.ids.user += 1;
            let japanese = self.rng.chance(0.3);
            let name = if japanese {
                JAPANESE_NAMES[self.rng.below(JAPANESE_NAMES.len())].to_string()
            } else {
                format!(
                    "{} {}",
                    ENGLISH_NAMES[self.rng.below(ENGLISH_NAMES.len())],
                    ENGLISH_SURNAMES[self.rng.below(ENGLISH_SURNAMES.len())]
                )
            };
            let days = HISTORY_DAYS + 30.0 * self.rng.unit();
            let joined = self.at_days_ago(days);
            new_users.push(rows::user_row(
                id,
                &format!("m{id}"),
                &name,
                japanese,
                hash,
                joined,
            ));
            self.people.ids.push(id);
        }
        rows::insert_users(c, &new_users)?;
        self.report.members = n;
        Ok(())
    }

    fn brands(&mut self, c: &mut DbConn, n: usize, hash: &str) -> anyhow::Result<()> {
        let created = self.at_days_ago(HISTORY_DAYS + 30.0);
        for k in 0..n {
            let id = self.ids.brand;
            self.ids.brand += 1;
            let japanese = k % 3 == 1;
            let word = self.corpus.words(false, 1, 30).remove(0);
            let name = format!(
                "{}{} {}",
                word[..1].to_uppercase(),
                &word[1..],
                BRAND_NOUNS[k % BRAND_NOUNS.len()]
            );
            let slug = format!("{}-{id}", word.to_lowercase());
            // the busiest brands run their communities; a third of the rest do
            let claimed = k < 3 || self.rng.chance(0.33);
            let mut staff = Vec::new();
            if claimed {
                let mut new_staff = Vec::new();
                for s in 0..STAFF_PER_BRAND {
                    let uid = self.ids.user;
                    self.ids.user += 1;
                    let who = format!("{} {}", ENGLISH_NAMES[(k + s) % 12], "Support");
                    new_staff.push(rows::user_row(
                        uid,
                        &format!("s{uid}"),
                        &who,
                        japanese,
                        hash,
                        created,
                    ));
                    staff.push(uid);
                }
                rows::insert_users(c, &new_staff)?;
            }
            let owner = self.people.ids[self.rng.below(self.people.ids.len())];
            diesel::insert_into(brands::table)
                .values((
                    brands::id.eq(id),
                    brands::slug.eq(&slug),
                    brands::name.eq(&name),
                    brands::domain.eq(claimed.then(|| format!("{slug}.example"))),
                    brands::description.eq(self.corpus.text(japanese, 12)),
                    brands::created_by.eq(owner),
                    brands::claimed_at.eq(claimed.then_some(created)),
                    brands::topic_count.eq(0),
                    brands::last_activity_at.eq(created),
                    brands::created_at.eq(created),
                    brands::first_response_minutes.eq(claimed.then_some(240)),
                ))
                .execute(c)?;
            for (s, uid) in staff.iter().enumerate() {
                diesel::insert_into(brand_members::table)
                    .values((
                        brand_members::brand_id.eq(id),
                        brand_members::user_id.eq(uid),
                        brand_members::role.eq(if s == 0 { "admin" } else { "staff" }),
                        brand_members::title.eq("Support"),
                        brand_members::created_at.eq(created),
                    ))
                    .execute(c)?;
            }
            let mut product_ids = Vec::new();
            for p in 0..2 + self.rng.below(3) {
                let pid = self.ids.product;
                self.ids.product += 1;
                let pname = format!("{} {}", self.corpus.words(false, 1, 30).remove(0), p + 1);
                diesel::insert_into(products::table)
                    .values((
                        products::id.eq(pid),
                        products::brand_id.eq(id),
                        products::slug.eq(format!("p{pid}")),
                        products::name.eq(pname),
                        products::created_at.eq(created),
                    ))
                    .execute(c)?;
                product_ids.push(pid);
            }
            self.brands.push(Brand {
                id,
                japanese,
                products: product_ids,
                staff,
            });
        }
        self.report.brands = n;
        Ok(())
    }

    fn member(&mut self) -> i64 {
        self.people.ids[self.people.activity.pick(&mut self.rng)]
    }

    /// Distinct members other than `not`, about `n` of them.
    fn crowd(&mut self, n: usize, not: i64) -> Vec<i64> {
        let mut chosen = HashSet::new();
        for _ in 0..n * 2 {
            if chosen.len() >= n {
                break;
            }
            let who = self.member();
            if who != not {
                chosen.insert(who);
            }
        }
        let mut out: Vec<i64> = chosen.into_iter().collect();
        out.sort_unstable();
        out
    }

    fn topic(&mut self, batch: &mut Batch, mean_replies: usize) {
        let r = &mut self.rng;
        let brand_index = self.brand_activity.pick(r);
        let id = self.ids.topic;
        self.ids.topic += 1;
        let kind = share(
            r,
            &[
                ("question", 45.0),
                ("problem", 30.0),
                ("idea", 15.0),
                ("praise", 10.0),
            ],
        );
        let feeling = share(
            r,
            &[
                (None, 50.0),
                (Some("confused"), 14.0),
                (Some("frustrated"), 12.0),
                (Some("angry"), 6.0),
                (Some("sad"), 3.0),
                (Some("happy"), 8.0),
                (Some("thankful"), 7.0),
            ],
        );
        // most topics are recent: the age's density falls off over the year
        let age_days = HISTORY_DAYS * r.unit().powf(2.0);
        let created = self.at_days_ago(age_days);
        let japanese = self.brands[brand_index].japanese && self.rng.chance(0.85);
        let author = self.member();
        let brand = &self.brands[brand_index];
        let (brand_id, staff) = (brand.id, brand.staff.clone());
        let product_id = self
            .rng
            .chance(0.7)
            .then(|| brand.products[self.rng.below(brand.products.len())]);
        let title = self.corpus.title(japanese);
        let length = self.corpus.length(25, 220);
        let body = self.corpus.text(japanese, length);

        let count = self.reply_count(mean_replies);
        let mut replies_made: Vec<ReplyRow> = Vec::with_capacity(count);
        let mut at = created;
        let staff_answers = !staff.is_empty() && kind != "praise" && self.rng.chance(0.7);
        let staff_turn = if staff_answers {
            self.rng.below(count.clamp(1, 3))
        } else {
            usize::MAX
        };
        for k in 0..count {
            let median = if k == 0 { 150.0 } else { 240.0 };
            at += Duration::minutes(wait_minutes(&mut self.rng, median, 1.3));
            if at > self.now {
                break;
            }
            let official = k == staff_turn;
            let who = if official {
                staff[self.rng.below(staff.len())]
            } else if k > 0 && self.rng.chance(0.15) {
                author
            } else {
                self.member()
            };
            let words = self.corpus.length(12, 140);
            let text = self.corpus.text(japanese, words);
            let rid = self.ids.reply;
            self.ids.reply += 1;
            replies_made.push(ReplyRow {
                id: rid,
                topic_id: id,
                author_id: who,
                body: text,
                official,
                helpful_count: 0,
                created_at: at,
            });
        }
        let first_response_at = replies_made
            .iter()
            .find(|r| r.author_id != author)
            .map(|r| r.created_at);
        let first_staff = replies_made
            .iter()
            .find(|r| r.official)
            .map(|r| (r.id, r.author_id, r.created_at));
        let last_reply_at = replies_made.last().map_or(created, |r| r.created_at);

        // helpful votes, a few replies drawing most of them
        for reply in replies_made.iter_mut() {
            let votes = (3.0 * self.rng.unit().powf(3.0) * 4.0) as usize;
            for voter in self.crowd(votes, reply.author_id) {
                batch
                    .votes
                    .push((reply.id, voter, reply.created_at + Duration::minutes(30)));
                reply.helpful_count += 1;
                *self.helpful_received.entry(reply.author_id).or_default() += 1;
            }
        }

        let (status, resolved_at, accepted) =
            self.outcome(kind, &replies_made, author, last_reply_at);
        if let Some(reply) = accepted.and_then(|rid| replies_made.iter().find(|r| r.id == rid)) {
            *self.accepted_answers.entry(reply.author_id).or_default() += 1;
        }
        let resolver = first_staff
            .map(|s| s.1)
            .or_else(|| staff.first().copied())
            .unwrap_or(author);
        if let Some(when) = resolved_at {
            let eid = self.ids.event;
            self.ids.event += 1;
            batch.events.push(EventRow {
                id: eid,
                topic_id: id,
                actor_id: if accepted.is_some() { author } else { resolver },
                detail: format!("{{\"from\":\"open\",\"note\":\"\",\"to\":\"{status}\"}}"),
                created_at: when,
            });
        }

        // me-toos on problems and ideas, a power law again
        let mut me_too_count = 0;
        if kind == "problem" || kind == "idea" {
            let n = ((2.0 / self.rng.unit().max(1e-6).powf(0.6)) - 2.0).min(400.0) as usize;
            for who in self.crowd(n, author) {
                let when = (created + Duration::minutes(wait_minutes(&mut self.rng, 600.0, 1.5)))
                    .min(self.now);
                batch.me_toos.push((id, who, when));
                batch.follows.push((id, who, when));
                me_too_count += 1;
            }
        }
        batch.follows.push((id, author, created));

        let open_escalations =
            self.escalate(batch, id, brand_id, kind, &staff, created, resolved_at);
        let last_activity = [Some(last_reply_at), resolved_at]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(created);
        batch.topics.push(TopicRow {
            id,
            brand_id,
            product_id,
            author_id: author,
            kind,
            feeling,
            title,
            body,
            status,
            assignee_id: first_staff
                .map(|s| s.1)
                .filter(|_| resolved_at.is_none() && self.rng.chance(0.6)),
            accepted_reply_id: accepted,
            official_reply_id: first_staff.map(|s| s.0).filter(|_| kind == "question"),
            me_too_count,
            reply_count: replies_made.len() as i32,
            view_count: (replies_made.len() as i64 + 1) * (5 + self.rng.below(40) as i64),
            created_at: created,
            first_response_at,
            first_staff_response_at: first_staff.map(|s| s.2),
            resolved_at,
            last_activity_at: last_activity,
            open_escalations,
        });
        self.report.topics += 1;
        self.report.replies += replies_made.len();
        self.report.me_toos += me_too_count as usize;
        batch.replies.extend(replies_made);
    }

    /// Replies to one topic: none for some, a long tail for a few, `mean` on average.
    fn reply_count(&mut self, mean: usize) -> usize {
        if self.rng.chance(0.08) {
            return 0;
        }
        let least = mean as f64 / 0.92 * 2.0 / 3.0;
        (least * self.rng.unit().max(1e-9).powf(-1.0 / 3.0)).min(1000.0) as usize
    }

    /// The status a topic reached, when it was resolved, and its accepted answer.
    fn outcome(
        &mut self,
        kind: &str,
        replies: &[ReplyRow],
        author: i64,
        last: NaiveDateTime,
    ) -> (&'static str, Option<NaiveDateTime>, Option<i64>) {
        let later = |rng: &mut Rng, now: NaiveDateTime| {
            (last + Duration::minutes(wait_minutes(rng, 300.0, 1.2))).min(now)
        };
        match kind {
            "question" => {
                let answers: Vec<&ReplyRow> =
                    replies.iter().filter(|r| r.author_id != author).collect();
                if !answers.is_empty() && self.rng.chance(0.55) {
                    let best = answers[self.rng.below(answers.len().min(3))];
                    let when = (best.created_at
                        + Duration::minutes(wait_minutes(&mut self.rng, 120.0, 1.0)))
                    .min(self.now);
                    ("answered", Some(when), Some(best.id))
                } else {
                    ("open", None, None)
                }
            }
            "problem" => match share(
                &mut self.rng,
                &[
                    ("open", 25.0),
                    ("acknowledged", 15.0),
                    ("in_progress", 15.0),
                    ("solved", 40.0),
                    ("not_a_problem", 5.0),
                ],
            ) {
                s @ ("solved" | "not_a_problem") => (s, Some(later(&mut self.rng, self.now)), None),
                s => (s, None, None),
            },
            "idea" => match share(
                &mut self.rng,
                &[
                    ("open", 20.0),
                    ("under_consideration", 35.0),
                    ("planned", 20.0),
                    ("implemented", 15.0),
                    ("not_planned", 10.0),
                ],
            ) {
                s @ ("implemented" | "not_planned") => {
                    (s, Some(later(&mut self.rng, self.now)), None)
                }
                s => (s, None, None),
            },
            _ => ("open", None, None),
        }
    }

    /// Escalates a share of the claimed brands' problems; returns how many stay open.
    #[expect(clippy::too_many_arguments, reason = "one topic's facts, passed once")]
    fn escalate(
        &mut self,
        batch: &mut Batch,
        topic: i64,
        brand: i64,
        kind: &str,
        staff: &[i64],
        created: NaiveDateTime,
        resolved: Option<NaiveDateTime>,
    ) -> i32 {
        if staff.is_empty() || kind != "problem" || !self.rng.chance(0.06) {
            return 0;
        }
        let opened =
            (created + Duration::minutes(wait_minutes(&mut self.rng, 240.0, 1.0))).min(self.now);
        let who = staff[self.rng.below(staff.len())];
        let acknowledged = self.rng.chance(0.8).then(|| {
            let at =
                (opened + Duration::minutes(wait_minutes(&mut self.rng, 45.0, 1.0))).min(self.now);
            (staff[0], at)
        });
        let id = self.ids.escalation;
        self.ids.escalation += 1;
        let source = if self.rng.chance(0.7) {
            "staff"
        } else {
            "author"
        };
        batch.escalations.push(EscalationRow {
            id,
            topic_id: topic,
            brand_id: brand,
            source,
            opened_by: (source == "staff").then_some(who),
            opened_at: opened,
            acknowledged,
            resolved: resolved.filter(|r| *r > opened).map(|r| (who, r)),
        });
        i32::from(resolved.is_none())
    }

    /// Counters kept on users and brands, and PostgreSQL's id sequences.
    fn finish(&mut self, c: &mut DbConn) -> anyhow::Result<()> {
        db::backend::write_transaction(c, |c| -> anyhow::Result<()> {
            let mut people: Vec<i64> = self
                .helpful_received
                .keys()
                .chain(self.accepted_answers.keys())
                .copied()
                .collect();
            people.sort_unstable();
            people.dedup();
            for who in people {
                diesel::update(users::table.find(who))
                    .set((
                        users::helpful_received.eq(users::helpful_received
                            + self.helpful_received.get(&who).copied().unwrap_or(0)),
                        users::accepted_answers.eq(users::accepted_answers
                            + self.accepted_answers.get(&who).copied().unwrap_or(0)),
                    ))
                    .execute(c)?;
            }
            for brand in &self.brands {
                let count: i64 = topics::table
                    .filter(topics::brand_id.eq(brand.id))
                    .count()
                    .get_result(c)?;
                let last: Option<NaiveDateTime> = topics::table
                    .filter(topics::brand_id.eq(brand.id))
                    .select(diesel::dsl::max(topics::last_activity_at))
                    .first(c)?;
                diesel::update(brands::table.find(brand.id))
                    .set((
                        brands::topic_count.eq(count as i32),
                        brands::last_activity_at.eq(last.unwrap_or(self.now)),
                    ))
                    .execute(c)?;
            }
            Ok(())
        })?;
        if let DbConn::Postgres(pg) = c {
            for table in [
                "users",
                "brands",
                "products",
                "topics",
                "replies",
                "topic_events",
                "escalations",
            ] {
                diesel::sql_query(format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                ))
                .execute(pg)?;
            }
        }
        Ok(())
    }
}
