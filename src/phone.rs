//! The inputs of a login from phone number (CIBA, merchant-initiated): the phone number
//! as Vipps' `login_hint` (`urn:msisdn:<country code and digits>`) and the optional
//! `binding_message` shown on the phone (Vipps: `^[A-Z0-9-]{5,8}$`). Checked before
//! anything is sent, so a typo at the till is a clear error, not a Vipps `invalid_request`.

use crate::error::{Error, ErrorCode, Result};

/// Fewest digits accepted: a country code and a subscriber number (Norway and Denmark:
/// 2 + 8). Fewer is almost always a number typed without its country code.
pub const MIN_DIGITS: usize = 10;
/// E.164's longest number.
pub const MAX_DIGITS: usize = 15;
/// Longest input read at all (spaces and dashes included).
const MAX_INPUT_CHARS: usize = 32;

/// `"+47 123 45 678"`, `"004712345678"` or `"4712345678"` → `urn:msisdn:4712345678`.
/// Spaces, dashes, dots and parentheses are separators; a leading `+` or `00` is the
/// international prefix. Everything else (letters, a number without its country code,
/// more than 15 digits) is `phone_number_invalid`.
pub fn login_hint(phone: &str) -> Result<String> {
    let invalid = |why: &str| {
        Error::new(
            ErrorCode::PhoneNumberInvalid,
            format!("the phone number {why}"),
        )
    };
    let trimmed = phone.trim();
    if trimmed.is_empty() {
        return Err(invalid("is empty"));
    }
    if trimmed.chars().count() > MAX_INPUT_CHARS {
        return Err(invalid(&format!(
            "is longer than {MAX_INPUT_CHARS} characters"
        )));
    }
    let (international, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let mut digits = String::with_capacity(MAX_DIGITS);
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => {
                return Err(invalid(
                    "may hold only digits, spaces and dashes after a leading +",
                ))
            }
        }
    }
    // 00 is the international prefix dialled before a country code (never after `+`).
    let digits = match digits.strip_prefix("00") {
        Some(rest) if !international => rest.to_string(),
        _ => digits,
    };
    if digits.starts_with('0') {
        return Err(invalid(
            "starts with 0 where its country code should be (e.g. 47 for Norway)",
        ));
    }
    if digits.len() < MIN_DIGITS {
        return Err(invalid(&format!(
            "has {} digits: is the country code missing (e.g. +47 for Norway)?",
            digits.len()
        )));
    }
    if digits.len() > MAX_DIGITS {
        return Err(invalid(&format!(
            "has {} digits; E.164 numbers have at most {MAX_DIGITS}",
            digits.len()
        )));
    }
    Ok(format!("urn:msisdn:{digits}"))
}

/// Vipps' rule for `binding_message`: `^[A-Z0-9-]{5,8}$`.
pub fn check_binding_message(message: &str) -> Result<()> {
    let ok = (5..=8).contains(&message.len())
        && message
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::BindingMessageInvalid,
            format!(
                "the binding message must be 5 to 8 characters of A-Z, 0-9 and - ({} characters given)",
                message.chars().count()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norwegian_numbers_in_every_usual_format() {
        for phone in [
            "+47 123 45 678",
            "4712345678",
            "004712345678",
            "+4712345678",
            " +47-123-45-678 ",
            "0047 12 34 56 78",
        ] {
            assert_eq!(
                login_hint(phone).unwrap(),
                "urn:msisdn:4712345678",
                "{phone}"
            );
        }
        assert_eq!(
            login_hint("+358 40 1234567").unwrap(),
            "urn:msisdn:358401234567"
        );
    }

    #[test]
    fn refused_with_a_reason() {
        let code = |p: &str| login_hint(p).unwrap_err();
        // No country code.
        let e = code("12345678");
        assert_eq!(e.code(), ErrorCode::PhoneNumberInvalid);
        assert!(e.message().contains("country code"), "{}", e.message());
        assert!(code("123 45 678").message().contains("country code"));
        // Letters, other symbols.
        for p in [
            "+47 123 45 67a",
            "47123456789x",
            "tel:4712345678",
            "+47/12345678",
            "++4712345678",
        ] {
            assert_eq!(code(p).code(), ErrorCode::PhoneNumberInvalid, "{p}");
        }
        // Too long.
        assert!(code("+47 12345678901234").message().contains("at most 15"));
        assert_eq!(code(&"4".repeat(40)).code(), ErrorCode::PhoneNumberInvalid);
        // Empty, a trunk 0 where the country code goes, +00.
        for p in ["", "   ", "012345678901", "+0047 12345678"] {
            assert_eq!(code(p).code(), ErrorCode::PhoneNumberInvalid, "{p:?}");
        }
        assert!(code("12345678").hint().unwrap().contains("+47"));
    }

    #[test]
    fn binding_message_is_vipps_pattern() {
        for ok in ["ABCDE", "ABC-123", "12345678", "-----"] {
            assert!(check_binding_message(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ABCD",
            "ABCDEFGHI",
            "abc-123",
            "ABC 123",
            "ABC_12",
            "ÆØÅ12",
            "",
        ] {
            assert_eq!(
                check_binding_message(bad).unwrap_err().code(),
                ErrorCode::BindingMessageInvalid,
                "{bad}"
            );
        }
    }
}
