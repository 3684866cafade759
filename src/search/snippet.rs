//! Snippets: the stretch of a hit's text with the most query terms, escaped, with each match
//! in `<mark>`. The text is cut with the index's own analyser, so a match is exactly what the
//! search matched, in every script.

use std::collections::{HashMap, HashSet};

use tantivy::tokenizer::TextAnalyzer;

use super::analyzer;

/// How much of a text is looked at (bodies are capped at input anyway).
const SCANNED_BYTES: usize = 20_000;
/// Characters shown before the first match of the chosen stretch.
const LEAD_CHARS: usize = 30;

/// Finds the words of a text that a query's terms match, as the index's analyser would.
/// Stemming every word of every hit was a tenth of a search's time; since an English stem
/// keeps its word's first letter, only words that begin as some term does are stemmed.
pub struct Matcher {
    words: TextAnalyzer,
    stemmer: TextAnalyzer,
    terms: HashSet<String>,
    firsts: HashSet<char>,
    /// Words already analysed for this search, as written, and whether they match: the same
    /// few hundred words recur across a page of hits
    known: HashMap<String, bool>,
    /// The analyser's buffers, kept from hit to hit.
    chars: Vec<(usize, char)>,
    spans: Vec<analyzer::Span>,
}

impl Matcher {
    pub fn new(terms: HashSet<String>) -> Matcher {
        Matcher {
            words: analyzer::word_analyzer(),
            stemmer: analyzer::stemmer(),
            firsts: terms.iter().filter_map(|t| t.chars().next()).collect(),
            terms,
            known: HashMap::new(),
            chars: vec![],
            spans: vec![],
        }
    }
}

/// Whether `word` (analysed up to the stemmer) stems to one of `terms`.
fn stems_to_a_term(
    stemmer: &mut TextAnalyzer,
    terms: &HashSet<String>,
    firsts: &HashSet<char>,
    word: &str,
) -> bool {
    if !word.chars().next().is_some_and(|c| firsts.contains(&c)) {
        return false;
    }
    let mut stream = stemmer.token_stream(word);
    stream.advance() && terms.contains(&stream.token().text)
}

/// The best `max_chars` of `text` for the matcher's terms; the start of the text when
/// nothing matches.
pub fn snippet(matcher: &mut Matcher, text: &str, max_chars: usize) -> String {
    let text = cut(text, SCANNED_BYTES);
    let matches = matches(matcher, text);
    let starts = char_counts_at(text, matches.iter().map(|m| m.0));
    let first = best_start(&starts, max_chars).map_or(0, |m| {
        starts[m].saturating_sub(LEAD_CHARS.min(max_chars / 4))
    });
    let from = text
        .char_indices()
        .nth(first)
        .map_or(text.len(), |(i, _)| i);
    let to = text[from..]
        .char_indices()
        .nth(max_chars)
        .map_or(text.len(), |(i, _)| from + i);
    let mut out = String::with_capacity(to - from + 64);
    if from > 0 {
        out.push('…');
    }
    let mut at = from;
    for &(start, end) in &matches {
        if end <= from || start >= to {
            continue;
        }
        let (start, end) = (start.max(from), end.min(to));
        escape_into(&mut out, &text[at..start]);
        out.push_str("<mark>");
        escape_into(&mut out, &text[start..end]);
        out.push_str("</mark>");
        at = end;
    }
    escape_into(&mut out, &text[at..to]);
    if to < text.len() {
        out.push('…');
    }
    out
}

/// Byte ranges of the matched tokens, in order, overlapping ones joined (CJK bigrams
/// overlap). The text is cut where the index's analyser cuts it; CJK bigrams and characters
/// are looked up as they are, words go through the word analysis.
fn matches(matcher: &mut Matcher, text: &str) -> Vec<(usize, usize)> {
    let Matcher {
        words,
        stemmer,
        terms,
        firsts,
        known,
        chars,
        spans,
    } = matcher;
    analyzer::split(text, false, chars, spans);
    let mut found: Vec<(usize, usize)> = vec![];
    for span in spans.iter() {
        let piece = &text[span.from..span.to];
        let matched = if !span.word {
            terms.contains(piece)
        } else if !may_match(firsts, piece) {
            false
        } else if let Some(&matched) = known.get(piece) {
            matched
        } else {
            // a word is one token, or none when too long: it matches whole or not at all
            let mut stream = words.token_stream(piece);
            let matched =
                stream.advance() && stems_to_a_term(stemmer, terms, firsts, &stream.token().text);
            known.insert(piece.to_string(), matched);
            matched
        };
        match found.last_mut() {
            _ if !matched => {}
            Some(last) if span.from <= last.1 => last.1 = last.1.max(span.to),
            _ => found.push((span.from, span.to)),
        }
    }
    found
}

/// Whether a word can match at all: one that begins with an ASCII character lowercases to
/// that letter, so unless some term begins with it the analyser need not see the word (most
/// words of a hit; running every word through it was 5% of a search).
fn may_match(firsts: &HashSet<char>, word: &str) -> bool {
    match word.chars().next() {
        Some(c) if c.is_ascii() => firsts.contains(&c.to_ascii_lowercase()),
        _ => true,
    }
}

/// How many characters come before each of the byte offsets `bytes` (in order).
fn char_counts_at(text: &str, bytes: impl Iterator<Item = usize>) -> Vec<usize> {
    let (mut chars, mut at) = (0, 0);
    bytes
        .map(|byte| {
            chars += text[at..byte].chars().count();
            at = byte;
            chars
        })
        .collect()
}

/// The match that starts the window holding the most matches, given the matches' starts
/// in characters.
fn best_start(starts: &[usize], max_chars: usize) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    let mut end = 0;
    for (i, &start) in starts.iter().enumerate() {
        end = end.max(i);
        while end + 1 < starts.len() && starts[end + 1] < start + max_chars * 3 / 4 {
            end += 1;
        }
        let held = end - i + 1;
        if best.is_none_or(|(n, _)| held > n) {
            best = Some((held, i));
        }
    }
    best.map(|(_, i)| i)
}

fn cut(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn escape_into(out: &mut String, text: &str) {
    let mut at = 0;
    for (i, byte) in text.bytes().enumerate() {
        let escaped = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&text[at..i]);
        out.push_str(escaped);
        at = i + 1;
    }
    out.push_str(&text[at..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(words: &[&str]) -> Matcher {
        Matcher::new(words.iter().map(|w| w.to_string()).collect())
    }

    /// What `matches` finds, found the slow way: every word through the whole analyser.
    fn matched_by_full_analysis(text: &str, terms: &HashSet<String>) -> Vec<(usize, usize)> {
        let mut full = analyzer::index_analyzer();
        let mut stream = full.token_stream(text);
        let mut found = vec![];
        while stream.advance() {
            let token = stream.token();
            if terms.contains(&token.text) {
                found.push((token.offset_from, token.offset_to));
            }
        }
        found
    }

    #[test]
    fn skipping_words_by_first_letter_finds_what_the_whole_analyser_finds() {
        // English suffixes, Porter2's exceptional words, accents, digits and capitals
        let text = "Dying lying tying skies skis idly gently ugly early only singly news \
            howe atlas cosmos bias andes Generously generalized connection connected \
            Happiness happily Érable café naïve 4K printers printing printed Yelling \
            yellow sensors failing failed agreement agreed feed feeds cries cried";
        let mut full = analyzer::index_analyzer();
        let all: HashSet<String> = analyzer::terms(&mut full, text)
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        let mut matcher = Matcher::new(all.clone());
        assert_eq!(
            matches(&mut matcher, text),
            matched_by_full_analysis(text, &all)
        );
        // again, with every word now known to the matcher
        assert_eq!(
            matches(&mut matcher, text),
            matched_by_full_analysis(text, &all)
        );
        for term in &all {
            let one: HashSet<String> = [term.clone()].into();
            assert_eq!(
                matches(&mut Matcher::new(one.clone()), text),
                matched_by_full_analysis(text, &one),
                "{term}"
            );
        }
    }

    #[test]
    fn marks_stemmed_matches_and_escapes_the_rest() {
        let text = "My <b>sensors</b> keep failing & the door stays shut.";
        assert_eq!(
            snippet(&mut terms(&["sensor", "fail"]), text, 200),
            "My &lt;b&gt;<mark>sensors</mark>&lt;/b&gt; keep <mark>failing</mark> &amp; the door stays shut."
        );
    }

    #[test]
    fn japanese_bigrams_mark_the_whole_word() {
        let text = "店の自動ドアの感度が悪いです";
        assert_eq!(
            snippet(&mut terms(&["自動", "動ド", "ドア"]), text, 200),
            "店の<mark>自動ドア</mark>の感度が悪いです"
        );
    }

    #[test]
    fn long_text_shows_the_stretch_with_the_matches() {
        let text = format!(
            "{} toner leak here {}",
            "filler ".repeat(100),
            "tail ".repeat(100)
        );
        let shown = snippet(&mut terms(&["toner", "leak"]), &text, 60);
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
        assert!(
            shown.contains("<mark>toner</mark> <mark>leak</mark>"),
            "{shown}"
        );
        assert!(shown.chars().count() <= 62 + 26, "{shown}");
    }

    #[test]
    fn mixed_scripts_and_single_characters_are_marked() {
        let text = "LaserJet5の印刷が遅い。感じる";
        assert_eq!(
            snippet(&mut terms(&["laserjet5", "印刷", "感"]), text, 200),
            "<mark>LaserJet5</mark>の<mark>印刷</mark>が遅い。<mark>感</mark>じる"
        );
    }

    #[test]
    fn no_match_shows_the_start() {
        assert_eq!(snippet(&mut terms(&["x"]), "短い本文", 200), "短い本文");
        assert_eq!(snippet(&mut terms(&["x"]), "", 200), "");
    }
}
