//! Topics: the threads customers open, their lists, and their revisions.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{BrandId, ProductId, ReplyId, TopicId, UserId};
use crate::db::DbConn;
use crate::db::aggregate::Dialect;
use crate::db::schema::{brands, topic_revisions, topics, users};
use diesel::sql_types::{BigInt, Double};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = topics)]
pub struct Topic {
    pub id: TopicId,
    pub brand_id: BrandId,
    pub product_id: Option<ProductId>,
    pub author_id: UserId,
    pub kind: String,
    pub feeling: Option<String>,
    pub title: String,
    pub body: String,
    pub body_html: String,
    pub status: String,
    pub assignee_id: Option<UserId>,
    pub accepted_reply_id: Option<ReplyId>,
    pub hidden: bool,
    pub me_too_count: i32,
    pub reply_count: i32,
    pub view_count: i64,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub first_response_at: Option<NaiveDateTime>,
    pub first_staff_response_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub last_activity_at: NaiveDateTime,
    pub duplicate_of: Option<TopicId>,
    pub official: bool,
    pub locked: bool,
    pub official_reply_id: Option<ReplyId>,
    pub open_escalations: i32,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = topics)]
pub struct NewTopic<'a> {
    pub brand_id: BrandId,
    pub product_id: Option<ProductId>,
    pub author_id: UserId,
    pub kind: &'a str,
    pub feeling: Option<&'a str>,
    pub title: &'a str,
    pub body: &'a str,
    pub body_html: &'a str,
    pub status: &'a str,
    pub official: bool,
    pub created_at: NaiveDateTime,
    pub last_activity_at: NaiveDateTime,
}

/// A topic as lists show it, with its author and brand.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct TopicSummary {
    pub id: TopicId,
    pub kind: String,
    pub feeling: Option<String>,
    pub title: String,
    pub status: String,
    pub me_too_count: i32,
    pub reply_count: i32,
    pub answered: bool,
    pub created_at: NaiveDateTime,
    pub last_activity_at: NaiveDateTime,
    pub author_username: String,
    pub author_name: String,
    pub brand_slug: String,
    pub brand_name: String,
}

/// How a list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    Recent,
    Active,
    Top,
    Unanswered,
}

impl Sort {
    pub const ALL: [Sort; 4] = [Sort::Recent, Sort::Active, Sort::Top, Sort::Unanswered];

    pub fn parse(text: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Recent => "recent",
            Sort::Active => "active",
            Sort::Top => "top",
            Sort::Unanswered => "unanswered",
        }
    }
}

/// What a list asks for.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub brand: Option<BrandId>,
    pub author: Option<UserId>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub product: Option<ProductId>,
}

pub fn insert(c: &mut DbConn, row: &NewTopic) -> QueryResult<TopicId> {
    diesel::insert_into(topics::table)
        .values(row)
        .returning(topics::id)
        .get_result(c)
}

pub fn find(c: &mut DbConn, id: TopicId) -> QueryResult<Topic> {
    topics::table.find(id).select(Topic::as_select()).first(c)
}

type SummaryColumns = (
    topics::id,
    topics::kind,
    topics::feeling,
    topics::title,
    topics::status,
    topics::me_too_count,
    topics::reply_count,
    diesel::dsl::IsNotNull<topics::accepted_reply_id>,
    topics::created_at,
    topics::last_activity_at,
    users::username,
    users::display_name,
    brands::slug,
    brands::name,
);

fn summary_columns() -> SummaryColumns {
    (
        topics::id,
        topics::kind,
        topics::feeling,
        topics::title,
        topics::status,
        topics::me_too_count,
        topics::reply_count,
        topics::accepted_reply_id.is_not_null(),
        topics::created_at,
        topics::last_activity_at,
        users::username,
        users::display_name,
        brands::slug,
        brands::name,
    )
}

/// A page of visible topics matching `filter` in `sort` order, and how many match in all.
pub fn list(
    c: &mut DbConn,
    filter: &Filter,
    sort: Sort,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<TopicSummary>, i64)> {
    let total = count_matching(c, filter, sort)?;
    Ok((list_page(c, filter, sort, limit, offset)?, total))
}

/// A page of `list` without the total, for lists that show no pager (home, feeds).
pub fn list_page(
    c: &mut DbConn,
    filter: &Filter,
    sort: Sort,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<TopicSummary>> {
    let ordered = match sort {
        Sort::Recent | Sort::Unanswered => {
            matching(filter, sort).order((topics::created_at.desc(), topics::id.desc()))
        }
        Sort::Active => {
            matching(filter, sort).order((topics::last_activity_at.desc(), topics::id.desc()))
        }
        Sort::Top => matching(filter, sort)
            .order((topics::me_too_count.desc(), topics::last_activity_at.desc())),
    };
    ordered
        .select(summary_columns())
        .limit(limit)
        .offset(offset)
        .load(c)
}

type Matching<'a> = diesel::helper_types::IntoBoxed<
    'a,
    diesel::dsl::Filter<
        diesel::dsl::InnerJoin<
            diesel::dsl::InnerJoinOn<
                topics::table,
                users::table,
                diesel::dsl::Eq<users::id, topics::author_id>,
            >,
            brands::table,
        >,
        diesel::dsl::Eq<topics::hidden, bool>,
    >,
    crate::db::MultiBackend,
>;

/// Applies the filter (and the unanswered sort's condition) to a query over topics, alone or
/// joined: counting needs no join, and a join per topic is most of a count's time.
macro_rules! visible_matching {
    ($query:expr, $filter:expr, $sort:expr) => {{
        let (filter, sort) = ($filter, $sort);
        let mut query = $query.filter(topics::hidden.eq(false)).into_boxed();
        if let Some(brand) = filter.brand {
            query = query.filter(topics::brand_id.eq(brand));
        }
        if let Some(author) = filter.author {
            query = query.filter(topics::author_id.eq(author));
        }
        if let Some(kind) = &filter.kind {
            query = query.filter(topics::kind.eq(kind.clone()));
        }
        if let Some(status) = &filter.status {
            query = query.filter(topics::status.eq(status.clone()));
        }
        if let Some(product) = filter.product {
            query = query.filter(topics::product_id.eq(product));
        }
        if sort == Sort::Unanswered {
            query = query.filter(topics::reply_count.eq(0));
        }
        query
    }};
}

/// Visible topics matching the filter with their authors and brands, not yet ordered.
fn matching<'a>(filter: &Filter, sort: Sort) -> Matching<'a> {
    visible_matching!(
        topics::table
            .inner_join(users::table.on(users::id.eq(topics::author_id)))
            .inner_join(brands::table),
        filter,
        sort
    )
}

/// How many visible topics match the filter.
fn count_matching(c: &mut DbConn, filter: &Filter, sort: Sort) -> QueryResult<i64> {
    visible_matching!(topics::table, filter, sort)
        .count()
        .get_result(c)
}

/// Keeps the text before an edit.
pub fn insert_revision(
    c: &mut DbConn,
    topic: &Topic,
    editor: UserId,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(topic_revisions::table)
        .values((
            topic_revisions::topic_id.eq(topic.id),
            topic_revisions::editor_id.eq(editor),
            topic_revisions::title.eq(&topic.title),
            topic_revisions::body.eq(&topic.body),
            topic_revisions::created_at.eq(at),
        ))
        .execute(c)?;
    Ok(())
}

pub fn revision_count(c: &mut DbConn, topic: TopicId) -> QueryResult<i64> {
    topic_revisions::table
        .filter(topic_revisions::topic_id.eq(topic))
        .count()
        .get_result(c)
}

pub fn set_text(
    c: &mut DbConn,
    id: TopicId,
    title: &str,
    body: &str,
    body_html: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(topics::table.find(id))
        .set((
            topics::title.eq(title),
            topics::body.eq(body),
            topics::body_html.eq(body_html),
            topics::edited_at.eq(at),
        ))
        .execute(c)?;
    Ok(())
}

/// Counts a reply: activity, reply count, and the first response by someone else.
pub fn note_reply(
    c: &mut DbConn,
    topic: &Topic,
    replier: UserId,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let first_response = topic.first_response_at.or(if replier == topic.author_id {
        None
    } else {
        Some(at)
    });
    diesel::update(topics::table.find(topic.id))
        .set((
            topics::reply_count.eq(topics::reply_count + 1),
            topics::last_activity_at.eq(at),
            topics::first_response_at.eq(first_response),
        ))
        .execute(c)?;
    Ok(())
}

pub fn set_accepted(
    c: &mut DbConn,
    id: TopicId,
    reply: Option<ReplyId>,
    status: &str,
) -> QueryResult<()> {
    diesel::update(topics::table.find(id))
        .set((
            topics::accepted_reply_id.eq(reply),
            topics::status.eq(status),
        ))
        .execute(c)?;
    Ok(())
}

pub fn add_me_too_count(c: &mut DbConn, id: TopicId, delta: i32) -> QueryResult<i32> {
    diesel::update(topics::table.find(id))
        .set(topics::me_too_count.eq(topics::me_too_count + delta))
        .returning(topics::me_too_count)
        .get_result(c)
}

/// Adds views counted in memory since the last flush.
pub fn add_views(c: &mut DbConn, id: TopicId, views: i64) -> QueryResult<()> {
    diesel::update(topics::table.find(id))
        .set(topics::view_count.eq(topics::view_count + views))
        .execute(c)?;
    Ok(())
}

/// Moves a topic to `status`; `resolved_at` is set for final statuses and cleared otherwise.
pub fn set_status(
    c: &mut DbConn,
    id: TopicId,
    status: &str,
    resolved_at: Option<NaiveDateTime>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(topics::table.find(id))
        .set((
            topics::status.eq(status),
            topics::resolved_at.eq(resolved_at),
            topics::last_activity_at.eq(at),
        ))
        .execute(c)?;
    Ok(())
}

pub fn set_assignee(c: &mut DbConn, id: TopicId, assignee: Option<UserId>) -> QueryResult<()> {
    diesel::update(topics::table.find(id))
        .set(topics::assignee_id.eq(assignee))
        .execute(c)?;
    Ok(())
}

pub fn set_locked(c: &mut DbConn, id: TopicId, locked: bool) -> QueryResult<()> {
    diesel::update(topics::table.find(id))
        .set(topics::locked.eq(locked))
        .execute(c)?;
    Ok(())
}

pub fn set_hidden(c: &mut DbConn, id: TopicId, hidden: bool) -> QueryResult<()> {
    diesel::update(topics::table.find(id))
        .set(topics::hidden.eq(hidden))
        .execute(c)?;
    Ok(())
}

pub fn set_product(c: &mut DbConn, id: TopicId, product: Option<ProductId>) -> QueryResult<()> {
    diesel::update(topics::table.find(id))
        .set(topics::product_id.eq(product))
        .execute(c)?;
    Ok(())
}

pub fn set_official_reply(c: &mut DbConn, id: TopicId, reply: Option<ReplyId>) -> QueryResult<()> {
    diesel::update(topics::table.find(id))
        .set(topics::official_reply_id.eq(reply))
        .execute(c)?;
    Ok(())
}

/// Notes the first reply by the brand's staff (the response-time figure).
pub fn note_staff_reply(c: &mut DbConn, id: TopicId, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        topics::table
            .find(id)
            .filter(topics::first_staff_response_at.is_null()),
    )
    .set(topics::first_staff_response_at.eq(at))
    .execute(c)?;
    Ok(())
}

/// Marks `id` a duplicate of `into`: closed, out of lists, its page redirects.
pub fn mark_duplicate(
    c: &mut DbConn,
    id: TopicId,
    into: TopicId,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(topics::table.find(id))
        .set((
            topics::duplicate_of.eq(into),
            topics::hidden.eq(true),
            topics::status.eq("closed"),
            topics::resolved_at.eq(at),
        ))
        .execute(c)?;
    Ok(())
}

pub fn set_me_too_count(c: &mut DbConn, id: TopicId, count: i32) -> QueryResult<()> {
    diesel::update(topics::table.find(id))
        .set(topics::me_too_count.eq(count))
        .execute(c)?;
    Ok(())
}

/// Hides or shows every topic a member opened.
pub fn set_hidden_by_author(c: &mut DbConn, author: UserId, hidden: bool) -> QueryResult<usize> {
    diesel::update(topics::table.filter(topics::author_id.eq(author)))
        .set(topics::hidden.eq(hidden))
        .execute(c)
}

/// Which of the staff queue's lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueView {
    Unanswered,
    NoStaffReply,
    Escalated,
    Mine,
    Overdue,
    All,
}

impl QueueView {
    pub const ALL: [QueueView; 6] = [
        QueueView::Unanswered,
        QueueView::NoStaffReply,
        QueueView::Escalated,
        QueueView::Mine,
        QueueView::Overdue,
        QueueView::All,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QueueView::Unanswered => "unanswered",
            QueueView::NoStaffReply => "no_staff_reply",
            QueueView::Escalated => "escalated",
            QueueView::Mine => "mine",
            QueueView::Overdue => "overdue",
            QueueView::All => "all",
        }
    }

    pub fn parse(text: &str) -> Option<QueueView> {
        QueueView::ALL.into_iter().find(|v| v.as_str() == text)
    }
}

/// A topic in the staff queue.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct QueueItem {
    pub id: TopicId,
    pub kind: String,
    pub feeling: Option<String>,
    pub title: String,
    pub status: String,
    pub me_too_count: i32,
    pub reply_count: i32,
    pub assignee_id: Option<UserId>,
    pub open_escalations: i32,
    pub created_at: NaiveDateTime,
    pub first_staff_response_at: Option<NaiveDateTime>,
    pub author_username: String,
    pub author_name: String,
    /// Triage priority: higher comes first (see `priority_sql`).
    pub priority: f64,
    /// Me-toos in the last day.
    pub me_toos_today: i64,
}

/// What the queue asks for: the view, who asks, the overdue line (None: no target set), the
/// order, and what the priority weighs waiting against.
pub struct QueueQuery {
    pub brand: BrandId,
    pub view: QueueView,
    pub me: UserId,
    pub overdue_before: Option<NaiveDateTime>,
    pub by_priority: bool,
    pub now: NaiveDateTime,
    /// The brand's first-response target in seconds (a day when it has none).
    pub target_secs: f64,
}

/// Points a thread earns per target's length waited without a staff reply (up to
/// `MAX_TARGET_LENGTHS`), per me-too (up to 50), per me-too in the last day, and for the
/// customer's feeling.
pub const PRIORITY_PER_TARGET: f64 = 10.0;
pub const MAX_TARGET_LENGTHS: f64 = 10.0;
pub const PRIORITY_PER_ME_TOO: f64 = 1.0;
pub const PRIORITY_PER_ME_TOO_TODAY: f64 = 2.0;
pub const PRIORITY_ANGRY: f64 = 15.0;
pub const PRIORITY_FRUSTRATED: f64 = 8.0;

/// The SQL of a topic's me-toos in the last day.
fn me_toos_today_sql(d: &Dialect, now: NaiveDateTime) -> String {
    format!(
        "(SELECT COUNT(*) FROM me_toos m WHERE m.topic_id = topics.id AND m.created_at > {})",
        d.time_literal(now - chrono::Duration::days(1))
    )
}

/// The SQL of a queue row's priority: waiting against the target, me-toos and their growth,
/// and the feeling the customer chose. Written so that most rows are cheap: a thread waiting
/// ten targets or more earns the cap without date arithmetic, and one without me-toos skips
/// the count of today's.
fn priority_sql(d: &Dialect, q: &QueueQuery) -> String {
    let waited = d.seconds_between("topics.created_at", &d.time_literal(q.now));
    let lengths = d.least(
        &format!("{waited} / {:.1}", q.target_secs),
        &format!("{MAX_TARGET_LENGTHS:.1}"),
    );
    let capped_seconds = q.target_secs * MAX_TARGET_LENGTHS;
    let capped_before = q.now - chrono::Duration::milliseconds((capped_seconds * 1000.0) as i64);
    format!(
        "(CASE WHEN topics.first_staff_response_at IS NOT NULL THEN 0.0 \
         WHEN topics.created_at <= {capped} THEN {full:.1} \
         ELSE {lengths} * {PRIORITY_PER_TARGET:.1} END \
         + {} * {PRIORITY_PER_ME_TOO:.1} \
         + CASE WHEN topics.me_too_count = 0 THEN 0 ELSE {} END * {PRIORITY_PER_ME_TOO_TODAY:.1} \
         + CASE topics.feeling WHEN 'angry' THEN {PRIORITY_ANGRY:.1} WHEN 'frustrated' THEN {PRIORITY_FRUSTRATED:.1} ELSE 0.0 END)",
        d.least("topics.me_too_count", "50"),
        me_toos_today_sql(d, q.now),
        capped = d.time_literal(capped_before),
        full = MAX_TARGET_LENGTHS * PRIORITY_PER_TARGET,
    )
}

/// The unresolved, visible topics of a brand in one view (without the joins a page of them
/// needs, so that counting and ranking read one index).
fn in_view(q: &QueueQuery) -> topics::BoxedQuery<'static, crate::db::MultiBackend> {
    let query = topics::table
        .filter(topics::brand_id.eq(q.brand))
        .filter(topics::hidden.eq(false))
        .filter(topics::resolved_at.is_null())
        .into_boxed::<crate::db::MultiBackend>();
    match q.view {
        QueueView::Unanswered => query.filter(topics::reply_count.eq(0)),
        QueueView::NoStaffReply => query.filter(topics::first_staff_response_at.is_null()),
        QueueView::Escalated => query.filter(topics::open_escalations.gt(0)),
        QueueView::Mine => query.filter(topics::assignee_id.eq(q.me)),
        QueueView::Overdue => match q.overdue_before {
            Some(line) => query
                .filter(topics::first_staff_response_at.is_null())
                .filter(topics::created_at.lt(line)),
            None => query.filter(topics::id.lt(TopicId(0))),
        },
        QueueView::All => query,
    }
}

/// Unresolved, visible topics of a brand in one view, by priority or longest waiting first,
/// and the total. The page's ids are ranked first, then only those rows are read in full.
pub fn queue(
    c: &mut DbConn,
    q: &QueueQuery,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<QueueItem>, i64)> {
    let total = in_view(q).count().get_result(c)?;
    let d = Dialect::of(c);
    let priority = priority_sql(&d, q);
    let ranked = if q.by_priority {
        // by the select list's alias, so the priority is computed once per row
        in_view(q)
            .order((
                diesel::dsl::sql::<Double>("priority").desc(),
                topics::created_at.asc(),
                topics::id.asc(),
            ))
            .select((
                topics::id,
                diesel::dsl::sql::<Double>(&format!("{priority} AS priority")),
            ))
    } else {
        in_view(q)
            .order((topics::created_at.asc(), topics::id.asc()))
            .select((topics::id, diesel::dsl::sql::<Double>("0.0")))
    };
    let ids: Vec<TopicId> = ranked
        .limit(limit)
        .offset(offset)
        .load::<(TopicId, f64)>(c)?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let mut rows: Vec<QueueItem> = topics::table
        .inner_join(users::table.on(users::id.eq(topics::author_id)))
        .filter(topics::id.eq_any(&ids))
        .select((
            topics::id,
            topics::kind,
            topics::feeling,
            topics::title,
            topics::status,
            topics::me_too_count,
            topics::reply_count,
            topics::assignee_id,
            topics::open_escalations,
            topics::created_at,
            topics::first_staff_response_at,
            users::username,
            users::display_name,
            diesel::dsl::sql::<Double>(&priority),
            diesel::dsl::sql::<BigInt>(&me_toos_today_sql(&d, q.now)),
        ))
        .load(c)?;
    rows.sort_by_key(|row| ids.iter().position(|id| *id == row.id));
    Ok((rows, total))
}

pub fn add_reply_count(c: &mut DbConn, id: TopicId, delta: i32) -> QueryResult<()> {
    diesel::update(topics::table.find(id))
        .set(topics::reply_count.eq(topics::reply_count + delta))
        .execute(c)?;
    Ok(())
}

/// A hidden post, as the moderation page lists it for restoring.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct HiddenPost {
    pub topic_id: TopicId,
    pub reply_id: Option<ReplyId>,
    pub topic_title: String,
    pub body: String,
    pub author_username: String,
}

/// Topics of a brand that moderators hid (merged duplicates are not), newest first.
pub fn hidden_of_brand(c: &mut DbConn, brand: BrandId, limit: i64) -> QueryResult<Vec<HiddenPost>> {
    topics::table
        .inner_join(users::table.on(users::id.eq(topics::author_id)))
        .filter(topics::brand_id.eq(brand))
        .filter(topics::hidden.eq(true))
        .filter(topics::duplicate_of.is_null())
        .order(topics::id.desc())
        .limit(limit)
        .select((
            topics::id,
            None::<ReplyId>.into_sql::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>>(),
            topics::title,
            topics::body,
            users::username,
        ))
        .load(c)
}

/// Hidden replies in a brand's visible topics, newest first.
pub fn hidden_replies_of_brand(
    c: &mut DbConn,
    brand: BrandId,
    limit: i64,
) -> QueryResult<Vec<HiddenPost>> {
    use crate::db::schema::replies;
    replies::table
        .inner_join(topics::table)
        .inner_join(users::table.on(users::id.eq(replies::author_id)))
        .filter(topics::brand_id.eq(brand))
        .filter(replies::hidden.eq(true))
        .filter(topics::hidden.eq(false))
        .order(replies::id.desc())
        .limit(limit)
        .select((
            topics::id,
            replies::id.nullable(),
            topics::title,
            replies::body,
            users::username,
        ))
        .load(c)
}
