//! Settings: defaults, overlaid by an optional TOML file, overlaid by KOTAE_* variables.
//! Every value is checked here, so a bad one stops start-up with a message naming it.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

/// The validated settings the server runs with.
#[derive(Clone, Debug)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// Where links in mail point; `None` means "the address we bound", known after binding.
    pub base_url: Option<String>,
    pub smtp_url: Option<String>,
    pub mail_from: lettre::message::Mailbox,
    pub secret_key: Option<String>,
    /// What an HTTP mail relay sends in X-Kotae-Inbound-Secret; none: POST /mail/inbound is off.
    pub inbound_secret: Option<String>,
    /// The bearer token /metrics asks for; none: /metrics answers loopback callers only.
    pub metrics_token: Option<String>,
    pub rate_limits: bool,
    pub trusted_proxies: Vec<IpNet>,
    pub webhook_allow_private: bool,
    pub feed_interval_secs: u64,
    pub workers: usize,
    pub db_pool_size: u32,
    /// First retry delay for mail that failed transiently; it doubles on each attempt.
    pub mail_retry_secs: u64,
    /// First retry delay for a webhook delivery that failed; it doubles up to ten minutes.
    pub webhook_retry_secs: u64,
    /// Seconds between passes of the escalation rule checker.
    pub escalation_check_secs: u64,
    /// How long a brand's public response times are kept before they are computed again.
    pub response_times_secs: u64,
    pub log: String,
    /// Log lines as JSON objects, one per line, for a log collector.
    pub log_json: bool,
    pub points: crate::service::PointsRule,
}

/// One setting: its environment name, its TOML key, and what it accepts.
struct Setting {
    env: &'static str,
    accepts: &'static str,
}

const SETTINGS: &[Setting] = &[
    Setting {
        env: "KOTAE_BIND",
        accepts: "an address and port such as 127.0.0.1:8080",
    },
    Setting {
        env: "KOTAE_DATA_DIR",
        accepts: "a directory path",
    },
    Setting {
        env: "KOTAE_DATABASE_URL",
        accepts: "a SQLite file path (optionally sqlite://path) or a postgres:// URL",
    },
    Setting {
        env: "KOTAE_BASE_URL",
        accepts: "an http:// or https:// URL without a query",
    },
    Setting {
        env: "KOTAE_SMTP_URL",
        accepts: "smtp://[user:pass@]host[:port] or smtps://[user:pass@]host[:port]",
    },
    Setting {
        env: "KOTAE_MAIL_FROM",
        accepts: "a mailbox such as Kotae <kotae@example.com>",
    },
    Setting {
        env: "KOTAE_SECRET_KEY",
        accepts: "at least 32 characters of random text",
    },
    Setting {
        env: "KOTAE_INBOUND_SECRET",
        accepts: "at least 32 characters of random text",
    },
    Setting {
        env: "KOTAE_METRICS_TOKEN",
        accepts: "at least 32 characters of random text",
    },
    Setting {
        env: "KOTAE_RATE_LIMITS",
        accepts: "on or off",
    },
    Setting {
        env: "KOTAE_TRUSTED_PROXIES",
        accepts: "a comma-separated list of IP addresses or CIDR ranges",
    },
    Setting {
        env: "KOTAE_WEBHOOK_ALLOW_PRIVATE",
        accepts: "true or false",
    },
    Setting {
        env: "KOTAE_FEED_INTERVAL",
        accepts: "seconds, from 1 to 86400",
    },
    Setting {
        env: "KOTAE_WORKERS",
        accepts: "a number of HTTP workers from 1 to 256",
    },
    Setting {
        env: "KOTAE_DB_POOL_SIZE",
        accepts: "a number of connections from 1 to 1000",
    },
    Setting {
        env: "KOTAE_MAIL_RETRY_SECONDS",
        accepts: "seconds, from 1 to 3600",
    },
    Setting {
        env: "KOTAE_WEBHOOK_RETRY_SECONDS",
        accepts: "seconds, from 1 to 5",
    },
    Setting {
        env: "KOTAE_ESCALATION_CHECK_SECONDS",
        accepts: "seconds between escalation rule checks, from 1 to 3600",
    },
    Setting {
        env: "KOTAE_RESPONSE_TIMES_SECONDS",
        accepts: "seconds a brand's public response times are kept, from 0 to 3600",
    },
    Setting {
        env: "KOTAE_LOG",
        accepts: "a tracing filter such as info or kotae=debug",
    },
    Setting {
        env: "KOTAE_LOG_FORMAT",
        accepts: "text or json",
    },
    Setting {
        env: "KOTAE_POINTS_HELPFUL",
        accepts: "points per helpful vote, from 0 to 100",
    },
    Setting {
        env: "KOTAE_POINTS_ACCEPTED",
        accepts: "points per accepted answer, from 0 to 100",
    },
    Setting {
        env: "KOTAE_CHAMPION_POINTS",
        accepts: "points that make a champion, from 1 to 1000000",
    },
];

/// Variables that are not settings but belong to Kotae's tooling.
const NOT_SETTINGS: &[&str] = &["KOTAE_CONFIG"];

impl Config {
    /// Loads from the file named by `file` (or ./kotae.toml if it exists) and the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let env: BTreeMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("KOTAE_"))
            .collect();
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| env.get("KOTAE_CONFIG").map(PathBuf::from))
            .or_else(|| Some(PathBuf::from("kotae.toml")).filter(|p| p.exists()));
        let from_file = match file {
            Some(path) => read_toml(&path)?,
            None => BTreeMap::new(),
        };
        Config::from_sources(&from_file, &env)
    }

    /// Builds the config from TOML values and environment variables (the latter win).
    pub fn from_sources(
        file: &BTreeMap<String, String>,
        env: &BTreeMap<String, String>,
    ) -> anyhow::Result<Config> {
        for name in env.keys() {
            let known = SETTINGS.iter().any(|s| s.env == name)
                || NOT_SETTINGS.contains(&name.as_str())
                || name.starts_with("KOTAE_TEST_");
            if !known {
                bail!(
                    "unknown setting {name}; known settings: {}",
                    setting_names()
                );
            }
        }
        for key in file.keys() {
            if !SETTINGS.iter().any(|s| toml_key(s.env) == *key) {
                bail!(
                    "unknown setting `{key}` in the config file; known: {}",
                    toml_keys()
                );
            }
        }
        let sources = Sources { file, env };
        let bind: SocketAddr = sources
            .checked("KOTAE_BIND", "127.0.0.1:8080", |v| {
                v.parse::<SocketAddr>().is_ok()
            })?
            .parse()?;
        let data_dir = PathBuf::from(sources.checked("KOTAE_DATA_DIR", "data", |v| !v.is_empty())?);
        let default_db = data_dir.join("kotae.db").to_string_lossy().into_owned();
        let database_url =
            sources.checked("KOTAE_DATABASE_URL", &default_db, valid_database_url)?;
        let base_url = sources
            .optional("KOTAE_BASE_URL", valid_base_url)?
            .map(|v| v.trim_end_matches('/').to_string());
        let smtp_url = sources.optional("KOTAE_SMTP_URL", valid_smtp_url)?;
        let mail_from = sources
            .checked("KOTAE_MAIL_FROM", "Kotae <kotae@localhost>", |v| {
                v.parse::<lettre::message::Mailbox>().is_ok()
            })?
            .parse()?;
        let secret_key = sources.optional("KOTAE_SECRET_KEY", |v| v.chars().count() >= 32)?;
        let inbound_secret =
            sources.optional("KOTAE_INBOUND_SECRET", |v| v.chars().count() >= 32)?;
        let metrics_token = sources.optional("KOTAE_METRICS_TOKEN", |v| v.chars().count() >= 32)?;
        let rate_limits =
            sources.checked("KOTAE_RATE_LIMITS", "on", |v| matches!(v, "on" | "off"))? == "on";
        let trusted_proxies = sources
            .checked("KOTAE_TRUSTED_PROXIES", "", |v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .all(|p| IpNet::parse(p).is_some())
            })?
            .split(',')
            .map(str::trim)
            .filter_map(IpNet::parse)
            .collect();
        let webhook_allow_private =
            sources.checked("KOTAE_WEBHOOK_ALLOW_PRIVATE", "false", |v| {
                matches!(v, "true" | "false")
            })? == "true";
        let feed_interval_secs = sources.number("KOTAE_FEED_INTERVAL", 300, 1..=86_400)?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
        let workers = sources.number("KOTAE_WORKERS", cores, 1..=256)? as usize;
        let db_pool_size =
            sources.number("KOTAE_DB_POOL_SIZE", (cores * 4).max(8), 1..=1000)? as u32;
        let mail_retry_secs = sources.number("KOTAE_MAIL_RETRY_SECONDS", 30, 1..=3600)?;
        let webhook_retry_secs = sources.number("KOTAE_WEBHOOK_RETRY_SECONDS", 5, 1..=5)?;
        let escalation_check_secs =
            sources.number("KOTAE_ESCALATION_CHECK_SECONDS", 10, 1..=3600)?;
        let response_times_secs = sources.number("KOTAE_RESPONSE_TIMES_SECONDS", 3600, 0..=3600)?;
        let points = crate::service::PointsRule {
            helpful: sources.number("KOTAE_POINTS_HELPFUL", 1, 0..=100)? as i32,
            accepted: sources.number("KOTAE_POINTS_ACCEPTED", 5, 0..=100)? as i32,
            champion_at: sources.number("KOTAE_CHAMPION_POINTS", 50, 1..=1_000_000)? as i32,
        };
        let log = sources.checked("KOTAE_LOG", "info", |v| {
            tracing_subscriber::EnvFilter::try_new(v).is_ok()
        })?;
        let log_json = sources
            .checked("KOTAE_LOG_FORMAT", "text", |v| matches!(v, "text" | "json"))?
            == "json";

        Ok(Config {
            bind,
            data_dir,
            database_url,
            base_url,
            smtp_url,
            mail_from,
            secret_key,
            inbound_secret,
            metrics_token,
            rate_limits,
            trusted_proxies,
            webhook_allow_private,
            feed_interval_secs,
            workers,
            db_pool_size,
            mail_retry_secs,
            webhook_retry_secs,
            escalation_check_secs,
            response_times_secs,
            log,
            log_json,
            points,
        })
    }

    /// Where this node's search index lives.
    pub fn search_dir(&self) -> std::path::PathBuf {
        self.data_dir.join("search")
    }

    /// Directory where .eml files go when no SMTP server is configured.
    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("mail")
    }
}

/// Where settings come from: the environment wins over the file.
struct Sources<'a> {
    file: &'a BTreeMap<String, String>,
    env: &'a BTreeMap<String, String>,
}

impl Sources<'_> {
    /// The raw value and a description of where it came from.
    fn lookup(&self, env_name: &str) -> Option<(String, String)> {
        if let Some(v) = self.env.get(env_name) {
            return Some((format!("{env_name} (environment)"), v.trim().to_string()));
        }
        let key = toml_key(env_name);
        self.file
            .get(&key)
            .map(|v| (format!("`{key}` (config file)"), v.trim().to_string()))
    }

    fn invalid(source: &str, value: &str, env_name: &str) -> anyhow::Error {
        let secret = [
            "KOTAE_SECRET_KEY",
            "KOTAE_INBOUND_SECRET",
            "KOTAE_METRICS_TOKEN",
        ];
        let shown = if secret.contains(&env_name) {
            "(hidden)"
        } else {
            value
        };
        anyhow::anyhow!(
            "{source}: {shown:?} is not valid; expected {}",
            accepts(env_name)
        )
    }

    /// The value, or `default`, accepted by `check`.
    fn checked(
        &self,
        env_name: &str,
        default: &str,
        check: impl Fn(&str) -> bool,
    ) -> anyhow::Result<String> {
        let (source, value) = self
            .lookup(env_name)
            .unwrap_or_else(|| (format!("{env_name} (default)"), default.to_string()));
        if check(&value) {
            Ok(value)
        } else {
            Err(Self::invalid(&source, &value, env_name))
        }
    }

    /// A setting with no default; empty counts as unset.
    fn optional(
        &self,
        env_name: &str,
        check: impl Fn(&str) -> bool,
    ) -> anyhow::Result<Option<String>> {
        match self.lookup(env_name).filter(|(_, v)| !v.is_empty()) {
            Some((source, value)) if !check(&value) => {
                Err(Self::invalid(&source, &value, env_name))
            }
            other => Ok(other.map(|(_, v)| v)),
        }
    }

    fn number(
        &self,
        env_name: &str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> anyhow::Result<u64> {
        let value = self.checked(env_name, &default.to_string(), |v| {
            v.parse::<u64>().is_ok_and(|n| range.contains(&n))
        })?;
        Ok(value.parse()?)
    }
}

fn accepts(env_name: &str) -> &'static str {
    SETTINGS
        .iter()
        .find(|s| s.env == env_name)
        .map_or("", |s| s.accepts)
}

fn toml_key(env_name: &str) -> String {
    env_name.trim_start_matches("KOTAE_").to_ascii_lowercase()
}

fn setting_names() -> String {
    SETTINGS
        .iter()
        .map(|s| s.env)
        .collect::<Vec<_>>()
        .join(", ")
}

fn toml_keys() -> String {
    SETTINGS
        .iter()
        .map(|s| toml_key(s.env))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads a TOML file of `key = value` settings into strings, so both sources parse alike.
fn read_toml(path: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("the config file {} is not valid TOML", path.display()))?;
    table
        .into_iter()
        .map(|(key, value)| {
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(n) => n.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Array(items) => items
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| i.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                other => bail!(
                    "`{key}` in {}: {other} is not a plain value",
                    path.display()
                ),
            };
            Ok((key, text))
        })
        .collect()
}

fn valid_database_url(v: &str) -> bool {
    match crate::db::Backend::of_url(v) {
        crate::db::Backend::Postgres => {
            url::Url::parse(v).is_ok_and(|u| u.host_str().is_some() || u.query().is_some())
        }
        crate::db::Backend::Sqlite => {
            !v.is_empty() && !v.contains("://") || v.starts_with("sqlite://")
        }
    }
}

fn valid_base_url(v: &str) -> bool {
    url::Url::parse(v).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https") && u.host_str().is_some() && u.query().is_none()
    })
}

fn valid_smtp_url(v: &str) -> bool {
    url::Url::parse(v)
        .is_ok_and(|u| matches!(u.scheme(), "smtp" | "smtps") && u.host_str().is_some())
}

/// An IP address or CIDR range, for trusted proxies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn parse(text: &str) -> Option<IpNet> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(IpNet { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (canonical(self.addr), ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 addresses compare as the IPv4 address they carry.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_serve_locally_with_data_in_data() {
        let c =
            Config::from_sources(&BTreeMap::new(), &BTreeMap::new()).expect("defaults are valid");
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(
            c.database_url,
            Path::new("data").join("kotae.db").to_string_lossy()
        );
        assert!(c.rate_limits);
    }

    #[test]
    fn environment_overrides_the_file() {
        let file = env(&[("bind", "127.0.0.1:9000"), ("rate_limits", "off")]);
        let c =
            Config::from_sources(&file, &env(&[("KOTAE_BIND", "0.0.0.0:7000")])).expect("valid");
        assert_eq!(c.bind.to_string(), "0.0.0.0:7000");
        assert!(!c.rate_limits);
    }

    #[test]
    fn bad_value_names_the_setting_and_what_it_accepts() {
        let err = Config::from_sources(&BTreeMap::new(), &env(&[("KOTAE_RATE_LIMITS", "maybe")]))
            .expect_err("invalid");
        let text = err.to_string();
        assert!(
            text.contains("KOTAE_RATE_LIMITS") && text.contains("on or off"),
            "{text}"
        );
    }

    #[test]
    fn unknown_settings_are_refused() {
        let err = Config::from_sources(&BTreeMap::new(), &env(&[("KOTAE_BINDD", "x")]))
            .expect_err("unknown");
        assert!(err.to_string().contains("KOTAE_BINDD"));
        let err =
            Config::from_sources(&env(&[("bindd", "x")]), &BTreeMap::new()).expect_err("unknown");
        assert!(err.to_string().contains("bindd"));
    }

    #[test]
    fn trusted_proxy_ranges_match_mapped_addresses() {
        let net = IpNet::parse("10.0.0.0/8").expect("valid");
        assert!(net.contains("10.1.2.3".parse().expect("ip")));
        assert!(net.contains("::ffff:10.1.2.3".parse().expect("ip")));
        assert!(!net.contains("11.0.0.1".parse().expect("ip")));
        assert!(IpNet::parse("10.0.0.0/33").is_none());
    }
}
