//! Our own lenient query language, turned into tantivy queries directly (raw user text never
//! reaches tantivy's parser): words, "quoted phrases", -exclusions, and brand: kind: status:
//! product: filters. Anything malformed degrades to plain words; nothing here errors.

use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;

use super::analyzer;

/// The longest query read, in characters, and the most words and phrases used.
pub const MAX_CHARS: usize = 500;
pub const MAX_CLAUSES: usize = 24;
/// The most terms one phrase may hold.
const MAX_PHRASE_TERMS: usize = 16;

/// A query as the member typed it, understood.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// Words and phrases that must match, each one clause.
    pub must: Vec<String>,
    pub must_not: Vec<String>,
    pub brand: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub product: Option<String>,
}

impl Parsed {
    pub fn is_empty(&self) -> bool {
        self.must.is_empty()
            && self.brand.is_none()
            && self.kind.is_none()
            && self.status.is_none()
            && self.product.is_none()
    }
}

/// Whether `text` (an item from outside the communities, such as a review) holds the
/// query: every clause's terms (a phrase's words in any order) and no excluded clause's.
/// Filters (brand:, kind:…) name what such items do not have, so they are not applied.
pub fn matches_text(parsed: &Parsed, text: &str) -> bool {
    if parsed.must.is_empty() {
        return false;
    }
    let have: std::collections::HashSet<String> =
        analyzer::terms(&mut analyzer::index_analyzer(), text)
            .into_iter()
            .map(|(_, t)| t)
            .collect();
    let mut query = analyzer::query_analyzer();
    let mut holds = |clause: &str| {
        let terms = analyzer::terms(&mut query, clause);
        !terms.is_empty() && terms.iter().all(|(_, t)| have.contains(t))
    };
    parsed.must.iter().all(|c| holds(c)) && !parsed.must_not.iter().any(|c| holds(c))
}

/// Reads a query; never fails.
pub fn parse(text: &str) -> Parsed {
    let text: String = text
        .chars()
        .take(MAX_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut parsed = Parsed::default();
    let mut rest = text.as_str();
    while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
        rest = &rest[start..];
        let negated = rest.starts_with('-') && rest.len() > 1;
        if negated {
            rest = &rest[1..];
        }
        let (clause, after) = if let Some(inner) = rest.strip_prefix('"') {
            match inner.find('"') {
                Some(end) => (inner[..end].to_string(), &inner[end + 1..]),
                // an unbalanced quote: the rest are plain words
                None => (String::new(), inner),
            }
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            (rest[..end].to_string(), &rest[end..])
        };
        rest = after;
        let clause = clause.trim().to_string();
        if clause.is_empty() {
            continue;
        }
        if !negated && filter(&mut parsed, &clause) {
            continue;
        }
        let list = if negated {
            &mut parsed.must_not
        } else {
            &mut parsed.must
        };
        if list.len() < MAX_CLAUSES {
            list.push(clause);
        }
    }
    parsed
}

/// `brand:acme` and friends; false when the clause is not a filter.
fn filter(parsed: &mut Parsed, clause: &str) -> bool {
    let Some((name, value)) = clause.split_once(':') else {
        return false;
    };
    let value = value.trim().to_lowercase();
    if value.is_empty() || value.len() > 60 {
        return false;
    }
    let slot = match name.to_lowercase().as_str() {
        "brand" => &mut parsed.brand,
        "kind" => &mut parsed.kind,
        "status" => &mut parsed.status,
        "product" => &mut parsed.product,
        _ => return false,
    };
    *slot = Some(value);
    true
}

/// The fields a query runs over.
#[derive(Clone, Copy)]
pub struct SearchFields {
    /// Title, body and replies together: what a word must be found in.
    pub text: Field,
    pub title: Field,
    pub body: Field,
    pub brand: Field,
    pub kind: Field,
    pub status: Field,
    pub product: Field,
}

/// Every word must match (All), or any may (Any, for similar topics).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Match {
    All,
    Any,
}

/// What a match in the title or the body adds to one in the topic's text as a whole, so a
/// title match ranks over a body match over a match in the replies.
const TITLE_BOOST: f32 = 2.0;
const BODY_BOOST: f32 = 0.5;

/// One word or phrase: the queries that must all match, and those that rank it.
struct Word {
    found: Vec<Box<dyn Query>>,
    boosts: Vec<Box<dyn Query>>,
    /// Found by single terms alone (no positions needed).
    terms_only: bool,
}

/// Queries that must all match, as one.
fn all_of(mut found: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    if found.len() == 1 {
        return found.remove(0);
    }
    let all = found.into_iter().map(|q| (Occur::Must, q)).collect();
    Box::new(BooleanQuery::new(all))
}

/// A query ready to run.
pub struct Built {
    /// What matches and how it ranks.
    pub query: Box<dyn Query>,
    /// The same matches as a plain conjunction of terms in one field, when the query is one
    /// (no phrases, exclusions or "any" matching): tantivy ranks that with block-max WAND,
    /// skipping most documents, so a query that matches most of the index can still pick
    /// its best candidates fast (see `SearchIndex::search`).
    pub core: Option<Box<dyn Query>>,
}

/// Builds the tantivy query: each word or phrase must be found in the topic's text, and
/// ranks higher found in the title or the body; filters narrow; exclusions remove. The
/// clauses stay flat (one posting list per term to intersect), which is what keeps a query
/// that matches most of a million posts fast.
pub fn build(parsed: &Parsed, fields: SearchFields, mode: Match) -> Built {
    let mut analyzer = analyzer::query_analyzer();
    let words: Vec<Word> = parsed
        .must
        .iter()
        .filter_map(|text| word(&mut analyzer, text, fields))
        .collect();
    if !parsed.must.is_empty() && words.is_empty() {
        // only punctuation: nothing can match
        return Built {
            query: Box::new(EmptyQuery),
            core: None,
        };
    }
    let matched_any_words = !words.is_empty();
    let mut plain = mode == Match::All && parsed.must_not.is_empty() && matched_any_words;
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![];
    let mut core: Vec<Box<dyn Query>> = vec![];
    let mut any = vec![];
    for w in words {
        plain &= w.terms_only;
        clauses.extend(w.boosts.into_iter().map(|q| (Occur::Should, q)));
        match mode {
            Match::All => {
                core.extend(w.found.iter().map(|q| q.box_clone()));
                clauses.extend(w.found.into_iter().map(|q| (Occur::Must, q)));
            }
            Match::Any => any.push((Occur::Should, all_of(w.found))),
        }
    }
    if !any.is_empty() {
        // any word will do, but one must
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
    }
    for text in &parsed.must_not {
        if let Some(w) = word(&mut analyzer, text, fields) {
            clauses.push((Occur::MustNot, all_of(w.found)));
        }
    }
    for (field, value) in [
        (fields.brand, &parsed.brand),
        (fields.kind, &parsed.kind),
        (fields.status, &parsed.status),
        (fields.product, &parsed.product),
    ] {
        if let Some(value) = value {
            let term = Term::from_field_text(field, value);
            // with frequencies, so a filtered query is still a plain conjunction of terms
            let filter = TermQuery::new(term, IndexRecordOption::WithFreqs);
            core.push(Box::new(filter.clone()));
            clauses.push((Occur::Must, Box::new(filter)));
        }
    }
    if !matched_any_words {
        clauses.push((Occur::Must, Box::new(AllQuery)));
    }
    let core: Option<Box<dyn Query>> = match core.len() {
        _ if !plain => None,
        1 => core.pop(),
        _ => Some(Box::new(BooleanQuery::new(
            core.into_iter().map(|q| (Occur::Must, q)).collect(),
        ))),
    };
    Built {
        query: Box::new(BooleanQuery::new(clauses)),
        core,
    }
}

/// One word or quoted phrase, analysed as the index analyses text. A phrase must match in
/// order; a word that analyses into several terms (a run of Japanese text, "e-mail") needs
/// all of them, as Lucene's and Elasticsearch's CJK matching does.
fn word(analyzer: &mut TextAnalyzer, text: &str, fields: SearchFields) -> Option<Word> {
    let terms = analyzer::terms(analyzer, text);
    if terms.is_empty() {
        return None;
    }
    let terms: Vec<(usize, String)> = terms.into_iter().take(MAX_PHRASE_TERMS).collect();
    let phrase = terms.len() > 1 && text.contains(char::is_whitespace);
    let first = terms[0].0;
    let in_field = |field: Field| -> Vec<Box<dyn Query>> {
        if phrase {
            let with_offsets = terms
                .iter()
                .map(|(p, t)| (p - first, Term::from_field_text(field, t)))
                .collect();
            return vec![Box::new(PhraseQuery::new_with_offset(with_offsets))];
        }
        terms
            .iter()
            .map(|(_, t)| {
                let term = Term::from_field_text(field, t);
                Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)) as Box<dyn Query>
            })
            .collect()
    };
    let boosted = |field: Field, boost: f32| {
        in_field(field)
            .into_iter()
            .map(move |q| Box::new(BoostQuery::new(q, boost)) as Box<dyn Query>)
    };
    Some(Word {
        found: in_field(fields.text),
        boosts: boosted(fields.title, TITLE_BOOST)
            .chain(boosted(fields.body, BODY_BOOST))
            .collect(),
        terms_only: !phrase,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_exclusions_and_filters() {
        let p = parse(r#"printer "paper jam" -toner brand:Acme kind:problem"#);
        assert_eq!(p.must, ["printer", "paper jam"]);
        assert_eq!(p.must_not, ["toner"]);
        assert_eq!(
            (p.brand.as_deref(), p.kind.as_deref()),
            (Some("acme"), Some("problem"))
        );
    }

    #[test]
    fn malformed_input_degrades_to_words() {
        assert_eq!(parse(r#""unbalanced quote"#).must, ["unbalanced", "quote"]);
        assert_eq!(
            parse("brand: (a OR b))").must,
            ["brand:", "(a", "OR", "b))"]
        );
        assert_eq!(parse("-").must, ["-"]);
        assert!(parse("\u{0}\u{7}  ").is_empty());
        assert_eq!(parse(&"word ".repeat(10_000)).must.len(), MAX_CLAUSES);
        assert_eq!(parse("unknown:field").must, ["unknown:field"]);
    }
}
