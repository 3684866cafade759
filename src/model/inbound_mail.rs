//! Inbound messages already taken, by Message-ID (or a hash of the message).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{TopicId, UserId};
use crate::db::DbConn;
use crate::db::schema::inbound_mails;

/// Records the message as taken; false when it had been (a second copy is never posted).
pub fn claim(
    c: &mut DbConn,
    message_key: &str,
    user: UserId,
    topic: TopicId,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let values = (
        inbound_mails::message_key.eq(message_key),
        inbound_mails::user_id.eq(user),
        inbound_mails::topic_id.eq(topic),
        inbound_mails::received_at.eq(at),
    );
    let inserted = match c {
        DbConn::Postgres(pg) => diesel::insert_into(inbound_mails::table)
            .values(values)
            .on_conflict_do_nothing()
            .execute(pg)?,
        DbConn::Sqlite(s) => diesel::insert_into(inbound_mails::table)
            .values(values)
            .on_conflict_do_nothing()
            .execute(s)?,
    };
    Ok(inserted == 1)
}
