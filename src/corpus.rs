//! Generated English and Japanese text with the statistics of real text, for large data
//! sets and benchmarks: words drawn from a Zipf distribution over a vocabulary of a few
//! thousand (a few very common words, a long tail of rare ones), sentences of realistic
//! length, Japanese written without spaces. The common words are real support vocabulary;
//! the tail is made-up words, which search treats exactly like real ones.

/// A small, fast, deterministic random number generator (xorshift64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// A number in `0.0..1.0`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

const ENGLISH_COMMON: &[&str] = &[
    "the",
    "to",
    "and",
    "a",
    "i",
    "it",
    "is",
    "my",
    "on",
    "of",
    "for",
    "in",
    "with",
    "not",
    "this",
    "but",
    "when",
    "after",
    "have",
    "can",
    "does",
    "how",
    "from",
    "every",
    "again",
    "now",
    "still",
    "just",
    "any",
    "there",
    "printer",
    "app",
    "update",
    "error",
    "paper",
    "battery",
    "screen",
    "wifi",
    "login",
    "account",
    "driver",
    "scanner",
    "jam",
    "toner",
    "firmware",
    "network",
    "camera",
    "lens",
    "focus",
    "cloud",
    "backup",
    "sync",
    "crash",
    "slow",
    "noise",
    "leak",
    "cartridge",
    "tray",
    "duplex",
    "colour",
    "sensor",
    "door",
    "password",
    "invoice",
    "refund",
    "shipping",
    "warranty",
    "install",
    "cable",
    "bluetooth",
    "hinge",
    "charger",
    "display",
    "keyboard",
    "speaker",
    "volume",
    "setting",
    "reset",
    "button",
    "light",
    "power",
    "order",
    "delivery",
    "replacement",
    "support",
    "version",
];

const JAPANESE_COMMON: &[&str] = &[
    "印刷",
    "プリンター",
    "設定",
    "接続",
    "画面",
    "電池",
    "更新",
    "故障",
    "返金",
    "配送",
    "保証",
    "自動ドア",
    "感度",
    "用紙",
    "詰まり",
    "トナー",
    "ドライバー",
    "無線",
    "カメラ",
    "レンズ",
    "同期",
    "表示",
    "起動",
    "動作",
    "水漏れ",
    "請求書",
    "返品",
    "交換",
    "修理",
    "問い合わせ",
    "アプリ",
    "ログイン",
    "パスワード",
    "アカウント",
    "エラー",
    "充電器",
    "音量",
    "電源",
    "注文",
    "本体",
    "ボタン",
    "反応",
    "最新",
    "毎朝",
    "最近",
];

const SYLLABLES: &[&str] = &[
    "ka", "ri", "to", "men", "sel", "pro", "ter", "lin", "dor", "vat", "mi", "ne", "sor", "pa",
    "gel", "bri", "cu", "tan", "lo", "fer", "qua", "dex", "mo", "run", "sta", "bel", "xi", "nor",
    "pet", "zu", "har", "vin",
];

const KANJI: &[&str] = &[
    "機", "能", "不", "良", "音", "声", "温", "度", "品", "質", "部", "材", "容", "量", "速", "状",
    "態", "確", "認", "操", "作", "方", "法", "原", "因", "調", "査", "対", "応", "手", "順", "番",
    "号", "内", "外", "側", "面", "色", "光", "熱", "冷", "水", "風", "紙", "型", "式", "新", "旧",
    "高", "低", "強", "弱", "開", "閉", "始", "終", "前", "後", "上", "下",
];

const PARTICLES: &[&str] = &["の", "が", "を", "に", "で", "は", "と", "も"];
const ENDINGS: &[&str] = &[
    "ません。",
    "です。",
    "ました。",
    "しています。",
    "できない。",
];

/// A vocabulary with its words' Zipf weights, most common first.
struct Vocabulary {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

impl Vocabulary {
    fn new(words: Vec<String>) -> Vocabulary {
        let mut total = 0.0;
        let cumulative = (1..=words.len())
            .map(|rank| {
                total += 1.0 / (rank as f64).powf(1.05);
                total
            })
            .collect();
        Vocabulary { words, cumulative }
    }

    /// A word's rank (0 the most common) drawn by frequency, at or after `from`.
    fn rank(&self, rng: &mut Rng, from: usize) -> usize {
        let from = from.min(self.words.len() - 1);
        let low = if from == 0 {
            0.0
        } else {
            self.cumulative[from - 1]
        };
        let high = self.cumulative[self.cumulative.len() - 1];
        let at = low + rng.unit() * (high - low);
        self.cumulative
            .partition_point(|&c| c < at)
            .clamp(from, self.words.len() - 1)
    }
}

/// English and Japanese text of natural statistics.
pub struct Corpus {
    pub rng: Rng,
    english: Vocabulary,
    japanese: Vocabulary,
}

/// Words of the tail below this rank are the common ones people rarely search for.
pub const FUNCTION_WORDS: usize = 30;

impl Corpus {
    pub fn new(seed: u64) -> Corpus {
        let mut english: Vec<String> = ENGLISH_COMMON.iter().map(|w| w.to_string()).collect();
        let n = SYLLABLES.len();
        for k in 0..6000 {
            let (a, b, c) = (k % n, (k / n) % n, k / (n * n));
            let mut word = format!("{}{}", SYLLABLES[a], SYLLABLES[b]);
            if c > 0 {
                word.push_str(SYLLABLES[c % n]);
            }
            english.push(word);
        }
        let mut japanese: Vec<String> = JAPANESE_COMMON.iter().map(|w| w.to_string()).collect();
        let n = KANJI.len();
        for k in 0..3000 {
            let (a, b) = (k % n, (k / n) % n);
            japanese.push(format!("{}{}", KANJI[a], KANJI[(a + b + 1) % n]));
        }
        dedup(&mut english);
        dedup(&mut japanese);
        Corpus {
            rng: Rng::new(seed),
            english: Vocabulary::new(english),
            japanese: Vocabulary::new(japanese),
        }
    }

    /// `n` words drawn by frequency, skipping the `from` most common.
    pub fn words(&mut self, japanese: bool, n: usize, from: usize) -> Vec<String> {
        let vocabulary = if japanese {
            &self.japanese
        } else {
            &self.english
        };
        (0..n)
            .map(|_| vocabulary.words[vocabulary.rank(&mut self.rng, from)].clone())
            .collect()
    }

    /// A topic title of 4 to 9 words.
    pub fn title(&mut self, japanese: bool) -> String {
        let n = 4 + self.rng.below(6);
        let words = self.words(japanese, n, 0);
        if japanese {
            join_japanese(&mut self.rng, &words, false)
        } else {
            capitalised(&words.join(" "))
        }
    }

    /// Text of about `words` words, in sentences.
    pub fn text(&mut self, japanese: bool, words: usize) -> String {
        let mut out = String::new();
        let mut left = words.max(1);
        while left > 0 {
            let n = (4 + self.rng.below(12)).min(left);
            left -= n;
            let sentence = self.words(japanese, n, 0);
            if japanese {
                out.push_str(&join_japanese(&mut self.rng, &sentence, true));
            } else {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&capitalised(&sentence.join(" ")));
                out.push('.');
            }
        }
        out
    }

    /// A length drawn from a long-tailed distribution between `min` and `max` (most near
    /// `min`, a few long).
    pub fn length(&mut self, min: usize, max: usize) -> usize {
        let u = self.rng.unit();
        min + ((max - min) as f64 * u * u * u) as usize
    }
}

fn dedup(words: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    words.retain(|w| seen.insert(w.clone()));
}

fn join_japanese(rng: &mut Rng, words: &[String], sentence: bool) -> String {
    let mut out = String::new();
    for (i, word) in words.iter().enumerate() {
        out.push_str(word);
        if i + 1 < words.len() {
            out.push_str(PARTICLES[rng.below(PARTICLES.len())]);
        }
    }
    if sentence {
        out.push_str(ENDINGS[rng.below(ENDINGS.len())]);
    }
    out
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_words_are_common_and_the_tail_is_long() {
        let mut corpus = Corpus::new(7);
        let words = corpus.words(false, 100_000, 0);
        let count = |w: &str| words.iter().filter(|x| *x == w).count();
        assert!(count("the") > 5_000, "the: {}", count("the"));
        assert!(count("printer") > 100);
        let distinct: std::collections::HashSet<&String> = words.iter().collect();
        assert!(distinct.len() > 3_000, "{}", distinct.len());
        // the same seed, the same text
        assert_eq!(Corpus::new(7).title(true), Corpus::new(7).title(true));
    }

    #[test]
    fn japanese_has_no_spaces_and_english_has_sentences() {
        let mut corpus = Corpus::new(3);
        let ja = corpus.text(true, 40);
        assert!(!ja.contains(' ') && ja.ends_with('。'), "{ja}");
        let en = corpus.text(false, 40);
        assert!(en.ends_with('.') && en.split(' ').count() == 40, "{en}");
    }
}
