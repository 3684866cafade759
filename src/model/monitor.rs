//! Keyword monitors and what they matched.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{BrandId, MonitorId, TopicId, UserId};
use crate::db::DbConn;
use crate::db::schema::{brands, monitor_matches, monitors, topics};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = monitors)]
pub struct Monitor {
    pub id: MonitorId,
    pub brand_id: BrandId,
    pub created_by: UserId,
    pub query: String,
    pub notify: String,
    pub created_at: NaiveDateTime,
}

/// A match as the monitor's page lists it.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct MatchView {
    pub topic_id: TopicId,
    pub title: String,
    pub kind: String,
    pub brand_slug: String,
    pub brand_name: String,
    pub matched_at: NaiveDateTime,
}

pub fn insert(
    c: &mut DbConn,
    brand: BrandId,
    by: UserId,
    query: &str,
    notify: &str,
    at: NaiveDateTime,
) -> QueryResult<MonitorId> {
    diesel::insert_into(monitors::table)
        .values((
            monitors::brand_id.eq(brand),
            monitors::created_by.eq(by),
            monitors::query.eq(query),
            monitors::notify.eq(notify),
            monitors::created_at.eq(at),
        ))
        .returning(monitors::id)
        .get_result(c)
}

pub fn find(c: &mut DbConn, id: MonitorId) -> QueryResult<Monitor> {
    monitors::table
        .find(id)
        .select(Monitor::as_select())
        .first(c)
}

pub fn of_brand(c: &mut DbConn, brand: BrandId) -> QueryResult<Vec<Monitor>> {
    monitors::table
        .filter(monitors::brand_id.eq(brand))
        .order(monitors::id)
        .select(Monitor::as_select())
        .load(c)
}

pub fn count_of_brand(c: &mut DbConn, brand: BrandId) -> QueryResult<i64> {
    monitors::table
        .filter(monitors::brand_id.eq(brand))
        .count()
        .get_result(c)
}

pub fn all(c: &mut DbConn) -> QueryResult<Vec<Monitor>> {
    monitors::table
        .order(monitors::id)
        .select(Monitor::as_select())
        .load(c)
}

pub fn delete(c: &mut DbConn, id: MonitorId) -> QueryResult<usize> {
    diesel::delete(monitors::table.find(id)).execute(c)
}

/// Records a match once; returns whether it is new.
pub fn add_match(
    c: &mut DbConn,
    monitor: MonitorId,
    topic: TopicId,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let values = (
        monitor_matches::monitor_id.eq(monitor),
        monitor_matches::topic_id.eq(topic),
        monitor_matches::matched_at.eq(at),
    );
    let added = match c {
        DbConn::Postgres(pg) => diesel::insert_into(monitor_matches::table)
            .values(values)
            .on_conflict_do_nothing()
            .execute(pg)?,
        DbConn::Sqlite(s) => diesel::insert_into(monitor_matches::table)
            .values(values)
            .on_conflict_do_nothing()
            .execute(s)?,
    };
    Ok(added == 1)
}

/// A monitor's matches, newest first.
pub fn matches(c: &mut DbConn, monitor: MonitorId, limit: i64) -> QueryResult<Vec<MatchView>> {
    monitor_matches::table
        .inner_join(topics::table.inner_join(brands::table))
        .filter(monitor_matches::monitor_id.eq(monitor))
        .filter(topics::hidden.eq(false))
        .order(monitor_matches::matched_at.desc())
        .limit(limit)
        .select((
            topics::id,
            topics::title,
            topics::kind,
            brands::slug,
            brands::name,
            monitor_matches::matched_at,
        ))
        .load(c)
}
