//! Finds what would run script in a browser: dangerous elements, event-handler attributes,
//! and script URLs, read with a real HTML tokenizer (html5ever, the one ammonia uses).

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

const DANGEROUS_TAGS: [&str; 13] = [
    "script", "iframe", "object", "embed", "svg", "math", "style", "base", "frame", "frameset",
    "applet", "template", "noscript",
];
const URL_ATTRIBUTES: [&str; 9] = [
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "srcset",
];

struct Sink(RefCell<Vec<String>>);

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        if let Token::TagToken(tag) = token {
            if tag.kind != TagKind::StartTag {
                return TokenSinkResult::Continue;
            }
            let name = tag.name.to_string();
            let mut found = self.0.borrow_mut();
            if DANGEROUS_TAGS.contains(&name.as_str()) && !own_script(&name, &tag.attrs) {
                found.push(format!("<{name}>"));
            }
            for attr in &tag.attrs {
                let attr_name = attr.name.local.to_string().to_ascii_lowercase();
                let value: String = attr
                    .value
                    .chars()
                    .filter(|c| !c.is_whitespace() && !c.is_control())
                    .collect();
                let value = value.to_ascii_lowercase();
                if attr_name.starts_with("on") {
                    found.push(format!("<{name} {attr_name}=…>"));
                }
                let script_url = ["javascript:", "vbscript:", "data:text/html"]
                    .iter()
                    .any(|s| value.starts_with(s));
                if URL_ATTRIBUTES.contains(&attr_name.as_str()) && script_url {
                    found.push(format!("<{name} {attr_name}=\"{value}\">"));
                }
                if attr_name == "style" && value.contains("url(") {
                    found.push(format!("<{name} style with url()>"));
                }
                if name == "meta" && attr_name == "http-equiv" {
                    found.push("<meta http-equiv>".to_string());
                }
            }
        }
        TokenSinkResult::Continue
    }
}

/// The site's own scripts: `<script src="/assets/NAME.HASH.js">`, a content-hashed asset
/// (member text never becomes a script element: the sanitiser removes them).
fn own_script(name: &str, attrs: &[html5ever::Attribute]) -> bool {
    name == "script"
        && attrs.iter().any(|a| {
            let value = a.value.to_string();
            let Some(file) = value.strip_prefix("/assets/") else {
                return false;
            };
            let parts: Vec<&str> = file.split('.').collect();
            &*a.name.local == "src"
                && parts.len() == 3
                && parts[0].chars().all(|c| c.is_ascii_lowercase())
                && parts[1].len() == 12
                && parts[1].chars().all(|c| c.is_ascii_hexdigit())
                && parts[2] == "js"
        })
}

/// Everything in `html` that could run script, described; empty when the HTML is harmless.
pub fn dangers(html: &str) -> Vec<String> {
    let tokenizer = Tokenizer::new(Sink(RefCell::new(vec![])), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.0.take()
}
