//! The answers of the index's current generation to the queries asked lately. Popular
//! searches repeat; the same query on the same generation gives the same ranking, counts and
//! snippets, so it is computed once. A new generation (the indexer's commit, reloaded)
//! makes every kept answer stale. Visibility is still checked against the database for
//! every request, after this.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::Found;

/// Kept answers at most, and their bytes at most (about); when either is reached, all go and
/// filling starts again.
const ENTRIES: usize = 2000;
const BYTES: usize = 8 * 1024 * 1024;

#[derive(Default)]
pub struct Recent {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    generation: u64,
    answers: HashMap<String, Arc<Found>>,
    bytes: usize,
}

/// About what an answer takes in memory.
fn size_of(key: &str, found: &Found) -> usize {
    let hits: usize = found.hits.iter().map(|h| h.snippet_html.len() + 48).sum();
    let c = &found.counts;
    key.len() + hits + (c.brands.len() + c.kinds.len() + c.statuses.len()) * 48 + 128
}

impl Recent {
    pub fn get(&self, generation: u64, key: &str) -> Option<Arc<Found>> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.generation != generation {
            return None;
        }
        kept.answers.get(key).cloned()
    }

    pub fn put(&self, generation: u64, key: String, found: Arc<Found>) {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.generation != generation {
            if generation < kept.generation {
                return; // an answer of an older generation, finished late
            }
            kept.generation = generation;
            kept.answers.clear();
            kept.bytes = 0;
        }
        let size = size_of(&key, &found);
        if kept.answers.len() >= ENTRIES || kept.bytes + size > BYTES {
            kept.answers.clear();
            kept.bytes = 0;
        }
        kept.bytes += size;
        kept.answers.insert(key, found);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_last_until_the_generation_changes() {
        let recent = Recent::default();
        recent.put(3, "q".into(), Arc::new(Found::default()));
        assert!(recent.get(3, "q").is_some());
        assert!(recent.get(3, "other").is_none());
        assert!(recent.get(4, "q").is_none(), "a new generation");
        recent.put(4, "r".into(), Arc::new(Found::default()));
        assert!(recent.get(4, "q").is_none(), "the old answers went");
        recent.put(3, "late".into(), Arc::new(Found::default()));
        assert!(recent.get(4, "late").is_none() && recent.get(3, "late").is_none());
        for n in 0..ENTRIES + 1 {
            recent.put(4, n.to_string(), Arc::new(Found::default()));
        }
        assert!(
            recent.get(4, &ENTRIES.to_string()).is_some(),
            "bounded, and still filling"
        );
        assert!(recent.get(4, "0").is_none());
    }
}
