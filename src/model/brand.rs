//! Brands (their communities), their products, and who follows them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{BrandId, ProductId, UserId};
use crate::db::DbConn;
use crate::db::schema::{brand_follows, brands, products};

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = brands)]
pub struct Brand {
    pub id: BrandId,
    pub slug: String,
    pub name: String,
    pub domain: Option<String>,
    pub description: String,
    pub created_by: UserId,
    pub claimed_at: Option<NaiveDateTime>,
    pub topic_count: i32,
    pub last_activity_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub first_response_minutes: Option<i32>,
    pub hide_response_times: bool,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = brands)]
pub struct NewBrand<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub domain: Option<&'a str>,
    pub description: &'a str,
    pub created_by: UserId,
    pub last_activity_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = products)]
pub struct Product {
    pub id: ProductId,
    #[serde(skip)]
    pub brand_id: BrandId,
    pub slug: String,
    pub name: String,
}

pub fn insert(c: &mut DbConn, row: &NewBrand) -> QueryResult<BrandId> {
    diesel::insert_into(brands::table)
        .values(row)
        .returning(brands::id)
        .get_result(c)
}

pub fn find(c: &mut DbConn, id: BrandId) -> QueryResult<Brand> {
    brands::table.find(id).select(Brand::as_select()).first(c)
}

pub fn find_by_slug(c: &mut DbConn, slug: &str) -> QueryResult<Brand> {
    if slug.contains('\0') {
        return Err(diesel::result::Error::NotFound); // PostgreSQL refuses NUL in a query
    }
    brands::table
        .filter(brands::slug.eq(slug))
        .select(Brand::as_select())
        .first(c)
}

pub fn name_taken(c: &mut DbConn, name: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        brands::table.filter(lower(brands::name).eq(name.to_lowercase())),
    ))
    .get_result(c)
}

/// A page of brands whose name contains `query`, most active first, and the total.
pub fn directory(
    c: &mut DbConn,
    query: &str,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<Brand>, i64)> {
    let pattern = format!("%{}%", escape_like(&query.replace('\0', "").to_lowercase()));
    let matching = || brands::table.filter(lower(brands::name).like(pattern.clone()).escape('\\'));
    let total = matching().count().get_result(c)?;
    let rows = matching()
        .order((brands::last_activity_at.desc(), brands::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(Brand::as_select())
        .load(c)?;
    Ok((rows, total))
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Notes a new topic or reply in the brand: the directory sorts by this.
pub fn touch(c: &mut DbConn, id: BrandId, at: NaiveDateTime, new_topics: i32) -> QueryResult<()> {
    diesel::update(brands::table.find(id))
        .set((
            brands::last_activity_at.eq(at),
            brands::topic_count.eq(brands::topic_count + new_topics),
        ))
        .execute(c)?;
    Ok(())
}

pub fn products_of(c: &mut DbConn, brand: BrandId) -> QueryResult<Vec<Product>> {
    products::table
        .filter(products::brand_id.eq(brand))
        .order(products::name)
        .select(Product::as_select())
        .load(c)
}

pub fn insert_product(
    c: &mut DbConn,
    brand: BrandId,
    slug: &str,
    name: &str,
    at: NaiveDateTime,
) -> QueryResult<Product> {
    let id: ProductId = diesel::insert_into(products::table)
        .values((
            products::brand_id.eq(brand),
            products::slug.eq(slug),
            products::name.eq(name),
            products::created_at.eq(at),
        ))
        .returning(products::id)
        .get_result(c)?;
    products::table
        .find(id)
        .select(Product::as_select())
        .first(c)
}

pub fn follows(c: &mut DbConn, brand: BrandId, user: UserId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        brand_follows::table.filter(
            brand_follows::brand_id
                .eq(brand)
                .and(brand_follows::user_id.eq(user)),
        ),
    ))
    .get_result(c)
}

pub fn set_follow(
    c: &mut DbConn,
    brand: BrandId,
    user: UserId,
    follow: bool,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let row = brand_follows::table.filter(
        brand_follows::brand_id
            .eq(brand)
            .and(brand_follows::user_id.eq(user)),
    );
    diesel::delete(row).execute(c)?;
    if follow {
        diesel::insert_into(brand_follows::table)
            .values((
                brand_follows::brand_id.eq(brand),
                brand_follows::user_id.eq(user),
                brand_follows::created_at.eq(at),
            ))
            .execute(c)?;
    }
    Ok(())
}

pub fn set_first_response_target(
    c: &mut DbConn,
    id: BrandId,
    minutes: Option<i32>,
) -> QueryResult<()> {
    diesel::update(brands::table.find(id))
        .set(brands::first_response_minutes.eq(minutes))
        .execute(c)?;
    Ok(())
}

pub fn set_hide_response_times(c: &mut DbConn, id: BrandId, hidden: bool) -> QueryResult<()> {
    diesel::update(brands::table.find(id))
        .set(brands::hide_response_times.eq(hidden))
        .execute(c)?;
    Ok(())
}
