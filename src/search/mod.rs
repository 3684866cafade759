//! Search: a tantivy index on disk under the data directory, derived from the database.
//! Every write that changes searchable content notes the topic in `search_changes` in its
//! own transaction; the indexer applies the log in order and commits with the last applied
//! sequence number as the commit's payload, so a restart carries on where it stopped.

pub mod analyzer;
pub mod indexer;
pub mod query;
mod snippet;
pub mod tally;

use std::path::Path;
use std::sync::Mutex;

use anyhow::Context as _;
use tantivy::collector::{Collector, TopDocs};
use tantivy::query::Query;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, TantivyDocument,
    Term,
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
    let fields = Fields {
        topic_id: builder.add_u64_field("topic_id", INDEXED | STORED | FAST),
        // title, body and replies: where words are found (query.rs)
        text: builder.add_text_field("text", text(false)),
        title: builder.add_text_field("title", text(true)),
        body: builder.add_text_field("body", text(true)),
        brand: builder.add_text_field("brand", STRING | STORED),
        kind: builder.add_text_field("kind", STRING | STORED),
        status: builder.add_text_field("status", STRING | STORED),
        product: builder.add_text_field("product", STRING),
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
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Relevance,
    Newest,
}

/// One page of results.
#[derive(Debug, Default)]
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

impl SearchIndex {
    /// Opens the index in `dir`, creating it (or starting it afresh when its schema is not
    /// ours) as needed.
    pub fn open(dir: &Path) -> anyhow::Result<SearchIndex> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let (schema, fields) = schema();
        let index = match Index::open_in_dir(dir) {
            Ok(index) if index.schema() == schema => index,
            Ok(_) | Err(_) => {
                // a different schema, or none yet: start afresh; the log refills it
                for entry in std::fs::read_dir(dir)? {
                    let path = entry?.path();
                    if path.is_file() {
                        std::fs::remove_file(path)?;
                    }
                }
                Index::create_in_dir(dir, schema).context("cannot create the search index")?
            }
        };
        Self::from_index(index, fields)
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
        let writer = index
            .writer(WRITER_MEMORY)
            .context("the search index is in use by another process")?;
        Ok(SearchIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
        })
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
        let mut writer = self
            .writer
            .lock()
            .map_err(|_| anyhow::anyhow!("index writer poisoned"))?;
        for (id, doc) in changes {
            writer.delete_term(Term::from_field_u64(self.fields.topic_id, id.0 as u64));
            if let Some(doc) = doc {
                writer.add_document(self.document(&doc))?;
            }
        }
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&seq.to_string());
        commit.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// Empties the index (for a rebuild).
    pub fn clear(&self) -> anyhow::Result<()> {
        let mut writer = self
            .writer
            .lock()
            .map_err(|_| anyhow::anyhow!("index writer poisoned"))?;
        writer.delete_all_documents()?;
        writer.commit()?;
        Ok(())
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

    /// Runs a query built by `query::build`: one pass over the matches ranks them and
    /// counts them by brand, kind and status.
    pub fn search(
        &self,
        q: &dyn Query,
        sort: SortBy,
        limit: usize,
        offset: usize,
    ) -> anyhow::Result<Found> {
        let searcher = self.reader.searcher();
        let top = TopDocs::with_limit(limit.max(1)).and_offset(offset);
        let (addresses, counts) = match sort {
            SortBy::Relevance => ranked(&searcher, q, top.order_by_score())?,
            SortBy::Newest => {
                let by_date = top.order_by_fast_field::<i64>("created", Order::Desc);
                let (newest, counts) = ranked(&searcher, q, by_date)?;
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
        let mut analyzer = analyzer::index_analyzer();
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
                snippet_html: snippet::snippet(&mut analyzer, body, &terms, 200),
            });
        }
        Ok(Found { hits, counts })
    }

    /// Which of `ids` the query matches (for monitors, right after those were indexed).
    pub fn matching_among(&self, q: &dyn Query, ids: &[TopicId]) -> anyhow::Result<Vec<TopicId>> {
        use tantivy::query::{BooleanQuery, Occur, TermSetQuery};
        let searcher = self.reader.searcher();
        let among = TermSetQuery::new(
            ids.iter()
                .map(|id| Term::from_field_u64(self.fields.topic_id, id.0 as u64)),
        );
        let both = BooleanQuery::new(vec![
            (Occur::Must, q.box_clone()),
            (Occur::Must, Box::new(among)),
        ]);
        let top = TopDocs::with_limit(ids.len().max(1)).order_by_score();
        let mut found = vec![];
        for (_, address) in searcher.search(&both, &top)? {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(id) = doc.get_first(self.fields.topic_id).and_then(|v| v.as_u64()) {
                found.push(TopicId(id as i64));
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
