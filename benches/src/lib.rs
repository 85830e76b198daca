//! Criterion benchmarks for the `ser` workspace live in `benches/benches/`;
//! run them with `cargo bench -p ser-benches`.
