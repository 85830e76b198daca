//! Shared helpers for the `ser` example binaries (see `src/bin/`).

pub mod serve;
pub mod timeline;
