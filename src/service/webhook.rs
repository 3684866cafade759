//! Webhooks: a brand's admins register endpoints for its events; each event queues one
//! delivery per endpoint that hears it, inside the event's own transaction, so nothing is
//! announced that did not happen and nothing that happened goes unannounced.

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::NaiveDateTime;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::authz;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult, FieldError};
use crate::model::brand::Brand;
use crate::model::topic::Topic;
use crate::model::user::User;
use crate::model::webhook::{self, Delivery, NewDelivery, NewWebhook, Webhook};
use crate::model::{DeliveryId, WebhookId, brand, now, user};
use crate::outbound::CheckedUrl;

pub const EVENTS: [&str; 6] = [
    "topic.created",
    "reply.created",
    "topic.status_changed",
    "topic.assigned",
    "escalation.opened",
    "escalation.acknowledged",
];
const FORMATS: [&str; 2] = ["standard", "slack"];
const PER_BRAND_MAX: i64 = 20;
const LOG_LENGTH: i64 = 100;

static BASE_URL: OnceLock<String> = OnceLock::new();

/// Where links in payloads point (set once at start; paths alone before that).
pub fn set_base_url(url: &str) {
    let _ = BASE_URL.set(url.to_string());
}

fn link(path: &str) -> String {
    format!("{}{path}", BASE_URL.get().map_or("", String::as_str))
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct WebhookInput {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(default)]
    pub format: Option<String>,
}

/// An endpoint as its brand's admins see it (never its secret).
#[derive(Debug, Serialize)]
pub struct WebhookView {
    pub id: WebhookId,
    pub url: String,
    pub events: Vec<String>,
    pub format: String,
    pub created_at: NaiveDateTime,
}

impl From<&Webhook> for WebhookView {
    fn from(w: &Webhook) -> WebhookView {
        WebhookView {
            id: w.id,
            url: w.url.clone(),
            events: w.event_list().into_iter().map(String::from).collect(),
            format: w.format.clone(),
            created_at: w.created_at,
        }
    }
}

/// A new endpoint with its signing secret, shown this once.
#[derive(Debug, Serialize)]
pub struct Created {
    #[serde(flatten)]
    pub webhook: WebhookView,
    pub secret: String,
}

fn checked_events(input: &WebhookInput, errors: &mut Vec<FieldError>) -> Vec<&'static str> {
    let chosen: Vec<&'static str> = EVENTS
        .into_iter()
        .filter(|e| input.events.iter().any(|i| i == e))
        .collect();
    if chosen.is_empty() || input.events.iter().any(|i| !EVENTS.contains(&i.as_str())) {
        errors.push(FieldError::new(
            "events",
            "events_invalid",
            format!("choose one or more of: {}", EVENTS.join(", ")),
        ));
    }
    chosen
}

fn new_secret() -> String {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// Registers an endpoint (brand admins).
pub fn create(
    c: &mut DbConn,
    me: &User,
    slug: &str,
    url: CheckedUrl,
    input: &WebhookInput,
) -> AppResult<Created> {
    let found = brand::find_by_slug(c, slug)?;
    authz::admin_of(c, found.id, me)?;
    let mut errors = vec![];
    let events = checked_events(input, &mut errors);
    let format = input.format.as_deref().unwrap_or("standard");
    if !FORMATS.contains(&format) {
        errors.push(FieldError::new(
            "format",
            "format_invalid",
            "is standard or slack",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let secret = new_secret();
    db::write_transaction(c, |c| {
        if webhook::count_of_brand(c, found.id)? >= PER_BRAND_MAX {
            return Err(AppError::Conflict("a brand has at most 20 webhooks"));
        }
        let row = NewWebhook {
            brand: found.id,
            url: url.as_str(),
            events: &events.join(" "),
            format,
            secret: &secret,
            by: me.id,
        };
        let id = webhook::insert(c, &row, now())?;
        let saved = webhook::find(c, id)?;
        Ok(Created {
            webhook: WebhookView::from(&saved),
            secret,
        })
    })
}

pub fn list(c: &mut DbConn, me: &User, slug: &str) -> AppResult<(Brand, Vec<WebhookView>)> {
    let found = brand::find_by_slug(c, slug)?;
    authz::admin_of(c, found.id, me)?;
    let rows = webhook::of_brand(c, found.id)?;
    Ok((found, rows.iter().map(WebhookView::from).collect()))
}

/// The endpoint, if `me` administers its brand.
fn administered(c: &mut DbConn, me: &User, id: WebhookId) -> AppResult<(Brand, Webhook)> {
    let hook = webhook::find(c, id)?;
    authz::admin_of(c, hook.brand_id, me)?;
    Ok((brand::find(c, hook.brand_id)?, hook))
}

pub fn delete(c: &mut DbConn, me: &User, id: WebhookId) -> AppResult<Brand> {
    let (found, _) = administered(c, me, id)?;
    db::write_transaction(c, |c| webhook::delete(c, id))?;
    Ok(found)
}

/// An endpoint with its latest deliveries, newest first.
pub fn deliveries(
    c: &mut DbConn,
    me: &User,
    id: WebhookId,
) -> AppResult<(Brand, WebhookView, Vec<Delivery>)> {
    let (found, hook) = administered(c, me, id)?;
    let log = webhook::log(c, id, LOG_LENGTH)?;
    Ok((found, WebhookView::from(&hook), log))
}

/// Sends a delivery again, with its original message id.
pub fn redeliver(c: &mut DbConn, me: &User, id: WebhookId, delivery: DeliveryId) -> AppResult<()> {
    administered(c, me, id)?;
    let found = webhook::find_delivery(c, delivery)?;
    if found.webhook_id != id {
        return Err(AppError::NotFound);
    }
    db::write_transaction(c, |c| Ok(webhook::redeliver(c, delivery, now())?))
}

/// Queues `event` about `topic` for every endpoint of its brand that hears it; call inside
/// the event's transaction. `detail` joins the topic in the payload's data.
pub fn emit(c: &mut DbConn, topic: &Topic, event: &'static str, detail: Value) -> AppResult<()> {
    let hooks: Vec<Webhook> = webhook::of_brand(c, topic.brand_id)?
        .into_iter()
        .filter(|h| h.hears(event))
        .collect();
    if hooks.is_empty() {
        return Ok(());
    }
    let mut data = json!({ "topic": topic_data(c, topic)? });
    if let (Value::Object(into), Value::Object(from)) = (&mut data, detail) {
        into.extend(from);
    }
    let at = now();
    let payload = json!({
        "type": event,
        "timestamp": at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "data": data,
    })
    .to_string();
    for hook in hooks {
        let message_id = format!("msg_{}", crate::secret::random_token());
        let row = NewDelivery {
            webhook: hook.id,
            message_id: &message_id,
            event,
            payload: &payload,
        };
        webhook::enqueue(c, &row, at)?;
    }
    Ok(())
}

fn topic_data(c: &mut DbConn, topic: &Topic) -> AppResult<Value> {
    let brand_row = brand::find(c, topic.brand_id)?;
    let author = user::find(c, topic.author_id)?;
    let path = crate::web::topics::topic_url(&brand_row.slug, topic.id, &topic.title);
    // the brand's own systems: private details included, as its staff see them
    let fields = super::field::all_values(c, topic.id)?;
    Ok(json!({
        "id": topic.id,
        "brand": brand_row.slug,
        "brand_name": brand_row.name,
        "kind": topic.kind,
        "status": topic.status,
        "title": topic.title,
        "author": author.username,
        "fields": fields,
        "url": link(&path),
        "created_at": topic.created_at,
    }))
}

/// A person as payloads name them.
pub fn person(who: &User) -> Value {
    json!({ "username": who.username, "display_name": who.display_name })
}

/// The Standard Webhooks signature of one attempt: HMAC-SHA256 over "id.timestamp.body"
/// with the secret's decoded bytes, as "v1,<base64>".
pub fn signature(secret: &str, message_id: &str, timestamp: i64, body: &str) -> String {
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .unwrap_or_else(|_| secret.as_bytes().to_vec());
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(format!("{message_id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// What a Slack-compatible incoming webhook gets: the event as one chat message.
pub fn slack_body(payload: &str) -> String {
    let parsed: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
    let data = &parsed["data"];
    let topic = &data["topic"];
    let title = format!(
        "<{}|{}>",
        slack_escape(topic["url"].as_str().unwrap_or("")),
        slack_escape(topic["title"].as_str().unwrap_or(""))
    );
    let brand = slack_escape(topic["brand_name"].as_str().unwrap_or(""));
    let text = match parsed["type"].as_str().unwrap_or("") {
        "escalation.opened" => format!(
            ":rotating_light: *Escalated (level {})* in {brand}: {title}\n>{}",
            data["escalation"]["level"],
            slack_escape(data["escalation"]["reason"].as_str().unwrap_or(""))
        ),
        "escalation.acknowledged" => format!(
            ":white_check_mark: Escalation acknowledged by {} in {brand}: {title}",
            slack_escape(data["by"]["display_name"].as_str().unwrap_or(""))
        ),
        "topic.created" => format!(
            "New {} in {brand}: {title}",
            topic["kind"].as_str().unwrap_or("")
        ),
        "reply.created" => format!(
            "{} replied in {brand}: {title}",
            slack_escape(
                data["reply"]["author"]["display_name"]
                    .as_str()
                    .unwrap_or("")
            )
        ),
        "topic.status_changed" => format!(
            "{title} in {brand} is now {}",
            data["to"].as_str().unwrap_or("").replace('_', " ")
        ),
        "topic.assigned" => format!(
            "{title} in {brand} is assigned to {}",
            slack_escape(
                data["assignee"]["display_name"]
                    .as_str()
                    .unwrap_or("nobody")
            )
        ),
        other => format!("{other} in {brand}: {title}"),
    };
    json!({ "text": text }).to_string()
}

/// Slack's three control characters in message text.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // the example of the Standard Webhooks specification
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn slack_text_escapes_what_users_wrote() {
        let payload = json!({
            "type": "escalation.opened",
            "data": {
                "topic": { "title": "<!channel> & co", "url": "http://x/t/1", "brand_name": "Acme" },
                "escalation": { "level": 1, "reason": "angry <@U123>" },
            },
        })
        .to_string();
        let text = serde_json::from_str::<Value>(&slack_body(&payload)).unwrap()["text"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(text.contains("&lt;!channel&gt; &amp; co"), "{text}");
        assert!(text.contains("angry &lt;@U123&gt;"), "{text}");
        assert!(!text.contains("<!channel>"), "{text}");
    }
}
