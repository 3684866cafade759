//! Use cases, each one transaction: what the pages and the API both call.

pub mod account;
pub mod approval;
pub mod brand;
pub mod claim;
pub mod escalation;
pub mod field;
pub mod fixed;
pub mod incident;
pub mod insights;
pub mod mail_in;
pub mod moderation;
pub mod monitor;
pub mod notify;
pub mod period;
pub mod response_times;
pub mod search;
pub mod sso;
pub mod staff;
pub mod topic;
pub mod validate;
pub mod verification;
pub mod voice;
pub mod webhook;
pub mod widget;
pub mod workflow;

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
    pub points: PointsRule,
}

/// What members earn: points per helpful vote and per accepted answer, and the points that
/// make a community champion (KOTAE_POINTS_HELPFUL, KOTAE_POINTS_ACCEPTED, KOTAE_CHAMPION_POINTS).
#[derive(Clone, Copy, Debug)]
pub struct PointsRule {
    pub helpful: i32,
    pub accepted: i32,
    pub champion_at: i32,
}

impl PointsRule {
    pub fn points(&self, helpful_received: i32, accepted_answers: i32) -> i32 {
        helpful_received * self.helpful + accepted_answers * self.accepted
    }

    pub fn is_champion(&self, points: i32) -> bool {
        points >= self.champion_at
    }
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
/// Topics and replies per member, and the tighter rule for a member's first posts.
pub const POSTS_PER_MEMBER: Rule = Rule {
    burst: 30,
    period_secs: 3600,
};
pub const FIRST_POSTS_PER_MINUTE: Rule = Rule {
    burst: 3,
    period_secs: 60,
};
/// A member with fewer posts than this is new, and posts under FIRST_POSTS_PER_MINUTE.
pub const NEW_MEMBER_POSTS: i64 = 5;
/// Claim requests per member: each may mail a brand's domain.
pub const CLAIMS_PER_MEMBER: Rule = Rule {
    burst: 5,
    period_secs: 3600,
};
/// Escalations per staff member, and help requests per member (beside once a day per topic).
pub const ESCALATIONS_PER_MEMBER: Rule = Rule {
    burst: 30,
    period_secs: 3600,
};
pub const HELP_REQUESTS_PER_MEMBER: Rule = Rule {
    burst: 5,
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

/// Counts a post (topic or reply) against the member's buckets: 429 when posting too fast.
/// A member's first posts go through a tighter bucket, which slows down new spam accounts.
pub async fn count_post(s: &Services, me: &crate::model::user::User) -> AppResult<()> {
    if !s.limits.enabled {
        return Ok(());
    }
    let id = me.id;
    let posts =
        s.db.run(move |c| Ok(crate::model::user::post_count(c, id)?))
            .await?;
    if posts < NEW_MEMBER_POSTS {
        s.limits
            .hit(&s.db, format!("first-posts:{id}"), FIRST_POSTS_PER_MINUTE)
            .await?;
    }
    s.limits
        .hit(&s.db, format!("posts:{id}"), POSTS_PER_MEMBER)
        .await
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
