//! Community pages: the brand directory, starting a community, brand pages with their
//! lists, asking, the topic page and its actions, editing, profiles.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::errors::PageError;
use super::forms::CheckedForm;
use super::page::{Page, redirect, redirect_with_flash};
use super::session::{CurrentUser, MaybeUser};
use crate::api::communities::{parse_sort, topic_filter};
use crate::app::AppState;
use crate::error::AppError;
use crate::model::topic::{self, Filter, Sort, TopicSummary};
use crate::model::topic_status::{Feeling, Kind};
use crate::model::{ReplyId, TopicId, brand, user};
use crate::service::brand::{self as brands, NewBrandInput};
use crate::service::topic::{self as topics, NewTopicInput};
use crate::service::{self, PointsRule};

type PageResult = Result<HttpResponse, PageError>;
const PER_PAGE: i64 = 20;

pub fn routes(cfg: &mut web::ServiceConfig) {
    use super::feeds;
    let topic = "/brands/{slug}/topics/{topic}";
    cfg.route("/users/{username}", web::get().to(profile))
        .route("/unsubscribe", web::get().to(feeds::show_unsubscribe))
        .route("/unsubscribe", web::post().to(feeds::unsubscribe))
        .route("/brands/new", web::get().to(show_new_brand))
        .route("/brands/new", web::post().to(create_brand))
        .route("/brands/{slug}", web::get().to(show_brand))
        .route("/brands/{slug}/feed.atom", web::get().to(feeds::brand_feed))
        .route("/brands/{slug}/follow", web::post().to(follow_brand))
        .route("/brands/{slug}/ask", web::get().to(show_ask))
        .route("/brands/{slug}/ask", web::post().to(ask))
        .route(topic, web::get().to(show_topic))
        .route(
            &format!("{topic}/feed.atom"),
            web::get().to(feeds::topic_feed),
        )
        .route(&format!("{topic}/replies"), web::post().to(post_reply))
        .route(&format!("{topic}/me-too"), web::post().to(me_too))
        .route(&format!("{topic}/follow"), web::post().to(follow_topic))
        .route(&format!("{topic}/accept"), web::post().to(accept))
        .route(&format!("{topic}/helpful"), web::post().to(helpful))
        .route(&format!("{topic}/edit"), web::get().to(show_edit))
        .route(&format!("{topic}/edit"), web::post().to(edit));
}

/// The page URL of a topic: its id, then its title's ASCII words for people and search engines.
pub fn topic_url(brand_slug: &str, id: TopicId, title: &str) -> String {
    let mut errors = vec![];
    let words = service::validate::slug_from("title", title, &mut errors);
    if errors.is_empty() {
        format!("/brands/{brand_slug}/topics/{id}-{words}")
    } else {
        format!("/brands/{brand_slug}/topics/{id}")
    }
}

/// The id at the start of a "{id}-{words}" path segment.
fn topic_id(segment: &str) -> Result<TopicId, AppError> {
    let digits = segment.split('-').next().unwrap_or_default();
    digits
        .parse::<i64>()
        .map(TopicId)
        .map_err(|_| AppError::NotFound)
}

#[derive(Serialize)]
struct SummaryView<'a> {
    #[serde(flatten)]
    topic: &'a TopicSummary,
    url: String,
    feeling_face: Option<&'static str>,
}

fn summaries(rows: &[TopicSummary]) -> Vec<SummaryView<'_>> {
    rows.iter()
        .map(|t| SummaryView {
            url: topic_url(&t.brand_slug, t.id, &t.title),
            feeling_face: t
                .feeling
                .as_deref()
                .and_then(Feeling::parse)
                .map(Feeling::face),
            topic: t,
        })
        .collect()
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Page numbers for the pager: current, total pages.
fn pager(page: i64, total: i64) -> serde_json::Value {
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    serde_json::json!({ "page": page, "pages": pages, "prev": (page > 1).then_some(page - 1), "next": (page < pages).then_some(page + 1) })
}

#[derive(Deserialize)]
pub struct HomeQuery {
    #[serde(default)]
    q: String,
    page: Option<i64>,
}

/// GET /: the brand directory, filtered by name and sorted by activity, and recent topics.
pub async fn home(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<HomeQuery>,
) -> PageResult {
    let q: String = query.q.trim().chars().take(100).collect();
    let page_no = query.page.unwrap_or(1).clamp(1, 100_000);
    let needle = q.clone();
    let (brands_found, total, recent) = state
        .services
        .db
        .run(move |c| {
            let (rows, total) = brand::directory(c, &needle, PER_PAGE, (page_no - 1) * PER_PAGE)?;
            let (recent, _) = topic::list(c, &Filter::default(), Sort::Active, 10, 0)?;
            Ok((rows, total, recent))
        })
        .await?;
    let mut page = Page::new(&req, "home.title").await?;
    page.insert("pager_base", &format!("/?q={}&", encode(&q)));
    page.insert("q", &q);
    page.insert("brands", &brands_found);
    page.insert("pager", &pager(page_no, total));
    page.insert("recent", &summaries(&recent));
    page.render(&req, "home.html")
}

pub async fn show_new_brand(req: HttpRequest, _me: CurrentUser) -> PageResult {
    Page::new(&req, "brand_new.title")
        .await?
        .render(&req, "brands/new.html")
}

#[derive(Deserialize)]
pub struct NewBrandForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    products: String,
}

pub async fn create_brand(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CheckedForm<NewBrandForm>,
) -> PageResult {
    let form = form.0;
    let input = NewBrandInput {
        name: form.name.clone(),
        slug: Some(form.slug.clone()),
        domain: Some(form.domain.clone()),
        description: Some(form.description.clone()),
        products: form.products.lines().map(str::to_string).collect(),
    };
    let user = me.0.user;
    let outcome = state
        .services
        .db
        .run(move |c| brands::create(c, &user, &input))
        .await;
    match outcome {
        Ok(created) => redirect_with_flash(
            &req,
            &format!("/brands/{}", created.slug),
            "success",
            "flash.brand_created",
        ),
        Err(AppError::Validation(errors) | AppError::Taken(errors)) => {
            let mut page = Page::new(&req, "brand_new.title").await?;
            page.insert_errors(&errors);
            page.insert(
                "form",
                &serde_json::json!({
                    "name": form.name, "slug": form.slug, "domain": form.domain,
                    "description": form.description, "products": form.products,
                }),
            );
            page.render_with_status(&req, "brands/new.html", StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct BrandQuery {
    kind: Option<String>,
    status: Option<String>,
    product: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
}

/// GET /brands/{slug}: tabs by kind, filters, sorts, pages.
pub async fn show_brand(
    req: HttpRequest,
    state: web::Data<AppState>,
    viewer: MaybeUser,
    slug: web::Path<String>,
    query: web::Query<BrandQuery>,
) -> PageResult {
    let query = query.into_inner();
    let sort = parse_sort(query.sort.as_deref())?;
    let page_no = query.page.unwrap_or(1).clamp(1, 100_000);
    let (kind, status, product) = (
        query.kind.clone(),
        query.status.clone(),
        query.product.clone(),
    );
    let viewer_id = viewer.0.as_ref().map(|v| v.user.id);
    let slug = slug.into_inner();
    let (view, rows, total, following) = state
        .services
        .db
        .run(move |c| {
            let view = brands::show(c, &slug)?;
            let filter = topic_filter(
                c,
                &slug,
                kind.as_deref(),
                status.as_deref(),
                product.as_deref(),
            )?;
            let (rows, total) = topic::list(c, &filter, sort, PER_PAGE, (page_no - 1) * PER_PAGE)?;
            let following = match viewer_id {
                Some(id) => brand::follows(c, view.brand.id, id)?,
                None => false,
            };
            Ok((view, rows, total, following))
        })
        .await?;
    let mut page = Page::new(&req, "brand.title").await?;
    let statuses: Vec<&str> = match query.kind.as_deref().and_then(Kind::parse) {
        Some(kind) => kind.statuses().iter().map(|s| s.as_str()).collect(),
        None => vec!["open", "answered", "solved", "implemented", "closed"],
    };
    page.insert("brand", &view);
    page.insert("topics", &summaries(&rows));
    page.insert("pager", &pager(page_no, total));
    page.insert("total", &total);
    page.insert("following", &following);
    page.insert("statuses", &statuses);
    page.insert("sorts", &Sort::ALL.map(Sort::as_str));
    page.insert(
        "filter",
        &serde_json::json!({
            "kind": query.kind.unwrap_or_default(), "status": query.status.unwrap_or_default(),
            "product": query.product.unwrap_or_default(), "sort": sort.as_str(),
        }),
    );
    page.render(&req, "brands/show.html")
}

#[derive(Deserialize)]
pub struct FollowForm {
    #[serde(default)]
    on: String,
}

pub async fn follow_brand(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    form: CheckedForm<FollowForm>,
) -> PageResult {
    let (user, on, slug) = (me.0.user, form.0.on == "1", slug.into_inner());
    let target = format!("/brands/{slug}");
    state
        .services
        .db
        .run(move |c| brands::set_follow(c, &user, &slug, on))
        .await?;
    Ok(redirect(&target))
}

#[derive(Deserialize)]
pub struct AskQuery {
    kind: Option<String>,
}

pub async fn show_ask(
    req: HttpRequest,
    state: web::Data<AppState>,
    _me: CurrentUser,
    slug: web::Path<String>,
    query: web::Query<AskQuery>,
) -> PageResult {
    let slug = slug.into_inner();
    let view = state
        .services
        .db
        .run(move |c| brands::show(c, &slug))
        .await?;
    let kind = query
        .kind
        .as_deref()
        .and_then(Kind::parse)
        .unwrap_or(Kind::Question);
    ask_page(
        &req,
        &view,
        &serde_json::json!({ "kind": kind.as_str() }),
        &[],
        StatusCode::OK,
    )
    .await
}

async fn ask_page(
    req: &HttpRequest,
    view: &brands::BrandView,
    form: &serde_json::Value,
    errors: &[crate::error::FieldError],
    status: StatusCode,
) -> PageResult {
    let mut page = Page::new(req, "ask.title").await?;
    page.insert("brand", view);
    page.insert("form", form);
    page.insert("kinds", &Kind::ALL.map(Kind::as_str));
    page.insert(
        "feelings",
        &Feeling::ALL.map(|f| serde_json::json!({ "name": f.as_str(), "face": f.face() })),
    );
    page.insert_errors(errors);
    page.render_with_status(req, "brands/ask.html", status)
}

#[derive(Deserialize)]
pub struct AskForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    feeling: String,
}

pub async fn ask(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    form: CheckedForm<AskForm>,
) -> PageResult {
    let form = form.0;
    let user = me.0.user;
    crate::authz::may_post(&user)?;
    service::count_post(&state.services, &user).await?;
    let input = NewTopicInput {
        kind: form.kind.clone(),
        title: form.title.clone(),
        body: form.body.clone(),
        product: Some(form.product.clone()),
        feeling: Some(form.feeling.clone()),
    };
    let brand_slug = slug.into_inner();
    let target = brand_slug.clone();
    match state
        .services
        .db
        .run(move |c| topics::post(c, &user, &target, &input))
        .await
    {
        Ok(created) => redirect_with_flash(
            &req,
            &topic_url(&brand_slug, created.id, &created.title),
            "success",
            "flash.topic_posted",
        ),
        Err(AppError::Validation(errors)) => {
            let view = state
                .services
                .db
                .run(move |c| brands::show(c, &brand_slug))
                .await?;
            let values = serde_json::json!({
                "kind": form.kind, "title": form.title, "body": form.body, "product": form.product, "feeling": form.feeling,
            });
            ask_page(
                &req,
                &view,
                &values,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Serialize)]
struct ReplyRow<'a> {
    #[serde(flatten)]
    view: &'a crate::model::reply::ReplyView,
    points: i32,
    champion: bool,
    helpful_by_viewer: bool,
    accepted: bool,
}

/// GET /brands/{slug}/topics/{id}[-words]
pub async fn show_topic(
    req: HttpRequest,
    state: web::Data<AppState>,
    viewer: MaybeUser,
    path: web::Path<(String, String)>,
) -> PageResult {
    let (brand_slug, segment) = path.into_inner();
    let id = topic_id(&segment)?;
    let viewer_user = viewer.0.map(|v| v.user);
    let data = state
        .services
        .db
        .run(move |c| topics::page(c, id, viewer_user.as_ref()))
        .await?;
    if data.brand.slug != brand_slug {
        return Err(AppError::NotFound.into());
    }
    state.views.add(id);
    let rule: PointsRule = state.services.points;
    let helpful: &[ReplyId] = data.viewer.as_ref().map_or(&[], |v| v.helpful.as_slice());
    let rows: Vec<ReplyRow> = data
        .replies
        .iter()
        .map(|r| {
            let points = rule.points(r.author_points.0, r.author_points.1);
            ReplyRow {
                view: r,
                points,
                champion: rule.is_champion(points),
                helpful_by_viewer: helpful.contains(&r.reply.id),
                accepted: data.topic.accepted_reply_id == Some(r.reply.id),
            }
        })
        .collect();
    let accepted = rows.iter().find(|r| r.accepted);
    let author_points = rule.points(data.author.helpful_received, data.author.accepted_answers);
    let mut page = Page::new(&req, "topic.title").await?;
    page.insert("page_title", &data.topic.title);
    page.insert("topic", &data.topic);
    page.insert(
        "url",
        &topic_url(&data.brand.slug, data.topic.id, &data.topic.title),
    );
    page.insert("brand", &data.brand);
    page.insert("product", &data.product);
    page.insert("author", &data.author);
    page.insert("author_champion", &rule.is_champion(author_points));
    page.insert(
        "feeling_face",
        &data
            .topic
            .feeling
            .as_deref()
            .and_then(Feeling::parse)
            .map(Feeling::face),
    );
    page.insert("replies", &rows);
    page.insert("accepted", &accepted);
    page.insert("flags", &data.viewer);
    page.render(&req, "topics/show.html")
}

#[derive(Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    body: String,
}

pub async fn post_reply(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, String)>,
    form: CheckedForm<ReplyForm>,
) -> PageResult {
    let (brand_slug, segment) = path.into_inner();
    let id = topic_id(&segment)?;
    let user = me.0.user;
    crate::authz::may_post(&user)?;
    service::count_post(&state.services, &user).await?;
    let text = form.0.body;
    let url = format!("/brands/{brand_slug}/topics/{segment}");
    match state
        .services
        .db
        .run(move |c| topics::post_reply(c, &user, id, &text))
        .await
    {
        Ok(created) => {
            state.services.mail.wake();
            Ok(redirect(&format!("{url}#reply-{}", created.reply.id)))
        }
        Err(AppError::Validation(_)) => redirect_with_flash(
            &req,
            &format!("{url}#reply-form"),
            "error",
            "flash.reply_empty",
        ),
        Err(other) => Err(other.into()),
    }
}

/// The topic id and page URL of a "/brands/{slug}/topics/{id}-words" action path.
fn topic_action(path: (String, String)) -> Result<(TopicId, String), PageError> {
    let (brand_slug, segment) = path;
    Ok((
        topic_id(&segment)?,
        format!("/brands/{brand_slug}/topics/{segment}"),
    ))
}

type Toggle = fn(&mut crate::db::DbConn, &user::User, TopicId, bool) -> Result<(), AppError>;

/// The on/off buttons of a topic (me too, follow): set, then back to the topic.
async fn toggle(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, String)>,
    form: CheckedForm<FollowForm>,
    set: Toggle,
) -> PageResult {
    let (id, url) = topic_action(path.into_inner())?;
    let (user, on) = (me.0.user, form.0.on == "1");
    state
        .services
        .db
        .run(move |c| set(c, &user, id, on))
        .await?;
    Ok(redirect(&url))
}

pub async fn me_too(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, String)>,
    form: CheckedForm<FollowForm>,
) -> PageResult {
    toggle(state, me, path, form, |c, user, id, on| {
        topics::set_me_too(c, user, id, on).map(drop)
    })
    .await
}

pub async fn follow_topic(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, String)>,
    form: CheckedForm<FollowForm>,
) -> PageResult {
    toggle(state, me, path, form, topics::set_follow).await
}

#[derive(Deserialize)]
pub struct ReplyChoice {
    #[serde(default)]
    reply_id: i64,
}

pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, String)>,
    form: CheckedForm<ReplyChoice>,
) -> PageResult {
    let (id, url) = topic_action(path.into_inner())?;
    let (user, reply) = (me.0.user, ReplyId(form.0.reply_id));
    state
        .services
        .db
        .run(move |c| topics::accept(c, &user, id, reply))
        .await?;
    redirect_with_flash(&req, &url, "success", "flash.answer_accepted")
}

pub async fn helpful(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, String)>,
    form: CheckedForm<ReplyChoice>,
) -> PageResult {
    let (_, url) = topic_action(path.into_inner())?;
    let (user, reply) = (me.0.user, ReplyId(form.0.reply_id));
    state
        .services
        .db
        .run(move |c| topics::mark_helpful(c, &user, reply))
        .await?;
    Ok(redirect(&format!("{url}#reply-{}", reply)))
}

pub async fn show_edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, String)>,
) -> PageResult {
    let (id, url) = topic_action(path.into_inner())?;
    let found = state
        .services
        .db
        .run(move |c| topics::visible(c, id))
        .await?;
    if !topics::may_edit(&me.0.user, &found, crate::model::now()) {
        return Err(AppError::Forbidden.into());
    }
    let mut page = Page::new(&req, "edit.title").await?;
    page.insert(
        "form",
        &serde_json::json!({ "title": found.title, "body": found.body }),
    );
    page.insert("url", &url);
    page.render(&req, "topics/edit.html")
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

pub async fn edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, String)>,
    form: CheckedForm<EditForm>,
) -> PageResult {
    let (id, url) = topic_action(path.into_inner())?;
    let form = form.0;
    let (user, title, body) = (me.0.user, form.title.clone(), form.body.clone());
    match state
        .services
        .db
        .run(move |c| topics::edit(c, &user, id, Some(&title), Some(&body)))
        .await
    {
        Ok(_) => redirect_with_flash(&req, &url, "success", "flash.topic_edited"),
        Err(AppError::Validation(errors)) => {
            let mut page = Page::new(&req, "edit.title").await?;
            page.insert_errors(&errors);
            page.insert(
                "form",
                &serde_json::json!({ "title": form.title, "body": form.body }),
            );
            page.insert("url", &url);
            page.render_with_status(&req, "topics/edit.html", StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(other) => Err(other.into()),
    }
}

/// GET /users/{username}: what a member asked and answered, and what they earned.
pub async fn profile(
    req: HttpRequest,
    state: web::Data<AppState>,
    username: web::Path<String>,
) -> PageResult {
    let name = username.into_inner();
    let (member, asked, answers) = state
        .services
        .db
        .run(move |c| {
            let member = user::find_by_username(c, &name)?.ok_or(AppError::NotFound)?;
            let filter = Filter {
                author: Some(member.id),
                ..Filter::default()
            };
            let (asked, _) = topic::list(c, &filter, Sort::Recent, 20, 0)?;
            let answers = crate::model::reply::by_author(c, member.id, 20)?;
            Ok((member, asked, answers))
        })
        .await?;
    let rule = state.services.points;
    let points = rule.points(member.helpful_received, member.accepted_answers);
    let answers: Vec<serde_json::Value> = answers
        .iter()
        .map(|(r, title, slug, _)| {
            serde_json::json!({
                "url": format!("{}#reply-{}", topic_url(slug, r.topic_id, title), r.id),
                "title": title, "helpful_count": r.helpful_count, "created_at": r.created_at,
            })
        })
        .collect();
    let mut page = Page::new(&req, "profile.title").await?;
    page.insert("member", &serde_json::json!({
        "username": member.username, "display_name": member.display_name, "joined": member.created_at.format("%Y-%m-%d").to_string(),
        "helpful_received": member.helpful_received, "accepted_answers": member.accepted_answers,
        "points": points, "champion": rule.is_champion(points),
    }));
    page.insert("asked", &summaries(&asked));
    page.insert("answers", &answers);
    page.render(&req, "users/show.html")
}
