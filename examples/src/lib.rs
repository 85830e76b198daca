//! Shared helpers for the `ser` example binaries (see `src/bin/`).

pub mod cli;
pub mod robust;
pub mod serve;
pub mod timeline;
