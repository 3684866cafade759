//! Search: a tantivy index on disk under the data directory, derived from the database.
//! Every write that changes searchable content notes the topic in `search_changes` in its
//! own transaction; the indexer applies the log in order and commits with the last applied
//! sequence number as the commit's payload, so a restart carries on where it stopped.

pub mod analyzer;
pub mod indexer;
pub mod query;
mod recent;
mod snippet;
pub mod tally;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use anyhow::Context as _;
use tantivy::collector::{Collector, TopDocs};
use tantivy::query::Query;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexSettings, IndexWriter, Order, ReloadPolicy, Searcher,
    TantivyDocument, Term,
};

use crate::model::TopicId;

/// What the index holds of a topic.
#[derive(Debug, Clone)]
pub struct IndexedTopic {
    pub id: TopicId,
    pub brand_id: i64,
    pub brand: String,
    pub kind: String,
    pub status: String,
    pub product: Option<String>,
    pub title: String,
    pub body: String,
    pub replies: String,
    pub created_at: i64,
}

#[derive(Clone, Copy)]
struct Fields {
    topic_id: Field,
    text: Field,
    title: Field,
    body: Field,
    brand: Field,
    kind: Field,
    status: Field,
    product: Field,
    created: Field,
    facets: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = |stored: bool| {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(analyzer::NAME)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let options = TextOptions::default().set_indexing_options(indexing);
        if stored {
            options.set_stored()
        } else {
            options
        }
    };
    // whole values, with frequencies so a filter can join a plain conjunction (query.rs)
    let filter = || {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::WithFreqs);
        TextOptions::default().set_indexing_options(indexing)
    };
    let fields = Fields {
        topic_id: builder.add_u64_field("topic_id", INDEXED | STORED | FAST),
        // title, body and replies: where words are found (query.rs)
        text: builder.add_text_field("text", text(false)),
        title: builder.add_text_field("title", text(true)),
        body: builder.add_text_field("body", text(true)),
        brand: builder.add_text_field("brand", filter().set_stored()),
        kind: builder.add_text_field("kind", filter().set_stored()),
        status: builder.add_text_field("status", filter().set_stored()),
        product: builder.add_text_field("product", filter()),
        created: builder.add_i64_field("created", FAST),
        facets: builder.add_u64_field(tally::FIELD, FAST),
    };
    (builder.build(), fields)
}

/// The search index of one node.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    recent: recent::Recent,
    turns: tokio::sync::Semaphore,
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Relevance,
    Newest,
}

/// One page of results.
#[derive(Debug, Default, Clone)]
pub struct Found {
    pub hits: Vec<Hit>,
    /// How many matched, by brand id, kind and status.
    pub counts: tally::Counts,
}

#[derive(Debug, Clone)]
pub struct Hit {
    pub topic: TopicId,
    pub score: f32,
    pub snippet_html: String,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct Facets {
    pub brand: std::collections::BTreeMap<String, u64>,
    pub kind: std::collections::BTreeMap<String, u64>,
    pub status: std::collections::BTreeMap<String, u64>,
}

const WRITER_MEMORY: usize = 50_000_000;
/// Past this many matches a plain query ranks a shortlist (`best_of_candidates`) ...
const BROAD: usize = 5_000;
/// ... of this many; deeper pages rank every match.
const CANDIDATES: usize = 100;

impl SearchIndex {
    /// Opens the index in `dir`, creating it (or starting it afresh when its schema is not
    /// ours) as needed.
    pub fn open(dir: &Path) -> anyhow::Result<SearchIndex> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let (schema, fields) = schema();
        let index = match Index::open_in_dir(dir) {
            Ok(index) if index.schema() == schema => index,
            // a different schema, or none yet: start afresh; the log refills it
            Ok(_) | Err(_) => create_afresh(dir, schema)?,
        };
        Self::from_index(index, fields)
    }

    /// An empty index in `dir`, whatever was there (for `kotae reindex`, which also brings
    /// an index made by an older version to today's settings).
    pub fn open_empty(dir: &Path) -> anyhow::Result<SearchIndex> {
        // opening it first takes its writer's lock: this fails, deleting nothing, while a
        // server uses it
        drop(Self::open(dir)?);
        let (schema, fields) = schema();
        Self::from_index(create_afresh(dir, schema)?, fields)
    }

    fn from_index(index: Index, fields: Fields) -> anyhow::Result<SearchIndex> {
        index
            .tokenizers()
            .register(analyzer::NAME, analyzer::index_analyzer());
        index
            .tokenizers()
            .register(analyzer::QUERY_NAME, analyzer::query_analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        // the writer's threads (indexing, merging) inherit the priority of the thread that
        // starts them: a background one
        let writer = std::thread::scope(|s| {
            s.spawn(|| {
                lower_priority();
                index.writer(WRITER_MEMORY)
            })
            .join()
        })
        .map_err(|_| anyhow::anyhow!("opening the search index panicked"))?
        .context("the search index is in use by another process")?;
        Ok(SearchIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            recent: Default::default(),
            turns: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ),
        })
    }

    /// A turn to search, to hold while one runs: at most one search per core at a time.
    /// A search is mostly CPU; with eight at once on two cores each took four times as long
    /// and the slowest waited behind the others' time slices (p99 three times p50); taking
    /// turns, each runs to its end and the waiting ones hold no thread or connection.
    pub async fn turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.turns.acquire().await.ok()
    }

    /// The last search_changes sequence number the index holds.
    pub fn applied(&self) -> anyhow::Result<i64> {
        let metas = self.index.load_metas()?;
        Ok(metas.payload.and_then(|p| p.parse().ok()).unwrap_or(0))
    }

    /// Replaces the given topics (None: remove it) and commits with `seq` as the payload.
    pub fn apply(
        &self,
        changes: Vec<(TopicId, Option<IndexedTopic>)>,
        seq: i64,
    ) -> anyhow::Result<()> {
        let writer = self.writer()?;
        for (id, doc) in changes {
            writer.delete_term(Term::from_field_u64(self.fields.topic_id, id.0 as u64));
            if let Some(doc) = doc {
                writer.add_document(self.document(&doc))?;
            }
        }
        self.commit_with(writer, seq)
    }

    /// Empties the index, uncommitted: a rebuild's `add`s follow and one `commit` ends it,
    /// so a rebuild cut short leaves the index as it was.
    pub fn delete_all(&self) -> anyhow::Result<()> {
        self.writer()?.delete_all_documents()?;
        Ok(())
    }

    /// Adds a topic without committing it (a rebuild commits once, at its end: a commit per
    /// chunk made hundreds of small segments for the merger to go over again and again).
    pub fn add(&self, topic: &IndexedTopic) -> anyhow::Result<()> {
        // it waits while the writer's queue is full (10,000 documents), so a rebuild reading
        // faster than the index takes them in holds no more than that
        self.writer()?.add_document(self.document(topic))?;
        Ok(())
    }

    /// Commits what was added, with `seq` as the payload, and opens it for searches.
    pub fn commit(&self, seq: i64) -> anyhow::Result<()> {
        self.commit_with(self.writer()?, seq)
    }

    fn commit_with(&self, mut writer: MutexGuard<'_, IndexWriter>, seq: i64) -> anyhow::Result<()> {
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&seq.to_string());
        commit.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    fn writer(&self) -> anyhow::Result<MutexGuard<'_, IndexWriter>> {
        self.writer
            .lock()
            .map_err(|_| anyhow::anyhow!("index writer poisoned"))
    }

    /// Merges every segment into one: after a rebuild, so every search sets up one segment,
    /// not a dozen. Returns how many segments there were.
    pub fn compact(&self) -> anyhow::Result<usize> {
        let before = self.index.searchable_segment_ids()?.len();
        let mut writer = self.writer()?;
        // a background merge may take some of the segments first: then ask again
        for _ in 0..50 {
            let segments = self.index.searchable_segment_ids()?;
            if segments.len() <= 1 || writer.merge(&segments).wait().is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        drop(writer);
        self.reader.reload()?;
        Ok(before)
    }

    fn document(&self, t: &IndexedTopic) -> TantivyDocument {
        let f = self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.topic_id, t.id.0 as u64);
        doc.add_text(f.title, &t.title);
        doc.add_text(f.body, &t.body);
        // three values, so a phrase never runs from one into the next
        for part in [&t.title, &t.body, &t.replies] {
            doc.add_text(f.text, part);
        }
        doc.add_text(f.brand, &t.brand);
        doc.add_text(f.kind, &t.kind);
        doc.add_text(f.status, &t.status);
        if let Some(p) = &t.product {
            doc.add_text(f.product, p);
        }
        doc.add_i64(f.created, t.created_at);
        doc.add_u64(f.facets, tally::pack(t.brand_id, &t.kind, &t.status));
        doc
    }

    /// Runs a query built by `query::build`: ranks the matches and counts them by brand,
    /// kind and status.
    pub fn search(
        &self,
        built: &query::Built,
        sort: SortBy,
        limit: usize,
        offset: usize,
    ) -> anyhow::Result<Found> {
        let searcher = self.reader.searcher();
        let generation = searcher.generation().generation_id();
        // tantivy's Debug of a query names every clause, field, term and boost in it
        let key = format!("{:?} {sort:?} {limit} {offset}", built.query);
        if let Some(kept) = self.recent.get(generation, &key) {
            return Ok(Found::clone(&kept));
        }
        let found = self.compute(&searcher, built, sort, limit, offset)?;
        self.recent
            .put(generation, key, std::sync::Arc::new(found.clone()));
        Ok(found)
    }

    fn compute(
        &self,
        searcher: &Searcher,
        built: &query::Built,
        sort: SortBy,
        limit: usize,
        offset: usize,
    ) -> anyhow::Result<Found> {
        let q = built.query.as_ref();
        let top = TopDocs::with_limit(limit.max(1)).and_offset(offset);
        let (addresses, counts) = match (sort, &built.core) {
            (SortBy::Relevance, Some(core))
                if offset + limit <= CANDIDATES
                    && most_matches(searcher, core.as_ref())? > BROAD =>
            {
                // the same matches as the whole query's (its other clauses only add to scores)
                let counts = searcher.search(core.as_ref(), &tally::Tally)?;
                let best = if counts.total > BROAD {
                    self.best_of_candidates(searcher, q, core.as_ref(), limit.max(1), offset)?
                } else {
                    searcher.search(q, &top.order_by_score())?
                };
                (best, counts)
            }
            (SortBy::Relevance, _) => ranked(searcher, q, top.order_by_score())?,
            (SortBy::Newest, _) => {
                let by_date = top.order_by_fast_field::<i64>("created", Order::Desc);
                let (newest, counts) = ranked(searcher, q, by_date)?;
                (newest.into_iter().map(|(_, a)| (0.0, a)).collect(), counts)
            }
        };
        let f = self.fields;
        let mut terms = std::collections::HashSet::new();
        q.query_terms(&mut |term, _| {
            if term.field() == f.text
                && let Some(text) = term.value().as_str()
            {
                terms.insert(text.to_string());
            }
        });
        let mut matcher = snippet::Matcher::new(terms);
        let mut hits = Vec::with_capacity(addresses.len());
        for (score, address) in addresses {
            let doc: TantivyDocument = searcher.doc(address)?;
            let value = |field| doc.get_first(field);
            let id = value(f.topic_id)
                .and_then(|v| v.as_u64())
                .unwrap_or_default();
            let body = value(f.body).and_then(|v| v.as_str()).unwrap_or_default();
            hits.push(Hit {
                topic: TopicId(id as i64),
                score,
                snippet_html: snippet::snippet(&mut matcher, body, 200),
            });
        }
        Ok(Found { hits, counts })
    }

    /// For a query that matches most of the index: the best candidates by the plain
    /// conjunction of its terms (which block-max WAND ranks without visiting most matches),
    /// then scored by the whole query, title and body boosts included, and ranked.
    fn best_of_candidates(
        &self,
        searcher: &Searcher,
        q: &dyn Query,
        core: &dyn Query,
        limit: usize,
        offset: usize,
    ) -> anyhow::Result<Vec<(f32, DocAddress)>> {
        use tantivy::DocSet as _;
        use tantivy::query::{EnableScoring, Scorer as _};
        let mut candidates: Vec<DocAddress> = searcher
            .search(core, &TopDocs::with_limit(CANDIDATES).order_by_score())?
            .into_iter()
            .map(|(_, address)| address)
            .collect();
        candidates.sort();
        let weight = q.weight(EnableScoring::enabled_from_searcher(searcher))?;
        let mut scored = Vec::with_capacity(candidates.len());
        for segment in candidates.chunk_by(|a, b| a.segment_ord == b.segment_ord) {
            let reader = searcher.segment_reader(segment[0].segment_ord);
            let mut scorer = weight.scorer(reader, 1.0)?;
            for address in segment {
                if scorer.seek(address.doc_id) == address.doc_id {
                    scored.push((scorer.score(), *address));
                }
            }
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        Ok(scored.into_iter().skip(offset).take(limit).collect())
    }

    /// `q`, but only among the topics `ids`.
    fn among(&self, q: &dyn Query, ids: &[TopicId]) -> tantivy::query::BooleanQuery {
        use tantivy::query::{BooleanQuery, Occur, TermSetQuery};
        let among = TermSetQuery::new(
            ids.iter()
                .map(|id| Term::from_field_u64(self.fields.topic_id, id.0 as u64)),
        );
        BooleanQuery::new(vec![
            (Occur::Must, q.box_clone()),
            (Occur::Must, Box::new(among)),
        ])
    }

    /// Which of `ids` the query matches (for monitors, right after those were indexed).
    pub fn matching_among(&self, q: &dyn Query, ids: &[TopicId]) -> anyhow::Result<Vec<TopicId>> {
        Ok(self
            .scores_among(q, ids)?
            .into_iter()
            .map(|(id, _)| id)
            .collect())
    }

    /// The topics among `ids` that the query matches, with their scores, best first.
    pub fn scores_among(
        &self,
        q: &dyn Query,
        ids: &[TopicId],
    ) -> anyhow::Result<Vec<(TopicId, f32)>> {
        let searcher = self.reader.searcher();
        let both = self.among(q, ids);
        let top = TopDocs::with_limit(ids.len().max(1)).order_by_score();
        let mut found = vec![];
        for (score, address) in searcher.search(&both, &top)? {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(id) = doc.get_first(self.fields.topic_id).and_then(|v| v.as_u64()) {
                found.push((TopicId(id as i64), score));
            }
        }
        Ok(found)
    }

    /// The current searcher (for benchmarks that time tantivy's own collectors).
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    pub fn field_set(&self) -> query::SearchFields {
        let f = self.fields;
        query::SearchFields {
            text: f.text,
            title: f.title,
            body: f.body,
            brand: f.brand,
            kind: f.kind,
            status: f.status,
            product: f.product,
        }
    }
}

/// Removes the index files in `dir` and creates an empty index there.
fn create_afresh(dir: &Path, schema: Schema) -> anyhow::Result<Index> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_file() {
            std::fs::remove_file(path)?;
        }
    }
    // A hit's stored text is read from a block decompressed whole: with tantivy's 16 KiB
    // blocks that was 9% of a search's CPU for ~500 bytes of topic
    let settings = IndexSettings {
        docstore_blocksize: STORE_BLOCK_BYTES,
        ..IndexSettings::default()
    };
    Index::builder()
        .schema(schema)
        .settings(settings)
        .create_in_dir(dir)
        .context("cannot create the search index")
}

const STORE_BLOCK_BYTES: usize = 4096;

/// Lowers the calling thread's CPU priority (nice 10; on Linux the nice value is per thread,
/// and threads it starts inherit it), so work in the background yields to requests.
pub fn lower_priority() {
    // SAFETY: plain system calls on the calling thread; a failure leaves the priority as it was
    let lowered = unsafe {
        let thread = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, thread, BACKGROUND_NICE)
    };
    if lowered != 0 {
        tracing::debug!("could not lower the priority of a background thread");
    }
}

const BACKGROUND_NICE: libc::c_int = 10;

/// At most how many documents a conjunction matches: as many as hold its rarest term. A
/// query known to be narrow is ranked and counted in one pass, not counted first.
fn most_matches(searcher: &Searcher, conjunction: &dyn Query) -> tantivy::Result<usize> {
    let mut terms = vec![];
    conjunction.query_terms(&mut |term, _| terms.push(term.clone()));
    let mut most = usize::MAX;
    for term in &terms {
        most = most.min(searcher.doc_freq(term)? as usize);
    }
    Ok(most)
}

/// The top documents by `top` and the tally of all matches, in one pass.
fn ranked<C, K>(
    searcher: &Searcher,
    q: &dyn Query,
    top: C,
) -> anyhow::Result<(Vec<(K, DocAddress)>, tally::Counts)>
where
    C: Collector<Fruit = Vec<(K, DocAddress)>>,
{
    Ok(searcher.search(q, &(top, tally::Tally))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(id: i64, title: &str, body: &str, replies: &str) -> IndexedTopic {
        IndexedTopic {
            id: TopicId(id),
            brand_id: 1 + id % 3,
            brand: format!("brand{}", 1 + id % 3),
            kind: "question".into(),
            status: "open".into(),
            product: None,
            title: title.into(),
            body: body.into(),
            replies: replies.into(),
            created_at: id,
        }
    }

    #[test]
    fn emptying_an_index_in_use_fails_and_deletes_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let index = SearchIndex::open(dir.path()).expect("index");
        let doc = topic(1, "Printer jams", "Since Monday.", "");
        index
            .apply(vec![(TopicId(1), Some(doc))], 7)
            .expect("indexed");
        assert!(SearchIndex::open_empty(dir.path()).is_err(), "in use");
        drop(index);
        let index = SearchIndex::open(dir.path()).expect("index");
        assert_eq!(index.applied().expect("payload"), 7, "kept");
        drop(index);
        let emptied = SearchIndex::open_empty(dir.path()).expect("emptied");
        assert_eq!(emptied.applied().expect("payload"), 0);
        assert_eq!(emptied.searcher().num_docs(), 0);
        let settings = emptied.index.settings();
        assert_eq!(settings.docstore_blocksize, STORE_BLOCK_BYTES);
    }

    #[test]
    fn a_broad_query_ranks_its_shortlist_as_the_whole_query_would() {
        let dir = tempfile::tempdir().expect("temp dir");
        let index = SearchIndex::open(dir.path()).expect("index");
        let docs = (1..=BROAD as i64 + 1000)
            .map(|id| {
                let doc = match id % 400 {
                    0 => topic(id, "Printer jams", "Since Monday.", "Printer reply."),
                    1..=3 => topic(id, "Jams", "My printer jams.", "A printer reply."),
                    _ => topic(id, "Something else", "Nothing here.", "A printer reply."),
                };
                (TopicId(id), Some(doc))
            })
            .collect();
        index.apply(docs, 1).expect("indexed");
        let parsed = query::parse("printer");
        let built = query::build(&parsed, index.field_set(), query::Match::All);
        assert!(built.core.is_some(), "a plain query");
        let shortlist = index
            .search(&built, SortBy::Relevance, 20, 0)
            .expect("search");
        let exhaustive = query::Built {
            query: built.query.box_clone(),
            core: None,
        };
        let all = index
            .search(&exhaustive, SortBy::Relevance, 20, 0)
            .expect("search");
        assert_eq!(shortlist.counts.total, BROAD + 1000);
        assert_eq!(shortlist.counts.total, all.counts.total);
        assert_eq!(shortlist.counts.brands, all.counts.brands);
        let ids = |found: &Found| found.hits.iter().map(|h| h.topic.0).collect::<Vec<_>>();
        assert_eq!(ids(&shortlist), ids(&all));
        assert!(
            ids(&all).iter().take(15).all(|id| id % 400 == 0),
            "titles first"
        );
        let in_body = |id: &i64| (1..=3).contains(&(id % 400));
        assert!(ids(&all)[15..].iter().all(in_body), "then bodies");
    }
}
