//! Topic lists as pages show them: rows with their URLs and faces, and the pager.

use super::topics::topic_url;
use crate::model::topic::TopicSummary;
use crate::model::topic_status::Feeling;
use serde::Serialize;

/// Topics per page of a list.
pub const PER_PAGE: i64 = 20;

#[derive(Serialize)]
pub struct SummaryView<'a> {
    #[serde(flatten)]
    topic: &'a TopicSummary,
    url: String,
    feeling_face: Option<&'static str>,
}

pub fn summaries(rows: &[TopicSummary]) -> Vec<SummaryView<'_>> {
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

pub fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Page numbers for the pager: current, total pages.
pub fn pager(page: i64, total: i64) -> serde_json::Value {
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    serde_json::json!({ "page": page, "pages": pages, "prev": (page > 1).then_some(page - 1), "next": (page < pages).then_some(page + 1) })
}
