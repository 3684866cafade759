//! `kotae copy-to`: a SQLite installation's rows into an empty PostgreSQL database. The source
//! is read in one transaction (one snapshot) and the target written in one, so an interrupted
//! copy leaves the target as empty as it found it and can simply be run again.
//!
//! Rows travel as JSON: SQLite's `json_object` writes each row, PostgreSQL's
//! `json_populate_recordset` reads a batch of them into the table's own column types.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context as _, bail};
use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::{PgConnection, SqliteConnection, sql_query};

/// Rows per statement, and the most JSON one statement carries.
const BATCH_ROWS: usize = 5000;
const BATCH_BYTES: usize = 4 << 20;

/// Columns per `json_object` call (two arguments each, under SQLite's limit of 127).
const COLUMNS_PER_OBJECT: usize = 50;

/// One table: its columns, the tables its rows refer to, and the columns that refer to its
/// own rows (filled in once all of its rows are in).
struct Table {
    name: String,
    columns: Vec<String>,
    key: Option<String>,
    parents: BTreeSet<String>,
    self_refs: Vec<String>,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    pk: i64,
}

#[derive(QueryableByName)]
struct Reference {
    #[diesel(sql_type = Text)]
    parent: String,
    #[diesel(sql_type = Text)]
    column: String,
}

#[derive(QueryableByName)]
struct Json {
    #[diesel(sql_type = Text)]
    json: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Serial {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    column: String,
}

/// Copies every table, in an order where each row's parents are in before it; calls
/// `started` with each table's name as it begins. Returns each table's row count, checked
/// equal on both sides.
pub fn copy(
    source: &mut SqliteConnection,
    target: &mut PgConnection,
    started: &mut dyn FnMut(&str),
) -> anyhow::Result<Vec<(String, i64)>> {
    source.transaction(|source| {
        target.transaction(|target| {
            let tables = in_order(source_tables(source)?)?;
            check_same_tables(target, &tables)?;
            check_empty(target, &tables)?;
            let mut counts = Vec::with_capacity(tables.len());
            for table in &tables {
                started(&table.name);
                copy_rows(source, target, table)?;
                let here = count(&table.name).get_result::<Count>(source)?.n;
                let there = count(&table.name).get_result::<Count>(target)?.n;
                if here != there {
                    bail!("{}: {here} rows in SQLite but {there} copied", table.name);
                }
                counts.push((table.name.clone(), here));
            }
            reset_sequences(target)?;
            Ok(counts)
        })
    })
}

/// Table and column names go into SQL text; these are our own, but refuse anything odd.
fn plain(name: &str) -> anyhow::Result<&str> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        bail!("unexpected table or column name {name:?}");
    }
    Ok(name)
}

fn source_tables(c: &mut SqliteConnection) -> anyhow::Result<Vec<Table>> {
    let names: Vec<Name> = sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '__diesel_schema_migrations' ORDER BY name",
    )
    .load(c)?;
    names
        .into_iter()
        .map(|Name { name }| {
            plain(&name)?;
            let columns: Vec<Column> = sql_query(format!(
                "SELECT name, pk FROM pragma_table_info('{name}') ORDER BY cid"
            ))
            .load(c)?;
            let references: Vec<Reference> = sql_query(format!(
                "SELECT \"table\" AS parent, \"from\" AS \"column\" \
                 FROM pragma_foreign_key_list('{name}')"
            ))
            .load(c)?;
            let keys: Vec<&Column> = columns.iter().filter(|c| c.pk > 0).collect();
            let key = match keys.as_slice() {
                [one] => Some(one.name.clone()),
                _ => None,
            };
            let (own, others): (Vec<Reference>, Vec<Reference>) =
                references.into_iter().partition(|r| r.parent == name);
            for column in &columns {
                plain(&column.name)?;
            }
            Ok(Table {
                columns: columns.into_iter().map(|c| c.name).collect(),
                key,
                parents: others.into_iter().map(|r| r.parent).collect(),
                self_refs: own.into_iter().map(|r| r.column).collect(),
                name,
            })
        })
        .collect()
}

/// Parents before children; a cycle between tables cannot be copied this way and is named.
fn in_order(tables: Vec<Table>) -> anyhow::Result<Vec<Table>> {
    let mut left: BTreeMap<String, Table> =
        tables.into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut done = BTreeSet::new();
    let mut ordered = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let ready: Vec<String> = left
            .values()
            .filter(|t| t.parents.is_subset(&done))
            .map(|t| t.name.clone())
            .collect();
        if ready.is_empty() {
            let stuck: Vec<&str> = left.keys().map(String::as_str).collect();
            bail!(
                "these tables refer to each other in a cycle: {}",
                stuck.join(", ")
            );
        }
        for name in ready {
            ordered.extend(left.remove(&name));
            done.insert(name);
        }
    }
    Ok(ordered)
}

fn check_same_tables(c: &mut PgConnection, tables: &[Table]) -> anyhow::Result<()> {
    let there: BTreeSet<String> = sql_query(
        "SELECT table_name::text AS name FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
         AND table_name <> '__diesel_schema_migrations'",
    )
    .load::<Name>(c)?
    .into_iter()
    .map(|n| n.name)
    .collect();
    let here: BTreeSet<String> = tables.iter().map(|t| t.name.clone()).collect();
    if here != there {
        let missing: Vec<&String> = here.difference(&there).collect();
        let extra: Vec<&String> = there.difference(&here).collect();
        bail!(
            "the two databases' tables differ (missing in PostgreSQL: {missing:?}; only in \
             PostgreSQL: {extra:?}); copy into a database that only Kotae uses"
        );
    }
    Ok(())
}

fn check_empty(c: &mut PgConnection, tables: &[Table]) -> anyhow::Result<()> {
    for table in tables {
        let n = count(&table.name).get_result::<Count>(c)?.n;
        if n > 0 {
            bail!(
                "the PostgreSQL database holds data already ({n} rows in {}); copy-to fills \
                 an empty database only (a copy that was interrupted leaves it empty; one \
                 stopped after it said \"copied\" is complete: run kotae reindex with the new \
                 database URL to finish the search index)",
                table.name
            );
        }
    }
    Ok(())
}

fn count(table: &str) -> diesel::query_builder::SqlQuery {
    sql_query(format!("SELECT COUNT(*) AS n FROM \"{table}\""))
}

/// `json_object('a', "a", ...)` over the columns, patched together past SQLite's argument limit.
fn json_of(columns: &[String]) -> String {
    columns
        .chunks(COLUMNS_PER_OBJECT)
        .map(|chunk| {
            let pairs: Vec<String> = chunk.iter().map(|c| format!("'{c}', \"{c}\"")).collect();
            format!("json_object({})", pairs.join(", "))
        })
        .reduce(|a, b| format!("json_patch({a}, {b})"))
        .unwrap_or_else(|| "json_object()".into())
}

fn copy_rows(
    source: &mut SqliteConnection,
    target: &mut PgConnection,
    table: &Table,
) -> anyhow::Result<()> {
    let name = &table.name;
    let quoted: Vec<String> = table.columns.iter().map(|c| format!("\"{c}\"")).collect();
    let values: Vec<String> = table
        .columns
        .iter()
        .map(|c| match table.self_refs.contains(c) {
            true => "NULL".to_string(),
            false => format!("\"{c}\""),
        })
        .collect();
    let read = format!(
        "SELECT {} AS json FROM \"{name}\" ORDER BY rowid",
        json_of(&table.columns)
    );
    let insert = format!(
        "INSERT INTO \"{name}\" ({}) SELECT {} FROM json_populate_recordset(NULL::\"{name}\", $1::json)",
        quoted.join(", "),
        values.join(", ")
    );
    in_batches(source, target, &read, &insert).with_context(|| format!("copying {name}"))?;
    for column in &table.self_refs {
        let Some(key) = &table.key else {
            bail!("{name} refers to itself but has no one-column key");
        };
        let read = format!(
            "SELECT {} AS json FROM \"{name}\" WHERE \"{column}\" IS NOT NULL ORDER BY rowid",
            json_of(&[key.clone(), column.clone()])
        );
        let update = format!(
            "UPDATE \"{name}\" SET \"{column}\" = v.\"{column}\" \
             FROM json_populate_recordset(NULL::\"{name}\", $1::json) AS v \
             WHERE \"{name}\".\"{key}\" = v.\"{key}\""
        );
        in_batches(source, target, &read, &update)
            .with_context(|| format!("copying {name}.{column}"))?;
    }
    Ok(())
}

/// Streams the rows `read` gives and hands them to `write` as JSON arrays of bounded size.
fn in_batches(
    source: &mut SqliteConnection,
    target: &mut PgConnection,
    read: &str,
    write: &str,
) -> anyhow::Result<()> {
    let mut batch = String::new();
    let mut rows = 0;
    let mut flush = |batch: &mut String| -> anyhow::Result<()> {
        batch.push(']');
        sql_query(write).bind::<Text, _>(&*batch).execute(target)?;
        batch.clear();
        Ok(())
    };
    for row in sql_query(read).load_iter::<Json, DefaultLoadingMode>(source)? {
        batch.push(if rows == 0 { '[' } else { ',' });
        batch.push_str(&row?.json);
        rows += 1;
        if rows == BATCH_ROWS || batch.len() >= BATCH_BYTES {
            flush(&mut batch)?;
            rows = 0;
        }
    }
    if rows > 0 {
        flush(&mut batch)?;
    }
    Ok(())
}

/// Each serial column's sequence continues after the largest copied value.
fn reset_sequences(c: &mut PgConnection) -> anyhow::Result<()> {
    let serials: Vec<Serial> = sql_query(
        "SELECT table_name::text AS name, column_name::text AS \"column\" \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'",
    )
    .load(c)?;
    for Serial { name, column } in serials {
        let (name, column) = (plain(&name)?, plain(&column)?);
        sql_query(format!(
            "SELECT setval(pg_get_serial_sequence('\"{name}\"', '{column}'), \
             COALESCE(MAX(\"{column}\"), 0) + 1, false) FROM \"{name}\""
        ))
        .execute(c)?;
    }
    Ok(())
}
