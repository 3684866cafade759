//! The feedback widget a brand puts on its own site: one script tag opens a "Help &
//! feedback" panel, a frame of this server that searches the brand's community, shows the
//! topics related to the page it sits on and takes a question. Only the sites the brand
//! lists may frame it (Content-Security-Policy frame-ancestors); the frame talks to this
//! server alone, so no cross-origin access is opened to anyone.

use serde::{Deserialize, Serialize};

use crate::authz;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult, FieldError};
use crate::model::brand::{self, Brand};
use crate::model::user::User;
use crate::model::widget;
use crate::search::SearchIndex;
use crate::service::search::{self, Item, SearchInput};

const ORIGINS_MAX: usize = 10;
const ORIGIN_MAX: usize = 200;
const RESULTS: i64 = 5;

#[derive(Debug, Default, Deserialize)]
pub struct OriginsInput {
    #[serde(default)]
    pub origins: Vec<String>,
}

/// An origin as browsers compare it: http(s), a host, maybe a port, nothing else.
fn origin_of(text: &str) -> Option<String> {
    let text = text.trim().trim_end_matches('/');
    if text.len() > ORIGIN_MAX {
        return None;
    }
    let url = url::Url::parse(text).ok()?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    plain.then(|| url.origin().ascii_serialization())
}

/// Sets the sites allowed to embed the widget (brand admins); an empty list turns it off.
pub fn set_origins(
    c: &mut DbConn,
    me: &User,
    slug: &str,
    input: &OriginsInput,
) -> AppResult<Vec<String>> {
    let found = brand::find_by_slug(c, slug)?;
    authz::admin_of(c, found.id, me)?;
    let mut origins: Vec<String> = vec![];
    for given in input.origins.iter().filter(|o| !o.trim().is_empty()) {
        match origin_of(given) {
            Some(origin) if !origins.contains(&origin) => origins.push(origin),
            Some(_) => {}
            None => {
                return Err(AppError::Validation(vec![FieldError::new(
                    "origins",
                    "origin_invalid",
                    "each is a site such as https://www.example.com, without a path",
                )]));
            }
        }
    }
    if origins.len() > ORIGINS_MAX {
        return Err(AppError::invalid("origins", "too_many", "at most 10 sites"));
    }
    db::write_transaction(c, |c| widget::set_origins(c, found.id, &origins))?;
    Ok(origins)
}

/// The allowed sites (brand staff see them; the embed snippet needs the brand only).
pub fn origins(c: &mut DbConn, me: &User, slug: &str) -> AppResult<(Brand, Vec<String>)> {
    let found = brand::find_by_slug(c, slug)?;
    authz::staff_of(c, found.id, me)?;
    let origins = widget::origins(c, found.id)?;
    Ok((found, origins))
}

/// What the panel shows.
#[derive(Debug, Serialize)]
pub struct Panel {
    pub brand: Brand,
    /// Who may frame it: the page sets frame-ancestors from these.
    pub origins: Vec<String>,
    pub results: Vec<Item>,
    /// Topics related to the page the widget sits on (by its title), when not searching.
    pub related: Vec<Item>,
    /// The brand's single sign-on, offered instead of a password when it links one.
    pub sign_in: Option<super::sso::Button>,
}

pub fn panel(
    c: &mut DbConn,
    index: &SearchIndex,
    slug: &str,
    q: &str,
    page_title: &str,
) -> AppResult<Panel> {
    let found = brand::find_by_slug(c, slug)?;
    let origins = widget::origins(c, found.id)?;
    let results = if q.trim().is_empty() {
        vec![]
    } else {
        let input = SearchInput {
            q: q.chars().take(200).collect(),
            brand: Some(found.slug.clone()),
            per_page: Some(RESULTS),
            ..Default::default()
        };
        search::search(c, index, &input)?.items
    };
    let related = if q.trim().is_empty() && !page_title.trim().is_empty() {
        let title: String = page_title.chars().take(200).collect();
        search::similar(c, index, &found.slug, &title)?
    } else {
        vec![]
    };
    Ok(Panel {
        sign_in: super::sso::brand_button(c, found.id)?,
        brand: found,
        origins,
        results,
        related,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_sites_without_paths() {
        assert_eq!(
            origin_of("https://www.Example.com/").as_deref(),
            Some("https://www.example.com")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        for bad in [
            "example.com",
            "https://example.com/help",
            "javascript:alert(1)",
            "https://a@b.com",
            "*",
        ] {
            assert_eq!(origin_of(bad), None, "{bad}");
        }
    }
}
