//! Accounts: sign-up, verification, sign-in and out, password reset, settings.
//! Answers never tell whether an address is registered: each path does the same work.

use std::net::IpAddr;

use tera::Context;

use super::{Services, address_key, validate};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult, FieldError};
use crate::i18n::Lang;
use crate::mail::{Composer, Mail};
use crate::model::account_token::{self, Purpose};
use crate::model::session::{self, SessionKind};
use crate::model::user::{self, NewUser, User};
use crate::model::{SessionId, now};
use crate::password;

/// What a new member types.
pub struct SignUp {
    pub username: String,
    pub email: String,
    pub password: String,
    pub language: Lang,
}

pub async fn sign_up(s: &Services, input: SignUp, client: IpAddr) -> AppResult<User> {
    let mut errors = vec![];
    let username = validate::username(&input.username, &mut errors);
    let email = validate::email("email", &input.email, &mut errors);
    validate::new_password("password", &input.password, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    s.limits
        .hit(
            &s.db,
            format!("sign-up:{}", address_key(client)),
            super::SIGN_UP_PER_ADDRESS,
        )
        .await?;
    let hash = password::hash(input.password).await?;
    let mail = s.mail.clone();
    let created =
        s.db.run(move |c| {
            db::write_transaction(c, |c| {
                if user::find_by_username(c, &username)?.is_some() {
                    return Err(taken_username());
                }
                let at = now();
                let new_user = user::insert(
                    c,
                    &NewUser {
                        username: &username,
                        email: &email,
                        email_key: &user::email_key(&email),
                        email_verified: false,
                        display_name: &username,
                        password_hash: &hash,
                        language: input.language.code(),
                        site_admin: false,
                        created_at: at,
                        updated_at: at,
                    },
                )?;
                send_address_proof(c, &mail, &new_user, &email)?;
                Ok(new_user)
            })
        })
        .await
        .map_err(username_conflict)?;
    s.mail.wake();
    Ok(created)
}

/// A race between two sign-ups with one username loses on the unique index: same answer.
fn username_conflict(e: AppError) -> AppError {
    match e {
        AppError::Conflict(_) => taken_username(),
        other => other,
    }
}

fn taken_username() -> AppError {
    AppError::Taken(vec![FieldError::new(
        "username",
        "username_taken",
        "is already taken",
    )])
}

/// Mails `email` a verification link for `account`, or, when another verified account
/// holds that address, a note saying so: either way one mail, so nothing is revealed.
fn send_address_proof(
    c: &mut DbConn,
    mail: &Composer,
    account: &User,
    email: &str,
) -> AppResult<()> {
    let lang = Lang::parse(&account.language).unwrap_or_default();
    let mut context = Context::new();
    context.insert("username", &account.username);
    let holder = user::verified_holder(c, email)?;
    let template = match holder {
        Some(holder) if holder != account.id => {
            let holder = user::find(c, holder)?;
            context.insert("existing_username", &holder.username);
            "address_in_use"
        }
        _ => {
            let token = account_token::issue(c, account.id, Purpose::VerifyEmail, email, now())?;
            context.insert("link", &format!("{}/verify?token={token}", mail.base_url()));
            "verify_email"
        }
    };
    mail.enqueue(
        c,
        Mail {
            to: email,
            lang,
            template,
            context,
            dedupe_key: format!(
                "{template}:{}:{}",
                account.id,
                crate::secret::random_token()
            ),
            unsubscribe: None,
            reply_to: None,
        },
    )
}

/// Spends a verification token: the bound address becomes the account's verified address.
pub async fn verify_email(s: &Services, token: &str) -> AppResult<User> {
    let mut errors = vec![];
    let token = validate::token(token, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    s.db.run(move |c| {
        db::write_transaction(c, |c| {
            let spent = account_token::spend(c, &token, Purpose::VerifyEmail, now())?
                .ok_or_else(bad_link)?;
            if user::verified_holder(c, &spent.email)?.is_some_and(|holder| holder != spent.user_id)
            {
                return Err(AppError::invalid(
                    "token",
                    "address_taken",
                    "that address now belongs to another account",
                ));
            }
            user::set_verified_email(c, spent.user_id, &spent.email, now())?;
            Ok(user::find(c, spent.user_id)?)
        })
    })
    .await
}

fn bad_link() -> AppError {
    AppError::invalid(
        "token",
        "token_invalid",
        "this link is invalid, already used, or expired",
    )
}

/// Checks a login and password and starts a session; returns the user and the session token.
pub async fn sign_in(
    s: &Services,
    login: &str,
    password_text: String,
    client: IpAddr,
    kind: SessionKind,
) -> AppResult<(User, String)> {
    let login = login.trim().to_lowercase();
    let mut errors = vec![];
    if login.is_empty() || login.len() > validate::EMAIL_MAX {
        errors.push(FieldError::new(
            "login",
            "required",
            "enter your username or email address",
        ));
    }
    if password_text.is_empty() || password_text.len() > password::MAX_PASSWORD_BYTES {
        errors.push(FieldError::new(
            "password",
            "required",
            "enter your password",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    s.limits
        .hit(
            &s.db,
            format!("sign-in:addr:{}", address_key(client)),
            super::SIGN_IN_PER_ADDRESS,
        )
        .await?;
    let lookup = login.clone();
    let found =
        s.db.run(move |c| Ok(user::find_by_login(c, &lookup)?))
            .await?;
    let account_key = found.as_ref().map_or(login, |u| u.id.to_string());
    s.limits
        .hit(
            &s.db,
            format!("sign-in:account:{account_key}"),
            super::SIGN_IN_PER_ACCOUNT,
        )
        .await?;
    let stored = found.as_ref().map(|u| u.password_hash.clone());
    let matches =
        password::off_executor(move || password::verify_now(&password_text, stored.as_deref()))
            .await?;
    let Some(found) = found.filter(|_| matches) else {
        return Err(AppError::invalid(
            "login",
            "login_mismatch",
            "that username or email and password do not match",
        ));
    };
    if found.banned_at.is_some() {
        return Err(AppError::invalid(
            "login",
            "account_banned",
            "this account is suspended",
        ));
    }
    let id = found.id;
    let token =
        s.db.run(move |c| {
            super::sso::staff_rule(c, id, None)?;
            Ok(session::create(c, id, kind, now())?)
        })
        .await?;
    Ok((found, token))
}

/// Ends the session a token names.
pub async fn sign_out(s: &Services, token: String) -> AppResult<()> {
    s.db.run(move |c| Ok(session::delete_by_token(c, &token)?))
        .await?;
    Ok(())
}

/// Mails a reset link to the account holding `email`, or a note that no account uses it.
pub async fn request_reset(s: &Services, email: &str, lang: Lang, client: IpAddr) -> AppResult<()> {
    // known addresses cost a token more than unknown ones; answering no sooner than this
    // keeps that fraction of a millisecond from showing
    let answer_at = tokio::time::Instant::now() + RESET_ANSWER_FLOOR;
    let mut errors = vec![];
    let email = validate::email("email", email, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    s.limits
        .hit(
            &s.db,
            format!("reset:addr:{}", address_key(client)),
            super::RESET_PER_ADDRESS,
        )
        .await?;
    s.limits
        .hit(
            &s.db,
            format!("reset:email:{}", user::email_key(&email)),
            super::RESET_PER_EMAIL,
        )
        .await?;
    let mail = s.mail.clone();
    s.db.run(move |c| {
        db::write_transaction(c, |c| {
            let mut context = Context::new();
            let (template, lang) = match user::find_by_email(c, &email)? {
                Some(account) => {
                    let token =
                        account_token::issue(c, account.id, Purpose::ResetPassword, &email, now())?;
                    context.insert("username", &account.username);
                    context.insert(
                        "link",
                        &format!("{}/reset/confirm?token={token}", mail.base_url()),
                    );
                    (
                        "reset_password",
                        Lang::parse(&account.language).unwrap_or(lang),
                    )
                }
                None => ("reset_unknown", lang),
            };
            context.insert("email", &email);
            let dedupe_key = format!("{template}:{}", crate::secret::random_token());
            mail.enqueue(
                c,
                Mail {
                    to: &email,
                    lang,
                    template,
                    context,
                    dedupe_key,
                    unsubscribe: None,
                    reply_to: None,
                },
            )
        })
    })
    .await?;
    s.mail.wake();
    tokio::time::sleep_until(answer_at).await;
    Ok(())
}

const RESET_ANSWER_FLOOR: std::time::Duration = std::time::Duration::from_millis(40);

/// Spends a reset token and sets the new password; every session of the account ends.
/// Following the link proves the address, so it counts as verified too.
pub async fn confirm_reset(s: &Services, token: &str, new_password: String) -> AppResult<User> {
    let mut errors = vec![];
    let token = validate::token(token, &mut errors);
    validate::new_password("password", &new_password, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let hash = password::hash(new_password).await?;
    s.db.run(move |c| {
        db::write_transaction(c, |c| {
            let spent = account_token::spend(c, &token, Purpose::ResetPassword, now())?
                .ok_or_else(bad_link)?;
            user::set_password_hash(c, spent.user_id, &hash, now())?;
            session::delete_all_for_user(c, spent.user_id, None)?;
            if user::verified_holder(c, &spent.email)?.is_none() {
                user::set_verified_email(c, spent.user_id, &spent.email, now())?;
            }
            Ok(user::find(c, spent.user_id)?)
        })
    })
    .await
}

pub async fn update_profile(
    s: &Services,
    account: &User,
    display_name: &str,
    language: &str,
) -> AppResult<()> {
    let mut errors = vec![];
    let display_name = validate::display_name(display_name, &mut errors);
    let Some(language) = Lang::parse(language) else {
        errors.push(FieldError::new(
            "language",
            "language_invalid",
            "choose English or Japanese",
        ));
        return Err(AppError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let id = account.id;
    s.db.run(move |c| {
        Ok(user::set_profile(
            c,
            id,
            &display_name,
            language.code(),
            now(),
        )?)
    })
    .await
}

/// Sets the language alone (the language switch of signed-in members).
pub async fn set_language(s: &Services, account: &User, language: Lang) -> AppResult<()> {
    let (id, name) = (account.id, account.display_name.clone());
    s.db.run(move |c| Ok(user::set_profile(c, id, &name, language.code(), now())?))
        .await
}

/// Changes the password after checking the current one; other sessions end.
pub async fn change_password(
    s: &Services,
    account: &User,
    keep: Option<SessionId>,
    current: String,
    new_password: String,
) -> AppResult<()> {
    let mut errors = vec![];
    validate::new_password("new_password", &new_password, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    check_current_password(account, current).await?;
    let hash = password::hash(new_password).await?;
    let id = account.id;
    s.db.run(move |c| {
        db::write_transaction(c, |c| {
            user::set_password_hash(c, id, &hash, now())?;
            session::delete_all_for_user(c, id, keep)?;
            Ok(())
        })
    })
    .await
}

async fn check_current_password(account: &User, current: String) -> AppResult<()> {
    if current.len() > password::MAX_PASSWORD_BYTES {
        return Err(AppError::invalid(
            "current_password",
            "current_password_wrong",
            "is not your current password",
        ));
    }
    let stored = account.password_hash.clone();
    let matches =
        password::off_executor(move || password::verify_now(&current, Some(&stored))).await?;
    if matches {
        Ok(())
    } else {
        Err(AppError::invalid(
            "current_password",
            "current_password_wrong",
            "is not your current password",
        ))
    }
}

/// Starts an address change: the new address gets a link; the old one stays until it is followed.
pub async fn change_email(
    s: &Services,
    account: &User,
    current: String,
    new_email: &str,
) -> AppResult<()> {
    let mut errors = vec![];
    let email = validate::email("email", new_email, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    check_current_password(account, current).await?;
    s.limits
        .hit(
            &s.db,
            format!("account-mail:{}", account.id),
            super::MAILS_PER_ACCOUNT,
        )
        .await?;
    let (mail, account) = (s.mail.clone(), account.clone());
    s.db.run(move |c| db::write_transaction(c, |c| send_address_proof(c, &mail, &account, &email)))
        .await?;
    s.mail.wake();
    Ok(())
}

/// Mails a fresh verification link for the account's current address.
pub async fn resend_verification(s: &Services, account: &User) -> AppResult<()> {
    if account.email_verified {
        return Ok(());
    }
    s.limits
        .hit(
            &s.db,
            format!("account-mail:{}", account.id),
            super::MAILS_PER_ACCOUNT,
        )
        .await?;
    let (mail, account) = (s.mail.clone(), account.clone());
    s.db.run(move |c| {
        let email = account.email.clone();
        db::write_transaction(c, |c| send_address_proof(c, &mail, &account, &email))
    })
    .await?;
    s.mail.wake();
    Ok(())
}

/// Ends every session and API token of the account.
pub async fn sign_out_everywhere(s: &Services, account: &User) -> AppResult<()> {
    let id = account.id;
    s.db.run(move |c| Ok(session::delete_all_for_user(c, id, None)?))
        .await?;
    Ok(())
}

/// Creates (or promotes) a site admin from the command line; the address counts as verified.
pub fn create_admin(
    c: &mut DbConn,
    username: &str,
    email: &str,
    password_hash: &str,
) -> AppResult<User> {
    let mut errors = vec![];
    let username = validate::username(username, &mut errors);
    let email = validate::email("email", email, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    db::write_transaction(c, |c| {
        let at = now();
        let account = match user::find_by_username(c, &username)? {
            Some(existing) => {
                user::set_password_hash(c, existing.id, password_hash, at)?;
                existing
            }
            None => user::insert(
                c,
                &NewUser {
                    username: &username,
                    email: &email,
                    email_key: &user::email_key(&email),
                    email_verified: false,
                    display_name: &username,
                    password_hash,
                    language: "en",
                    site_admin: true,
                    created_at: at,
                    updated_at: at,
                },
            )?,
        };
        user::set_site_admin(c, account.id, true)?;
        if user::verified_holder(c, &email)?.is_none_or(|holder| holder == account.id) {
            user::set_verified_email(c, account.id, &email, at)?;
        }
        Ok(user::find(c, account.id)?)
    })
}
