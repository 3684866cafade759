//! The command line: `kotae serve` (the default) and the operator's commands.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::db::Checkpoints;

#[derive(Parser)]
#[command(
    name = "kotae",
    version,
    about = "Community Q&A for brands: customers help customers"
)]
pub struct Cli {
    /// A TOML settings file (default: ./kotae.toml if it exists); KOTAE_* variables override it.
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the site (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load a small demo community (brands, members, threads in English and Japanese); with
    /// --topics, also generate a large one for benchmarks (and index it for search).
    Demo {
        /// Topics to generate (none: only the small demo).
        #[arg(long)]
        topics: Option<usize>,
        /// Brands the generated topics spread over.
        #[arg(long, default_value_t = 20)]
        brands: usize,
        /// Members who post and answer (default: one per 5 topics, at least 200).
        #[arg(long)]
        members: Option<usize>,
        /// Replies per topic, on average.
        #[arg(long, default_value_t = 10)]
        replies: usize,
        /// Seed of the generator: the same seed gives the same community.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Rebuild this node's search index from the database (run it with the server stopped).
    Reindex,
    /// Write a consistent copy of the SQLite database to FILE while the server serves
    /// (PostgreSQL: use pg_dump). FILE must not exist yet.
    Backup { file: PathBuf },
    /// Copy this SQLite installation into an empty PostgreSQL database (run it with the server
    /// stopped), check every table's row count and rebuild the search index from the copy.
    /// Interrupted, it leaves the target empty and can be run again.
    CopyTo { postgres_url: String },
    /// Take one inbound mail from standard input (an MTA's pipe transport): a reply to a
    /// notification mail becomes its sender's reply. Exits 0 when it is posted and when it
    /// is dropped (logged), 75 (try again later) when the database cannot take it.
    MailIn,
    /// Create a site admin, or make an existing account one. The password is read from a
    /// prompt, or from the first line of standard input when it is not a terminal.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
    },
}

/// Parses arguments and settings, then runs the command.
pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    init_logging(&config.log, config.log_json);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => actix_web::rt::System::new().block_on(crate::app::serve(config)),
        Command::Migrate => {
            std::fs::create_dir_all(&config.data_dir)?;
            crate::app::open_database(&config, Checkpoints::ByConnections)?;
            println!("migrations are up to date");
            Ok(())
        }
        Command::CreateAdmin { username, email } => create_admin(&config, &username, &email),
        Command::MailIn => mail_in(&config),
        Command::Demo {
            topics,
            brands,
            members,
            replies,
            seed,
        } => {
            std::fs::create_dir_all(&config.data_dir)?;
            let db = crate::app::open_database(&config, Checkpoints::ByConnections)?;
            crate::demo::load(&mut *db.get()?)?;
            let Some(topics) = topics else {
                return Ok(());
            };
            let options = crate::demo::generated::Options {
                topics,
                brands: brands.clamp(1, 10_000),
                members: members.unwrap_or(topics / 5).max(200),
                replies: replies.min(1000),
                seed,
            };
            generate(&config, &db, &options)
        }
        Command::Backup { file } => backup(&config, &file),
        Command::CopyTo { postgres_url } => copy_to(&config, &postgres_url),
        Command::Reindex => {
            std::fs::create_dir_all(&config.data_dir)?;
            let db = crate::app::open_database(&config, Checkpoints::ByConnections)?;
            let index = crate::search::SearchIndex::open_empty(&config.search_dir())?;
            let started = std::time::Instant::now();
            let count = crate::search::indexer::rebuild(&mut *db.get()?, &index)?;
            println!(
                "search index rebuilt: {count} topics in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

/// `VACUUM INTO` reads one snapshot inside a read transaction, so writers go on meanwhile
/// (WAL) and the copy is what was committed when it began, compacted.
fn backup(config: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    use diesel::RunQueryDsl as _;
    if crate::db::Backend::of_url(&config.database_url) != crate::db::Backend::Sqlite {
        anyhow::bail!(
            "kotae backup copies a SQLite database; back up PostgreSQL with pg_dump (see the README)"
        );
    }
    if file.exists() {
        anyhow::bail!("{} exists already; name a new file", file.display());
    }
    let target = file
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("{} is not a UTF-8 path", file.display()))?;
    let db = crate::app::open_database(config, Checkpoints::ByConnections)?;
    let started = std::time::Instant::now();
    match &mut *db.get()? {
        crate::db::DbConn::Sqlite(c) => diesel::sql_query("VACUUM INTO ?")
            .bind::<diesel::sql_types::Text, _>(target)
            .execute(c)?,
        crate::db::DbConn::Postgres(_) => unreachable!("checked above"),
    };
    let bytes = std::fs::metadata(file)?.len();
    println!(
        "backed up to {} ({:.1} MiB in {:.1} s); keep {} with it",
        file.display(),
        bytes as f64 / 1048576.0,
        started.elapsed().as_secs_f64(),
        config.data_dir.join("secret.key").display()
    );
    Ok(())
}

fn copy_to(config: &Config, url: &str) -> anyhow::Result<()> {
    use crate::db::{Backend, DbConn, migrate, redact};
    if Backend::of_url(&config.database_url) != Backend::Sqlite {
        bail!("kotae copy-to copies a SQLite installation; this one uses PostgreSQL already");
    }
    if Backend::of_url(url) != Backend::Postgres {
        bail!("name the target as a postgres:// URL");
    }
    // the server holds the index open: this fails at once, before any copying, if it runs
    let index = crate::search::SearchIndex::open(&config.search_dir())
        .context("cannot open the search index; stop the server first")?;
    let started = std::time::Instant::now();
    let mut source = crate::db::connect(&config.database_url)?;
    migrate::run(&mut source)?;
    let mut target = crate::db::connect(url)?;
    migrate::run(&mut target)?;
    let counts = match (&mut source, &mut target) {
        (DbConn::Sqlite(source), DbConn::Postgres(target)) => {
            crate::db::copy::copy(source, target, &mut |table| println!("copying {table}"))?
        }
        _ => unreachable!("backends checked above"),
    };
    let rows: i64 = counts.iter().map(|(_, n)| n).sum();
    println!(
        "copied {rows} rows in {} tables in {:.1} s; every table's count agrees",
        counts.len(),
        started.elapsed().as_secs_f64()
    );
    let topics = crate::search::indexer::rebuild(&mut target, &index)?;
    println!(
        "search index rebuilt from PostgreSQL: {topics} topics ({:.1} s in all)",
        started.elapsed().as_secs_f64()
    );
    println!(
        "Now set KOTAE_DATABASE_URL={} (environment or kotae.toml) and start the server; keep \
         the data directory {} (its secret.key signs sessions and links). The SQLite file is \
         left as it was.",
        redact(url),
        config.data_dir.display()
    );
    Ok(())
}

fn mail_in(config: &Config) -> anyhow::Result<()> {
    use std::io::Read as _;
    let max = crate::mail::inbound::INBOUND_MAX as u64;
    let mut stdin = std::io::stdin().lock();
    let mut raw = Vec::new();
    (&mut stdin).take(max + 1).read_to_end(&mut raw)?;
    // the rest of an oversize message is read and dropped, so the MTA sees no broken pipe
    std::io::copy(&mut stdin, &mut std::io::sink())?;
    let taken = (|| -> anyhow::Result<crate::service::mail_in::Outcome> {
        let db = crate::app::open_database(config, Checkpoints::ByConnections)?;
        let mail = crate::app::command_composer(config)?;
        Ok(crate::service::mail_in::receive(
            &mut *db.get()?,
            &mail,
            &raw,
        )?)
    })();
    match taken {
        Ok(outcome) => {
            println!("{}", serde_json::to_string(&outcome)?);
            Ok(())
        }
        Err(e) => {
            eprintln!("kotae mail-in: {e:#}; the mail system should try again later");
            std::process::exit(75)
        }
    }
}

/// Generates the large demo and rebuilds the search index over everything, each chunk of
/// topics indexed (on the index's own threads) while the next one is generated.
fn generate(
    config: &Config,
    db: &crate::db::Db,
    options: &crate::demo::generated::Options,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let index = crate::search::SearchIndex::open(&config.search_dir())?;
    let mut c = db.get()?;
    let mut rebuild = crate::search::indexer::Rebuild::start(&mut c, &index)?;
    rebuild.add_all(&mut c)?;
    let report =
        crate::demo::generated::generate(&mut c, options, &mut |c, ids| rebuild.add(c, ids))?;
    let loaded = started.elapsed().as_secs_f64();
    rebuild.finish()?;
    drop(c);
    // the planner's statistics now, or the server's first start gathers them (over a second)
    crate::db::backend::refresh_statistics(&mut *db.get()?)?;
    let total = started.elapsed().as_secs_f64();
    let posts = report.topics + report.replies;
    println!(
        "Generated {} brands, {} members, {} topics, {} replies, {} me-toos: {posts} posts in {loaded:.1} s, \
         indexed for search by {total:.1} s ({:.0} posts/s in all).",
        report.brands,
        report.members,
        report.topics,
        report.replies,
        report.me_toos,
        posts as f64 / total
    );
    Ok(())
}

fn init_logging(filter: &str, json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| "info".into());
    let lines = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    if json {
        // the request's span (its id) goes on every line it logs
        lines
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        lines.with_ansi(std::io::stdout().is_terminal()).init();
    }
}

fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Password again: ")?;
        if first != again {
            bail!("the passwords differ");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn create_admin(config: &Config, username: &str, email: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)?;
    let db = crate::app::open_database(config, Checkpoints::ByConnections)?;
    let password = read_password()?;
    let mut errors = vec![];
    crate::service::validate::new_password("password", &password, &mut errors);
    if let Some(e) = errors.first() {
        bail!("password {}", e.message);
    }
    let hash = crate::password::hash_now(&password)?;
    let user = crate::service::account::create_admin(&mut *db.get()?, username, email, &hash)
        .map_err(|e| match e {
            crate::error::AppError::Validation(errors) => anyhow::anyhow!(
                "{}",
                errors
                    .iter()
                    .map(|e| format!("{} {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            other => anyhow::anyhow!(other),
        })?;
    println!("{} is a site admin (id {})", user.username, user.id);
    Ok(())
}
