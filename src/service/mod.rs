//! Use cases, each one transaction: what the pages and the API both call.

pub mod account;
pub mod validate;

use std::net::IpAddr;

use crate::db::Db;
use crate::error::AppResult;
use crate::mail::Composer;
use crate::model::rate_limit::{self, Rule};

/// What use cases need from the running server.
#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub mail: Composer,
    pub limits: RateLimits,
}

/// The rate limits of DESIGN.md, or none when KOTAE_RATE_LIMITS=off (benchmarks only).
#[derive(Clone, Copy, Debug)]
pub struct RateLimits {
    pub enabled: bool,
}

/// Sign-in attempts per account.
pub const SIGN_IN_PER_ACCOUNT: Rule = Rule {
    burst: 10,
    period_secs: 15 * 60,
};
/// Sign-in attempts per client address.
pub const SIGN_IN_PER_ADDRESS: Rule = Rule {
    burst: 30,
    period_secs: 15 * 60,
};
/// New accounts per client address (offices share addresses, so not too few).
pub const SIGN_UP_PER_ADDRESS: Rule = Rule {
    burst: 20,
    period_secs: 3600,
};
/// Password-reset requests per client address and per target address.
pub const RESET_PER_ADDRESS: Rule = Rule {
    burst: 10,
    period_secs: 3600,
};
pub const RESET_PER_EMAIL: Rule = Rule {
    burst: 3,
    period_secs: 3600,
};
/// Verification and email-change mails per account.
pub const MAILS_PER_ACCOUNT: Rule = Rule {
    burst: 5,
    period_secs: 3600,
};

impl RateLimits {
    /// Counts one event for `key`; 429 when the bucket is empty.
    pub async fn hit(&self, db: &Db, key: String, rule: Rule) -> AppResult<()> {
        if !self.enabled {
            return Ok(());
        }
        let now_ms = chrono::Utc::now().timestamp_millis();
        db.run(move |c| rate_limit::hit(c, &key, rule, now_ms))
            .await
    }
}

/// The client address a rate limit is keyed on.
pub fn address_key(ip: IpAddr) -> String {
    match crate::config::canonical(ip) {
        // an IPv6 client controls its whole /64, so that is one client
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        v4 => v4.to_string(),
    }
}
