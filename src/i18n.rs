//! UI text in English and Japanese: catalogs in templates/locales, and the choice of
//! language from the member's setting, a cookie, or Accept-Language.

use std::collections::HashMap;
use std::sync::LazyLock;

/// A language the UI speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Ja,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ja];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "ja" => Some(Lang::Ja),
            _ => None,
        }
    }

    /// The best match for an Accept-Language header, honouring q-values.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                let lang = Lang::parse(tag.split('-').next()?)?;
                (q > 0.0).then_some((lang, q))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(lang, _)| lang)
    }
}

type Catalog = HashMap<String, String>;

static CATALOGS: LazyLock<[Catalog; 2]> = LazyLock::new(|| [load("en"), load("ja")]);

fn load(code: &str) -> Catalog {
    let path = format!("locales/{code}.toml");
    let file = crate::web::templates::TemplateFiles::get(&path)
        .unwrap_or_else(|| panic!("templates/{path} is built into the binary"));
    let text = std::str::from_utf8(&file.data).expect("catalogs are UTF-8");
    let table: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("templates/{path}: {e}"));
    let mut catalog = Catalog::new();
    flatten("", &table, &mut catalog);
    catalog
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut Catalog) {
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten(&full, inner, out),
            toml::Value::String(text) => {
                out.insert(full, text.clone());
            }
            other => panic!("translation {full} must be a string, found {other}"),
        }
    }
}

/// The text for `key`, falling back to English, then to the key itself.
pub fn t(lang: Lang, key: &str) -> &'static str {
    let catalogs = &*CATALOGS;
    let index = match lang {
        Lang::En => 0,
        Lang::Ja => 1,
    };
    catalogs[index]
        .get(key)
        .or_else(|| catalogs[0].get(key))
        .map_or("", String::as_str)
}

/// `t` with `{name}` placeholders filled in.
pub fn t_with(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut text = t(lang, key).to_string();
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// A span of time at a glance: "45s", "12m", "2h 5m", "3d 4h" (in Japanese "2時間5分").
pub fn duration_text(lang: Lang, secs: i64) -> String {
    let secs = secs.max(0);
    let (days, hours, mins) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (lang, days, hours, mins) {
        (Lang::En, 0, 0, 0) => format!("{secs}s"),
        (Lang::En, 0, 0, _) => format!("{mins}m"),
        (Lang::En, 0, _, _) => format!("{hours}h {mins}m"),
        (Lang::En, _, _, _) => format!("{days}d {hours}h"),
        (Lang::Ja, 0, 0, 0) => format!("{secs}秒"),
        (Lang::Ja, 0, 0, _) => format!("{mins}分"),
        (Lang::Ja, 0, _, _) => format!("{hours}時間{mins}分"),
        (Lang::Ja, _, _, _) => format!("{days}日{hours}時間"),
    }
}

/// Loads the catalogs now, so a broken one stops start-up rather than a request.
pub fn load_catalogs() {
    LazyLock::force(&CATALOGS);
}

/// Every key of a language's catalog (for the completeness test).
pub fn keys(lang: Lang) -> Vec<String> {
    let index = if lang == Lang::En { 0 } else { 1 };
    CATALOGS[index].keys().cloned().collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_at_a_glance_in_both_languages() {
        assert_eq!(super::duration_text(Lang::En, 45), "45s");
        assert_eq!(super::duration_text(Lang::En, 12 * 60 + 5), "12m");
        assert_eq!(super::duration_text(Lang::En, 2 * 3600 + 5 * 60), "2h 5m");
        assert_eq!(
            super::duration_text(Lang::En, 3 * 86_400 + 4 * 3600),
            "3d 4h"
        );
        assert_eq!(
            super::duration_text(Lang::Ja, 2 * 3600 + 5 * 60),
            "2時間5分"
        );
        assert_eq!(super::duration_text(Lang::Ja, -5), "0秒");
    }

    use super::*;

    #[test]
    fn accept_language_honours_quality() {
        assert_eq!(
            Lang::from_accept_language("ja-JP,ja;q=0.9,en;q=0.8"),
            Some(Lang::Ja)
        );
        assert_eq!(
            Lang::from_accept_language("fr, en;q=0.5, ja;q=0.4"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("de"), None);
        assert_eq!(Lang::from_accept_language("ja;q=0"), None);
    }

    #[test]
    fn every_key_a_template_names_is_translated() {
        use crate::web::templates::TemplateFiles;
        for name in TemplateFiles::iter().filter(|n| !n.starts_with("locales/")) {
            let file = TemplateFiles::get(&name).expect("template");
            let text = String::from_utf8_lossy(&file.data);
            for quote in ['"', '\''] {
                let marker = format!("t(key={quote}");
                for piece in text.split(marker.as_str()).skip(1) {
                    let key = piece.split(quote).next().unwrap_or_default();
                    if key.ends_with('.') {
                        continue; // the start of a key built at render time, checked below
                    }
                    assert!(
                        !t(Lang::En, key).is_empty(),
                        "{name} uses {key}, which en.toml lacks"
                    );
                }
            }
        }
        let kinds = [
            "not_found",
            "unauthorized",
            "forbidden",
            "unverified",
            "validation",
            "bad_request",
        ];
        let more = ["payload_too_large", "conflict", "rate_limited", "internal"];
        for kind in kinds.iter().chain(more.iter()) {
            assert!(
                !t(Lang::En, &format!("error.{kind}.title")).is_empty(),
                "error.{kind}"
            );
        }
        let codes = [
            "required",
            "username_length",
            "username_chars",
            "username_taken",
            "email_invalid",
            "password_short",
            "password_long",
            "display_name_long",
            "token_invalid",
            "address_taken",
            "login_mismatch",
            "current_password_wrong",
            "language_invalid",
            "slug_reserved",
            "too_many",
            "too_short",
            "too_long",
            "slug_invalid",
            "slug_required",
            "domain_invalid",
            "name_taken",
            "slug_taken",
            "kind_invalid",
            "feeling_invalid",
            "product_invalid",
            "own_topic",
            "own_reply",
            "not_a_question",
            "reply_invalid",
            "status_invalid",
            "sort_invalid",
            "email_not_at_domain",
            "user_unknown",
            "role_invalid",
            "out_of_range",
            "reason_invalid",
            "count_invalid",
            "topic_invalid",
            "not_staff",
            "view_invalid",
            "account_banned",
            "level_invalid",
            "state_invalid",
            "mode_invalid",
        ];
        for code in codes {
            assert!(
                !t(Lang::En, &format!("field_error.{code}")).is_empty(),
                "field_error.{code}"
            );
        }
    }

    #[test]
    fn both_catalogs_hold_the_same_keys() {
        let mut en = keys(Lang::En);
        let mut ja = keys(Lang::Ja);
        en.sort();
        ja.sort();
        assert_eq!(en, ja);
    }
}
