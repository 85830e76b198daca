//! Shared helpers for the `ser` example binaries (see `src/bin/`).
