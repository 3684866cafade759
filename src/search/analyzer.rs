//! Text analysis for every language at once: Chinese, Japanese and Korean runs become
//! overlapping character bigrams (as Lucene's CJK analyser does), other words are lowercased,
//! folded to ASCII and stemmed as English. Mixed-script text splits where the script changes.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, Stemmer,
    TextAnalyzer, TextAnalyzerBuilder, Token, TokenStream, Tokenizer,
};

/// The analyser's name in the index's tokenizer manager.
pub const NAME: &str = "kotae";
/// The query side: bigrams without the extra single characters.
pub const QUERY_NAME: &str = "kotae_query";

pub fn index_analyzer() -> TextAnalyzer {
    analyzer(ScriptTokenizer { for_query: false })
}

pub fn query_analyzer() -> TextAnalyzer {
    analyzer(ScriptTokenizer { for_query: true })
}

fn analyzer(tokenizer: ScriptTokenizer) -> TextAnalyzer {
    words(tokenizer)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The index's analysis without its last step, the stemmer (for snippets, which stem only
/// the words that may match).
pub fn unstemmed_analyzer() -> TextAnalyzer {
    words(ScriptTokenizer { for_query: false }).build()
}

/// Every step before the stemmer: words cut by script, long ones dropped, lowercased, folded.
fn words(tokenizer: ScriptTokenizer) -> TextAnalyzerBuilder<impl Tokenizer> {
    TextAnalyzer::builder(tokenizer)
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
}

/// That last step alone: stems a word given whole.
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
#[derive(Clone)]
pub struct ScriptTokenizer {
    for_query: bool,
}

pub struct Tokens {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for Tokens {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

impl Tokenizer for ScriptTokenizer {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        Tokens {
            tokens: split(text, self.for_query),
            next: 0,
        }
    }
}

fn token(text: &str, from: usize, to: usize, position: usize) -> Token {
    Token {
        offset_from: from,
        offset_to: to,
        position,
        text: text[from..to].to_string(),
        position_length: 1,
    }
}

/// Runs of one kind of character: CJK, or letters and digits of other scripts.
fn split(text: &str, for_query: bool) -> Vec<Token> {
    let mut tokens = vec![];
    let mut position = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
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
                if k + 1 < run_end {
                    tokens.push(token(text, from, end_of(k + 1), position));
                }
                if run == 1 || !for_query {
                    tokens.push(token(text, from, end_of(k), position));
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
            tokens.push(token(text, start, to, position));
            position += 1;
            i = run_end;
        } else {
            i += 1;
        }
    }
    tokens
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
}
