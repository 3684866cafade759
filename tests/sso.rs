//! Single sign-on through OpenID Connect providers on loopback. The fake provider (by client
//! id) signs with a key it does not publish, names another audience or issuer, echoes a wrong
//! nonce, sends an expired or unsigned token: each is refused after the code exchange. Accounts
//! are made or linked through verified addresses only, a sign-in is bound to the browser that
//! started it and used once, and a brand can require its provider of its staff.

mod common;

use common::browser::{Browser, Window};
use common::oidc::Provider;
use common::staff::{self, make_site_admin};
use common::{Answer, Client, Options, TestApp};
use serde_json::{Value, json};

fn app() -> TestApp {
    TestApp::start_with(Options {
        env: vec![("KOTAE_WEBHOOK_ALLOW_PRIVATE".into(), "true".into())],
        ..Options::default()
    })
}

/// Adds a provider of the fake by client id; its id.
fn add_provider(app: &TestApp, admin: &common::Member, fake: &Provider, client_id: &str) -> i64 {
    let (status, body) = app.as_member(
        admin,
        "POST",
        "/api/v1/admin/oidc-providers",
        json!({ "name": format!("Fake {client_id}"), "issuer": fake.issuer,
                "client_id": client_id, "client_secret": "secret" }),
    );
    assert_eq!(status, 201, "add {client_id}: {body}");
    assert!(
        body.get("client_secret").is_none(),
        "the secret is never shown: {body}"
    );
    let id = body["id"].as_i64().expect("id");
    assert_eq!(
        body["redirect_uri"],
        json!(app.url(&format!("/sso/{id}/callback")))
    );
    id
}

/// Leaves for the provider as the sign-in page's link does and comes back: the callback's
/// answer.
fn sign_in_through(client: &Client, provider: i64, next: &str) -> Answer {
    let callback = callback_url_of(client, provider, next);
    client.get_url(&callback)
}

/// Starts a sign-in and lets the provider answer: the callback URL it sends the browser to.
fn callback_url_of(client: &Client, provider: i64, next: &str) -> String {
    let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    let start = client.get(&format!("/sso/{provider}/start?next={next}"));
    assert_eq!(start.status, 303, "start: {}", start.body);
    let authorize = start
        .header("location")
        .expect("to the provider")
        .to_string();
    assert!(
        authorize.contains("code_challenge_method=S256"),
        "{authorize}"
    );
    assert!(authorize.contains("nonce="), "{authorize}");
    let back = client.get_url(&authorize);
    assert_eq!(back.status, 302, "provider: {}", back.body);
    back.header("location").expect("back to kotae").to_string()
}

fn me(client: &Client) -> Value {
    let answer = client.get("/api/v1/me");
    assert_eq!(answer.status, 200, "signed in: {}", answer.body);
    answer.json()
}

fn user_count(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    let mut c = app.db();
    kotae::db::schema::users::table
        .count()
        .get_result(&mut c)
        .expect("count users")
}

#[test]
fn bad_id_tokens_are_refused_after_the_exchange() {
    let app = app();
    let Some(fake) = Provider::fake() else { return };
    let root = app.member("root");
    make_site_admin(&app, &root);
    let users_before = user_count(&app);
    let cases = [
        ("bad-signature", "sso_failed"),
        ("wrong-audience", "sso_failed"),
        ("wrong-issuer", "sso_failed"),
        ("wrong-nonce", "sso_failed"),
        ("expired", "sso_failed"),
        ("alg-none", "sso_failed"),
    ];
    for (client_id, _) in cases {
        let id = add_provider(&app, &root, &fake, client_id);
        let exchanged = fake.stats()["tokens_issued"].as_i64().unwrap_or(0);
        fake.next_identity(json!({ "sub": format!("s-{client_id}"),
            "email": format!("{client_id}@example.com"), "email_verified": true, "name": "Mallory" }));
        let client = app.client();
        let answer = sign_in_through(&client, id, "/");
        assert_eq!(
            answer.status, 403,
            "{client_id} is refused: {}",
            answer.body
        );
        assert!(
            answer.body.contains("could not be verified"),
            "{client_id}: {}",
            answer.body
        );
        assert!(client.cookie("kotae_session").is_none(), "{client_id}");
        assert_eq!(client.get("/api/v1/me").status, 401, "{client_id}");
        assert_eq!(
            fake.stats()["tokens_issued"].as_i64(),
            Some(exchanged + 1),
            "{client_id}: the code was exchanged, so the refusal is the ID token's check"
        );
    }
    assert_eq!(user_count(&app), users_before, "no account was made");

    // the well-behaved client of the same fake signs in, so the refusals above are the tokens'
    let good = add_provider(&app, &root, &fake, "good");
    fake.next_identity(json!({ "sub": "g-1", "email": "gina@example.com", "email_verified": true, "name": "Gina Good" }));
    let client = app.client();
    let answer = sign_in_through(&client, good, "/brands");
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(answer.header("location"), Some("/brands"));
    let who = me(&client);
    assert_eq!(who["email"], "gina@example.com");
    assert_eq!(who["email_verified"], true);
    assert_eq!(who["display_name"], "Gina Good");
}

#[test]
fn accounts_are_linked_by_verified_addresses_only() {
    let app = app();
    let Some(fake) = Provider::fake() else { return };
    let root = app.member("root");
    make_site_admin(&app, &root);
    let good = add_provider(&app, &root, &fake, "good");
    let alice = app.member("alice");

    // the provider verified alice's address, and so did we: her account, linked
    fake.next_identity(
        json!({ "sub": "a-1", "email": "Alice@Example.com", "email_verified": true }),
    );
    let client = app.client();
    assert_eq!(sign_in_through(&client, good, "/").status, 303);
    assert_eq!(me(&client)["id"], json!(alice.id));

    // linked by subject: a later sign-in with another address is still alice
    fake.next_identity(
        json!({ "sub": "a-1", "email": "alice.new@example.com", "email_verified": true }),
    );
    let client = app.client();
    assert_eq!(sign_in_through(&client, good, "/").status, 303);
    assert_eq!(me(&client)["id"], json!(alice.id));

    // an address the provider did not verify makes and links nothing
    let before = user_count(&app);
    fake.next_identity(
        json!({ "sub": "b-1", "email": "alice@example.com", "email_verified": false }),
    );
    let client = app.client();
    let answer = sign_in_through(&client, good, "/");
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(
        answer.body.contains("did not confirm an email address"),
        "{}",
        answer.body
    );
    assert!(client.cookie("kotae_session").is_none());
    assert_eq!(user_count(&app), before);

    // carol signed up but never confirmed her address: the provider's verified owner of
    // that address gets a new account, never carol's
    app.sign_up("carol");
    let carol_id = {
        use diesel::prelude::*;
        use kotae::db::schema::users;
        let mut c = app.db();
        users::table
            .filter(users::username.eq("carol"))
            .select(users::id)
            .first::<i64>(&mut c)
            .expect("carol")
    };
    fake.next_identity(
        json!({ "sub": "c-1", "email": "carol@example.com", "email_verified": true,
        "name": "Carol Real" }),
    );
    let client = app.client();
    assert_eq!(sign_in_through(&client, good, "/").status, 303);
    let who = me(&client);
    assert_ne!(
        who["id"],
        json!(carol_id),
        "the unverified account is not taken over"
    );
    assert_eq!(who["email_verified"], true);
    assert_ne!(who["username"], "carol");

    // an account made by single sign-on has no password anyone can match
    let answer = client.submit(
        "/sign-in",
        "/sign-in",
        &[
            ("login", who["username"].as_str().unwrap()),
            ("password", "!"),
        ],
    );
    assert_eq!(answer.status, 422);
}

#[test]
fn a_sign_in_belongs_to_its_browser_and_is_used_once() {
    let app = app();
    let Some(fake) = Provider::fake() else { return };
    let root = app.member("root");
    make_site_admin(&app, &root);
    let good = add_provider(&app, &root, &fake, "good");
    fake.next_identity(
        json!({ "sub": "v-1", "email": "victim@example.com", "email_verified": true }),
    );

    // an attacker's finished authorization, replayed in another browser (login CSRF)
    let attacker = app.client();
    let callback = callback_url_of(&attacker, good, "/");
    let victim = app.client();
    let answer = victim.get_url(&callback);
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(victim.cookie("kotae_session").is_none());

    // in its own browser it works once, and never again
    let answer = attacker.get_url(&callback);
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert!(attacker.cookie("kotae_session").is_some());
    let again = app.client();
    let callback = callback_url_of(&again, good, "/");
    assert_eq!(again.get_url(&callback).status, 303);
    let replay = again.get_url(&callback);
    assert_eq!(
        replay.status, 403,
        "a used state is refused: {}",
        replay.body
    );

    // a tampered state, a missing one, and the provider's error answer change nothing
    for query in [
        "?code=x&state=nope",
        "?code=x",
        "?error=access_denied&state=x",
        "",
    ] {
        let client = app.client();
        let answer = client.get(&format!("/sso/{good}/callback{query}"));
        assert_eq!(answer.status, 403, "{query}: {}", answer.body);
    }
    assert_eq!(
        app.client().get("/sso/999/callback?code=x&state=y").status,
        403
    );
    assert_eq!(app.client().get("/sso/999/start").status, 404);
    // an offsite next is not followed
    let client = app.client();
    fake.next_identity(json!({ "sub": "v-2", "email": "v2@example.com", "email_verified": true }));
    let answer = sign_in_through(&client, good, "https://evil.example/");
    assert_eq!(answer.header("location"), Some("/"));
}

#[test]
fn providers_are_managed_by_site_admins_only() {
    let app = app();
    let Some(fake) = Provider::fake() else { return };
    let root = app.member("root");
    make_site_admin(&app, &root);
    let member = app.member("mia");
    let body =
        json!({ "name": "Fake", "issuer": fake.issuer, "client_id": "good", "client_secret": "s" });
    let (status, _) = app.as_member(
        &member,
        "POST",
        "/api/v1/admin/oidc-providers",
        body.clone(),
    );
    assert_eq!(status, 403);
    let (status, _) = app.as_member(&member, "GET", "/api/v1/admin/oidc-providers", json!({}));
    assert_eq!(status, 403);
    assert_eq!(app.client().get("/api/v1/admin/oidc-providers").status, 401);

    let bad = [
        json!({ "name": "", "issuer": fake.issuer, "client_id": "good", "client_secret": "s" }),
        json!({ "name": "X", "issuer": "file:///etc/passwd", "client_id": "good", "client_secret": "s" }),
        json!({ "name": "X", "issuer": "http://127.0.0.1:9", "client_id": "good", "client_secret": "s" }),
        json!({ "name": "X", "issuer": format!("{}/elsewhere", fake.issuer), "client_id": "good", "client_secret": "s" }),
        json!({ "name": "X", "issuer": fake.issuer, "client_id": "", "client_secret": "s" }),
        json!({ "name": "X", "issuer": fake.issuer, "client_id": "good", "client_secret": "" }),
        json!({ "name": "X", "issuer": fake.issuer, "client_id": "good", "client_secret": "s", "scopes": "openid <x>" }),
        json!({ "name": "X".repeat(61), "issuer": fake.issuer, "client_id": "good", "client_secret": "s" }),
    ];
    for input in bad {
        let (status, answer) =
            app.as_member(&root, "POST", "/api/v1/admin/oidc-providers", input.clone());
        assert_eq!(status, 422, "{input}: {answer}");
    }
    let (status, listed) = app.as_member(&root, "GET", "/api/v1/admin/oidc-providers", json!({}));
    assert_eq!(
        (status, listed["items"].as_array().map(Vec::len)),
        (200, Some(0))
    );

    let (status, created) =
        app.as_member(&root, "POST", "/api/v1/admin/oidc-providers", body.clone());
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["scopes"], "openid email profile");
    let (status, _) = app.as_member(&root, "POST", "/api/v1/admin/oidc-providers", body);
    assert_eq!(status, 409, "names are unique");

    // the page shows the redirect URI to register, never the secret
    let page = staff::signed_in(&app, "root").get("/admin/sso");
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains(&app.url(&format!("/sso/{}/callback", created["id"])))
    );
    assert!(!page.body.contains("\"s\""));
    assert_eq!(staff::signed_in(&app, "mia").get("/admin/sso").status, 403);

    // the sign-in page offers it
    let sign_in = app.client().get("/sign-in");
    assert!(
        sign_in.body.contains("Sign in with Fake"),
        "{}",
        sign_in.body
    );

    let id = created["id"].as_i64().unwrap();
    let path = format!("/api/v1/admin/oidc-providers/{id}");
    assert_eq!(app.as_member(&member, "DELETE", &path, json!({})).0, 403);
    assert_eq!(app.as_member(&root, "DELETE", &path, json!({})).0, 204);
    assert_eq!(app.as_member(&root, "DELETE", &path, json!({})).0, 404);
    assert!(
        !app.client()
            .get("/sign-in")
            .body
            .contains("Sign in with Fake")
    );
}

#[test]
fn a_brand_can_require_its_provider_of_its_staff() {
    let app = app();
    let Some(fake) = Provider::fake() else { return };
    let company = staff::company(&app);
    let good = add_provider(&app, &company.site_admin, &fake, "good");

    // customers are offered the brand's provider on its pages
    let (status, body) = app.as_member(
        &company.admin,
        "PUT",
        "/api/v1/brands/acme/sso",
        json!({ "provider_id": good, "staff_only": false }),
    );
    assert_eq!(status, 200, "{body}");
    let page = app.client().get("/brands/acme");
    assert!(
        page.body.contains("Sign in with Fake good"),
        "{}",
        page.body
    );
    let (status, _) = app.as_member(
        &company.staff,
        "PUT",
        "/api/v1/brands/acme/sso",
        json!({ "provider_id": good }),
    );
    assert_eq!(status, 403, "staff are not admins");
    let (status, _) = app.as_member(
        &company.admin,
        "PUT",
        "/api/v1/brands/acme/sso",
        json!({ "provider_id": 999 }),
    );
    assert_eq!(status, 422);

    // requiring it needs an admin who signed in through it
    let (status, body) = app.as_member(
        &company.admin,
        "PUT",
        "/api/v1/brands/acme/sso",
        json!({ "provider_id": good, "staff_only": true }),
    );
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (422, Some("sso_try_first")),
        "{body}"
    );
    fake.next_identity(
        json!({ "sub": "boss", "email": company.admin.email, "email_verified": true }),
    );
    let boss = app.client();
    assert_eq!(
        sign_in_through(&boss, good, "/brands/acme/team").status,
        303
    );
    let team = boss.get("/brands/acme/team");
    assert!(
        team.body.contains("id=\"sso\""),
        "the team page has the form"
    );
    let saved = boss.post_form(
        "/brands/acme/team/sso",
        &team.csrf_token(),
        &[("provider_id", &good.to_string()), ("staff_only", "1")],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let (status, body) = app.as_member(
        &company.site_admin,
        "GET",
        "/api/v1/brands/acme/sso",
        json!({}),
    );
    assert_eq!(
        (status, body["staff_only"].as_bool()),
        (200, Some(true)),
        "{body}"
    );

    // staff sessions made by password ended; password sign-in is refused for them only
    assert_eq!(
        app.client().get_as("/api/v1/me", &company.staff.token).0,
        401
    );
    assert_eq!(
        app.client().get_as("/api/v1/me", &company.admin.token).0,
        401
    );
    assert_eq!(
        app.client().get_as("/api/v1/me", &company.member.token).0,
        200
    );
    assert_eq!(
        me(&boss)["username"],
        "boss",
        "the session through the provider stays"
    );
    let (status, body) = app.client().post_json(
        "/api/v1/tokens",
        &json!({ "login": "sam", "password": common::PASSWORD }),
    );
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (422, Some("sso_required")),
        "{body}"
    );
    let answer = app.client().submit(
        "/sign-in",
        "/sign-in",
        &[("login", "sam"), ("password", common::PASSWORD)],
    );
    assert_eq!(answer.status, 422);
    assert!(
        answer.body.contains("sign in through the brand"),
        "{}",
        answer.body
    );
    let (status, _) = app.client().post_json(
        "/api/v1/tokens",
        &json!({ "login": "mia", "password": common::PASSWORD }),
    );
    assert_eq!(status, 201, "members sign in as before");

    // through the provider, staff sign in and work
    fake.next_identity(
        json!({ "sub": "sam", "email": company.staff.email, "email_verified": true }),
    );
    let sam = app.client();
    assert_eq!(sign_in_through(&sam, good, "/").status, 303);
    assert_eq!(sam.get("/brands/acme/queue").status, 200);
}

#[tokio::test]
async fn a_customer_signs_in_with_the_brands_account_in_the_browser_and_asks() {
    let app = app();
    let root = app.member("root");
    make_site_admin(&app, &root);
    staff::create_brand(&app, &root, "Acme", "acme", None);
    // a fresh database's first provider is number 1: its redirect URI is known in advance
    let redirect = app.url("/sso/1/callback");
    let Some(idp) = Provider::real("kotae", "kotae-secret", &redirect) else {
        return;
    };
    let (status, created) = app.as_member(
        &root,
        "POST",
        "/api/v1/admin/oidc-providers",
        json!({ "name": "Acme ID", "issuer": idp.issuer, "client_id": "kotae",
                "client_secret": "kotae-secret" }),
    );
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["redirect_uri"], json!(redirect));
    let (status, body) = app.as_member(
        &root,
        "PUT",
        "/api/v1/brands/acme/sso",
        json!({ "provider_id": created["id"] }),
    );
    assert_eq!(status, 200, "{body}");
    let Some(browser) = Browser::start(Window::Phone).await else {
        return;
    };
    browser
        .client
        .goto(&app.url("/brands/acme"))
        .await
        .expect("brand page");
    browser.click("a[href^='/sso/1/start']").await;
    // oidc-provider's own sign-in page, on its own port
    browser.wait_for("input[name=login]").await;
    browser.fill("input[name=login]", "shopper").await;
    browser
        .fill("input[name=password]", "whatever the provider accepts")
        .await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text(".flash-success", "signed in").await;
    assert_eq!(
        browser.path().await,
        "/brands/acme",
        "back where the customer was"
    );
    browser.click("a[href^='/brands/acme/ask']").await;
    browser.wait_for("#f-title").await;
    browser.click("input[name=kind][value=question]").await;
    browser
        .fill("#f-title", "Does the toner fit the older model?")
        .await;
    browser
        .fill("#f-body", "I have the 2019 model and a new toner box.")
        .await;
    browser
        .click("form[action$='/ask'] button[type=submit]")
        .await;
    browser
        .wait_for_text(".flash-success", "Your topic is posted")
        .await;
    assert!(browser.path().await.starts_with("/brands/acme/topics/"));
    browser.close().await;

    // the question is the provider's account's, made here with its verified address
    let topics = app.client().get("/api/v1/brands/acme/topics").json();
    let asked = topics["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|t| t["title"] == "Does the toner fit the older model?")
        .unwrap_or_else(|| panic!("the question is in the community: {topics}"));
    assert_eq!(asked["author"]["username"], "shopper", "{asked}");
    use diesel::prelude::*;
    use kotae::db::schema::users;
    let mut c = app.db();
    let (email, verified): (String, bool) = users::table
        .filter(users::username.eq("shopper"))
        .select((users::email, users::email_verified))
        .first(&mut c)
        .expect("shopper's account");
    assert_eq!((email.as_str(), verified), ("shopper@example.com", true));
}
