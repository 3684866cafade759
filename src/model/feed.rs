//! External feeds a brand watches, with what polite polling needs: the validators of the
//! last answer, when to look next, and how often it failed in a row.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{BrandId, FeedId, UserId};
use crate::db::DbConn;
use crate::db::schema::brand_feeds;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = brand_feeds)]
pub struct Feed {
    pub id: FeedId,
    pub brand_id: BrandId,
    pub url: String,
    pub title: String,
    #[serde(skip)]
    pub etag: Option<String>,
    #[serde(skip)]
    pub last_modified: Option<String>,
    pub next_poll_at: NaiveDateTime,
    pub failures: i32,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn insert(
    c: &mut DbConn,
    brand: BrandId,
    url: &str,
    by: UserId,
    at: NaiveDateTime,
) -> QueryResult<FeedId> {
    diesel::insert_into(brand_feeds::table)
        .values((
            brand_feeds::brand_id.eq(brand),
            brand_feeds::url.eq(url),
            brand_feeds::next_poll_at.eq(at),
            brand_feeds::created_by.eq(by),
            brand_feeds::created_at.eq(at),
        ))
        .returning(brand_feeds::id)
        .get_result(c)
}

pub fn find(c: &mut DbConn, id: FeedId) -> QueryResult<Feed> {
    brand_feeds::table
        .find(id)
        .select(Feed::as_select())
        .first(c)
}

pub fn of_brand(c: &mut DbConn, brand: BrandId) -> QueryResult<Vec<Feed>> {
    brand_feeds::table
        .filter(brand_feeds::brand_id.eq(brand))
        .order(brand_feeds::id)
        .select(Feed::as_select())
        .load(c)
}

pub fn delete(c: &mut DbConn, id: FeedId) -> QueryResult<usize> {
    diesel::delete(
        crate::db::schema::voices::table.filter(crate::db::schema::voices::feed_id.eq(id)),
    )
    .execute(c)?;
    diesel::delete(brand_feeds::table.find(id)).execute(c)
}

/// Leases the feeds due for a look to this node until `lease_until`.
pub fn claim_due(
    c: &mut DbConn,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Feed>> {
    use brand_feeds::dsl as f;
    let due = f::next_poll_at
        .le(now)
        .and(f::locked_until.is_null().or(f::locked_until.le(now)));
    crate::db::backend::write_transaction(c, |c| {
        let ids: Vec<FeedId> = match c {
            DbConn::Postgres(pg) => f::brand_feeds
                .select(f::id)
                .filter(due)
                .order(f::next_poll_at)
                .limit(limit)
                .for_update()
                .skip_locked()
                .load(pg)?,
            DbConn::Sqlite(s) => f::brand_feeds
                .select(f::id)
                .filter(due)
                .order(f::next_poll_at)
                .limit(limit)
                .load(s)?,
        };
        diesel::update(f::brand_feeds.filter(f::id.eq_any(&ids)))
            .set(f::locked_until.eq(lease_until))
            .execute(c)?;
        f::brand_feeds
            .filter(f::id.eq_any(&ids))
            .select(Feed::as_select())
            .load(c)
    })
}

/// After a good answer (new items or 304): its validators, its title, the next look.
pub fn polled(
    c: &mut DbConn,
    id: FeedId,
    validators: (Option<&str>, Option<&str>),
    title: Option<&str>,
    next: NaiveDateTime,
) -> QueryResult<()> {
    use brand_feeds::dsl as f;
    diesel::update(f::brand_feeds.find(id))
        .set((
            f::etag.eq(validators.0),
            f::last_modified.eq(validators.1),
            f::next_poll_at.eq(next),
            f::locked_until.eq(None::<NaiveDateTime>),
            f::failures.eq(0),
            f::last_error.eq(None::<String>),
        ))
        .execute(c)?;
    if let Some(title) = title {
        diesel::update(f::brand_feeds.find(id))
            .set(f::title.eq(title))
            .execute(c)?;
    }
    Ok(())
}

/// After a failure: why, and the next look further off.
pub fn failed(c: &mut DbConn, id: FeedId, why: &str, next: NaiveDateTime) -> QueryResult<()> {
    use brand_feeds::dsl as f;
    diesel::update(f::brand_feeds.find(id))
        .set((
            f::failures.eq(f::failures + 1),
            f::last_error.eq(&why[..why.floor_char_boundary(500)]),
            f::next_poll_at.eq(next),
            f::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(c)?;
    Ok(())
}
