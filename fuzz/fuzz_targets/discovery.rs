//! Discovery documents (src/discovery.rs): `process_discovery_response` against Vipps'
//! test issuer and a loopback one (the emulator's), then `endpoints`. Properties: an
//! accepted document names the expected issuer, its endpoints are the document's, and
//! it re-serializes to a document that is accepted as the same metadata (stable).
#![no_main]
use libfuzzer_sys::fuzz_target;
use vipps_login::discovery::process_discovery_response;
use vipps_login::{Environment, Issuer};

fuzz_target!(|data: &[u8]| {
    let issuers = [
        Environment::Test.issuer(),
        Issuer::new("http://127.0.0.1:7000/access-management-1.0/access/")
            .expect("loopback issuer"),
    ];
    for issuer in &issuers {
        let Ok(m) = process_discovery_response(data, issuer) else {
            continue;
        };
        assert_eq!(m.issuer, issuer.as_str());
        let e = m
            .endpoints(issuer)
            .expect("a validated document has endpoints");
        assert_eq!(e.token_endpoint, m.token_endpoint);
        assert_eq!(e.jwks_uri, m.jwks_uri);
        let again = serde_json::to_vec(&m).expect("serializes");
        assert_eq!(
            process_discovery_response(&again, issuer).expect("re-parses"),
            m
        );
    }
});
