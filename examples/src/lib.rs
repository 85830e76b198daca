//! Shared helpers for the `ser` example binaries (see `src/bin/`).
//!
//! Every binary links this crate (`use ser_examples as _;` where it uses nothing else) and so uses [mimalloc](https://github.com/microsoft/mimalloc)
//! as its allocator: Candle allocates a fresh buffer for every tensor op, and with glibc's
//! allocator the large ones are `mmap`ed and returned to the kernel each time, so a training
//! step spent about a third of its time in page faults (`perf record` on `models-speed`).
//! The libraries set no allocator; an application picks its own.

/// The process-wide allocator of the example binaries.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod batch;
pub mod cli;
pub mod robust;
pub mod serve;
pub mod timeline;
