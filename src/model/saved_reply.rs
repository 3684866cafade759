//! Saved replies: a brand's canned answers.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{BrandId, SavedReplyId, UserId};
use crate::db::DbConn;
use crate::db::schema::saved_replies;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = saved_replies)]
pub struct SavedReply {
    pub id: SavedReplyId,
    #[serde(skip)]
    pub brand_id: BrandId,
    pub title: String,
    pub body: String,
}

pub fn of_brand(c: &mut DbConn, brand: BrandId) -> QueryResult<Vec<SavedReply>> {
    saved_replies::table
        .filter(saved_replies::brand_id.eq(brand))
        .order(saved_replies::title)
        .select(SavedReply::as_select())
        .load(c)
}

pub fn count(c: &mut DbConn, brand: BrandId) -> QueryResult<i64> {
    saved_replies::table
        .filter(saved_replies::brand_id.eq(brand))
        .count()
        .get_result(c)
}

pub fn find(c: &mut DbConn, id: SavedReplyId) -> QueryResult<SavedReply> {
    saved_replies::table
        .find(id)
        .select(SavedReply::as_select())
        .first(c)
}

pub fn insert(
    c: &mut DbConn,
    brand: BrandId,
    title: &str,
    body: &str,
    by: UserId,
    at: NaiveDateTime,
) -> QueryResult<SavedReplyId> {
    diesel::insert_into(saved_replies::table)
        .values((
            saved_replies::brand_id.eq(brand),
            saved_replies::title.eq(title),
            saved_replies::body.eq(body),
            saved_replies::created_by.eq(by),
            saved_replies::created_at.eq(at),
        ))
        .returning(saved_replies::id)
        .get_result(c)
}

pub fn delete(c: &mut DbConn, id: SavedReplyId) -> QueryResult<usize> {
    diesel::delete(saved_replies::table.find(id)).execute(c)
}
