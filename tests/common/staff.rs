//! A claimed brand with its people, for the staff workflow tests: an admin, a staff member,
//! a customer who asked, a member, an unverified account, another brand's admin and a site
//! admin.

use std::time::Duration;

use serde_json::{Value, json};

use super::{Member, PASSWORD, TestApp, token_from};

pub struct Company {
    pub asker: Member,
    pub admin: Member,
    pub staff: Member,
    pub member: Member,
    pub other_staff: Member,
    pub site_admin: Member,
    /// The unverified account's API token.
    pub unverified: String,
    pub topic: i64,
    pub reply: i64,
}

impl Company {
    /// Roles in the order of the authorisation table, with the bearer token of each.
    pub fn roles(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("visitor", None),
            ("unverified", Some(self.unverified.clone())),
            ("member", Some(self.member.token.clone())),
            ("other_staff", Some(self.other_staff.token.clone())),
            ("staff", Some(self.staff.token.clone())),
            ("brand_admin", Some(self.admin.token.clone())),
            ("site_admin", Some(self.site_admin.token.clone())),
        ]
    }
}

/// Claims `slug` (a brand at `domain`) through the mailed link, as `who`.
pub fn claim_by_mail(app: &TestApp, who: &Member, slug: &str, domain: &str) {
    let address = format!("{}@{domain}", who.username);
    let (status, body) = app.as_member(
        who,
        "POST",
        &format!("/api/v1/brands/{slug}/claims"),
        json!({ "email": address }),
    );
    assert_eq!(status, 202, "claim {slug}: {body}");
    let mail = app.smtp.wait_for(&address, 1, Duration::from_secs(20));
    let token = token_from(&mail[0].text_body(), "/claims/confirm?token=");
    let (status, body) = app.as_member(
        who,
        "POST",
        "/api/v1/claims/confirm",
        json!({ "token": token }),
    );
    assert_eq!(status, 200, "confirm claim of {slug}: {body}");
}

pub fn create_brand(app: &TestApp, who: &Member, name: &str, slug: &str, domain: Option<&str>) {
    let (status, body) = app.as_member(
        who,
        "POST",
        "/api/v1/brands",
        json!({ "name": name, "slug": slug, "domain": domain, "products": ["Printer", "Scanner"] }),
    );
    assert_eq!(status, 201, "brand {slug}: {body}");
}

pub fn post_topic(app: &TestApp, who: &Member, slug: &str, kind: &str, title: &str) -> i64 {
    let (status, body) = app.as_member(
        who,
        "POST",
        &format!("/api/v1/brands/{slug}/topics"),
        json!({ "kind": kind, "title": title, "body": "It stopped working after the update." }),
    );
    assert_eq!(status, 201, "topic: {body}");
    body["id"].as_i64().expect("topic id")
}

pub fn make_site_admin(app: &TestApp, who: &Member) {
    let mut c = app.db();
    kotae::model::user::set_site_admin(&mut c, kotae::model::UserId(who.id), true)
        .expect("make site admin");
}

/// Acme (claimed at acme.test, admin boss, staff sam), Other (claimed by olga), a question
/// by ana in Acme with a reply by mia, and the other people of `Company`.
pub fn company(app: &TestApp) -> Company {
    let asker = app.member("ana");
    let admin = app.member("boss");
    let staff = app.member("sam");
    let member = app.member("mia");
    let other_staff = app.member("olga");
    let site_admin = app.member("root");
    make_site_admin(app, &site_admin);
    app.sign_up("uma");
    let (status, body) = app.client().post_json(
        "/api/v1/tokens",
        &json!({ "login": "uma", "password": PASSWORD }),
    );
    assert_eq!(status, 201, "token for uma: {body}");
    let unverified = body["token"].as_str().expect("token").to_string();

    create_brand(app, &asker, "Acme", "acme", Some("acme.test"));
    let topic = post_topic(
        app,
        &asker,
        "acme",
        "question",
        "The printer stopped printing",
    );
    claim_by_mail(app, &admin, "acme", "acme.test");
    let (status, body) = app.as_member(
        &admin,
        "POST",
        "/api/v1/brands/acme/staff",
        json!({ "username": "sam", "role": "staff", "title": "Support" }),
    );
    assert_eq!(status, 201, "add staff: {body}");
    create_brand(app, &other_staff, "Other", "other", Some("other.test"));
    claim_by_mail(app, &other_staff, "other", "other.test");
    let (status, body): (u16, Value) = app.as_member(
        &member,
        "POST",
        &format!("/api/v1/topics/{topic}/replies"),
        json!({ "body": "Try turning it off and on again." }),
    );
    assert_eq!(status, 201, "reply: {body}");
    Company {
        reply: body["id"].as_i64().expect("reply id"),
        asker,
        admin,
        staff,
        member,
        other_staff,
        site_admin,
        unverified,
        topic,
    }
}

/// A web client signed in as `username`.
pub fn signed_in(app: &TestApp, username: &str) -> super::Client {
    signed_in_with(app, username, PASSWORD)
}

pub fn signed_in_with(app: &TestApp, username: &str, password: &str) -> super::Client {
    let client = app.client();
    let answer = client.submit(
        "/sign-in",
        "/sign-in",
        &[("login", username), ("password", password)],
    );
    assert_eq!(answer.status, 303, "sign in {username}: {}", answer.body);
    client
}
