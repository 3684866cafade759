//! Listening outside the community: a brand's staff add external feeds (a review site, a
//! status page, a social listening export); items that match the brand's monitors land in
//! the "voices" inbox once each, where staff reply where it was said, turn one into a topic,
//! or dismiss it. Feed text is taken out of its markup here and shown escaped, never as HTML.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::authz;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::model::brand::{self, Brand};
use crate::model::feed::{self, Feed};
use crate::model::topic::Topic;
use crate::model::user::User;
use crate::model::voice::{self, NewVoice, VoiceView};
use crate::model::{BrandId, FeedId, VoiceId, monitor, now};
use crate::outbound::CheckedUrl;
use crate::search::query;

const FEEDS_PER_BRAND: usize = 20;
const INBOX_LENGTH: i64 = 100;
/// The most items read from one answer of a feed.
pub const ITEMS_PER_POLL: usize = 200;
const TITLE_MAX: usize = 300;
const SUMMARY_MAX: usize = 2000;
const GUID_MAX: usize = 500;

/// Adds a feed to watch (brand staff); it is read at once.
pub fn add_feed(c: &mut DbConn, me: &User, slug: &str, url: CheckedUrl) -> AppResult<Feed> {
    let found = brand::find_by_slug(c, slug)?;
    authz::staff_of(c, found.id, me)?;
    let url = url.as_str().to_string();
    db::write_transaction(c, |c| {
        let existing = feed::of_brand(c, found.id)?;
        if existing.iter().any(|f| f.url == url) {
            return Err(AppError::Conflict("this feed is watched already"));
        }
        if existing.len() >= FEEDS_PER_BRAND {
            return Err(AppError::Conflict("a brand watches at most 20 feeds"));
        }
        let id = feed::insert(c, found.id, &url, me.id, now())?;
        Ok(feed::find(c, id)?)
    })
}

pub fn feeds(c: &mut DbConn, me: &User, slug: &str) -> AppResult<(Brand, Vec<Feed>)> {
    let found = brand::find_by_slug(c, slug)?;
    authz::staff_of(c, found.id, me)?;
    let feeds = feed::of_brand(c, found.id)?;
    Ok((found, feeds))
}

/// Stops watching a feed; its voices go with it.
pub fn delete_feed(c: &mut DbConn, me: &User, id: FeedId) -> AppResult<Brand> {
    let found = feed::find(c, id)?;
    authz::staff_of(c, found.brand_id, me)?;
    db::write_transaction(c, |c| feed::delete(c, id))?;
    Ok(brand::find(c, found.brand_id)?)
}

/// The inbox in one state: "new" (the default) or "done".
pub fn inbox(
    c: &mut DbConn,
    me: &User,
    slug: &str,
    state: &str,
) -> AppResult<(Brand, Vec<VoiceView>)> {
    let found = brand::find_by_slug(c, slug)?;
    authz::staff_of(c, found.id, me)?;
    let state = if state == "done" { "done" } else { "new" };
    let items = voice::inbox(c, found.id, state, INBOX_LENGTH)?;
    Ok((found, items))
}

/// The voices page: the inbox and the feeds behind it.
pub fn page(
    c: &mut DbConn,
    me: &User,
    slug: &str,
    state: &str,
) -> AppResult<(Brand, Vec<VoiceView>, Vec<Feed>)> {
    let (found, items) = inbox(c, me, slug, state)?;
    let feeds = feed::of_brand(c, found.id)?;
    Ok((found, items, feeds))
}

fn staff_voice(c: &mut DbConn, me: &User, id: VoiceId) -> AppResult<(Brand, voice::Voice)> {
    let found = voice::find(c, id)?;
    authz::staff_of(c, found.brand_id, me)?;
    Ok((brand::find(c, found.brand_id)?, found))
}

pub fn dismiss(c: &mut DbConn, me: &User, id: VoiceId) -> AppResult<voice::Voice> {
    staff_voice(c, me, id)?;
    db::write_transaction(c, |c| {
        if !voice::decide(c, id, me.id, None, now())? {
            return Err(AppError::Conflict("this voice is done already"));
        }
        Ok(voice::find(c, id)?)
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct ToTopicInput {
    /// The kind of the new topic (problem when not given).
    #[serde(default)]
    pub kind: Option<String>,
}

/// Turns a voice into a topic in the brand's community, posted by `me` with the item's
/// words and a link to where it was said.
pub fn to_topic(
    c: &mut DbConn,
    me: &User,
    id: VoiceId,
    input: &ToTopicInput,
) -> AppResult<(Brand, Topic)> {
    let (found_brand, found) = staff_voice(c, me, id)?;
    let mut title: String = found.title.chars().take(200).collect();
    if title.chars().count() < 5 {
        title = format!("Heard outside: {title}");
    }
    let mut body = found.summary.clone();
    if let Some(link) = &found.link {
        body.push_str(&format!("\n\nSeen at <{link}>"));
    }
    let topic_input = super::topic::NewTopicInput {
        kind: input.kind.clone().unwrap_or_else(|| "problem".into()),
        title,
        body,
        ..Default::default()
    };
    db::write_transaction(c, |c| {
        let created = super::topic::post(c, me, &found_brand.slug, &topic_input)?;
        if !voice::decide(c, id, me.id, Some(created.id), now())? {
            return Err(AppError::Conflict("this voice is done already"));
        }
        Ok((found_brand.clone(), created))
    })
}

/// One item of a feed, as read.
#[derive(Debug, Serialize)]
pub struct Item {
    pub guid: String,
    pub title: String,
    pub summary: String,
    pub link: Option<String>,
    pub published_at: Option<NaiveDateTime>,
}

/// The items of a feed document, their text out of its markup; None when it is not a feed.
pub fn read_items(bytes: &[u8]) -> Option<(Option<String>, Vec<Item>)> {
    let parsed = feed_rs::parser::parse(bytes).ok()?;
    let title = parsed.title.map(|t| plain(&t.content, TITLE_MAX));
    let items = parsed
        .entries
        .into_iter()
        .take(ITEMS_PER_POLL)
        .map(|e| {
            let summary = e
                .summary
                .map(|s| s.content)
                .or_else(|| e.content.and_then(|c| c.body))
                .unwrap_or_default();
            let guid = if e.id.len() > GUID_MAX {
                crate::secret::token_hash(&e.id)
            } else {
                e.id
            };
            Item {
                guid,
                title: plain(&e.title.map(|t| t.content).unwrap_or_default(), TITLE_MAX),
                summary: plain(&summary, SUMMARY_MAX),
                link: e.links.into_iter().map(|l| l.href).find(|h| {
                    h.len() <= 2000 && (h.starts_with("https://") || h.starts_with("http://"))
                }),
                published_at: e.published.or(e.updated).map(|t| t.naive_utc()),
            }
        })
        .collect();
    Some((title, items))
}

/// Text out of (possibly) HTML: tags dropped by a sanitiser, entities read, spaces folded.
fn plain(markup: &str, max: usize) -> String {
    let cleaned = ammonia::Builder::empty().clean(markup).to_string();
    let text = cleaned
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    folded.chars().take(max).collect()
}

/// Keeps the items that match one of the brand's monitors, each once; how many were new.
pub fn take_items(
    c: &mut DbConn,
    brand: BrandId,
    feed: FeedId,
    items: &[Item],
) -> AppResult<usize> {
    let monitors: Vec<(String, query::Parsed)> = monitor::of_brand(c, brand)?
        .into_iter()
        .map(|m| {
            let parsed = query::parse(&m.query);
            (m.query, parsed)
        })
        .collect();
    if monitors.is_empty() {
        return Ok(0);
    }
    let at = now();
    db::write_transaction(c, |c| {
        let mut kept = 0;
        for item in items {
            let text = format!("{} {}", item.title, item.summary);
            let Some((matched, _)) = monitors.iter().find(|(_, q)| query::matches_text(q, &text))
            else {
                continue;
            };
            let row = NewVoice {
                feed,
                brand,
                guid: &item.guid,
                title: &item.title,
                summary: &item.summary,
                link: item.link.as_deref(),
                published_at: item.published_at,
                matched,
            };
            if voice::insert(c, &row, at)? {
                kept += 1;
            }
        }
        Ok(kept)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_markup_becomes_plain_text() {
        assert_eq!(
            plain(
                "<p>Scanner &amp; <b>fax</b> broke<script>alert(1)</script></p>",
                100
            ),
            "Scanner & fax broke"
        );
        assert_eq!(plain("a  b\n\n c", 100), "a b c");
        assert_eq!(plain("&lt;script&gt;", 100), "<script>");
        assert_eq!(plain("長い文章です", 2), "長い");
    }

    #[test]
    fn an_atom_feed_is_read() {
        let atom = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Reviews</title><id>urn:x</id><updated>2026-12-01T10:00:00Z</updated>
<entry><id>urn:1</id><title type="html">&lt;b&gt;Scanner&lt;/b&gt; jams</title><updated>2026-12-01T10:00:00Z</updated>
<link href="https://reviews.example/1"/><summary>It jams.</summary></entry>
<entry><id>urn:2</id><title>No link</title><updated>2026-12-01T10:00:00Z</updated><link href="javascript:alert(1)"/></entry></feed>"#;
        let (title, items) = read_items(atom.as_bytes()).expect("a feed");
        assert_eq!(title.as_deref(), Some("Reviews"));
        assert_eq!(items[0].title, "Scanner jams");
        assert_eq!(items[0].link.as_deref(), Some("https://reviews.example/1"));
        assert_eq!(items[1].link, None, "only web links");
        assert!(read_items(b"not a feed").is_none());
    }
}
