//! Table definitions shared by both backends; the SQL lives in migrations/{sqlite,postgres}.

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        email -> Text,
        email_key -> Text,
        email_verified -> Bool,
        display_name -> Text,
        password_hash -> Text,
        language -> Text,
        site_admin -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        helpful_received -> Integer,
        accepted_answers -> Integer,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        kind -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    account_tokens (id) {
        id -> BigInt,
        token_hash -> Text,
        purpose -> Text,
        user_id -> BigInt,
        email -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    outbox_emails (id) {
        id -> BigInt,
        dedupe_key -> Text,
        message_id -> Text,
        to_address -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        list_unsubscribe -> Nullable<Text>,
    }
}

diesel::table! {
    rate_limits (key) {
        key -> Text,
        tat_ms -> BigInt,
    }
}

diesel::table! {
    brands (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        domain -> Nullable<Text>,
        description -> Text,
        created_by -> BigInt,
        claimed_at -> Nullable<Timestamp>,
        topic_count -> Integer,
        last_activity_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    products (id) {
        id -> BigInt,
        brand_id -> BigInt,
        slug -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    topics (id) {
        id -> BigInt,
        brand_id -> BigInt,
        product_id -> Nullable<BigInt>,
        author_id -> BigInt,
        kind -> Text,
        feeling -> Nullable<Text>,
        title -> Text,
        body -> Text,
        body_html -> Text,
        status -> Text,
        assignee_id -> Nullable<BigInt>,
        accepted_reply_id -> Nullable<BigInt>,
        duplicate_of -> Nullable<BigInt>,
        hidden -> Bool,
        me_too_count -> Integer,
        reply_count -> Integer,
        view_count -> BigInt,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        first_response_at -> Nullable<Timestamp>,
        first_staff_response_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        last_activity_at -> Timestamp,
    }
}

diesel::table! {
    topic_revisions (id) {
        id -> BigInt,
        topic_id -> BigInt,
        editor_id -> BigInt,
        title -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    replies (id) {
        id -> BigInt,
        topic_id -> BigInt,
        author_id -> BigInt,
        body -> Text,
        body_html -> Text,
        official -> Bool,
        hidden -> Bool,
        helpful_count -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    me_toos (topic_id, user_id) {
        topic_id -> BigInt,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    helpful_votes (reply_id, user_id) {
        reply_id -> BigInt,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    topic_follows (topic_id, user_id) {
        topic_id -> BigInt,
        user_id -> BigInt,
        created_at -> Timestamp,
        pending_reply_id -> Nullable<BigInt>,
        last_mailed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    brand_follows (brand_id, user_id) {
        brand_id -> BigInt,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(products -> brands (brand_id));
diesel::joinable!(topics -> brands (brand_id));
diesel::joinable!(replies -> topics (topic_id));
diesel::joinable!(replies -> users (author_id));
diesel::joinable!(topic_follows -> topics (topic_id));
diesel::joinable!(account_tokens -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    account_tokens,
    outbox_emails,
    rate_limits,
    brands,
    products,
    topics,
    topic_revisions,
    replies,
    me_toos,
    helpful_votes,
    topic_follows,
    brand_follows,
);
