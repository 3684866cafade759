//! Background tasks that run inside `kotae serve` (the mail sender lives in mail/).

pub mod checkpoint;
pub mod escalations;
pub mod feeds;
pub mod follower_mail;
pub mod janitor;
pub mod views;
pub mod webhooks;
