//! The tera templates built into the binary, with the functions every template may call:
//! `t(key=…)` for UI text in the page's language and `asset(name=…)` for hashed asset URLs.

use std::sync::Arc;

use anyhow::Context as _;
use tera::{Kwargs, State, Tera};

use super::assets::Assets;
use crate::i18n::{self, Lang};

#[derive(rust_embed::RustEmbed)]
#[folder = "templates/"]
pub struct TemplateFiles;

/// Loads every template and registers the helper functions.
pub fn load(assets: Arc<Assets>) -> anyhow::Result<Tera> {
    let mut tera = Tera::new();
    tera.autoescape_on([".html", ".xml", ".atom"]);
    let sources: Vec<(String, String)> = TemplateFiles::iter()
        .filter(|name| !name.starts_with("locales/"))
        .map(|name| {
            let file = TemplateFiles::get(&name).context("embedded template vanished")?;
            let text = String::from_utf8(file.data.into_owned())
                .with_context(|| format!("templates/{name} is not UTF-8"))?;
            Ok((name.to_string(), text))
        })
        .collect::<anyhow::Result<_>>()?;
    tera.register_function("t", translate);
    tera.register_function(
        "asset",
        move |kwargs: Kwargs, _: &State| -> tera::TeraResult<String> {
            let name: String = kwargs.must_get("name")?;
            assets
                .url(&name)
                .ok_or_else(|| tera::Error::message(format!("no asset named {name}")))
        },
    );
    tera.register_function("duration", duration);
    tera.register_filter("iso", |value: &str, _: Kwargs, _: &State| -> String {
        time_text(value, "%Y-%m-%dT%H:%M:%SZ")
    });
    tera.register_filter(
        "short_time",
        |value: &str, _: Kwargs, _: &State| -> String { time_text(value, "%Y-%m-%d %H:%M") },
    );
    tera.register_filter("date", |value: &str, _: Kwargs, _: &State| -> String {
        time_text(value, "%Y-%m-%d")
    });
    tera.add_raw_templates(sources)
        .map_err(|e| anyhow::anyhow!("templates: {e}"))?;
    Ok(tera)
}

/// A stored time (as serialised, UTC without zone) in `format`; unparsable text stays as is.
fn time_text(value: &str, format: &str) -> String {
    chrono::NaiveDateTime::parse_from_str(value.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f")
        .map_or_else(|_| value.to_string(), |t| t.format(format).to_string())
}

/// `duration(secs=…)`: a span of seconds at a glance in the page's language; "—" for none.
fn duration(kwargs: Kwargs, state: &State) -> tera::TeraResult<String> {
    let secs: Option<tera::Value> = kwargs.get("secs")?;
    let secs = secs.and_then(|v| v.as_i64());
    let lang = state
        .get::<String>("lang")?
        .and_then(|code| Lang::parse(&code))
        .unwrap_or_default();
    Ok(secs.map_or_else(|| "—".to_string(), |s| i18n::duration_text(lang, s)))
}

/// `t(key="x.y", name=value…)`: the text in the language of the context's `lang`,
/// with `{name}` placeholders filled; escaped like any other value.
fn translate(kwargs: Kwargs, state: &State) -> tera::TeraResult<String> {
    let key: String = kwargs.must_get("key")?;
    let lang = state
        .get::<String>("lang")?
        .and_then(|code| Lang::parse(&code))
        .unwrap_or_default();
    let text = i18n::t(lang, &key);
    if text.is_empty() {
        return Err(tera::Error::message(format!("no translation for {key}")));
    }
    let mut text = text.to_string();
    for (name, value) in kwargs.iter() {
        let name = name.to_string();
        if name != "key" {
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string);
            text = text.replace(&format!("{{{name}}}"), &value);
        }
    }
    Ok(text)
}
