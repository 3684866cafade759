//! The pages as the web judges them: the Nu HTML checker, axe-core and Lighthouse, in
//! English and Japanese, anonymous and signed in (tests/pages/check.mjs does the judging).
//! Needs `npm install --prefix tests/pages` and Debian's chromium; skipped loudly without them
//! unless KOTAE_TEST_REQUIRE_TOOLS=1.

mod common;

use std::path::Path;
use std::process::Command;

use common::{PASSWORD, TestApp};

#[test]
fn pages_pass_the_html_checker_axe_and_lighthouse() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pages");
    let ready = root.join("node_modules/playwright-core").exists()
        && Path::new("/usr/bin/chromium").exists();
    let install = "run `npm install --prefix tests/pages` and install chromium";
    if !common::tool_available(ready, "the page checkers", install) {
        return;
    }
    let app = TestApp::start();
    app.load_demo();
    app.member("checker");
    let browser = app.client();
    browser.submit(
        "/sign-in",
        "/sign-in",
        &[("login", "checker"), ("password", PASSWORD)],
    );
    let session = browser.cookie("kotae_session").expect("signed in");
    let pages = [
        "/|anonymous",
        "/|signed-in",
        "/sign-up|anonymous",
        "/sign-in|anonymous",
        "/reset|anonymous",
        "/reset/confirm?token=x|anonymous",
        "/verify?token=x|anonymous",
        "/settings|signed-in",
        "/no-such-page|anonymous",
        "/brands/acme-printers|anonymous",
        "/brands/acme-printers?kind=problem&sort=top|signed-in",
        "/brands/sakura-camera|anonymous",
        "/brands/acme-printers/topics/1|anonymous",
        "/brands/acme-printers/topics/1|signed-in",
        "/brands/sakura-camera/topics/5|signed-in",
        "/brands/acme-printers/ask|signed-in",
        "/brands/new|signed-in",
        "/users/aiko|anonymous",
        "/?q=acme|anonymous",
    ];
    let output = Command::new("node")
        .arg(root.join("check.mjs"))
        .env("KOTAE_BASE", &app.base)
        .env("KOTAE_SESSION", session)
        .env("KOTAE_PAGES", pages.join(","))
        .env(
            "KOTAE_LIGHTHOUSE",
            "/,/sign-in,/brands/acme-printers,/brands/acme-printers/topics/1",
        )
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}");
    assert!(
        output.status.success(),
        "page checks found problems:\n{stderr}\n{stdout}"
    );
}
