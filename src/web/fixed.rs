//! "Did this fix it for you?": the buttons on the topic page, and the page a mail's answer
//! link opens (one more click answers, so a mail scanner following links answers nothing).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::errors::PageError;
use super::forms::CheckedForm;
use super::page::{Page, PageResult, redirect_with_flash};
use super::session::CurrentUser;
use super::topics::{topic_action, topic_url};
use crate::app::AppState;
use crate::error::AppError;
use crate::model::brand;
use crate::service::fixed::{self, Answered};

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    answer: String,
    #[serde(default)]
    token: String,
}

fn parse_answer(text: &str) -> Result<bool, AppError> {
    match text {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(AppError::invalid(
            "answer",
            "answer_invalid",
            "answer yes or no",
        )),
    }
}

fn flash_of(answered: &Answered) -> &'static str {
    match (answered.fixed, answered.reopened) {
        (true, _) => "flash.fixed_yes",
        (false, true) => "flash.fixed_reopened",
        (false, false) => "flash.fixed_no",
    }
}

/// POST {topic}/fixed, from the topic page.
pub async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, String)>,
    form: CheckedForm<AnswerForm>,
) -> PageResult {
    let (id, url) = topic_action(path.into_inner())?;
    let fixed = parse_answer(&form.0.answer)?;
    let (user, mail) = (me.0.user, state.services.mail.clone());
    let answered = state
        .services
        .db
        .run(move |c| fixed::answer(c, &mail, &user, id, fixed))
        .await?;
    state.services.mail.wake();
    redirect_with_flash(&req, &url, "success", flash_of(&answered))
}

/// GET /fixed?token=…&answer=yes|no, from the mail.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<AnswerForm>,
) -> Result<HttpResponse, PageError> {
    let fixed = parse_answer(&query.answer)?;
    if fixed::read_token(&state.key, &query.token).is_none() {
        return Err(AppError::invalid("token", "token_invalid", "this link is not valid").into());
    }
    let mut page = Page::new(&req, "fixed.title").await?;
    page.insert("token", &query.token);
    page.insert("answer", &query.answer);
    page.insert("fixed", &fixed);
    page.render(&req, "topics/fixed.html")
}

/// POST /fixed: the signed token is the credential, so no CSRF token.
pub async fn answer_by_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let form: AnswerForm = serde_urlencoded::from_bytes(&body)
        .map_err(|_| AppError::invalid("answer", "answer_invalid", "answer yes or no"))?;
    let fixed = parse_answer(&form.answer)?;
    let (key, mail, token) = (state.key.clone(), state.services.mail.clone(), form.token);
    let (found, answered) = state
        .services
        .db
        .run(move |c| fixed::answer_by_token(c, &mail, &key, &token, fixed))
        .await?;
    state.services.mail.wake();
    let slug = state
        .services
        .db
        .run(move |c| Ok(brand::find(c, found.brand_id)?.slug))
        .await?;
    let target = topic_url(&slug, found.id, &found.title);
    redirect_with_flash(&req, &target, "success", flash_of(&answered))
}
