//! Kotae: a self-hosted community Q&A server for brands.

pub mod api;
pub mod app;
pub mod authz;
pub mod cli;
pub mod config;
pub mod corpus;
pub mod db;
pub mod demo;
pub mod error;
pub mod i18n;
pub mod jobs;
pub mod mail;
pub mod markdown;
pub mod model;
pub mod oidc;
pub mod outbound;
pub mod password;
pub mod search;
pub mod secret;
pub mod service;
pub mod web;
