//! Searching: our query language over the index, hits checked against the database before
//! they are shown (a stale index never shows hidden or moved content), similar topics.

use serde::Serialize;

use crate::db::DbConn;
use crate::error::AppResult;
use crate::model::brand;
use crate::search::query::{self, Match, Parsed};
use crate::search::{Facets, SearchIndex, SortBy};

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct SearchInput {
    #[serde(default)]
    pub q: String,
    pub brand: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub product: Option<String>,
    pub sort: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct Item {
    pub topic_id: crate::model::TopicId,
    pub brand: String,
    pub brand_name: String,
    pub title: String,
    pub kind: String,
    pub status: String,
    pub score: f32,
    pub snippet_html: String,
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct Results {
    pub items: Vec<Item>,
    pub total: usize,
    pub facets: Facets,
    pub page: i64,
    pub per_page: i64,
}

fn narrowed(input: &SearchInput) -> Parsed {
    let mut parsed = query::parse(&input.q);
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty() && s.len() <= 60)
    };
    parsed.brand = given(&input.brand).or(parsed.brand);
    parsed.kind = given(&input.kind).or(parsed.kind);
    parsed.status = given(&input.status).or(parsed.status);
    parsed.product = given(&input.product).or(parsed.product);
    parsed
}

pub fn search(c: &mut DbConn, index: &SearchIndex, input: &SearchInput) -> AppResult<Results> {
    let per_page = input.per_page.unwrap_or(20).clamp(1, 100);
    let page = input.page.unwrap_or(1).clamp(1, 1000);
    let parsed = narrowed(input);
    if parsed.is_empty() {
        return Ok(Results {
            items: vec![],
            total: 0,
            facets: Facets::default(),
            page,
            per_page,
        });
    }
    let sort = match input.sort.as_deref() {
        Some("newest") => SortBy::Newest,
        _ => SortBy::Relevance,
    };
    let q = query::build(&parsed, index.field_set(), Match::All);
    let found = index.search(
        &q,
        sort,
        per_page as usize,
        ((page - 1) * per_page) as usize,
    )?;
    let counts = found.counts;
    Ok(Results {
        items: checked(c, found.hits)?,
        total: counts.total,
        facets: Facets {
            brand: brand_slugs(c, counts.brands)?,
            kind: counts.kinds,
            status: counts.statuses,
        },
        page,
        per_page,
    })
}

/// The brands' counts by slug (the index knows brands by id).
fn brand_slugs(
    c: &mut DbConn,
    counts: std::collections::BTreeMap<i64, u64>,
) -> AppResult<std::collections::BTreeMap<String, u64>> {
    use crate::db::schema::brands;
    use diesel::prelude::*;
    let ids: Vec<i64> = counts.keys().copied().collect();
    let slugs: Vec<(i64, String)> = brands::table
        .filter(brands::id.eq_any(&ids))
        .select((brands::id, brands::slug))
        .load(c)?;
    Ok(slugs
        .into_iter()
        .filter_map(|(id, slug)| counts.get(&id).map(|n| (slug, *n)))
        .collect())
}

/// Hits that still stand in the database: visible, not merged away, in one query.
fn checked(c: &mut DbConn, hits: Vec<crate::search::Hit>) -> AppResult<Vec<Item>> {
    use crate::db::schema::{brands, topics};
    use diesel::prelude::*;
    let ids: Vec<crate::model::TopicId> = hits.iter().map(|h| h.topic).collect();
    type Row = (
        (
            crate::model::TopicId,
            String,
            String,
            String,
            String,
            String,
        ),
        bool,
        Option<crate::model::TopicId>,
    );
    // visibility is checked here, not in SQL: filtering on `hidden` there led SQLite to
    // walk the whole activity index instead of looking up the 20 ids
    let query = topics::table.inner_join(brands::table).select((
        (
            topics::id,
            topics::title,
            topics::kind,
            topics::status,
            brands::slug,
            brands::name,
        ),
        topics::hidden,
        topics::duplicate_of,
    ));
    let rows: Vec<Row> = match c {
        DbConn::Sqlite(s) => query.filter(TopicIdIn::new(&ids)).load(s)?,
        DbConn::Postgres(_) => query.filter(topics::id.eq_any(&ids)).load(c)?,
    };
    let mut items = vec![];
    for hit in hits {
        let Some(((id, title, kind, status, slug, name), _, _)) = rows
            .iter()
            .find(|(r, hidden, merged)| r.0 == hit.topic && !hidden && merged.is_none())
            .cloned()
        else {
            continue;
        };
        items.push(Item {
            url: crate::web::topics::topic_url(&slug, id, &title),
            topic_id: id,
            brand: slug,
            brand_name: name,
            title,
            kind,
            status,
            score: hit.score,
            snippet_html: hit.snippet_html,
        });
    }
    Ok(items)
}

/// `topics.id IN` a JSON array of ids, on SQLite. Diesel prepares an `IN` list anew every
/// time (its length varies), and a kept statement per id was a quarter of a search's CPU;
/// this statement is the same for any number of ids, so SQLite keeps it prepared.
#[derive(Debug, Clone, diesel::query_builder::QueryId)]
struct TopicIdIn(String);

impl TopicIdIn {
    fn new(ids: &[crate::model::TopicId]) -> TopicIdIn {
        let list: Vec<String> = ids.iter().map(|id| id.0.to_string()).collect();
        TopicIdIn(format!("[{}]", list.join(",")))
    }
}

impl diesel::Expression for TopicIdIn {
    type SqlType = diesel::sql_types::Bool;
}

impl<QS> diesel::AppearsOnTable<QS> for TopicIdIn {}

impl diesel::expression::ValidGrouping<()> for TopicIdIn {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite> for TopicIdIn {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::sqlite::Sqlite>,
    ) -> diesel::QueryResult<()> {
        out.push_sql("`topics`.`id` IN (SELECT value FROM json_each(");
        out.push_bind_param::<diesel::sql_types::Text, _>(&self.0)?;
        out.push_sql("))");
        Ok(())
    }
}

/// Topics of a brand like a draft title, best first: any word may match.
pub fn similar(
    c: &mut DbConn,
    index: &SearchIndex,
    slug: &str,
    title: &str,
) -> AppResult<Vec<Item>> {
    let found_brand = brand::find_by_slug(c, slug)?;
    let mut parsed = Parsed {
        must: query::parse(title).must,
        ..Parsed::default()
    };
    if parsed.must.is_empty() {
        return Ok(vec![]);
    }
    parsed.brand = Some(found_brand.slug);
    let q = query::build(&parsed, index.field_set(), Match::Any);
    let found = index.search(&q, SortBy::Relevance, 5, 0)?;
    checked(c, found.hits)
}

/// How close a topic's score for another's title must come to that topic's own score for
/// the two to count as near-duplicates.
const NEAR_SHARE: f32 = 0.35;

/// The topics among `among` that are near-duplicates of `topic` (titled `title`), itself
/// included: any word of the title may match, and the match must score close to the
/// topic's own.
pub fn near_duplicates(
    index: &SearchIndex,
    topic: crate::model::TopicId,
    title: &str,
    among: &[crate::model::TopicId],
) -> AppResult<Vec<crate::model::TopicId>> {
    let parsed = Parsed {
        must: query::parse(title).must,
        ..Parsed::default()
    };
    if parsed.must.is_empty() || among.is_empty() {
        return Ok(vec![topic]);
    }
    let built = query::build(&parsed, index.field_set(), Match::Any);
    let mut ids = among.to_vec();
    ids.push(topic);
    let scored = index.scores_among(built.query.as_ref(), &ids)?;
    let own = scored
        .iter()
        .find(|(id, _)| *id == topic)
        .or(scored.first())
        .map_or(0.0, |(_, score)| *score);
    let mut near: Vec<_> = scored
        .into_iter()
        .filter(|(id, score)| *id != topic && *score >= own * NEAR_SHARE)
        .map(|(id, _)| id)
        .collect();
    near.insert(0, topic);
    Ok(near)
}
