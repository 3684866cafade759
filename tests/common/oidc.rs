//! OpenID providers on loopback for the single sign-on tests, from tests/oidc: a real one
//! (npm's oidc-provider) and a fake one that misbehaves on purpose, chosen by client id.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub struct Provider {
    child: Child,
    /// The issuer, `http://127.0.0.1:PORT`.
    pub issuer: String,
}

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc")
}

fn node_present() -> bool {
    Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

impl Provider {
    /// oidc-provider with one confidential client, or None (loudly) without node or the
    /// package.
    pub fn real(client_id: &str, secret: &str, redirect_uri: &str) -> Option<Provider> {
        let present = node_present() && scripts().join("node_modules/oidc-provider").exists();
        let install = "install node and run npm install --prefix tests/oidc";
        if !super::tool_available(present, "node with npm's oidc-provider", install) {
            return None;
        }
        Some(Provider::spawn(
            "provider.mjs",
            &[
                "--port",
                "0",
                "--client-id",
                client_id,
                "--client-secret",
                secret,
                "--redirect-uri",
                redirect_uri,
            ],
        ))
    }

    /// The fake provider (node built-ins only), or None (loudly) without node.
    pub fn fake() -> Option<Provider> {
        if !super::tool_available(node_present(), "node", "apt-get install nodejs") {
            return None;
        }
        Some(Provider::spawn("fake.mjs", &["--port", "0"]))
    }

    fn spawn(script: &str, args: &[&str]) -> Provider {
        let mut child = Command::new("node")
            .arg(scripts().join(script))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start node {script}: {e}"));
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            for _ in lines {} // keep the pipe drained
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("{script} did not say it was ready"));
        let issuer = line
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("{script} said {line:?}"))
            .trim()
            .to_string();
        Provider { child, issuer }
    }

    /// Sets who the fake provider's next sign-in is.
    pub fn next_identity(&self, identity: serde_json::Value) {
        let answer = ureq::post(format!("{}/identity", self.issuer))
            .send_json(&identity)
            .expect("set the fake provider's identity");
        assert_eq!(answer.status().as_u16(), 204);
    }

    /// The fake provider's counters: authorizations, token_requests, tokens_issued.
    pub fn stats(&self) -> serde_json::Value {
        ureq::get(format!("{}/stats", self.issuer))
            .call()
            .expect("fake provider stats")
            .body_mut()
            .read_json()
            .expect("stats JSON")
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
