//! A brand's extra fields per kind of topic, and the values topics hold.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{BrandId, FieldId, TopicId};
use crate::db::DbConn;
use crate::db::schema::{brand_fields, topic_fields};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = brand_fields)]
pub struct Field {
    pub id: FieldId,
    pub brand_id: BrandId,
    pub kind: String,
    pub name: String,
    pub label: String,
    pub private: bool,
    pub required: bool,
    pub created_at: NaiveDateTime,
}

pub struct NewField<'a> {
    pub brand: BrandId,
    pub kind: &'a str,
    pub name: &'a str,
    pub label: &'a str,
    pub private: bool,
    pub required: bool,
}

/// A topic's value of a field, with what the field is.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct FieldValue {
    pub name: String,
    pub label: String,
    pub private: bool,
    pub value: String,
}

pub fn insert(c: &mut DbConn, row: &NewField, at: NaiveDateTime) -> QueryResult<FieldId> {
    diesel::insert_into(brand_fields::table)
        .values((
            brand_fields::brand_id.eq(row.brand),
            brand_fields::kind.eq(row.kind),
            brand_fields::name.eq(row.name),
            brand_fields::label.eq(row.label),
            brand_fields::private.eq(row.private),
            brand_fields::required.eq(row.required),
            brand_fields::created_at.eq(at),
        ))
        .returning(brand_fields::id)
        .get_result(c)
}

pub fn find(c: &mut DbConn, id: FieldId) -> QueryResult<Field> {
    brand_fields::table
        .find(id)
        .select(Field::as_select())
        .first(c)
}

/// A brand's fields, by kind, oldest first.
pub fn of_brand(c: &mut DbConn, brand: BrandId) -> QueryResult<Vec<Field>> {
    brand_fields::table
        .filter(brand_fields::brand_id.eq(brand))
        .order((brand_fields::kind, brand_fields::id))
        .select(Field::as_select())
        .load(c)
}

pub fn delete(c: &mut DbConn, id: FieldId) -> QueryResult<usize> {
    diesel::delete(topic_fields::table.filter(topic_fields::field_id.eq(id))).execute(c)?;
    diesel::delete(brand_fields::table.find(id)).execute(c)
}

/// Keeps a new topic's values (a kind has at most ten fields).
pub fn set_values(c: &mut DbConn, topic: TopicId, values: &[(FieldId, String)]) -> QueryResult<()> {
    for (field, value) in values {
        diesel::insert_into(topic_fields::table)
            .values((
                topic_fields::topic_id.eq(topic),
                topic_fields::field_id.eq(*field),
                topic_fields::value.eq(value.as_str()),
            ))
            .execute(c)?;
    }
    Ok(())
}

/// A topic's values in the order the fields were made; private ones only when `private`.
pub fn values_of(c: &mut DbConn, topic: TopicId, private: bool) -> QueryResult<Vec<FieldValue>> {
    let mut query = topic_fields::table
        .inner_join(brand_fields::table)
        .filter(topic_fields::topic_id.eq(topic))
        .into_boxed();
    if !private {
        query = query.filter(brand_fields::private.eq(false));
    }
    query
        .order(brand_fields::id)
        .select((
            brand_fields::name,
            brand_fields::label,
            brand_fields::private,
            topic_fields::value,
        ))
        .load(c)
}
