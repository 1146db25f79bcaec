// Issue 10's cuts, one row each: the .wasm's size before and after, in bytes of gzip -9
// (GNU gzip) of the .wasm, from wasm-pack builds on this machine while making them. Static
// data, not measured by `make bench`: bench/report.mjs prints it as it is. `module` is the
// .wasm the cut went into: begin (pkg/begin_wasm_bg.wasm), pkce (pkg/pkce_wasm_bg.wasm),
// main (pkg/vipps_login_bg.wasm); null for a figure the cut has not got.
export const CUTS = [
  { cut: "createLogin alone, built from the main crate (std, its objects API) — the starting point", module: "begin", before: 31250, after: null },
  { cut: "a no_std crate of its own (begin/): no std panic machinery", module: "begin", before: 31250, after: 22288 },
  { cut: "options and results packed into one string: one crossing each way", module: "begin", before: 22288, after: 19946 },
  { cut: "byte-level searches and `get()` instead of `&str` patterns and slicing: no core::fmt, no Unicode tables", module: "begin", before: 19946, after: 14600 },
  { cut: "one message template per error, options borrowed", module: "begin", before: 14600, after: 13819 },
  { cut: "a 20-line percent-encoder instead of percent-encoding's 768-byte table", module: "begin", before: 13819, after: 12954 },
  { cut: "lol_alloc's free list instead of talc", module: "begin", before: 12954, after: 12473 },
  { cut: "an ASCII split helper instead of `str::split`", module: "begin", before: 12473, after: 12367 },
  { cut: "source paths remapped, producers/target_features sections stripped", module: "begin", before: 12367, after: 12257 },
  { cut: "state, nonce and PKCE alone (vipps-login/pkce)", module: "pkce", before: null, after: 5003 },
  { cut: "main entry: the begin crate's rules and percent-encoder, paths remapped", module: "main", before: 36616, after: 35044 },
  // The Worker: the whole bundle (build/: .wasm + JS), zlib level 9, from bench/size-report.json.
  { cut: "Worker: requests made with web_sys' RequestInit (worker's RequestInit conversion was 11.7 KB of wasm)", module: "worker", before: 240264, after: 231367 },
  { cut: "Worker: externally tagged Stored and ClaimReply, a struct for the /api/callback body (no serde buffering of tagged enums)", module: "worker", before: 231367, after: 219220 },
];

/** Where each module's .wasm is in pkg/ (to set this run's measurement beside the table). */
export const CUT_WASM = { begin: "pkg/begin_wasm_bg.wasm", pkce: "pkg/pkce_wasm_bg.wasm", main: "pkg/vipps_login_bg.wasm" };
// (The Worker's rows are compared with section 1's Worker bundle, which counts its JS too.)
