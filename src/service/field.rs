//! Private details: a brand's admins define extra fields per kind of topic (a product
//! version, an order number, a device), each public or private. A private value is seen by
//! the topic's author and the brand's staff only: it is kept apart from the topic's text,
//! so no feed, search index, mail or cached page ever holds it.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::validate;
use crate::authz;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult, FieldError};
use crate::model::brand::{self, Brand};
use crate::model::field::{self, Field, FieldValue, NewField};
use crate::model::topic::Topic;
use crate::model::topic_status::Kind;
use crate::model::user::User;
use crate::model::{BrandId, FieldId, TopicId, now};

const PER_KIND_MAX: usize = 10;
const NAME_MAX: usize = 40;
const LABEL_MAX: usize = 80;
pub const VALUE_MAX: usize = 200;

#[derive(Debug, Default, Clone, Deserialize)]
pub struct FieldInput {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub required: bool,
}

fn checked_name(value: &str, errors: &mut Vec<FieldError>) -> String {
    let name = value.trim().to_string();
    let valid = (1..=NAME_MAX).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        errors.push(FieldError::new(
            "name",
            "field_name_invalid",
            "is 1 to 40 lowercase letters, digits and underscores, starting with a letter",
        ));
    }
    name
}

/// Adds a field (brand admins).
pub fn create(c: &mut DbConn, me: &User, slug: &str, input: &FieldInput) -> AppResult<Field> {
    let found = brand::find_by_slug(c, slug)?;
    authz::admin_of(c, found.id, me)?;
    let mut errors = vec![];
    let kind = Kind::parse(input.kind.trim());
    if kind.is_none() {
        errors.push(FieldError::new(
            "kind",
            "kind_invalid",
            "choose question, problem, idea or praise",
        ));
    }
    let name = checked_name(&input.name, &mut errors);
    let label = validate::plain_text("label", &input.label, 1, LABEL_MAX, &mut errors);
    let Some(kind) = kind.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    db::write_transaction(c, |c| {
        let existing = field::of_brand(c, found.id)?;
        let same_kind: Vec<&Field> = existing
            .iter()
            .filter(|f| f.kind == kind.as_str())
            .collect();
        if same_kind.iter().any(|f| f.name == name) {
            return Err(AppError::Taken(vec![FieldError::new(
                "name",
                "taken",
                "this kind already has a field of that name",
            )]));
        }
        if same_kind.len() >= PER_KIND_MAX {
            return Err(AppError::Conflict("a kind has at most 10 fields"));
        }
        let row = NewField {
            brand: found.id,
            kind: kind.as_str(),
            name: &name,
            label: &label,
            private: input.private,
            required: input.required,
        };
        let id = field::insert(c, &row, now())?;
        Ok(field::find(c, id)?)
    })
}

/// A brand's fields: anyone may read what a brand asks for.
pub fn list(c: &mut DbConn, slug: &str) -> AppResult<(Brand, Vec<Field>)> {
    let found = brand::find_by_slug(c, slug)?;
    let fields = field::of_brand(c, found.id)?;
    Ok((found, fields))
}

/// A brand's fields, for its admins' page.
pub fn manage(c: &mut DbConn, me: &User, slug: &str) -> AppResult<(Brand, Vec<Field>)> {
    let (found, fields) = list(c, slug)?;
    authz::admin_of(c, found.id, me)?;
    Ok((found, fields))
}

/// Removes a field and the values topics held for it (brand admins).
pub fn delete(c: &mut DbConn, me: &User, id: FieldId) -> AppResult<Brand> {
    let found = field::find(c, id)?;
    authz::admin_of(c, found.brand_id, me)?;
    db::write_transaction(c, |c| field::delete(c, id))?;
    Ok(brand::find(c, found.brand_id)?)
}

/// Checks a new topic's values against its brand's fields of `kind`: names it has, each
/// value one line of at most 200 characters, the required ones given.
pub fn checked_values(
    c: &mut DbConn,
    brand: BrandId,
    kind: &str,
    given: &BTreeMap<String, String>,
    errors: &mut Vec<FieldError>,
) -> AppResult<Vec<(FieldId, String)>> {
    let fields: Vec<Field> = field::of_brand(c, brand)?
        .into_iter()
        .filter(|f| f.kind == kind)
        .collect();
    if given.len() > PER_KIND_MAX {
        errors.push(FieldError::new(
            "fields",
            "field_unknown",
            "a topic has at most 10 fields",
        ));
        return Ok(vec![]);
    }
    for name in given.keys() {
        if !fields.iter().any(|f| &f.name == name) {
            errors.push(FieldError::new(
                "fields",
                "field_unknown",
                format!(
                    "{} is not a field of this kind",
                    name.chars().take(NAME_MAX).collect::<String>()
                ),
            ));
        }
    }
    let mut values = vec![];
    for f in &fields {
        let mut own = vec![];
        let raw = given.get(&f.name).map_or("", String::as_str);
        let value = validate::plain_text("fields", raw, 0, VALUE_MAX, &mut own);
        if !own.is_empty() {
            errors.push(FieldError::new(
                "fields",
                "field_too_long",
                format!("{} must be at most {VALUE_MAX} characters", f.name),
            ));
        } else if value.is_empty() && f.required {
            errors.push(FieldError::new(
                "fields",
                "field_required",
                format!("{} is required", f.name),
            ));
        } else if !value.is_empty() {
            values.push((f.id, value));
        }
    }
    Ok(values)
}

/// The values of `found` that `viewer` may see: the private ones only for its author and
/// the brand's staff.
pub fn visible_values(
    c: &mut DbConn,
    found: &Topic,
    viewer: Option<&User>,
    staff: bool,
) -> AppResult<Vec<FieldValue>> {
    let private = staff || viewer.is_some_and(|v| v.id == found.author_id);
    Ok(field::values_of(c, found.id, private)?)
}

/// Every value of a topic (for the brand's own systems, such as its webhooks).
pub fn all_values(c: &mut DbConn, topic: TopicId) -> AppResult<BTreeMap<String, String>> {
    Ok(field::values_of(c, topic, true)?
        .into_iter()
        .map(|v| (v.name, v.value))
        .collect())
}
