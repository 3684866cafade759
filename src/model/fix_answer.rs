//! "Did this fix it for you?": one answer per person per resolution of a topic.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{BrandId, ProductId, TopicId, UserId};
use crate::db::DbConn;
use crate::db::schema::{fix_answers, topics};

/// Records (or changes) a person's answer about one resolution.
pub fn record(
    c: &mut DbConn,
    topic: TopicId,
    user: UserId,
    resolved_at: NaiveDateTime,
    fixed: bool,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let mine = fix_answers::table
        .filter(fix_answers::topic_id.eq(topic))
        .filter(fix_answers::user_id.eq(user))
        .filter(fix_answers::resolved_at.eq(resolved_at));
    diesel::delete(mine).execute(c)?;
    diesel::insert_into(fix_answers::table)
        .values((
            fix_answers::topic_id.eq(topic),
            fix_answers::user_id.eq(user),
            fix_answers::resolved_at.eq(resolved_at),
            fix_answers::fixed.eq(fixed),
            fix_answers::created_at.eq(at),
        ))
        .execute(c)?;
    Ok(())
}

pub fn answer_of(
    c: &mut DbConn,
    topic: TopicId,
    user: UserId,
    resolved_at: NaiveDateTime,
) -> QueryResult<Option<bool>> {
    fix_answers::table
        .filter(fix_answers::topic_id.eq(topic))
        .filter(fix_answers::user_id.eq(user))
        .filter(fix_answers::resolved_at.eq(resolved_at))
        .select(fix_answers::fixed)
        .first(c)
        .optional()
}

/// How many people said one resolution did not fix it for them.
pub fn not_fixed(c: &mut DbConn, topic: TopicId, resolved_at: NaiveDateTime) -> QueryResult<i64> {
    fix_answers::table
        .filter(fix_answers::topic_id.eq(topic))
        .filter(fix_answers::resolved_at.eq(resolved_at))
        .filter(fix_answers::fixed.eq(false))
        .count()
        .get_result(c)
}

/// Answers given in a period, by whether it was fixed: (yes, no), for a brand or the site.
pub fn tally(
    c: &mut DbConn,
    (brand, product): (Option<BrandId>, Option<ProductId>),
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<(i64, i64)> {
    let mut count = |fixed: bool| -> QueryResult<i64> {
        let mut query = fix_answers::table
            .inner_join(topics::table.on(topics::id.eq(fix_answers::topic_id)))
            .filter(fix_answers::created_at.ge(from))
            .filter(fix_answers::created_at.lt(to))
            .filter(fix_answers::fixed.eq(fixed))
            .filter(topics::hidden.eq(false))
            .into_boxed::<crate::db::MultiBackend>();
        if let Some(b) = brand {
            query = query.filter(topics::brand_id.eq(b));
        }
        if let Some(p) = product {
            query = query.filter(topics::product_id.eq(p));
        }
        query.count().get_result(c)
    };
    Ok((count(true)?, count(false)?))
}
