//! The hand-written TypeScript declarations list exactly the error codes the Rust
//! enum has, so `switch (err.code)` in a TypeScript front-end stays exhaustive.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;
use vipps_login::ErrorCode;

const TYPES: &str = include_str!("../src/browser/types.d.ts");

#[test]
fn typescript_error_code_union_matches_rust_enum() {
    let start = TYPES
        .find("export type ErrorCode =")
        .expect("ErrorCode union in types.d.ts");
    let union = &TYPES[start..];
    let union = &union[..union.find(';').expect("end of union")];
    let in_ts: BTreeSet<&str> = union.split('"').skip(1).step_by(2).collect();
    let in_rust: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(in_ts, in_rust);
}

#[test]
fn typescript_scope_union_matches_vipps_scopes() {
    let start = TYPES.find("export type VippsScope =").unwrap();
    let union = &TYPES[start..];
    let union = &union[..union.find(';').unwrap()];
    let in_ts: BTreeSet<&str> = union.split('"').skip(1).step_by(2).collect();
    let in_rust: BTreeSet<&str> = vipps_login::scope::VIPPS_SCOPES.iter().copied().collect();
    assert_eq!(in_ts, in_rust);
}
