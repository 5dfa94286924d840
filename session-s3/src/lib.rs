//! The S3 and S3-compatible servers adapter of tgsession (`S3Storage`).
//!
//! **This crate is empty for now.** It is reserved in the workspace so its name and place are fixed; the adapter,
//! its conformance tests against a real server and its documentation arrive with the server-adapters issue.
//! Until then, use `session-file` or `session-sled`.
