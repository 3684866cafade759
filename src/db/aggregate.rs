//! Aggregate queries written as SQL text, for what diesel's query builder cannot say on both
//! backends (window functions, time arithmetic): one text with `?` placeholders, adapted to
//! each backend's dialect and bound the same way on both.

use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::QueryFragment;
use diesel::sql_query;
use diesel::sql_types::{BigInt, Text, Timestamp};
use diesel::sqlite::Sqlite;

use super::DbConn;

/// A value bound to a `?` placeholder.
#[derive(Debug, Clone)]
pub enum Bind {
    Time(NaiveDateTime),
    Int(i64),
    Text(String),
}

/// What differs between the backends in the SQL text itself.
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    postgres: bool,
}

impl Dialect {
    /// The dialect of a connection.
    pub fn of(c: &DbConn) -> Dialect {
        Dialect {
            postgres: matches!(c, DbConn::Postgres(_)),
        }
    }

    /// The smaller of two numbers.
    pub fn least(&self, a: &str, b: &str) -> String {
        if self.postgres {
            format!("LEAST({a}, {b})")
        } else {
            format!("MIN({a}, {b})")
        }
    }

    /// A time as an SQL literal (for times the server computed, never for user input).
    pub fn time_literal(&self, at: NaiveDateTime) -> String {
        let text = at.format("%Y-%m-%d %H:%M:%S%.6f");
        if self.postgres {
            format!("TIMESTAMP '{text}'")
        } else {
            format!("'{text}'")
        }
    }

    /// Seconds since 1970 of a timestamp column, as a double on both backends.
    pub fn epoch(&self, column: &str) -> String {
        if self.postgres {
            format!("CAST(EXTRACT(EPOCH FROM {column}) AS DOUBLE PRECISION)")
        } else {
            format!("((julianday({column}) - 2440587.5) * 86400.0)")
        }
    }

    /// Seconds from `start` to `end`.
    pub fn seconds_between(&self, start: &str, end: &str) -> String {
        format!("({} - {})", self.epoch(end), self.epoch(start))
    }

    /// Whole-number division of a double, rounded down.
    pub fn floor(&self, expression: &str) -> String {
        if self.postgres {
            format!("CAST(FLOOR({expression}) AS BIGINT)")
        } else {
            format!("CAST({expression} AS INTEGER)")
        }
    }

    /// A boolean column compared with true (SQLite stores 0 and 1).
    pub fn is_true(&self, column: &str) -> String {
        if self.postgres {
            column.to_string()
        } else {
            format!("{column} = 1")
        }
    }

    /// A boolean column compared with false.
    pub fn is_false(&self, column: &str) -> String {
        if self.postgres {
            format!("NOT {column}")
        } else {
            format!("{column} = 0")
        }
    }

    /// Tells SQLite which index to read `table` through (its planner, without statistics
    /// for bound ranges, prefers an index that saves a sort over one that covers the query).
    /// PostgreSQL plans from its own statistics.
    pub fn indexed_by(&self, index: &str) -> String {
        if self.postgres {
            String::new()
        } else {
            format!("INDEXED BY {index}")
        }
    }

    /// The text with `?` placeholders numbered `$1, $2, …` on PostgreSQL.
    fn placeholders(&self, sql: &str) -> String {
        if !self.postgres {
            return sql.to_string();
        }
        let mut out = String::with_capacity(sql.len() + 16);
        let mut n = 0;
        for ch in sql.chars() {
            if ch == '?' {
                n += 1;
                out.push_str(&format!("${n}"));
            } else {
                out.push(ch);
            }
        }
        out
    }
}

/// Runs the SQL that `build` writes for the connection's dialect, with `binds` in order.
pub fn load<R>(
    c: &mut DbConn,
    build: impl Fn(&Dialect) -> String,
    binds: &[Bind],
) -> QueryResult<Vec<R>>
where
    R: QueryableByName<Sqlite> + QueryableByName<Pg> + 'static,
{
    match c {
        DbConn::Sqlite(c) => {
            let dialect = Dialect { postgres: false };
            let sql = dialect.placeholders(&build(&dialect));
            bound::<Sqlite>(sql, binds).load(c)
        }
        DbConn::Postgres(c) => {
            let dialect = Dialect { postgres: true };
            let sql = dialect.placeholders(&build(&dialect));
            bound::<Pg>(sql, binds).load(c)
        }
    }
}

fn bound<DB>(
    sql: String,
    binds: &[Bind],
) -> diesel::query_builder::BoxedSqlQuery<'static, DB, diesel::query_builder::SqlQuery>
where
    DB: diesel::backend::Backend
        + diesel::sql_types::HasSqlType<Timestamp>
        + diesel::sql_types::HasSqlType<BigInt>
        + diesel::sql_types::HasSqlType<Text>,
    NaiveDateTime: diesel::serialize::ToSql<Timestamp, DB>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
    String: diesel::serialize::ToSql<Text, DB>,
    diesel::query_builder::SqlQuery: QueryFragment<DB>,
{
    let mut query = sql_query(sql).into_boxed::<DB>();
    for bind in binds {
        query = match bind.clone() {
            Bind::Time(t) => query.bind::<Timestamp, _>(t),
            Bind::Int(i) => query.bind::<BigInt, _>(i),
            Bind::Text(s) => query.bind::<Text, _>(s),
        };
    }
    query
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_numbers_its_placeholders_in_order() {
        let pg = Dialect { postgres: true };
        assert_eq!(pg.placeholders("a = ? AND b < ?"), "a = $1 AND b < $2");
        let sqlite = Dialect { postgres: false };
        assert_eq!(sqlite.placeholders("a = ?"), "a = ?");
    }
}
