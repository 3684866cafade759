//! Password hashing with argon2id, off the async executor and bounded in concurrency,
//! since each hash holds 19 MiB for tens of milliseconds.

use std::sync::{Arc, LazyLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

/// OWASP's first recommended argon2id setting: 19 MiB, 2 passes, 1 lane (see BENCHMARKS.md).
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_BYTES: usize = 1024;

fn hasher() -> Argon2<'static> {
    let params =
        Params::new(MEMORY_KIB, PASSES, LANES, None).expect("constant parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a password nobody has, so unknown accounts cost the same time as known ones.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_now("a password that no account has").expect("hashing a constant works"));

/// Hashes at most this many passwords at once; the rest wait their turn.
static PERMITS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    Arc::new(Semaphore::new(cores * 2))
});

/// Hashes on the calling thread; use `hash` from async code.
pub fn hash_now(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing failed: {e}")))
}

/// Verifies on the calling thread; `None` checks against the dummy hash and returns false.
pub fn verify_now(password: &str, stored: Option<&str>) -> bool {
    // an account without a password (made by single sign-on) costs the same time as any
    let stored = stored
        .filter(|s| PasswordHash::new(s).is_ok())
        .unwrap_or(DUMMY_HASH.as_str());
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let matches = hasher()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    matches && stored != DUMMY_HASH.as_str()
}

/// Hashes a password on a blocking thread.
pub async fn hash(password: String) -> AppResult<String> {
    off_executor(move || hash_now(&password)).await?
}

/// Runs hashing work on a blocking thread, waiting for a permit first.
pub async fn off_executor<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> AppResult<T> {
    let _permit = PERMITS
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing task failed: {e}")))
}

/// Warms the dummy hash so the first unknown sign-in is not slower than the rest.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_the_right_password_only() {
        let stored = hash_now("correct horse battery").expect("hash");
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_now("correct horse battery", Some(&stored)));
        assert!(!verify_now("wrong horse battery", Some(&stored)));
        assert!(!verify_now("a password that no account has", None));
    }
}
