//! Brand communities: starting one, the directory, products, following.

use serde::Serialize;

use super::validate;
use crate::authz;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult, FieldError};
use crate::model::brand::{self, Brand, NewBrand, Product};
use crate::model::now;
use crate::model::user::User;

/// What a member types to start a community.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct NewBrandInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub products: Vec<String>,
}

pub const NAME_MAX: usize = 80;
pub const DESCRIPTION_MAX: usize = 2000;
pub const PRODUCTS_MAX: usize = 50;
const RESERVED_SLUGS: [&str; 6] = ["new", "api", "admin", "assets", "search", "feed"];

/// Starts an unclaimed ("community-run") community for a brand that has none.
pub fn create(c: &mut DbConn, me: &User, input: &NewBrandInput) -> AppResult<Brand> {
    authz::may_post(me)?;
    let mut errors = vec![];
    let name = validate::plain_text("name", &input.name, 2, NAME_MAX, &mut errors);
    let slug = match input
        .slug
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(given) => validate::slug("slug", given, &mut errors),
        None => validate::slug_from("slug", &name, &mut errors),
    };
    if RESERVED_SLUGS.contains(&slug.as_str()) {
        errors.push(FieldError::new(
            "slug",
            "slug_reserved",
            "is reserved; choose another",
        ));
    }
    let domain = input
        .domain
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| validate::domain(d, &mut errors));
    let description = validate::plain_text(
        "description",
        input.description.as_deref().unwrap_or(""),
        0,
        DESCRIPTION_MAX,
        &mut errors,
    );
    let products = product_names(&input.products, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    db::write_transaction(c, |c| {
        if brand::name_taken(c, &name)? {
            return Err(taken("name", "name_taken"));
        }
        let at = now();
        let id = brand::insert(
            c,
            &NewBrand {
                slug: &slug,
                name: &name,
                domain: domain.as_deref(),
                description: &description,
                created_by: me.id,
                last_activity_at: at,
                created_at: at,
            },
        )
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict(_) => taken("slug", "slug_taken"),
            other => other,
        })?;
        for (product_slug, product_name) in &products {
            brand::insert_product(c, id, product_slug, product_name, at)?;
        }
        Ok(brand::find(c, id)?)
    })
}

fn taken(field: &'static str, code: &'static str) -> AppError {
    AppError::Taken(vec![FieldError::new(field, code, "is already taken")])
}

fn product_names(names: &[String], errors: &mut Vec<FieldError>) -> Vec<(String, String)> {
    if names.len() > PRODUCTS_MAX {
        errors.push(FieldError::new(
            "products",
            "too_many",
            format!("at most {PRODUCTS_MAX}"),
        ));
        return vec![];
    }
    let mut seen = std::collections::HashSet::new();
    names
        .iter()
        .filter(|n| !n.trim().is_empty())
        .map(|n| {
            let name = validate::plain_text("products", n, 1, NAME_MAX, errors);
            let slug = validate::slug_from("products", &name, errors);
            (slug, name)
        })
        .filter(|(slug, _)| seen.insert(slug.clone()))
        .collect()
}

/// Adds a product: anyone may while the community is unclaimed; once claimed, its staff.
pub fn add_product(
    c: &mut DbConn,
    me: &User,
    slug: &str,
    name: &str,
    product_slug: Option<&str>,
) -> AppResult<Product> {
    authz::may_post(me)?;
    let found = brand::find_by_slug(c, slug)?;
    if found.claimed_at.is_some() && !me.site_admin {
        return Err(AppError::Forbidden);
    }
    let mut errors = vec![];
    let name = validate::plain_text("name", name, 1, NAME_MAX, &mut errors);
    let product_slug = match product_slug.map(str::trim).filter(|s| !s.is_empty()) {
        Some(given) => validate::slug("slug", given, &mut errors),
        None => validate::slug_from("slug", &name, &mut errors),
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    db::write_transaction(c, |c| {
        brand::insert_product(c, found.id, &product_slug, &name, now()).map_err(|e| {
            match AppError::from(e) {
                AppError::Conflict(_) => taken("slug", "slug_taken"),
                other => other,
            }
        })
    })
}

/// A brand with what its page and the API show beside it.
#[derive(Debug, Serialize)]
pub struct BrandView {
    #[serde(flatten)]
    pub brand: Brand,
    pub claimed: bool,
    pub products: Vec<Product>,
    /// The status notice staff pinned, if any.
    pub notice: Option<crate::model::incident::Notice>,
    /// The last 30 days' response times, unless a community-run brand hides them.
    pub response_times: Option<super::response_times::ResponseTimes>,
    /// The provider the brand's customers sign in with, if it links one.
    pub sign_in: Option<super::sso::Button>,
}

/// The ask page's brand: the brand page's view and the extra fields it asks for.
pub struct AskView {
    pub brand: BrandView,
    pub fields: Vec<crate::model::field::Field>,
}

pub fn ask_view(c: &mut DbConn, slug: &str) -> AppResult<AskView> {
    let brand = show(c, slug)?;
    let fields = crate::model::field::of_brand(c, brand.brand.id)?;
    Ok(AskView { brand, fields })
}

pub fn show(c: &mut DbConn, slug: &str) -> AppResult<BrandView> {
    let found = brand::find_by_slug(c, slug)?;
    let products = brand::products_of(c, found.id)?;
    let notice = crate::model::incident::notice(c, found.id)?;
    let response_times = if super::response_times::shown(&found) {
        Some(super::response_times::of_brand(c, &found)?)
    } else {
        None
    };
    let sign_in = super::sso::brand_button(c, found.id)?;
    Ok(BrandView {
        claimed: found.claimed_at.is_some(),
        brand: found,
        products,
        notice,
        response_times,
        sign_in,
    })
}

pub fn set_follow(c: &mut DbConn, me: &User, slug: &str, follow: bool) -> AppResult<()> {
    let found = brand::find_by_slug(c, slug)?;
    db::write_transaction(c, |c| {
        Ok(brand::set_follow(c, found.id, me.id, follow, now())?)
    })
}
