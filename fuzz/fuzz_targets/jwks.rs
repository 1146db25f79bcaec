//! The JWKS reader (src/jwks.rs): `parse_jwks`, then `JwksCache::lookup_for` with each
//! key's kid. Properties: at most MAX_KEYS keys, each fitting RS256 or ES256; the keys
//! re-serialized as a JWKS parse back to the same keys (stable); a fresh cache finds
//! every key by its kid for an alg it fits.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vipps_login::jwks::{parse_jwks, JwksCache, KeyLookup, MAX_KEYS};

fuzz_target!(|data: &[u8]| {
    let Ok(keys) = parse_jwks(data) else { return };
    assert!(keys.len() <= MAX_KEYS);
    assert!(keys.iter().all(|k| k.fits("RS256") || k.fits("ES256")));
    let again = serde_json::to_vec(&serde_json::json!({ "keys": keys })).expect("serializes");
    assert_eq!(parse_jwks(&again).expect("re-parses"), keys);
    let mut cache = JwksCache::default();
    cache.replace(keys.clone(), 1000);
    for key in &keys {
        let alg = if key.fits("RS256") { "RS256" } else { "ES256" };
        match cache.lookup_for(alg, key.kid.as_deref(), 1001) {
            KeyLookup::Found(found) => assert!(found.fits(alg) && found.kid == key.kid),
            // Without a kid, or with a kid two keys share, there is no one key to pick.
            _ => assert!(key.kid.is_none() || keys.iter().filter(|k| k.kid == key.kid).count() > 1),
        }
    }
});
