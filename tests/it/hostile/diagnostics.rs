//! See `hostile/mod.rs`.
