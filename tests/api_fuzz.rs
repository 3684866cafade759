//! schemathesis fuzzes the API from its OpenAPI document: no input may cause a 5xx.
//! Needs `pip install schemathesis`; skipped loudly without it unless KOTAE_TEST_REQUIRE_TOOLS=1.

mod common;

use std::process::Command;

use common::TestApp;
use serde_json::json;

#[test]
fn schemathesis_finds_no_server_error() {
    // through python3, so a fresh pip install works without a shell's PATH rehash
    let schemathesis = || {
        let mut command = Command::new("python3");
        command.args(["-m", "schemathesis.cli"]);
        command
    };
    let available = schemathesis()
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !common::tool_available(available, "schemathesis", "pip install schemathesis") {
        return;
    }
    let app = TestApp::start();
    app.load_demo();
    let (_, body) = app.client().post_json(
        "/api/v1/tokens",
        // dana is Acme Printers' admin and a site admin: the staff endpoints run, not refuse
        &json!({ "login": "dana", "password": kotae::demo::PASSWORD }),
    );
    let token = body["token"].as_str().expect("token");
    let output = schemathesis()
        .current_dir(app.data_dir.path()) // its cache stays out of the source tree
        .args([
            "run",
            &app.url("/api/v1/openapi.json"),
            "--url",
            &app.url("/api/v1"),
        ])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args([
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "30",
            "--workers",
            "2",
        ])
        // revoking the token would leave the rest of the run unauthenticated
        .args(["--exclude-path", "/tokens/current", "--seed", "20261123"])
        .output()
        .expect("run schemathesis");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("passed"), "{report}");
}
