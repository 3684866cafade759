//! Wiring: the shared state, the HTTP server with its routes and middleware, the
//! background tasks, and an orderly stop on SIGTERM or ctrl-c.

use std::sync::Arc;

use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context as _;
use tera::Tera;
use tokio::sync::watch;

use crate::config::Config;
use crate::db::{Backend, Checkpoints, Db, migrate};
use crate::mail::Composer;
use crate::mail::sender::{Sender, Transport};
use crate::secret::SigningKey;
use crate::service::{RateLimits, Services};
use crate::web::assets::Assets;
use crate::web::{errors, forms, middleware, templates};

/// What every handler can reach.
pub struct AppState {
    pub services: Services,
    pub config: Arc<Config>,
    pub tera: Arc<Tera>,
    pub key: SigningKey,
    pub base_url: String,
    pub secure_cookies: bool,
    pub views: Arc<crate::jobs::views::ViewCounter>,
    pub search: Arc<crate::search::SearchIndex>,
    pub pages: crate::web::page_cache::PageCache,
    /// Calls out to sign-in providers, with the webhooks' address rules.
    pub outbound: crate::outbound::Client,
    pub metrics: crate::web::metrics::Metrics,
}

impl AppState {
    /// Runs a search's `work` with a pooled connection, in a search turn
    /// (`SearchIndex::turn`) taken before any thread or connection is.
    pub async fn search_in_turn<T, F>(&self, work: F) -> crate::error::AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut crate::db::DbConn) -> crate::error::AppResult<T> + Send + 'static,
    {
        let _turn = self.search.turn().await;
        self.services.db.run(work).await
    }
}

/// Largest JSON body the API accepts: a 50,000-character body of Japanese text fits.
const JSON_LIMIT: usize = 256 * 1024;

/// SIGTERM and SIGINT, registered before the server says it listens, so a stop signal is
/// never met by the default action (an abrupt exit).
fn stop_signals() -> anyhow::Result<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)> {
    use tokio::signal::unix::{SignalKind, signal};
    Ok((
        signal(SignalKind::terminate())?,
        signal(SignalKind::interrupt())?,
    ))
}

/// Stops accepting, lets requests in flight finish, then lets `serve` stop the tasks.
async fn stop_on_signal(
    server: actix_web::dev::ServerHandle,
    (mut terminate, mut interrupt): (tokio::signal::unix::Signal, tokio::signal::unix::Signal),
) {
    let name = tokio::select! {
        _ = terminate.recv() => "SIGTERM",
        _ = interrupt.recv() => "SIGINT",
    };
    tracing::info!("{name} received: finishing requests in flight, then stopping");
    server.stop(true).await;
}

/// Opens the database and applies pending migrations.
pub fn open_database(config: &Config, checkpoints: Checkpoints) -> anyhow::Result<Db> {
    if Backend::of_url(&config.database_url) == Backend::Sqlite
        && let Some(dir) = std::path::Path::new(&config.database_url)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let db = Db::open(&config.database_url, config.db_pool_size, checkpoints)?;
    let applied = migrate::run(&mut *db.get()?)?;
    for name in applied {
        tracing::info!(migration = %name, "migration applied");
    }
    Ok(db)
}

/// The mail composer of a command that runs beside the server (`mail-in`): the server's
/// templates, key and links.
pub fn command_composer(config: &Config) -> anyhow::Result<Composer> {
    let key = SigningKey::load_or_create(config.secret_key.as_deref(), &config.data_dir)?;
    crate::i18n::load_catalogs();
    let tera = Arc::new(templates::load(Arc::new(Assets::load()))?);
    let base_url = config
        .base_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.bind));
    Ok(Composer::new(tera, base_url, &config.mail_from, key))
}

/// Runs the server until a stop signal, then finishes in-flight requests and stops the tasks.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.data_dir.display()
        )
    })?;
    if !config.rate_limits {
        tracing::warn!(
            "RATE LIMITS ARE OFF (KOTAE_RATE_LIMITS=off): only for load tests and benchmarks"
        );
    }
    let db = open_database(&config, Checkpoints::ByCheckpointer)?;
    if db.backend == Backend::Sqlite {
        // one node owns a SQLite file, so leases left by a killed process are stale
        crate::model::outbox::release_leases(&mut *db.get()?)?;
        crate::model::webhook::release_leases(&mut *db.get()?)?;
    }
    let key = SigningKey::load_or_create(config.secret_key.as_deref(), &config.data_dir)?;
    let listener = std::net::TcpListener::bind(config.bind)
        .with_context(|| format!("cannot listen on {} (KOTAE_BIND)", config.bind))?;
    let address = listener.local_addr()?;
    let base_url = config
        .base_url
        .clone()
        .unwrap_or_else(|| format!("http://{address}"));
    crate::i18n::load_catalogs();
    let assets = Arc::new(Assets::load());
    let tera = Arc::new(templates::load(assets.clone())?);
    let composer = Composer::new(
        tera.clone(),
        base_url.clone(),
        &config.mail_from,
        key.clone(),
    );
    let transport = Transport::from_config(config.smtp_url.as_deref(), config.mail_dir())?;
    tokio::task::spawn_blocking(crate::password::warm_up);

    let (stop_tasks, stopped) = watch::channel(false);
    let sender = Sender {
        db: db.clone(),
        transport,
        from: config.mail_from.clone(),
        wake: composer.wake_signal(),
        retry_base: std::time::Duration::from_secs(config.mail_retry_secs),
    };
    let janitor_task = actix_web::rt::spawn(crate::jobs::janitor::run(db.clone(), stopped.clone()));
    let checkpointer = crate::jobs::checkpoint::start(&config.database_url, stopped.clone())?;
    let search = Arc::new(crate::search::SearchIndex::open(&config.search_dir())?);
    let indexer = crate::search::indexer::Indexer {
        db: db.clone(),
        index: search.clone(),
        mail: composer.clone(),
    };
    let indexer_task = actix_web::rt::spawn(indexer.run(stopped.clone()));
    let views = Arc::new(crate::jobs::views::ViewCounter::default());
    let views_task = actix_web::rt::spawn(views.clone().run(db.clone(), stopped.clone()));
    let follower_mail = crate::jobs::follower_mail::FollowerMail {
        db: db.clone(),
        mail: composer.clone(),
        key: key.clone(),
    };
    let follower_task = actix_web::rt::spawn(follower_mail.run(stopped.clone()));
    crate::service::response_times::keep_for(config.response_times_secs);
    let checker = crate::jobs::escalations::Checker {
        db: db.clone(),
        search: search.clone(),
        mail: composer.clone(),
        every: std::time::Duration::from_secs(config.escalation_check_secs),
    };
    let checker_task = actix_web::rt::spawn(checker.run(stopped.clone()));
    crate::service::webhook::set_base_url(&base_url);
    let hooks = crate::jobs::webhooks::WebhookSender {
        db: db.clone(),
        client: crate::outbound::Client::new(config.webhook_allow_private),
        wake: composer.hooks_wake_signal(),
        retry_base: std::time::Duration::from_secs(config.webhook_retry_secs),
    };
    let hooks_task = actix_web::rt::spawn(hooks.run(stopped.clone()));
    let poller = crate::jobs::feeds::FeedPoller {
        db: db.clone(),
        client: crate::outbound::Client::new(config.webhook_allow_private),
        every: std::time::Duration::from_secs(config.feed_interval_secs),
    };
    let poller_task = actix_web::rt::spawn(poller.run(stopped.clone()));
    let sender_task = actix_web::rt::spawn(sender.run(stopped));

    let config = Arc::new(config);
    let state = web::Data::new(AppState {
        services: Services {
            db,
            mail: composer,
            limits: RateLimits {
                enabled: config.rate_limits,
            },
            points: config.points,
        },
        config: config.clone(),
        tera,
        key,
        secure_cookies: base_url.starts_with("https://"),
        base_url: base_url.clone(),
        views,
        search,
        pages: Default::default(),
        outbound: crate::outbound::Client::new(config.webhook_allow_private),
        metrics: Default::default(),
    });
    let assets = web::Data::from(assets);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(assets.clone())
            .app_data(
                web::JsonConfig::default()
                    .limit(JSON_LIMIT)
                    .error_handler(errors::json_error),
            )
            .app_data(
                web::FormConfig::default()
                    .limit(forms::FORM_LIMIT)
                    .error_handler(errors::form_error),
            )
            .app_data(web::PayloadConfig::new(forms::FORM_LIMIT))
            .app_data(web::QueryConfig::default().error_handler(errors::query_error))
            .app_data(web::PathConfig::default().error_handler(errors::path_error))
            .configure(crate::api::routes)
            .configure(crate::web::routes)
            .default_service(web::to(crate::web::not_found))
            .wrap(from_fn(middleware::frame))
            .wrap(Compress::default())
    })
    .workers(config.workers)
    // responses go out in several writes; without this, Nagle and delayed ACKs add 40 ms
    .tcp_nodelay(true)
    .shutdown_timeout(30)
    .disable_signals()
    .listen(listener)?
    .run();
    actix_web::rt::spawn(stop_on_signal(server.handle(), stop_signals()?));
    tracing::info!("kotae listening on http://{address} (links in mail point to {base_url})");
    server.await.context("the HTTP server failed")?;
    tracing::info!("stopped accepting; stopping background tasks");
    let _ = stop_tasks.send(true);
    let _ = follower_task.await;
    let _ = checker_task.await;
    let _ = indexer_task.await;
    let _ = views_task.await;
    if let Some(thread) = checkpointer {
        let _ = thread.join();
    }
    let _ = sender_task.await;
    let _ = hooks_task.await;
    let _ = poller_task.await;
    let _ = janitor_task.await;
    Ok(())
}
