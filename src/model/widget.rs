//! The sites a brand lets embed its feedback widget.

use diesel::prelude::*;

use super::BrandId;
use crate::db::DbConn;
use crate::db::schema::brand_widgets;

/// The origins (scheme://host[:port]) allowed to embed the brand's widget.
pub fn origins(c: &mut DbConn, brand: BrandId) -> QueryResult<Vec<String>> {
    let kept: Option<String> = brand_widgets::table
        .find(brand)
        .select(brand_widgets::origins)
        .first(c)
        .optional()?;
    Ok(kept
        .unwrap_or_default()
        .split_whitespace()
        .map(String::from)
        .collect())
}

pub fn set_origins(c: &mut DbConn, brand: BrandId, origins: &[String]) -> QueryResult<()> {
    diesel::delete(brand_widgets::table.find(brand)).execute(c)?;
    if !origins.is_empty() {
        diesel::insert_into(brand_widgets::table)
            .values((
                brand_widgets::brand_id.eq(brand),
                brand_widgets::origins.eq(origins.join(" ")),
            ))
            .execute(c)?;
    }
    Ok(())
}
