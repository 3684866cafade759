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
        banned_at -> Nullable<Timestamp>,
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
        provider_id -> Nullable<BigInt>,
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
        staff_of_brand -> Nullable<BigInt>,
        recipient_id -> Nullable<BigInt>,
        reply_to -> Nullable<Text>,
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
        first_response_minutes -> Nullable<Integer>,
        hide_response_times -> Bool,
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
        official -> Bool,
        locked -> Bool,
        official_reply_id -> Nullable<BigInt>,
        open_escalations -> Integer,
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
        verified_version -> Nullable<Text>,
        review_at -> Nullable<Timestamp>,
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

diesel::table! {
    brand_members (brand_id, user_id) {
        brand_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
        title -> Text,
        created_at -> Timestamp,
        needs_approval -> Bool,
    }
}

diesel::table! {
    brand_claims (id) {
        id -> BigInt,
        brand_id -> BigInt,
        user_id -> BigInt,
        email -> Nullable<Text>,
        reason -> Text,
        state -> Text,
        token_hash -> Nullable<Text>,
        expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    staff_invitations (id) {
        id -> BigInt,
        brand_id -> BigInt,
        email -> Text,
        role -> Text,
        title -> Text,
        token_hash -> Text,
        invited_by -> BigInt,
        expires_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    saved_replies (id) {
        id -> BigInt,
        brand_id -> BigInt,
        title -> Text,
        body -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    internal_notes (id) {
        id -> BigInt,
        topic_id -> BigInt,
        author_id -> BigInt,
        body -> Text,
        body_html -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    topic_events (id) {
        id -> BigInt,
        topic_id -> BigInt,
        actor_id -> Nullable<BigInt>,
        kind -> Text,
        public -> Bool,
        detail -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    flags (id) {
        id -> BigInt,
        brand_id -> BigInt,
        topic_id -> BigInt,
        reply_id -> Nullable<BigInt>,
        reporter_id -> BigInt,
        reason -> Text,
        note -> Text,
        state -> Text,
        created_at -> Timestamp,
        resolved_by -> Nullable<BigInt>,
        resolved_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    escalation_settings (brand_id) {
        brand_id -> BigInt,
        unanswered_minutes -> Nullable<Integer>,
        no_staff_reply_minutes -> Nullable<Integer>,
        me_too_threshold -> Nullable<Integer>,
        feeling_minutes -> Nullable<Integer>,
        acknowledge_minutes -> Integer,
        spike_me_toos -> Integer,
        spike_minutes -> Integer,
    }
}

diesel::table! {
    escalation_recipients (brand_id, user_id) {
        brand_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    escalations (id) {
        id -> BigInt,
        topic_id -> BigInt,
        brand_id -> BigInt,
        level -> Integer,
        reason -> Text,
        source -> Text,
        rule -> Nullable<Text>,
        opened_by -> Nullable<BigInt>,
        state -> Text,
        opened_at -> Timestamp,
        acknowledged_by -> Nullable<BigInt>,
        acknowledged_at -> Nullable<Timestamp>,
        resolved_by -> Nullable<BigInt>,
        resolved_at -> Nullable<Timestamp>,
        level2_at -> Nullable<Timestamp>,
        announced_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    escalation_links (token_hash) {
        token_hash -> Text,
        escalation_id -> BigInt,
        user_id -> BigInt,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    notification_settings (user_id, kind) {
        user_id -> BigInt,
        kind -> Text,
        mode -> Text,
    }
}

diesel::table! {
    digest_items (id) {
        id -> BigInt,
        user_id -> BigInt,
        brand_id -> BigInt,
        kind -> Text,
        title -> Text,
        detail -> Text,
        url -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    search_changes (seq) {
        seq -> BigInt,
        topic_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    monitors (id) {
        id -> BigInt,
        brand_id -> BigInt,
        created_by -> BigInt,
        query -> Text,
        notify -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    monitor_matches (monitor_id, topic_id) {
        monitor_id -> BigInt,
        topic_id -> BigInt,
        matched_at -> Timestamp,
    }
}

diesel::table! {
    brand_champions (brand_id, user_id) {
        brand_id -> BigInt,
        user_id -> BigInt,
        granted_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    escalation_topics (escalation_id, topic_id) {
        escalation_id -> BigInt,
        topic_id -> BigInt,
    }
}

diesel::table! {
    brand_notices (brand_id) {
        brand_id -> BigInt,
        body -> Text,
        escalation_id -> Nullable<BigInt>,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    fix_answers (topic_id, user_id, resolved_at) {
        topic_id -> BigInt,
        user_id -> BigInt,
        resolved_at -> Timestamp,
        fixed -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    pending_replies (id) {
        id -> BigInt,
        topic_id -> BigInt,
        brand_id -> BigInt,
        author_id -> BigInt,
        body -> Text,
        official_answer -> Bool,
        verified_version -> Nullable<Text>,
        review_at -> Nullable<Timestamp>,
        state -> Text,
        note -> Text,
        created_at -> Timestamp,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    brand_fields (id) {
        id -> BigInt,
        brand_id -> BigInt,
        kind -> Text,
        name -> Text,
        label -> Text,
        private -> Bool,
        required -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    topic_fields (topic_id, field_id) {
        topic_id -> BigInt,
        field_id -> BigInt,
        value -> Text,
    }
}

diesel::table! {
    brand_feeds (id) {
        id -> BigInt,
        brand_id -> BigInt,
        url -> Text,
        title -> Text,
        etag -> Nullable<Text>,
        last_modified -> Nullable<Text>,
        next_poll_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        failures -> Integer,
        last_error -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    voices (id) {
        id -> BigInt,
        feed_id -> BigInt,
        brand_id -> BigInt,
        guid -> Text,
        title -> Text,
        summary -> Text,
        link -> Nullable<Text>,
        published_at -> Nullable<Timestamp>,
        matched -> Text,
        state -> Text,
        topic_id -> Nullable<BigInt>,
        found_at -> Timestamp,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    brand_widgets (brand_id) {
        brand_id -> BigInt,
        origins -> Text,
    }
}

diesel::table! {
    inbound_mails (message_key) {
        message_key -> Text,
        user_id -> BigInt,
        topic_id -> BigInt,
        received_at -> Timestamp,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        brand_id -> BigInt,
        url -> Text,
        events -> Text,
        format -> Text,
        secret -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        message_id -> Text,
        event -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    oidc_providers (id) {
        id -> BigInt,
        name -> Text,
        issuer -> Text,
        client_id -> Text,
        client_secret -> Text,
        scopes -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    user_identities (provider_id, subject) {
        provider_id -> BigInt,
        subject -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sso_logins (state_hash) {
        state_hash -> Text,
        provider_id -> BigInt,
        nonce -> Text,
        pkce_verifier -> Text,
        return_to -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    brand_sso (brand_id) {
        brand_id -> BigInt,
        provider_id -> BigInt,
        staff_only -> Bool,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(user_identities -> users (user_id));
diesel::joinable!(brand_sso -> oidc_providers (provider_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(topic_fields -> brand_fields (field_id));
diesel::joinable!(voices -> brand_feeds (feed_id));
diesel::joinable!(products -> brands (brand_id));
diesel::joinable!(topics -> brands (brand_id));
diesel::joinable!(replies -> topics (topic_id));
diesel::joinable!(replies -> users (author_id));
diesel::joinable!(topic_follows -> topics (topic_id));
diesel::joinable!(account_tokens -> users (user_id));
diesel::joinable!(brand_members -> users (user_id));
diesel::joinable!(brand_members -> brands (brand_id));
diesel::joinable!(brand_claims -> brands (brand_id));
diesel::joinable!(internal_notes -> users (author_id));
diesel::joinable!(flags -> topics (topic_id));
diesel::joinable!(monitor_matches -> topics (topic_id));
diesel::joinable!(escalations -> topics (topic_id));
diesel::joinable!(escalation_topics -> topics (topic_id));
diesel::joinable!(escalation_topics -> escalations (escalation_id));
diesel::joinable!(pending_replies -> topics (topic_id));
diesel::joinable!(pending_replies -> users (author_id));
diesel::joinable!(brand_champions -> users (user_id));
diesel::joinable!(escalation_recipients -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    brand_champions,
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
    brand_members,
    brand_claims,
    staff_invitations,
    saved_replies,
    internal_notes,
    topic_events,
    flags,
    escalation_settings,
    escalation_recipients,
    escalations,
    escalation_links,
    notification_settings,
    digest_items,
    search_changes,
    monitors,
    monitor_matches,
    escalation_topics,
    brand_notices,
    fix_answers,
    pending_replies,
    webhooks,
    webhook_deliveries,
    inbound_mails,
    brand_fields,
    topic_fields,
    brand_feeds,
    voices,
    brand_widgets,
    oidc_providers,
    user_identities,
    sso_logins,
    brand_sso,
);
