//! Insights: how fast a brand answers, how much its community carries, what customers feel.
//! Each figure comes from an aggregate query in `model::insights`; this module checks who
//! may see them, resolves the period, and puts the figures together for the page, the JSON
//! and the CSV. Brand champions are granted and removed here too.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::PointsRule;
pub use super::period::{PRESET_DAYS, Period};
use crate::authz;
use crate::db::{self, Db, DbConn};
use crate::error::{AppError, AppResult};
use crate::model::brand::{self, Brand, Product};
use crate::model::champion::{self, ChampionView};
use crate::model::insights::{
    self as figures, KeyCount, KindCounts, RankedTopic, Scope, Timing, Waiting, Weights,
};
use crate::model::member;
use crate::model::topic_status::{Feeling, Kind};
use crate::model::user::User;
use crate::model::{BrandId, UserId, now, user};

/// Rows in each ranked list.
const TOP: i64 = 10;
/// Champions listed at most.
const CHAMPIONS_SHOWN: usize = 50;

/// Median and 90th percentile, in whole seconds, over `n` cases.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Times {
    pub n: i64,
    pub median_secs: Option<i64>,
    pub p90_secs: Option<i64>,
}

impl From<&Timing> for Times {
    fn from(t: &Timing) -> Times {
        Times {
            n: t.n,
            median_secs: t.median.map(|s| s.round() as i64),
            p90_secs: t.p90.map(|s| s.round() as i64),
        }
    }
}

fn times_of(rows: &[Timing], key: &str) -> Times {
    rows.iter()
        .find(|t| t.key == key)
        .map(Times::from)
        .unwrap_or_default()
}

fn count_of(rows: &[KeyCount], key: &str) -> i64 {
    rows.iter().find(|r| r.key == key).map_or(0, |r| r.n)
}

#[derive(Debug, Serialize)]
pub struct KindFigures {
    pub kind: &'static str,
    #[serde(flatten)]
    pub counts: KindCounts,
    pub first_response: Times,
    pub first_staff_response: Times,
    pub resolution: Times,
}

#[derive(Debug, Serialize)]
pub struct Answered {
    pub questions: i64,
    pub by_community: i64,
    pub by_staff: i64,
    pub unanswered: i64,
    /// Percent of the answered questions that the community answered.
    pub community_share: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct ReasonFigures {
    pub reason: String,
    pub opened: i64,
    pub acknowledge: Times,
    pub resolve: Times,
}

#[derive(Debug, Serialize)]
pub struct Escalations {
    pub opened: i64,
    pub acknowledge: Times,
    pub resolve: Times,
    pub by_reason: Vec<ReasonFigures>,
}

/// Topics per feeling per point in time (`labels`: each point's first day).
#[derive(Debug, Serialize)]
pub struct FeelingSeries {
    pub bucket_days: i64,
    pub labels: Vec<NaiveDate>,
    pub series: Vec<(&'static str, Vec<i64>)>,
}

#[derive(Debug, Serialize)]
pub struct Ideas {
    pub by_status: Vec<(&'static str, i64)>,
    pub implemented: Vec<RankedTopic>,
}

#[derive(Debug, Serialize)]
pub struct HelperFigures {
    #[serde(flatten)]
    pub helper: figures::Person,
    pub points: i64,
    pub champion: bool,
    pub brand_champion: bool,
}

#[derive(Debug, Serialize)]
pub struct StaffFigures {
    pub user_id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub taken: i64,
    pub answered: i64,
    pub solved: i64,
    pub response: Times,
}

/// Every figure of one scope and period.
#[derive(Debug, Serialize)]
pub struct Insights {
    pub period: Period,
    pub kinds: Vec<KindFigures>,
    pub topics: i64,
    pub first_response: Times,
    pub first_staff_response: Times,
    pub resolution: Times,
    pub answered: Answered,
    pub waiting: Waiting,
    /// None when no first-response target is set (or site-wide).
    pub overdue_counted: bool,
    pub escalations: Escalations,
    pub feelings: FeelingSeries,
    pub top_problems: Vec<RankedTopic>,
    pub ideas: Ideas,
    pub helpers: Vec<HelperFigures>,
    pub champions: Vec<HelperFigures>,
    pub staff: Vec<StaffFigures>,
    pub brand_champions: Vec<ChampionView>,
    pub fixed_for_customers: FixedFigures,
}

/// "Did this fix it for you?" answers given in the period.
#[derive(Debug, Serialize)]
pub struct FixedFigures {
    pub yes: i64,
    pub no: i64,
    /// Percent of the answers that said yes.
    pub percent: Option<f64>,
}

fn fixed_figures(c: &mut DbConn, s: &Scope) -> AppResult<FixedFigures> {
    let (yes, no) = crate::model::fix_answer::tally(c, (s.brand, s.product), s.from, s.to)?;
    let percent = (yes + no > 0).then(|| (yes as f64 * 1000.0 / (yes + no) as f64).round() / 10.0);
    Ok(FixedFigures { yes, no, percent })
}

/// What a brand's insights page needs besides the figures.
pub struct BrandInsights {
    pub brand: Brand,
    pub access: authz::Access,
    pub products: Vec<Product>,
    pub product: Option<Product>,
    pub insights: Insights,
}

/// A brand's figures, for its staff and the site admins.
pub async fn of_brand(
    db: &Db,
    me: User,
    slug: String,
    product: Option<String>,
    period: Period,
    rule: PointsRule,
) -> AppResult<BrandInsights> {
    let found = db
        .run(move |c| brand_scope(c, &me, &slug, product.as_deref()))
        .await?;
    let product_id = found.product.as_ref().map(|p| p.id);
    let scope = Scope {
        brand: Some(found.brand.id),
        product: product_id,
        from: period.start(),
        to: period.end(),
    };
    let target = found.brand.first_response_minutes;
    let insights = gather(db, scope, period, rule, target).await?;
    Ok(BrandInsights {
        brand: found.brand,
        access: found.access,
        products: found.products,
        product: found.product,
        insights,
    })
}

/// The whole site's figures, for site admins.
pub async fn of_site(db: &Db, me: &User, period: Period, rule: PointsRule) -> AppResult<Insights> {
    authz::site_admin(me)?;
    let scope = Scope {
        brand: None,
        product: None,
        from: period.start(),
        to: period.end(),
    };
    gather(db, scope, period, rule, None).await
}

/// The topics' figures and the replies' figures at once, each on its own pooled connection:
/// on two cores the page waits for the slower half rather than for both.
async fn gather(
    db: &Db,
    s: Scope,
    period: Period,
    rule: PointsRule,
    target_minutes: Option<i32>,
) -> AppResult<Insights> {
    let (topics, people) = futures_util::future::try_join(
        db.run(move |c| topic_figures(c, &s, period, target_minutes)),
        db.run(move |c| people_figures(c, &s, rule)),
    )
    .await?;
    Ok(topics.with_people(people))
}

/// What the period's replies tell: helpers, champions and staff.
struct PeopleFigures {
    helpers: Vec<HelperFigures>,
    champions: Vec<HelperFigures>,
    staff: Vec<StaffFigures>,
    brand_champions: Vec<ChampionView>,
}

impl Insights {
    fn with_people(self, p: PeopleFigures) -> Insights {
        Insights {
            helpers: p.helpers,
            champions: p.champions,
            staff: p.staff,
            brand_champions: p.brand_champions,
            ..self
        }
    }
}

fn people_figures(c: &mut DbConn, s: &Scope, rule: PointsRule) -> AppResult<PeopleFigures> {
    let weights = Weights {
        helpful: i64::from(rule.helpful),
        accepted: i64::from(rule.accepted),
    };
    let everyone = figures::people(c, s, weights, i64::from(rule.champion_at), TOP)?;
    let staff = staff(c, s, &everyone)?;
    let (helpers, champions, brand_champions) = people(c, s, rule, weights, everyone)?;
    Ok(PeopleFigures {
        helpers,
        champions,
        staff,
        brand_champions,
    })
}

/// What the period's topics tell (with their escalations and me-toos); the people's
/// figures are left empty for `with_people`.
fn topic_figures(
    c: &mut DbConn,
    s: &Scope,
    period: Period,
    target_minutes: Option<i32>,
) -> AppResult<Insights> {
    let kinds = figures::kinds(c, s)?;
    let times = figures::response_times(c, s)?;
    let overdue_before = target_minutes.map(|m| now() - Duration::minutes(i64::from(m)));
    let waiting = figures::waiting(c, s, overdue_before)?;
    Ok(Insights {
        period,
        topics: kinds.iter().map(|k| k.topics).sum(),
        kinds: kind_figures(kinds, &times),
        first_response: times_of(&times, "first:all"),
        first_staff_response: times_of(&times, "staff:all"),
        resolution: times_of(&times, "resolution:all"),
        answered: answered(&figures::answered_by(c, s)?),
        waiting,
        overdue_counted: overdue_before.is_some(),
        escalations: escalations(c, s)?,
        feelings: feelings(c, s, period)?,
        top_problems: figures::top_problems(c, s, TOP)?,
        ideas: Ideas {
            by_status: by_status(Kind::Idea, &figures::ideas(c, s)?),
            implemented: figures::implemented(c, s, TOP)?,
        },
        helpers: Vec::new(),
        champions: Vec::new(),
        staff: Vec::new(),
        brand_champions: Vec::new(),
        fixed_for_customers: fixed_figures(c, s)?,
    })
}

fn kind_figures(counts: Vec<KindCounts>, times: &[Timing]) -> Vec<KindFigures> {
    let mut by_kind: HashMap<String, KindCounts> =
        counts.into_iter().map(|k| (k.kind.clone(), k)).collect();
    Kind::ALL
        .iter()
        .map(|kind| {
            let name = kind.as_str();
            KindFigures {
                kind: name,
                counts: by_kind.remove(name).unwrap_or(KindCounts {
                    kind: name.to_string(),
                    topics: 0,
                    without_response: 0,
                    without_staff_response: 0,
                    resolved: 0,
                }),
                first_response: times_of(times, &format!("first:{name}")),
                first_staff_response: times_of(times, &format!("staff:{name}")),
                resolution: times_of(times, &format!("resolution:{name}")),
            }
        })
        .collect()
}

fn answered(rows: &[KeyCount]) -> Answered {
    let (community, staff, none) = (
        count_of(rows, "community"),
        count_of(rows, "staff"),
        count_of(rows, "none"),
    );
    let answered = community + staff;
    Answered {
        questions: answered + none,
        by_community: community,
        by_staff: staff,
        unanswered: none,
        community_share: (answered > 0).then(|| community as f64 * 100.0 / answered as f64),
    }
}

fn escalations(c: &mut DbConn, s: &Scope) -> AppResult<Escalations> {
    let opened = figures::escalations_opened(c, s)?;
    let acknowledge = figures::escalation_times(c, s, false)?;
    let resolve = figures::escalation_times(c, s, true)?;
    Ok(Escalations {
        opened: opened.iter().map(|r| r.n).sum(),
        acknowledge: times_of(&acknowledge, "all"),
        resolve: times_of(&resolve, "all"),
        by_reason: opened
            .iter()
            .map(|r| ReasonFigures {
                reason: r.key.clone(),
                opened: r.n,
                acknowledge: times_of(&acknowledge, &r.key),
                resolve: times_of(&resolve, &r.key),
            })
            .collect(),
    })
}

fn feelings(c: &mut DbConn, s: &Scope, period: Period) -> AppResult<FeelingSeries> {
    let bucket_days = period.bucket_days();
    let points = ((period.days + bucket_days - 1) / bucket_days) as usize;
    let rows = figures::feelings(c, s, bucket_days * 86_400)?;
    let mut counts: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for row in &rows {
        let Some(feeling) = Feeling::parse(&row.feeling) else {
            continue;
        };
        let line = counts
            .entry(feeling.as_str())
            .or_insert_with(|| vec![0; points]);
        if let Some(slot) = usize::try_from(row.bucket)
            .ok()
            .and_then(|b| line.get_mut(b))
        {
            *slot += row.n;
        }
    }
    Ok(FeelingSeries {
        bucket_days,
        labels: (0..points)
            .map(|i| period.first_day + Duration::days(i as i64 * bucket_days))
            .collect(),
        series: Feeling::ALL
            .iter()
            .filter_map(|f| counts.remove(f.as_str()).map(|line| (f.as_str(), line)))
            .collect(),
    })
}

/// Every status of `kind` with its count, in the kind's order.
fn by_status(kind: Kind, rows: &[KeyCount]) -> Vec<(&'static str, i64)> {
    kind.statuses()
        .iter()
        .map(|s| (s.as_str(), count_of(rows, s.as_str())))
        .collect()
}

type People = (Vec<HelperFigures>, Vec<HelperFigures>, Vec<ChampionView>);

/// The top helpers and the champions among the period's repliers, and the brand champions.
fn people(
    c: &mut DbConn,
    s: &Scope,
    rule: PointsRule,
    w: Weights,
    everyone: Vec<figures::Person>,
) -> AppResult<People> {
    let granted = match s.brand {
        Some(b) => champion::list(c, b)?,
        None => Vec::new(),
    };
    let honoured: Vec<UserId> = granted.iter().map(|g| g.user_id).collect();
    let line = i64::from(rule.champion_at);
    let view = |h: &figures::Person| HelperFigures {
        points: h.helpful * w.helpful + h.accepted * w.accepted,
        champion: h.all_time_points >= line,
        brand_champion: honoured.contains(&UserId(h.id)),
        helper: h.clone(),
    };
    let helpers = everyone
        .iter()
        .filter(|p| p.replies > 0 && p.place <= TOP)
        .map(view)
        .collect();
    let champions = everyone
        .iter()
        .filter(|p| p.replies > 0 && p.all_time_points >= line)
        .take(CHAMPIONS_SHOWN)
        .map(view)
        .collect();
    Ok((helpers, champions, granted))
}

fn staff(c: &mut DbConn, s: &Scope, everyone: &[figures::Person]) -> AppResult<Vec<StaffFigures>> {
    let Some(brand) = s.brand else {
        return Ok(Vec::new());
    };
    let taken = figures::assigned(c, s)?;
    let solved = figures::solved_by(c, s)?;
    let response = figures::staff_response_times(c, s)?;
    Ok(member::list(c, brand)?
        .into_iter()
        .map(|m| {
            let key = m.user_id.0.to_string();
            StaffFigures {
                taken: count_of(&taken, &key),
                answered: everyone
                    .iter()
                    .find(|p| p.id == m.user_id.0)
                    .map_or(0, |p| p.official_topics),
                solved: count_of(&solved, &key),
                response: times_of(&response, &key),
                user_id: m.user_id,
                username: m.username,
                display_name: m.display_name,
                role: m.role,
            }
        })
        .collect())
}

/// Grants (or with `grant` false removes) a brand's champion badge; brand admins only.
pub fn set_champion(
    c: &mut DbConn,
    me: &User,
    slug: &str,
    username: &str,
    grant: bool,
) -> AppResult<BrandId> {
    db::backend::write_transaction(c, |c| {
        let found = brand::find_by_slug(c, slug)?;
        authz::admin_of(c, found.id, me)?;
        let person = user::find_by_username(c, username)?
            .ok_or_else(|| AppError::invalid("username", "unknown_user", "is not a member"))?;
        if grant {
            champion::grant(c, found.id, person.id, me.id, now())?;
        } else {
            champion::remove(c, found.id, person.id)?;
        }
        Ok(found.id)
    })
}

/// One topic of the period with its timings, as the CSV export lists it.
#[derive(Debug, Queryable, Serialize)]
pub struct TopicTimings {
    pub id: crate::model::TopicId,
    pub created_at: NaiveDateTime,
    pub kind: String,
    pub status: String,
    pub feeling: Option<String>,
    pub title: String,
    pub me_too_count: i32,
    pub reply_count: i32,
    pub first_response_at: Option<NaiveDateTime>,
    pub first_staff_response_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
}

/// The period's topics with their timings, oldest first, for the CSV export (staff only).
pub fn topic_timings(
    c: &mut DbConn,
    me: &User,
    slug: &str,
    product: Option<&str>,
    period: Period,
    limit: i64,
) -> AppResult<(Brand, Vec<TopicTimings>)> {
    use crate::db::schema::topics;
    let found = brand_scope(c, me, slug, product)?;
    let mut query = topics::table
        .filter(topics::brand_id.eq(found.brand.id))
        .filter(topics::hidden.eq(false))
        .filter(topics::duplicate_of.is_null())
        .filter(topics::created_at.ge(period.start()))
        .filter(topics::created_at.lt(period.end()))
        .into_boxed::<crate::db::MultiBackend>();
    if let Some(p) = &found.product {
        query = query.filter(topics::product_id.eq(p.id));
    }
    let rows = query
        .order((topics::created_at.asc(), topics::id.asc()))
        .limit(limit)
        .select((
            topics::id,
            topics::created_at,
            topics::kind,
            topics::status,
            topics::feeling,
            topics::title,
            topics::me_too_count,
            topics::reply_count,
            topics::first_response_at,
            topics::first_staff_response_at,
            topics::resolved_at,
        ))
        .load(c)?;
    Ok((found.brand, rows))
}

/// A brand's staff member's view of it: the brand, their access, its products and the one
/// asked for (an unknown product is a 422).
struct BrandScope {
    brand: Brand,
    access: authz::Access,
    products: Vec<Product>,
    product: Option<Product>,
}

fn brand_scope(
    c: &mut DbConn,
    me: &User,
    slug: &str,
    product: Option<&str>,
) -> AppResult<BrandScope> {
    let brand = brand::find_by_slug(c, slug)?;
    let access = authz::staff_of(c, brand.id, me)?;
    let products = brand::products_of(c, brand.id)?;
    let product = match product.map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => Some(
            products
                .iter()
                .find(|x| x.slug == p)
                .cloned()
                .ok_or_else(|| {
                    AppError::invalid(
                        "product",
                        "unknown_product",
                        "is not a product of this brand",
                    )
                })?,
        ),
    };
    Ok(BrandScope {
        brand,
        access,
        products,
        product,
    })
}
