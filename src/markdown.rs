//! Markdown to safe HTML, once, on write: pulldown-cmark renders, ammonia sanitises with an
//! allow-list (the one gate against script in posts), links get rel="nofollow ugc".

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{Options, Parser, html};

static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .tags(HashSet::from([
            "a",
            "p",
            "br",
            "hr",
            "strong",
            "em",
            "del",
            "code",
            "pre",
            "blockquote",
            "ul",
            "ol",
            "li",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "img",
        ]))
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("nofollow ugc noopener"))
        .tag_attributes(std::collections::HashMap::from([
            ("a", HashSet::from(["href", "title"])),
            ("img", HashSet::from(["src", "alt", "title"])),
            ("ol", HashSet::from(["start"])),
        ]))
        .url_relative(ammonia::UrlRelative::Deny);
    builder
});

/// Renders markdown and returns HTML that is safe to put in a page as is.
pub fn to_html(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TABLES);
    let mut rendered = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut rendered, Parser::new_ext(markdown, options));
    CLEANER.clean(&rendered).to_string()
}

/// Plain text of a body, for excerpts in feeds and mail: markup removed, space collapsed.
pub fn excerpt(markdown: &str, max_chars: usize) -> String {
    let text: String = Parser::new(markdown)
        .filter_map(|event| match event {
            pulldown_cmark::Event::Text(t) | pulldown_cmark::Event::Code(t) => {
                Some(format!("{t} "))
            }
            pulldown_cmark::Event::SoftBreak | pulldown_cmark::Event::HardBreak => Some(" ".into()),
            _ => None,
        })
        .collect();
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match words.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &words[..cut]),
        None => words,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_renders_and_script_does_not() {
        let html = to_html("**bold** [link](https://example.com) <script>alert(1)</script>");
        assert!(html.contains("<strong>bold</strong>"));
        assert!(html.contains("rel=\"nofollow ugc noopener\""));
        assert!(!html.contains("<script"));
        assert!(!to_html("[x](javascript:alert(1))").contains("javascript:"));
    }

    #[test]
    fn excerpts_are_plain_and_bounded() {
        assert_eq!(
            excerpt("# Title\n\nSome *text* here", 100),
            "Title Some text here"
        );
        assert_eq!(excerpt("日本語のテキストです", 3), "日本語…");
    }
}
