//! Access: who may do what, and who signed. Accounts and their roles, passwords, sessions and
//! API tokens with the principals they resolve to, access settings, and 21 CFR Part 11
//! signatures.
//!
//! Every other slice may use this one; it uses none of them.

pub mod account;
pub mod auth;
pub mod password;
pub mod signature;
