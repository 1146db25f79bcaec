//! Compact JWS/JWT parsing (src/jose.rs): `UnverifiedJwt::parse` (RS256 only) and
//! `parse_es256` (the CIBA redirect variant's ES256). Properties: an accepted token has
//! the expected alg, exactly three parts, a non-empty signature (64 bytes for ES256),
//! and a signing input equal to the token up to its last dot.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vipps_login::jose::UnverifiedJwt;
use vipps_login_fuzz::text;

fn check(token: &str, jwt: &UnverifiedJwt, alg: &str) {
    assert_eq!(jwt.header.alg, alg);
    assert!(!jwt.signature.is_empty());
    assert_eq!(token.split('.').count(), 3);
    let (signed, _) = token.rsplit_once('.').expect("three parts");
    assert_eq!(jwt.signing_input, signed);
}

fuzz_target!(|data: &[u8]| {
    let token = text(data);
    if let Ok(jwt) = UnverifiedJwt::parse(&token) {
        check(&token, &jwt, "RS256");
    }
    if let Ok(jwt) = UnverifiedJwt::parse_es256(&token) {
        check(&token, &jwt, "ES256");
        assert_eq!(jwt.signature.len(), 64);
    }
});
