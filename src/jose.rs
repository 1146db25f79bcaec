//! Compact JWS parsing (RFC 7515 7.1) for id_tokens: split, decode, and refuse every
//! algorithm but the one expected before any key is looked at (OIDC Core 3.1.3.7 step
//! 7; never `none`, never `HS*` with a public key as the secret). RS256 everywhere but
//! in the CIBA redirect variant, whose id_tokens Vipps signs with ES256
//! ([`UnverifiedJwt::parse_es256`]: P-256, the signature as raw `r || s`, RFC 7518 3.4).

use crate::error::{Error, ErrorCode, Result};
use base64ct::{Base64UrlUnpadded, Encoding};
use serde::Deserialize;

/// The JOSE header fields used.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct JoseHeader {
    pub alg: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub typ: Option<String>,
}

/// A parsed, not yet verified, RS256 JWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnverifiedJwt {
    pub header: JoseHeader,
    /// The claims as JSON; nothing in them is trusted until the signature is verified.
    pub claims: serde_json::Map<String, serde_json::Value>,
    /// `BASE64URL(header) "." BASE64URL(payload)`: what the signature covers.
    pub signing_input: String,
    pub signature: Vec<u8>,
}

fn malformed(why: &str) -> Error {
    Error::new(
        ErrorCode::IdTokenMalformed,
        format!("the id_token is not a valid JWS: {why}"),
    )
}

fn decode(part: &str, what: &str) -> Result<Vec<u8>> {
    Base64UrlUnpadded::decode_vec(part)
        .map_err(|_| malformed(&format!("its {what} is not base64url")))
}

impl UnverifiedJwt {
    /// Splits and decodes a compact JWS, allowing only `alg: RS256`.
    pub fn parse(token: &str) -> Result<Self> {
        Self::parse_alg(token, "RS256")
    }

    /// The same for ES256 only: the CIBA redirect variant's id_tokens (Vipps). The
    /// signature must be the 64 bytes of `r || s` (RFC 7518 3.4), which WebCrypto's
    /// ECDSA verify takes as it is.
    pub fn parse_es256(token: &str) -> Result<Self> {
        let jwt = Self::parse_alg(token, "ES256")?;
        if jwt.signature.len() != 64 {
            return Err(malformed("its ES256 signature is not 64 bytes (r || s)"));
        }
        Ok(jwt)
    }

    fn parse_alg(token: &str, alg: &str) -> Result<Self> {
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("it does not have three parts"));
        };
        let header: JoseHeader = serde_json::from_slice(&decode(h, "header")?)
            .map_err(|_| malformed("its header is not a JSON object with alg"))?;
        if header.alg != alg {
            return Err(Error::new(
                ErrorCode::IdTokenAlgNotAllowed,
                format!(
                    "the id_token is signed with \"{}\"; only {alg} is accepted",
                    header.alg
                ),
            )
            .with_detail("alg", header.alg));
        }
        let claims = serde_json::from_slice(&decode(p, "payload")?)
            .map_err(|_| malformed("its payload is not a JSON object"))?;
        let signature = decode(s, "signature")?;
        if signature.is_empty() {
            return Err(malformed("its signature is empty"));
        }
        Ok(UnverifiedJwt {
            header,
            claims,
            signing_input: format!("{h}.{p}"),
            signature,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        Base64UrlUnpadded::encode_string(s.as_bytes())
    }

    #[test]
    fn parses_rs256_with_kid() {
        let token = format!(
            "{}.{}.{}",
            b64(r#"{"alg":"RS256","kid":"public:1","typ":"JWT"}"#),
            b64(r#"{"sub":"a"}"#),
            b64("sig")
        );
        let jwt = UnverifiedJwt::parse(&token).unwrap();
        assert_eq!(jwt.header.kid.as_deref(), Some("public:1"));
        assert_eq!(jwt.claims["sub"], "a");
        assert_eq!(jwt.signature, b"sig");
        assert_eq!(jwt.signing_input, token.rsplit_once('.').unwrap().0);
    }

    #[test]
    fn alg_none_and_hmac_refused_before_any_key() {
        for alg in ["none", "HS256", "RS512", "ES256", "rs256"] {
            let token = format!(
                "{}.{}.{}",
                b64(&format!(r#"{{"alg":"{alg}"}}"#)),
                b64("{}"),
                b64("x")
            );
            let e = UnverifiedJwt::parse(&token).unwrap_err();
            assert_eq!(e.code(), ErrorCode::IdTokenAlgNotAllowed, "{alg}");
        }
        // alg none with an empty signature segment, as the emulator's fault sends it.
        let token = format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64("{}"));
        assert_eq!(
            UnverifiedJwt::parse(&token).unwrap_err().code(),
            ErrorCode::IdTokenAlgNotAllowed
        );
    }

    #[test]
    fn es256_only_where_asked_for_with_a_raw_signature() {
        let sig = Base64UrlUnpadded::encode_string(&[7u8; 64]);
        let token = format!(
            "{}.{}.{sig}",
            b64(r#"{"alg":"ES256","kid":"ec-1"}"#),
            b64(r#"{"sub":"a"}"#)
        );
        let jwt = UnverifiedJwt::parse_es256(&token).unwrap();
        assert_eq!(jwt.signature.len(), 64);
        assert_eq!(jwt.header.kid.as_deref(), Some("ec-1"));
        // The browser flow's parser still refuses it, and ES256 refuses everything else.
        assert_eq!(
            UnverifiedJwt::parse(&token).unwrap_err().code(),
            ErrorCode::IdTokenAlgNotAllowed
        );
        for alg in ["RS256", "none", "HS256", "ES384", "es256"] {
            let token = format!(
                "{}.{}.{sig}",
                b64(&format!(r#"{{"alg":"{alg}"}}"#)),
                b64("{}")
            );
            assert_eq!(
                UnverifiedJwt::parse_es256(&token).unwrap_err().code(),
                ErrorCode::IdTokenAlgNotAllowed,
                "{alg}"
            );
        }
        // A DER-encoded signature (not r || s) is no ES256 JWS signature.
        let der = format!(
            "{}.{}.{}",
            b64(r#"{"alg":"ES256"}"#),
            b64("{}"),
            b64(&"x".repeat(70))
        );
        assert_eq!(
            UnverifiedJwt::parse_es256(&der).unwrap_err().code(),
            ErrorCode::IdTokenMalformed
        );
    }

    #[test]
    fn malformed_tokens_are_typed() {
        let h = b64(r#"{"alg":"RS256"}"#);
        for token in [
            String::new(),
            "a.b".into(),
            "a.b.c.d".into(),
            format!("{h}.!!.{}", b64("s")),
            format!("{h}.{}.{}", b64("[1]"), b64("s")),
            format!("{h}.{}.", b64("{}")),
            format!("{}.{}.{}", b64("{}"), b64("{}"), b64("s")),
        ] {
            assert_eq!(
                UnverifiedJwt::parse(&token).unwrap_err().code(),
                ErrorCode::IdTokenMalformed,
                "{token}"
            );
        }
    }
}
