//! `kotae demo`: a small, living community to look at a minute after cloning: three
//! brands, members, threads of all four kinds in English and Japanese, answers, best
//! answers, me-toos and helpful votes.

use anyhow::Context as _;

use crate::db::{self, DbConn};
use crate::model::user::{self, NewUser, User};
use crate::model::{ReplyId, TopicId, now};
use crate::service::brand::{self as brands, NewBrandInput};
use crate::service::topic::{self as topics, NewTopicInput};

pub mod generated;
mod rows;

pub const PASSWORD: &str = "kotae-demo-password";

struct Thread {
    brand: &'static str,
    author: usize,
    kind: &'static str,
    feeling: Option<&'static str>,
    product: Option<&'static str>,
    title: &'static str,
    body: &'static str,
    /// (author, text); the reply marked `true` becomes the best answer.
    replies: &'static [(usize, &'static str, bool)],
    me_too: &'static [usize],
}

const MEMBERS: [(&str, &str, &str); 6] = [
    ("aiko", "Aiko Tanaka", "ja"),
    ("ben", "Ben Carter", "en"),
    ("chen", "Chen Wei", "en"),
    ("dana", "Dana Okafor", "en"),
    ("emi", "江美 佐藤", "ja"),
    ("farid", "Farid Haddad", "en"),
];

const THREADS: &[Thread] = &[
    Thread {
        brand: "acme-printers",
        author: 1,
        kind: "question",
        feeling: Some("confused"),
        product: Some("laserjet-5"),
        title: "How do I print double-sided from my phone?",
        body: "The **LaserJet 5** prints both sides from my laptop, but the phone app only offers single-sided. Is there a setting I am missing?",
        replies: &[
            (
                2,
                "In the app, open *Print settings → Layout* and switch **Two-sided** on. It only appears once the printer is selected.",
                true,
            ),
            (
                3,
                "Same here, thanks! The option was hidden until I picked the printer.",
                false,
            ),
        ],
        me_too: &[3, 5],
    },
    Thread {
        brand: "acme-printers",
        author: 3,
        kind: "problem",
        feeling: Some("frustrated"),
        product: Some("laserjet-5"),
        title: "Paper jams on every second page after the firmware update",
        body: "Since firmware 2.4 the printer jams on every second page of a long job. Short jobs are fine.\n\n- Tried new paper\n- Cleaned the rollers",
        replies: &[(
            5,
            "Rolling back to 2.3 fixed it for me: *Settings → Firmware → Previous version*.",
            false,
        )],
        me_too: &[1, 2, 5],
    },
    Thread {
        brand: "acme-printers",
        author: 5,
        kind: "idea",
        feeling: Some("happy"),
        product: Some("inkjet-2"),
        title: "Let the app warn me before the ink runs out",
        body: "A notification at 10% ink would save me a trip to the shop in the middle of a job.",
        replies: &[(1, "Yes please. A weekly summary would be nice too.", false)],
        me_too: &[1, 2, 3],
    },
    Thread {
        brand: "acme-printers",
        author: 2,
        kind: "praise",
        feeling: Some("thankful"),
        product: None,
        title: "Support replaced my printer in two days",
        body: "Mine broke a week before a deadline and the replacement arrived in two days. Thank you!",
        replies: &[],
        me_too: &[],
    },
    Thread {
        brand: "sakura-camera",
        author: 0,
        kind: "question",
        feeling: Some("confused"),
        product: Some("s1"),
        title: "S1で星空をきれいに撮る設定を教えてください",
        body: "三脚は使っていますが、どうしても星がにじんでしまいます。おすすめのシャッタースピードとISO感度はありますか？",
        replies: &[
            (
                4,
                "**500ルール**が目安です。焦点距離が24mmなら約20秒、ISOは1600〜3200から試してみてください。手ぶれ補正はオフに。",
                true,
            ),
            (
                2,
                "Also turn on the 2-second timer so pressing the shutter does not shake the camera.",
                false,
            ),
        ],
        me_too: &[4],
    },
    Thread {
        brand: "sakura-camera",
        author: 4,
        kind: "problem",
        feeling: Some("sad"),
        product: Some("s1"),
        title: "バッテリーの減りが急に早くなりました",
        body: "アップデート後、フル充電でも50枚ほどで電池が切れてしまいます。同じ症状の方はいますか？",
        replies: &[(
            0,
            "Wi-Fi転送を常時オンにしていると減りが早いです。使わない時はオフにすると改善しました。",
            false,
        )],
        me_too: &[0, 1],
    },
    Thread {
        brand: "sakura-camera",
        author: 1,
        kind: "idea",
        feeling: None,
        product: None,
        title: "Add an English manual for the S1 app",
        body: "The app is great but the manual is only in Japanese. An English version would help a lot of us abroad.",
        replies: &[(
            4,
            "英語版マニュアル、賛成です。海外の友人にも勧めやすくなります。",
            false,
        )],
        me_too: &[3],
    },
    Thread {
        brand: "nimbus-cloud",
        author: 3,
        kind: "question",
        feeling: None,
        product: Some("nimbus-drive"),
        title: "Can I restore a file deleted more than 30 days ago?",
        body: "I deleted a folder last month and only noticed today. The bin is empty. Is there any way back?",
        replies: &[(
            2,
            "On the Pro plan, *Version history* keeps 180 days. Open the parent folder → ⋯ → **Restore previous versions**.",
            true,
        )],
        me_too: &[1],
    },
];

/// Loads the demo unless it is there already; prints how to sign in.
pub fn load(c: &mut DbConn) -> anyhow::Result<()> {
    if crate::model::brand::find_by_slug(c, "acme-printers").is_ok() {
        println!(
            "The demo is loaded already. Sign in as aiko, ben, chen, dana, emi or farid with the password {PASSWORD}"
        );
        return Ok(());
    }
    let hash = crate::password::hash_now(PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
    let members: Vec<User> = MEMBERS
        .iter()
        .map(|m| member(c, m, &hash))
        .collect::<anyhow::Result<_>>()?;
    for (name, slug, domain, products, description) in [
        (
            "Acme Printers",
            "acme-printers",
            "acme-printers.example",
            vec!["LaserJet 5", "InkJet 2"],
            "Printers for home and office.",
        ),
        (
            "さくらカメラ",
            "sakura-camera",
            "sakura-camera.example",
            vec!["S1", "S1 Mini"],
            "ミラーレスカメラ S1 シリーズのコミュニティ。",
        ),
        (
            "Nimbus Cloud",
            "nimbus-cloud",
            "nimbus.example",
            vec!["Nimbus Drive", "Nimbus Mail"],
            "Storage and mail in the cloud.",
        ),
    ] {
        let input = NewBrandInput {
            name: name.into(),
            slug: Some(slug.into()),
            domain: Some(domain.into()),
            description: Some(description.into()),
            products: products.into_iter().map(String::from).collect(),
        };
        brands::create(c, &members[1], &input)
            .map_err(|e| anyhow::anyhow!("brand {slug}: {e:?}"))?;
    }
    for thread in THREADS {
        post_thread(c, &members, thread).with_context(|| format!("thread {}", thread.title))?;
    }
    crate::model::follow::clear_pending(c)?;
    staff_acme_printers(c, &members)?;
    println!(
        "Demo loaded: 3 communities, {} members, {} threads.",
        MEMBERS.len(),
        THREADS.len()
    );
    println!("Sign in as aiko, ben, chen, dana, emi or farid with the password {PASSWORD}");
    println!("Acme Printers is claimed: dana is its admin (and a site admin), emi its staff.");
    Ok(())
}

fn member(
    c: &mut DbConn,
    (username, name, language): &(&str, &str, &str),
    hash: &str,
) -> anyhow::Result<User> {
    let email = format!("{username}@demo.kotae.example");
    let at = now();
    let row = NewUser {
        username,
        email: &email,
        email_key: &email,
        email_verified: true,
        display_name: name,
        password_hash: hash,
        language,
        site_admin: false,
        created_at: at,
        updated_at: at,
    };
    Ok(db::write_transaction(c, |c| user::insert(c, &row))?)
}

fn post_thread(c: &mut DbConn, members: &[User], thread: &Thread) -> anyhow::Result<()> {
    let fail = |e: crate::error::AppError| anyhow::anyhow!("{e:?}");
    let input = NewTopicInput {
        kind: thread.kind.into(),
        title: thread.title.into(),
        body: thread.body.into(),
        product: thread.product.map(String::from),
        feeling: thread.feeling.map(String::from),
        fields: Default::default(),
    };
    let topic = topics::post(c, &members[thread.author], thread.brand, &input).map_err(fail)?;
    let mut best: Option<ReplyId> = None;
    for (author, text, accepted) in thread.replies {
        let reply = topics::post_reply(
            c,
            &members[*author],
            topic.id,
            &topics::ReplyInput {
                body: text.to_string(),
                ..Default::default()
            },
        )
        .map_err(fail)?;
        let topics::Posted::Published(reply) = reply else {
            anyhow::bail!("a demo reply waits for approval");
        };
        if *accepted {
            best = Some(reply.reply.id);
        }
        for voter in members
            .iter()
            .filter(|m| m.id != reply.reply.author_id)
            .take(2)
        {
            topics::mark_helpful(c, voter, reply.reply.id).map_err(fail)?;
        }
    }
    if let Some(reply) = best {
        topics::accept(c, &members[thread.author], topic.id, reply).map_err(fail)?;
    }
    for who in thread.me_too {
        topics::set_me_too(c, &members[*who], TopicId(topic.id.0), true).map_err(fail)?;
    }
    Ok(())
}

/// Acme Printers as a company runs it: claimed, with an admin and a staff member, a response
/// target, and one problem in progress with its timeline and an internal note.
/// Acme Printers asks problems for the firmware version (public) and the order number
/// (private); its latest problem gives both.
fn demo_fields(
    c: &mut DbConn,
    brand: crate::model::BrandId,
    problem: crate::model::TopicId,
    at: chrono::NaiveDateTime,
) -> diesel::QueryResult<()> {
    use crate::model::field::{self, NewField};
    let mut values = vec![];
    for (name, label, private, value) in [
        ("firmware", "Firmware version", false, "2.4"),
        ("order_number", "Order number", true, "AP-2026-0419"),
    ] {
        let row = NewField {
            brand,
            kind: "problem",
            name,
            label,
            private,
            required: false,
        };
        values.push((field::insert(c, &row, at)?, value.to_string()));
    }
    field::set_values(c, problem, &values)
}

fn staff_acme_printers(c: &mut DbConn, members: &[User]) -> anyhow::Result<()> {
    use crate::model::event::{self, EventKind};
    use crate::model::member::{self, Role};
    use crate::model::topic::{self, Filter, Sort};
    use serde_json::json;
    let acme = crate::model::brand::find_by_slug(c, "acme-printers")?;
    let (dana, emi) = (&members[3], &members[4]);
    db::write_transaction(c, |c| {
        let at = now();
        user::set_site_admin(c, dana.id, true)?;
        member::upsert(c, acme.id, dana.id, Role::Admin, "Support lead", at)?;
        member::upsert(c, acme.id, emi.id, Role::Staff, "サポート", at)?;
        crate::model::claim::set_brand_claimed(c, acme.id, Some(at))?;
        crate::model::brand::set_first_response_target(c, acme.id, Some(240))?;
        let filter = Filter {
            brand: Some(acme.id),
            kind: Some("problem".into()),
            ..Filter::default()
        };
        let Some(problem) = topic::list_page(c, &filter, Sort::Recent, 1, 0)?.pop() else {
            return Ok(());
        };
        demo_fields(c, acme.id, problem.id, at)?;
        let assigned = json!({ "username": emi.username, "display_name": emi.display_name });
        topic::set_assignee(c, problem.id, Some(emi.id))?;
        event::insert(
            c,
            problem.id,
            Some(dana.id),
            EventKind::Assigned,
            &assigned,
            at,
        )?;
        topic::set_status(c, problem.id, "acknowledged", None, at)?;
        let note = "We can reproduce this and are working on a fix.";
        let status = json!({ "from": "open", "to": "acknowledged", "note": note });
        event::insert(c, problem.id, Some(emi.id), EventKind::Status, &status, at)?;
        let body = "Firmware team says the fix ships in 5.2. @dana can we promise a date?";
        let html = crate::markdown::to_html(body);
        let id = crate::model::note::insert(c, problem.id, emi.id, body, &html, at)?;
        event::insert(
            c,
            problem.id,
            Some(emi.id),
            EventKind::Note,
            &json!({ "note_id": id }),
            at,
        )?;
        let flag = crate::model::flag::NewFlag {
            brand: acme.id,
            topic: problem.id,
            reply: None,
            reporter: members[5].id,
            reason: "other",
            note: "Looks like the same jam as last year's thread.",
        };
        crate::model::flag::insert(c, &flag, at)?;
        escalate_in_demo(c, acme.id, problem.id, dana, emi, at)?;
        Ok::<_, anyhow::Error>(())
    })
}

/// Acme's escalation rules, and one open escalation on the problem in progress.
fn escalate_in_demo(
    c: &mut DbConn,
    brand: crate::model::BrandId,
    topic: TopicId,
    dana: &User,
    emi: &User,
    at: chrono::NaiveDateTime,
) -> anyhow::Result<()> {
    use crate::model::escalation::{self, NewEscalation, Settings};
    escalation::save_settings(
        c,
        &Settings {
            brand_id: brand,
            unanswered_minutes: Some(240),
            no_staff_reply_minutes: Some(120),
            me_too_threshold: Some(3),
            feeling_minutes: Some(60),
            acknowledge_minutes: 60,
            spike_me_toos: escalation::DEFAULT_SPIKE_ME_TOOS,
            spike_minutes: escalation::DEFAULT_SPIKE_MINUTES,
        },
    )?;
    escalation::set_recipients(c, brand, &[emi.id])?;
    let reason = "Three print shops report the same jam";
    let row = NewEscalation {
        topic,
        brand,
        level: 1,
        reason,
        source: "staff",
        rule: None,
        opened_by: Some(dana.id),
    };
    if let Some(id) = escalation::open(c, &row, at)? {
        let detail = serde_json::json!({ "escalation_id": id, "level": 1, "reason": reason });
        crate::model::event::insert(
            c,
            topic,
            Some(dana.id),
            crate::model::event::EventKind::Escalated,
            &detail,
            at,
        )?;
    }
    Ok(())
}
