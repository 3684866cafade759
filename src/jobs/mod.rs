//! Background tasks that run inside `kotae serve` (the mail sender lives in mail/).

pub mod follower_mail;
pub mod janitor;
pub mod views;
