//! Checks of what people type, shared by pages and the API; each returns field errors.

use crate::error::FieldError;
use crate::password::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};

pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 30;
pub const EMAIL_MAX: usize = 254;
pub const DISPLAY_NAME_MAX: usize = 60;

/// Usernames are lowercase ASCII letters, digits, `_` and `-`, starting with a letter or digit.
pub fn username(value: &str, errors: &mut Vec<FieldError>) -> String {
    let name = value.trim().to_lowercase();
    let valid_chars = name
        .chars()
        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_' || ch == '-');
    let starts_well = name
        .chars()
        .next()
        .is_some_and(|ch| ch.is_ascii_alphanumeric());
    if name.is_empty() {
        errors.push(FieldError::new("username", "required", "is required"));
    } else if !(USERNAME_MIN..=USERNAME_MAX).contains(&name.chars().count()) {
        errors.push(FieldError::new(
            "username",
            "username_length",
            format!("must be {USERNAME_MIN} to {USERNAME_MAX} characters"),
        ));
    } else if !valid_chars || !starts_well {
        errors.push(FieldError::new(
            "username",
            "username_chars",
            "may hold only letters a-z, digits, _ and -, and must start with a letter or digit",
        ));
    }
    name
}

pub fn email(field: &'static str, value: &str, errors: &mut Vec<FieldError>) -> String {
    let email = value.trim().to_string();
    if email.is_empty() {
        errors.push(FieldError::new(field, "required", "is required"));
    } else if email.len() > EMAIL_MAX
        || email.parse::<lettre::Address>().is_err()
        || !email.contains('.')
    {
        errors.push(FieldError::new(
            field,
            "email_invalid",
            "is not a valid email address",
        ));
    }
    email
}

pub fn new_password(field: &'static str, value: &str, errors: &mut Vec<FieldError>) {
    if value.len() > MAX_PASSWORD_BYTES {
        errors.push(FieldError::new(
            field,
            "password_long",
            format!("must be at most {MAX_PASSWORD_BYTES} bytes"),
        ));
    } else if value.chars().count() < MIN_PASSWORD_CHARS {
        errors.push(FieldError::new(
            field,
            "password_short",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
}

pub fn display_name(value: &str, errors: &mut Vec<FieldError>) -> String {
    let name: String = value.trim().chars().filter(|ch| !ch.is_control()).collect();
    if name.is_empty() {
        errors.push(FieldError::new("display_name", "required", "is required"));
    } else if name.chars().count() > DISPLAY_NAME_MAX {
        errors.push(FieldError::new(
            "display_name",
            "display_name_long",
            format!("must be at most {DISPLAY_NAME_MAX} characters"),
        ));
    }
    name
}

/// A bounded, non-empty token from a link.
pub fn token(value: &str, errors: &mut Vec<FieldError>) -> String {
    let token = value.trim().to_string();
    if token.is_empty() || token.len() > 128 {
        errors.push(FieldError::new(
            "token",
            "token_invalid",
            "is missing or malformed",
        ));
    }
    token
}

/// One line of text for people (names, titles): trimmed, control characters dropped, and
/// between `min` and `max` characters.
pub fn plain_text(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> String {
    let text: String = value
        .trim()
        .chars()
        .map(|ch| if ch.is_control() { ' ' } else { ch })
        .collect();
    let count = text.chars().count();
    if count < min {
        let code = if count == 0 { "required" } else { "too_short" };
        errors.push(FieldError::new(
            field,
            code,
            format!("must be at least {min} characters"),
        ));
    } else if count > max {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
    text
}

/// Text that may span lines (bodies): only the length is checked, in characters.
pub fn body(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> String {
    // PostgreSQL refuses NUL in text, and no one means to type it
    let text = value.trim().replace("\r\n", "\n").replace('\0', "");
    let count = text.chars().count();
    if count < min {
        errors.push(FieldError::new(field, "required", "is required"));
    } else if count > max {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
    text
}

/// A slug as given: lowercase ASCII letters, digits and single hyphens, 2 to 40 long.
pub fn slug(field: &'static str, value: &str, errors: &mut Vec<FieldError>) -> String {
    let slug = value.trim().to_string();
    let valid = (2..=40).contains(&slug.len())
        && slug
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--");
    if !valid {
        errors.push(FieldError::new(
            field,
            "slug_invalid",
            "use 2 to 40 of a-z, 0-9 and single hyphens",
        ));
    }
    slug
}

/// A slug made from a name; names with no ASCII letters or digits need one given.
pub fn slug_from(field: &'static str, name: &str, errors: &mut Vec<FieldError>) -> String {
    let mut slug = String::new();
    for ch in name.to_lowercase().chars() {
        if ch.is_ascii_alphanumeric() {
            slug.push(ch);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_end_matches('-').chars().take(40).collect();
    let slug = slug.trim_end_matches('-').to_string();
    if slug.len() < 2 {
        errors.push(FieldError::new(
            field,
            "slug_required",
            "give a slug of a-z, 0-9 and hyphens for this name",
        ));
    }
    slug
}

/// A web domain such as example.com: no scheme, no path.
pub fn domain(value: &str, errors: &mut Vec<FieldError>) -> String {
    let domain = value.trim().trim_end_matches('.').to_lowercase();
    let valid = domain.len() <= 253
        && domain.contains('.')
        && domain.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if !valid {
        errors.push(FieldError::new(
            "domain",
            "domain_invalid",
            "give a domain such as example.com",
        ));
    }
    domain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercased_and_checked() {
        let mut errors = vec![];
        assert_eq!(username(" Alice_1 ", &mut errors), "alice_1");
        assert!(errors.is_empty());
        for bad in ["", "ab", "-abc", "名前です", "a b c", &"x".repeat(31)] {
            let mut errors = vec![];
            username(bad, &mut errors);
            assert_eq!(errors.len(), 1, "{bad:?} should be refused");
        }
    }

    #[test]
    fn passwords_have_bounds_in_chars_and_bytes() {
        let mut errors = vec![];
        new_password("password", "パスワードは十文字以上", &mut errors);
        assert!(errors.is_empty());
        new_password("password", "short", &mut errors);
        new_password("password", &"x".repeat(1025), &mut errors);
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn slugs_come_from_names_or_must_be_given() {
        let mut errors = vec![];
        assert_eq!(
            slug_from("slug", "Acme Printers, Inc.", &mut errors),
            "acme-printers-inc"
        );
        assert!(errors.is_empty());
        slug_from("slug", "さくらカメラ", &mut errors);
        assert_eq!(errors[0].code, "slug_required");
        let mut errors = vec![];
        for bad in ["A", "-x", "x-", "a--b", "ab_c", "über"] {
            slug("slug", bad, &mut errors);
        }
        assert_eq!(errors.len(), 6);
    }

    #[test]
    fn emails_need_a_domain() {
        for (input, ok) in [
            ("a@example.com", true),
            ("a@localhost", false),
            ("not-an-email", false),
            ("", false),
        ] {
            let mut errors = vec![];
            email("email", input, &mut errors);
            assert_eq!(errors.is_empty(), ok, "{input}");
        }
    }
}
