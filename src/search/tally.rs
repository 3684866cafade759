//! A collector that counts the matches by brand, kind and status in the same pass that ranks
//! them. Each document carries the three packed in one number (`pack`), so a match costs one
//! read of a dense column and three array increments.

use std::collections::{BTreeMap, HashMap};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Cardinality, Column};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::model::topic_status::{Kind, Status};

/// The fast field that holds `pack`'s number.
pub const FIELD: &str = "facets";
/// Brand ids below this are counted in an array, above it in a map.
const DENSE_BRANDS: u64 = 1 << 16;
const UNKNOWN: u64 = 0xff;

/// Brand id, kind and status in one number: brand << 16 | kind << 8 | status.
pub fn pack(brand_id: i64, kind: &str, status: &str) -> u64 {
    let kind = Kind::ALL.iter().position(|k| k.as_str() == kind);
    let status = Status::ALL.iter().position(|s| s.as_str() == status);
    let code = |i: Option<usize>| i.map_or(UNKNOWN, |i| i as u64);
    (brand_id.max(0) as u64) << 16 | code(kind) << 8 | code(status)
}

/// What the matches hold: brand ids, kind and status names, with their counts.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    pub total: usize,
    pub brands: BTreeMap<i64, u64>,
    pub kinds: BTreeMap<String, u64>,
    pub statuses: BTreeMap<String, u64>,
}

pub struct Tally;

pub struct SegmentTally {
    total: usize,
    column: Option<Column<u64>>,
    dense: bool,
    kinds: [u64; 256],
    statuses: [u64; 256],
    brands: Vec<u64>,
    far_brands: HashMap<u64, u64>,
    block: Vec<u64>,
}

impl Collector for Tally {
    type Fruit = Counts;
    type Child = SegmentTally;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentTally> {
        let column = segment.fast_fields().u64(FIELD).ok();
        let dense = column
            .as_ref()
            .is_some_and(|c| c.get_cardinality() == Cardinality::Full);
        let top_brand = column.as_ref().map_or(0, |c| c.max_value() >> 16);
        Ok(SegmentTally {
            total: 0,
            column,
            dense,
            kinds: [0; 256],
            statuses: [0; 256],
            brands: vec![0; (top_brand.min(DENSE_BRANDS) + 1) as usize],
            far_brands: HashMap::new(),
            block: vec![0; tantivy::COLLECT_BLOCK_BUFFER_LEN],
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Counts>) -> tantivy::Result<Counts> {
        let mut all = Counts::default();
        for segment in segments {
            all.total += segment.total;
            add(&mut all.brands, segment.brands);
            add(&mut all.kinds, segment.kinds);
            add(&mut all.statuses, segment.statuses);
        }
        Ok(all)
    }
}

fn add<K: Ord>(into: &mut BTreeMap<K, u64>, from: BTreeMap<K, u64>) {
    for (key, n) in from {
        *into.entry(key).or_default() += n;
    }
}

impl SegmentTally {
    fn count(&mut self, packed: u64) {
        self.kinds[(packed >> 8 & 0xff) as usize] += 1;
        self.statuses[(packed & 0xff) as usize] += 1;
        let brand = packed >> 16;
        match self.brands.get_mut(brand as usize) {
            Some(n) => *n += 1,
            None => *self.far_brands.entry(brand).or_default() += 1,
        }
    }
}

impl SegmentCollector for SegmentTally {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.total += 1;
        let Some(column) = &self.column else {
            return;
        };
        let packed = if self.dense {
            column.values.get_val(doc)
        } else {
            match column.first(doc) {
                Some(packed) => packed,
                None => return,
            }
        };
        self.count(packed);
    }

    /// Without scores (the usual way here), a block of matches at a time.
    fn collect_block(&mut self, docs: &[DocId]) {
        let Some(column) = self.column.as_ref().filter(|_| self.dense) else {
            for &doc in docs {
                self.collect(doc, 0.0);
            }
            return;
        };
        self.total += docs.len();
        let mut block = std::mem::take(&mut self.block);
        block.resize(docs.len(), 0);
        column.values.get_vals(docs, &mut block);
        for &packed in &block {
            self.count(packed);
        }
        self.block = block;
    }

    fn harvest(self) -> Counts {
        let named = |counts: [u64; 256], names: &mut dyn Iterator<Item = &'static str>| {
            names
                .zip(counts)
                .filter(|(_, n)| *n > 0)
                .map(|(name, n)| (name.to_string(), n))
                .collect()
        };
        let brands = self
            .brands
            .into_iter()
            .enumerate()
            .map(|(id, n)| (id as u64, n))
            .chain(self.far_brands)
            .filter(|(_, n)| *n > 0)
            .map(|(id, n)| (id as i64, n))
            .collect();
        Counts {
            total: self.total,
            brands,
            kinds: named(self.kinds, &mut Kind::ALL.iter().map(|k| k.as_str())),
            statuses: named(self.statuses, &mut Status::ALL.iter().map(|s| s.as_str())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_brand_kind_and_status() {
        assert_eq!(pack(3, "problem", "solved"), 3 << 16 | 1 << 8 | 4);
        assert_eq!(pack(1, "nonsense", "open"), 1 << 16 | UNKNOWN << 8);
    }
}
