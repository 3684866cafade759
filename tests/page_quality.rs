//! The pages as the web judges them: the Nu HTML checker, axe-core and Lighthouse, in
//! English and Japanese, anonymous and signed in (tests/pages/check.mjs does the judging).
//! Needs `npm install --prefix tests/pages` and Debian's chromium; skipped loudly without them
//! unless KOTAE_TEST_REQUIRE_TOOLS=1.

mod common;

use std::path::Path;
use std::process::Command;

use common::TestApp;

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
    // dana runs Acme Printers' support and is a site admin: every staff page is hers to see
    let browser = app.client();
    browser.submit(
        "/sign-in",
        "/sign-in",
        &[("login", "dana"), ("password", kotae::demo::PASSWORD)],
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
        "/brands/acme-printers/topics/2|signed-in",
        "/brands/acme-printers/queue?view=all|signed-in",
        "/brands/acme-printers/team|signed-in",
        "/brands/acme-printers/moderation|signed-in",
        "/admin|signed-in",
        "/brands/nimbus-cloud/claim|signed-in",
        "/claims/confirm?token=x|signed-in",
        "/invitations/accept?token=x|signed-in",
        "/brands/acme-printers/escalations|signed-in",
        "/brands/acme-printers/escalations?state=resolved|signed-in",
        "/admin/mail?state=sent|signed-in",
        "/escalations/acknowledge?token=x|anonymous",
        "/search?q=printer|anonymous",
        "/search?q=%E5%8D%B0%E5%88%B7&sort=newest|signed-in",
        "/search|anonymous",
        "/brands/acme-printers/monitors|signed-in",
        "/brands/acme-printers/insights|signed-in",
        "/brands/acme-printers/insights?days=90|signed-in",
        "/admin/insights|signed-in",
    ];
    // the checks mean something only if the pages are what a signed-in staff member sees
    for page in pages.iter().filter_map(|p| p.strip_suffix("|signed-in")) {
        assert_eq!(browser.get(page).status, 200, "{page} as dana");
    }
    let output = Command::new("node")
        .arg(root.join("check.mjs"))
        .env("KOTAE_BASE", &app.base)
        .env("KOTAE_SESSION", session)
        .env("KOTAE_PAGES", pages.join(","))
        .env(
            "KOTAE_LIGHTHOUSE",
            "/,/sign-in,/brands/acme-printers,/brands/acme-printers/topics/1,/search?q=printer",
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
