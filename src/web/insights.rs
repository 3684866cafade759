//! Insights pages: a brand's figures for its staff (with the CSV export and brand champions)
//! and the whole site's for site admins, each chart drawn on the server beside its table.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::charts::{self, Bar, Series};
use super::forms::CheckedForm;
use super::page::{Page, PageResult, lang_of, redirect_with_flash};
use super::session::CurrentUser;
use crate::app::AppState;
use crate::error::AppError;
use crate::i18n::{self, Lang};
use crate::service::insights::{self, Insights, PRESET_DAYS, Period, Times, TopicTimings};

/// The period and product asked for in the query string.
#[derive(Debug, Default, Deserialize)]
pub struct InsightsQuery {
    pub days: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub product: Option<String>,
}

impl InsightsQuery {
    pub fn period(&self) -> Result<Period, AppError> {
        Period::parse(
            self.days.as_deref(),
            self.from.as_deref(),
            self.to.as_deref(),
            crate::model::now().date(),
        )
    }
}

impl InsightsQuery {
    /// The period asked for, or (on a page, where a bad date should not cost the whole page)
    /// the last 30 days and `true` to say so.
    fn period_or_default(&self) -> (Period, bool) {
        match self.period() {
            Ok(p) => (p, false),
            Err(_) => (Period::last(30, crate::model::now().date()), true),
        }
    }
}

/// The rows the CSV export holds at most.
pub const CSV_MAX_ROWS: i64 = 100_000;

/// GET /brands/{slug}/insights
pub async fn show_brand(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    query: web::Query<InsightsQuery>,
) -> PageResult {
    let lang = lang_of(&req, Some(&me.0));
    let (period, period_error) = query.period_or_default();
    let (user, rule) = (me.0.user, state.services.points);
    let (db, slug, product) = (&state.services.db, slug.into_inner(), query.product.clone());
    let found = insights::of_brand(db, user, slug, product, period, rule).await?;
    let mut page = Page::new(&req, "insights.title").await?;
    page.insert("base", &format!("/brands/{}/insights", found.brand.slug));
    page.insert("brand", &found.brand);
    page.insert("access", &found.access);
    page.insert("products", &found.products);
    page.insert("product", &found.product);
    page.insert("period_error", &period_error);
    insert_figures(&mut page, &found.insights, lang);
    page.render(&req, "staff/insights.html")
}

/// GET /admin/insights
pub async fn show_site(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    query: web::Query<InsightsQuery>,
) -> PageResult {
    let lang = lang_of(&req, Some(&me.0));
    let (period, period_error) = query.period_or_default();
    let (user, rule) = (me.0.user, state.services.points);
    let found = insights::of_site(&state.services.db, &user, period, rule).await?;
    let mut page = Page::new(&req, "insights.site_title").await?;
    page.insert("base", "/admin/insights");
    page.insert("products", &Vec::<()>::new());
    page.insert("product", &None::<()>);
    page.insert("period_error", &period_error);
    insert_figures(&mut page, &found, lang);
    page.render(&req, "admin/insights.html")
}

fn insert_figures(page: &mut Page, found: &Insights, lang: Lang) {
    let reasons: std::collections::HashMap<&str, String> = found
        .escalations
        .by_reason
        .iter()
        .map(|r| (r.reason.as_str(), reason_text(lang, &r.reason)))
        .collect();
    page.insert("reason_labels", &reasons);
    page.insert("insights", found);
    page.insert("presets", &PRESET_DAYS);
    page.insert("charts", &draw(found, lang));
}

/// Every chart of the page as inline SVG, keyed by name.
fn draw(found: &Insights, lang: Lang) -> serde_json::Value {
    let t = |key: &str| i18n::t(lang, key).to_string();
    let count = |v: f64| format!("{v:.0}");
    // durations are drawn in hours, so gridlines fall on round hours
    let duration = |hours: f64| i18n::duration_text(lang, (hours * 3600.0).round() as i64);
    let kinds: Vec<Bar> = found
        .kinds
        .iter()
        .map(|k| {
            bar(
                t(&format!("kind.plural.{}", k.kind)),
                k.counts.topics as f64,
            )
        })
        .collect();
    let median_of = |pick: fn(&insights::KindFigures) -> &Times| -> Vec<Bar> {
        found
            .kinds
            .iter()
            .filter(|k| pick(k).n > 0)
            .map(|k| {
                bar(
                    t(&format!("kind.plural.{}", k.kind)),
                    pick(k).median_secs.unwrap_or(0) as f64 / 3600.0,
                )
            })
            .collect()
    };
    let first_staff = median_of(|k| &k.first_staff_response);
    let resolution = median_of(|k| &k.resolution);
    let answered = vec![
        bar(
            t("insights.by_community"),
            found.answered.by_community as f64,
        ),
        bar(t("insights.by_staff"), found.answered.by_staff as f64),
        bar(t("insights.not_answered"), found.answered.unanswered as f64),
    ];
    let reasons: Vec<Bar> = found
        .escalations
        .by_reason
        .iter()
        .map(|r| bar(reason_text(lang, &r.reason), r.opened as f64))
        .collect();
    let ideas: Vec<Bar> = found
        .ideas
        .by_status
        .iter()
        .map(|(status, n)| bar(t(&format!("status.{status}")), *n as f64))
        .collect();
    let labels: Vec<String> = found
        .feelings
        .labels
        .iter()
        .map(|d| d.format("%m-%d").to_string())
        .collect();
    let feelings: Vec<Series> = found
        .feelings
        .series
        .iter()
        .map(|(feeling, line)| Series {
            name: t(&format!("feeling.{feeling}")),
            values: line.iter().map(|n| *n as f64).collect(),
        })
        .collect();
    // counts step by whole numbers, durations (in hours) by whole minutes
    let counted =
        |id: &str, title_key: &str, bars: &[Bar]| bar_chart(id, &t(title_key), bars, &count, 1.0);
    let timed = |id: &str, title_key: &str, bars: &[Bar]| {
        bar_chart(id, &t(title_key), bars, &duration, 1.0 / 60.0)
    };
    let feelings_title = t("insights.feelings");
    serde_json::json!({
        "kinds": counted("chart-kinds", "insights.topics_by_kind", &kinds),
        "first_staff": timed("chart-first-staff", "insights.first_staff_by_kind", &first_staff),
        "resolution": timed("chart-resolution", "insights.resolution_by_kind", &resolution),
        "answered": counted("chart-answered", "insights.who_answers", &answered),
        "reasons": counted("chart-reasons", "insights.escalations_by_reason", &reasons),
        "ideas": counted("chart-ideas", "insights.idea_pipeline", &ideas),
        "feelings": charts::line_chart("chart-feelings", &feelings_title,
            &series_summary(&feelings_title, &feelings), &labels, &feelings),
    })
}

/// A bar chart with its text alternative, or nothing when there are no bars (the page
/// says so instead).
fn bar_chart(
    id: &str,
    title: &str,
    bars: &[Bar],
    format: &dyn Fn(f64) -> String,
    step: f64,
) -> String {
    if bars.is_empty() {
        return String::new();
    }
    charts::bar_chart(id, title, &summary(title, bars, format), bars, format, step)
}

fn bar(label: String, value: f64) -> Bar {
    Bar { label, value }
}

/// The chart's text alternative: its title and every bar's value.
fn summary(title: &str, bars: &[Bar], format: &dyn Fn(f64) -> String) -> String {
    let parts: Vec<String> = bars
        .iter()
        .map(|b| format!("{} {}", b.label, format(b.value)))
        .collect();
    format!("{title}: {}", parts.join(", "))
}

fn series_summary(title: &str, series: &[Series]) -> String {
    let parts: Vec<String> = series
        .iter()
        .map(|s| format!("{} {}", s.name, s.values.iter().sum::<f64>()))
        .collect();
    format!("{title}: {}", parts.join(", "))
}

/// An escalation reason as people read it: the rule's name, or who opened it.
fn reason_text(lang: Lang, reason: &str) -> String {
    let key = format!("insights.reason.{reason}");
    match i18n::t(lang, &key) {
        "" => reason.to_string(),
        text => text.to_string(),
    }
}

/// GET /brands/{slug}/insights.csv: the period's topics with their timings.
pub async fn export_csv(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    query: web::Query<InsightsQuery>,
) -> Result<HttpResponse, super::errors::PageError> {
    let period = query.period()?;
    let user = me.0.user;
    let product = query.product.clone();
    let (brand, rows) = state
        .services
        .db
        .run(move |c| {
            insights::topic_timings(c, &user, &slug, product.as_deref(), period, CSV_MAX_ROWS)
        })
        .await?;
    let body = csv_of(&rows).map_err(AppError::Internal)?;
    let name = format!(
        "{}-topics-{}-{}.csv",
        brand.slug, period.first_day, period.last_day
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body))
}

/// The export's rows: times in UTC, waits in whole seconds (empty: it has not happened).
fn csv_of(rows: &[TopicTimings]) -> anyhow::Result<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "id",
        "created_at",
        "kind",
        "status",
        "feeling",
        "title",
        "me_too",
        "replies",
        "first_response_secs",
        "first_staff_response_secs",
        "resolution_secs",
    ])?;
    let since = |at: Option<chrono::NaiveDateTime>, row: &TopicTimings| {
        at.map_or(String::new(), |at| {
            (at - row.created_at).num_seconds().to_string()
        })
    };
    for row in rows {
        out.write_record([
            row.id.to_string(),
            row.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            row.kind.clone(),
            row.status.clone(),
            row.feeling.clone().unwrap_or_default(),
            inert_cell(&row.title),
            row.me_too_count.to_string(),
            row.reply_count.to_string(),
            since(row.first_response_at, row),
            since(row.first_staff_response_at, row),
            since(row.resolved_at, row),
        ])?;
    }
    Ok(out.into_inner()?)
}

/// Text a spreadsheet will not run as a formula: a leading `= + - @`, tab or return gets
/// an apostrophe in front.
fn inert_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

#[derive(Deserialize)]
pub struct ChampionForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    action: String,
}

/// POST /brands/{slug}/champions: grant or remove the brand's champion badge.
pub async fn set_champion(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    form: CheckedForm<ChampionForm>,
) -> PageResult {
    let (user, form) = (me.0.user, form.0);
    let back = format!("/brands/{}/insights#champions", slug.as_str());
    let grant = form.action != "remove";
    let done = state
        .services
        .db
        .run(move |c| insights::set_champion(c, &user, &slug, &form.username, grant))
        .await;
    match done {
        Ok(_) => redirect_with_flash(&req, &back, "success", "flash.settings_saved"),
        Err(AppError::Validation(_)) => {
            redirect_with_flash(&req, &back, "error", "flash.champion_unknown")
        }
        Err(other) => Err(other.into()),
    }
}
