//! The wasm-bindgen exports behind `vipps-login/pkce` and `vipps-login/begin` (the npm
//! package's `pkce.js` and `begin.js` call them). One crossing per call, and in each
//! direction one string: fields separated by NUL; the first is empty on success and the
//! error code otherwise (then the second is the message). Packing costs one TextEncoder
//! call where reading and building objects from wasm costs one crossing per field, and
//! keeps the module small: see BENCHMARKS.md.

use crate::random;
use alloc::string::String;
use wasm_bindgen::prelude::*;

#[cfg(feature = "login")]
mod login;

pub(crate) fn packed(fields: &[&str]) -> String {
    let mut out = String::with_capacity(fields.iter().map(|f| f.len() + 1).sum());
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push('\0');
        }
        out.push_str(f);
    }
    out
}

const RANDOM_FAILED: &str = "random_unavailable\0the random number generator failed";

/// A fresh state or nonce: `"\0value"`, or `"code\0message"`.
#[wasm_bindgen]
pub fn random_value() -> String {
    match random::one() {
        Ok(v) => packed(&["", &v]),
        Err(_) => String::from(RANDOM_FAILED),
    }
}

/// A fresh PKCE pair: `"\0codeVerifier\0codeChallenge"`, or `"code\0message"`.
#[wasm_bindgen]
pub fn random_pkce() -> String {
    match random::one() {
        Ok(v) => packed(&["", &v, &random::s256_challenge(&v)]),
        Err(_) => String::from(RANDOM_FAILED),
    }
}

// Talc: a small allocator for single-threaded wasm (the default dlmalloc is ~3 KB gzip
// more).
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static ALLOC: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

/// No std, so no std panic machinery (and its core::fmt): a panic, which input cannot
/// cause (nothing here unwraps or indexes out of bounds), traps.
#[cfg(target_family = "wasm")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
