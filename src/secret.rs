//! Random tokens, their hashes at rest, and the server's signing key.

use std::path::Path;

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh 256-bit random token, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// How a token is stored: its SHA-256, so a database leak yields no usable tokens.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The server's key for signing cookies and form tokens.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl SigningKey {
    /// Uses the configured key, or the one kept in the data directory, made on first start.
    pub fn load_or_create(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<SigningKey> {
        if let Some(key) = configured {
            return Ok(SigningKey(key.as_bytes().to_vec()));
        }
        let path = data_dir.join("secret.key");
        if let Ok(existing) = std::fs::read_to_string(&path) {
            let key = existing.trim();
            anyhow::ensure!(
                key.len() >= 32,
                "{} is too short; delete it to make a new one",
                path.display()
            );
            return Ok(SigningKey(key.as_bytes().to_vec()));
        }
        let key = random_token();
        write_private(&path, &key).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(SigningKey(key.into_bytes()))
    }

    /// HMAC-SHA256 of `message` under this key, URL-safe.
    pub fn sign(&self, purpose: &str, message: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(message.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// HMAC-SHA256 of `message` under this key, as lowercase hex (for mail addresses, whose
    /// case mail systems may change).
    pub fn sign_hex(&self, purpose: &str, message: &str) -> String {
        hex::encode(self.mac(purpose, message).finalize().into_bytes())
    }

    /// Whether `hex_prefix` (an even number of hex digits) begins `sign_hex(purpose,
    /// message)`, compared in constant time.
    pub fn verify_hex_prefix(&self, purpose: &str, message: &str, hex_prefix: &str) -> bool {
        match hex::decode(hex_prefix) {
            Ok(given) if !given.is_empty() => self
                .mac(purpose, message)
                .verify_truncated_left(&given)
                .is_ok(),
            _ => false,
        }
    }

    fn mac(&self, purpose: &str, message: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(message.as_bytes());
        mac
    }

    #[cfg(test)]
    pub fn for_tests(key: &[u8]) -> SigningKey {
        SigningKey(key.to_vec())
    }

    /// Whether `signature` is `sign(purpose, message)`, compared in constant time.
    pub fn verify(&self, purpose: &str, message: &str, signature: &str) -> bool {
        let Ok(given) = URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(message.as_bytes());
        mac.verify_slice(&given).is_ok()
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_check_purpose_and_message() {
        let key = SigningKey(b"0123456789abcdef0123456789abcdef".to_vec());
        let sig = key.sign("csrf", "abc");
        assert!(key.verify("csrf", "abc", &sig));
        assert!(!key.verify("flash", "abc", &sig));
        assert!(!key.verify("csrf", "abd", &sig));
        assert!(!key.verify("csrf", "abc", "not base64!"));
    }

    #[test]
    fn tokens_carry_256_bits_and_differ() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
    }
}
