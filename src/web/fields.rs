//! The page where a brand's admins define the extra details each kind of topic asks for.

use actix_web::{HttpRequest, web};
use serde::Deserialize;

use super::forms::{CheckedForm, CsrfOnly};
use super::page::{Page, PageResult};
use super::session::CurrentUser;
use super::staff::act;
use crate::app::AppState;
use crate::model::FieldId;
use crate::model::topic_status::Kind;
use crate::service::field::{self, FieldInput};

/// GET /brands/{slug}/fields
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> PageResult {
    let user = me.0.user;
    let (found, fields) = state
        .services
        .db
        .run(move |c| field::manage(c, &user, &slug))
        .await?;
    let mut page = Page::new(&req, "fields.title").await?;
    page.insert("brand", &found);
    page.insert("fields", &fields);
    page.insert("kinds", &Kind::ALL.map(Kind::as_str));
    page.render(&req, "staff/fields.html")
}

#[derive(Deserialize)]
pub struct FieldForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    private: String,
    #[serde(default)]
    required: String,
}

/// POST /brands/{slug}/fields
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    form: CheckedForm<FieldForm>,
) -> PageResult {
    let (user, slug, form) = (me.0.user, slug.into_inner(), form.0);
    let to = format!("/brands/{slug}/fields");
    let input = FieldInput {
        kind: form.kind,
        name: form.name,
        label: form.label,
        private: form.private == "1",
        required: form.required == "1",
    };
    act(&req, &state, &to, "flash.field_added", move |c| {
        field::create(c, &user, &slug, &input).map(drop)
    })
    .await
}

/// POST /fields/{id}/delete
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    _form: CheckedForm<CsrfOnly>,
) -> PageResult {
    let (user, id) = (me.0.user, FieldId(*id));
    let found = state
        .services
        .db
        .run(move |c| field::delete(c, &user, id))
        .await?;
    let to = format!("/brands/{}/fields", found.slug);
    super::page::redirect_with_flash(&req, &to, "success", "flash.field_removed")
}
