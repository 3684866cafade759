//! Text analysis for every language at once: Chinese, Japanese and Korean runs become
//! overlapping character bigrams (as Lucene's CJK analyser does), other words are lowercased,
//! folded to ASCII and stemmed as English. Mixed-script text splits where the script changes.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, Stemmer,
    TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

/// The analyser's name in the index's tokenizer manager.
pub const NAME: &str = "kotae";
/// The query side: bigrams without the extra single characters.
pub const QUERY_NAME: &str = "kotae_query";

pub fn index_analyzer() -> TextAnalyzer {
    ScriptTokenizer::new(false, stemmed(words())).into()
}

pub fn query_analyzer() -> TextAnalyzer {
    ScriptTokenizer::new(true, stemmed(words())).into()
}

/// One word's analysis without the stemmer (for snippets, which stem only the words that
/// may match).
pub fn word_analyzer() -> TextAnalyzer {
    words().into()
}

/// What becomes of one word of a script written with spaces: dropped when long, lowercased
/// and folded to ASCII. CJK bigrams skip these steps and the stemmer, which leave them as
/// they are: run over every token, they took half the time of indexing.
fn words() -> impl Tokenizer {
    let word = RemoveLongFilter::limit(40).transform(RawTokenizer::default());
    AsciiFoldingFilter.transform(LowerCaser.transform(word))
}

fn stemmed(words: impl Tokenizer) -> impl Tokenizer {
    Stemmer::new(Language::English).transform(words)
}

/// The stemmer alone: stems a word given whole.
pub fn stemmer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Whether a character is written without spaces between words.
pub fn is_cjk(ch: char) -> bool {
    matches!(ch as u32,
        0x3040..=0x30FF   // hiragana, katakana
        | 0x31F0..=0x31FF // katakana phonetic extensions
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xAC00..=0xD7AF // hangul syllables
        | 0x1100..=0x11FF // hangul jamo
        | 0xF900..=0xFAFF // CJK compatibility ideographs
        | 0xFF66..=0xFF9F // halfwidth katakana
        | 0x20000..=0x2FA1F)
}

/// Splits text into words and CJK bigrams. At index time every CJK character is also kept
/// alone, at the position of the bigram it starts, so one-character queries find it.
/// Tokens are filled in one at a time into buffers kept from text to text: a string per
/// token was a third of the indexing threads' time in the allocator.
#[derive(Clone)]
pub struct ScriptTokenizer<W> {
    for_query: bool,
    /// Analyses each word (not CJK characters).
    words: W,
    chars: Vec<(usize, char)>,
    spans: Vec<Span>,
}

impl<W> ScriptTokenizer<W> {
    fn new(for_query: bool, words: W) -> ScriptTokenizer<W> {
        ScriptTokenizer {
            for_query,
            words,
            chars: vec![],
            spans: vec![],
        }
    }
}

/// Where a token is, before its text is made.
#[derive(Clone, Copy)]
pub(super) struct Span {
    pub(super) from: usize,
    pub(super) to: usize,
    position: usize,
    /// A word, to go through the word analysis (else CJK, taken as it is).
    pub(super) word: bool,
}

pub struct Tokens<'a, W> {
    text: &'a str,
    words: &'a mut W,
    spans: &'a [Span],
    next: usize,
    token: Token,
}

impl<W: Tokenizer> TokenStream for Tokens<'_, W> {
    fn advance(&mut self) -> bool {
        while let Some(span) = self.spans.get(self.next) {
            self.next += 1;
            let piece = &self.text[span.from..span.to];
            self.token.text.clear();
            if span.word {
                let mut word = self.words.token_stream(piece);
                if !word.advance() {
                    continue; // too long
                }
                self.token.text.push_str(&word.token().text);
            } else {
                self.token.text.push_str(piece);
            }
            self.token.offset_from = span.from;
            self.token.offset_to = span.to;
            self.token.position = span.position;
            self.token.position_length = 1;
            return true;
        }
        false
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

impl<W: Tokenizer> Tokenizer for ScriptTokenizer<W> {
    type TokenStream<'a> = Tokens<'a, W>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens<'a, W> {
        split(text, self.for_query, &mut self.chars, &mut self.spans);
        Tokens {
            text,
            words: &mut self.words,
            spans: &self.spans,
            next: 0,
            token: Token::default(),
        }
    }
}

/// Where the tokens of `text` are, into `spans` (`chars` is a buffer): runs of one kind of
/// character, CJK (as bigrams, and, unless `for_query`, single characters) or letters and
/// digits of other scripts (as words).
pub(super) fn split(
    text: &str,
    for_query: bool,
    chars: &mut Vec<(usize, char)>,
    spans: &mut Vec<Span>,
) {
    spans.clear();
    chars.clear();
    chars.extend(text.char_indices());
    let chars = &chars[..];
    let mut position = 0;
    let end_of = |i: usize| chars.get(i + 1).map_or(text.len(), |(o, _)| *o);
    let mut i = 0;
    while i < chars.len() {
        let (start, ch) = chars[i];
        if is_cjk(ch) {
            let run_end = (i..chars.len())
                .find(|&j| !is_cjk(chars[j].1))
                .unwrap_or(chars.len());
            let run = run_end - i;
            for (k, &(from, _)) in chars.iter().enumerate().take(run_end).skip(i) {
                let cjk = |to| Span {
                    from,
                    to,
                    position,
                    word: false,
                };
                if k + 1 < run_end {
                    spans.push(cjk(end_of(k + 1)));
                }
                if run == 1 || !for_query {
                    spans.push(cjk(end_of(k)));
                }
                if k + 1 < run_end || run == 1 {
                    position += 1;
                }
            }
            if run > 1 && !for_query {
                position += 1;
            }
            i = run_end;
        } else if ch.is_alphanumeric() {
            let run_end = (i..chars.len())
                .find(|&j| !chars[j].1.is_alphanumeric() || is_cjk(chars[j].1))
                .unwrap_or(chars.len());
            let to = chars.get(run_end).map_or(text.len(), |(o, _)| *o);
            spans.push(Span {
                from: start,
                to,
                position,
                word: true,
            });
            position += 1;
            i = run_end;
        } else {
            i += 1;
        }
    }
}

/// The terms the analyser makes of `text`, in order (for tests and the query builder).
pub fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut stream = analyzer.token_stream(text);
    let mut out = vec![];
    while stream.advance() {
        let t = stream.token();
        out.push((t.position, t.text.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
        terms(analyzer, text).into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn japanese_becomes_bigrams_and_single_characters() {
        let mut index = index_analyzer();
        assert_eq!(
            texts(&mut index, "感度が悪い"),
            ["感度", "感", "度が", "度", "が悪", "が", "悪い", "悪", "い"]
        );
        let mut query = query_analyzer();
        assert_eq!(texts(&mut query, "自動ドア"), ["自動", "動ド", "ドア"]);
        assert_eq!(texts(&mut query, "感"), ["感"]);
    }

    #[test]
    fn bigrams_keep_consecutive_positions_for_phrases() {
        let mut index = index_analyzer();
        let positions: Vec<(usize, String)> = terms(&mut index, "自動ドア")
            .into_iter()
            .filter(|(_, t)| t.chars().count() == 2)
            .collect();
        assert_eq!(
            positions,
            [
                (0, "自動".to_string()),
                (1, "動ド".into()),
                (2, "ドア".into())
            ]
        );
    }

    #[test]
    fn other_words_are_lowercased_folded_and_stemmed_and_scripts_split() {
        let mut query = query_analyzer();
        assert_eq!(texts(&mut query, "Sensors FAILING"), ["sensor", "fail"]);
        assert_eq!(texts(&mut query, "Café"), ["cafe"]);
        assert_eq!(
            texts(&mut query, "LaserJet5の印刷"),
            ["laserjet5", "の印", "印刷"]
        );
    }

    /// The analysis as it was built before words and CJK characters took separate paths:
    /// every token through every filter.
    fn every_token_filtered(for_query: bool) -> TextAnalyzer {
        let split_only = ScriptTokenizer::new(for_query, RawTokenizer::default());
        TextAnalyzer::builder(split_only)
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(Stemmer::new(Language::English))
            .build()
    }

    fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, usize, usize, String)> {
        let mut stream = analyzer.token_stream(text);
        let mut out = vec![];
        while stream.advance() {
            let t = stream.token();
            out.push((t.position, t.offset_from, t.offset_to, t.text.clone()));
        }
        out
    }

    #[test]
    fn cjk_characters_skipping_the_word_filters_changes_no_token() {
        let mut texts: Vec<String> = vec![
            "Sensors FAILING on the Café's LaserJet5の印刷 — naïve ＡＢＣ ﾌﾟﾘﾝﾀｰ".into(),
            format!("{} short {}", "x".repeat(39), "y".repeat(41)),
            "İstanbul ΣΊΣΥΦΟΣ straße ﬁle ⅫⅣ ①② 한국어 텍스트 Ünïcödé".into(),
        ];
        // every CJK character, alone and beside its neighbours (so as bigrams too)
        let cjk: Vec<char> = (0..=0x2FA1F_u32)
            .filter_map(char::from_u32)
            .filter(|c| is_cjk(*c))
            .collect();
        for run in cjk.chunks(64) {
            texts.push(run.iter().collect());
            texts.push(run.iter().flat_map(|c| [*c, ' ']).collect());
        }
        let mut corpus = crate::corpus::Corpus::new(7);
        texts.extend((0..300).map(|i| corpus.text(i % 2 == 0, 120)));
        for for_query in [false, true] {
            let mut fast = ScriptTokenizer::new(for_query, stemmed(words())).into();
            let mut reference = every_token_filtered(for_query);
            for text in &texts {
                assert_eq!(
                    tokens(&mut fast, text),
                    tokens(&mut reference, text),
                    "{text}"
                );
            }
        }
    }
}
