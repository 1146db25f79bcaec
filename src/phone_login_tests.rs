use super::*;

const T0: u64 = 1_800_000_000_000;

fn login(mode: Mode) -> PhoneLogin {
    PhoneLogin {
        auth_req_id: "req-1".into(),
        state: "state-1".into(),
        nonce: "nonce-1".into(),
        mode,
        issuer: "https://api.vipps.no/access-management-1.0/access/".into(),
        client_id: "c".into(),
        expires_at_ms: T0 + 600_000,
        interval_secs: 5,
        next_poll_at_ms: T0 + 5_000 + PACING_MARGIN_MS,
        lease_until_ms: 0,
        status: Status::Pending,
        finished_at_ms: None,
    }
}

#[test]
fn status_requests_never_poll_faster_than_the_interval() {
    let mut l = login(Mode::Poll);
    // Right after the start: too soon.
    assert!(!begin(&mut l, Trigger::Status, T0 + 1_000).poll);
    let at = T0 + 5_000 + PACING_MARGIN_MS;
    assert!(begin(&mut l, Trigger::Status, at).poll);
    // A second request while the first is in flight, and right after it: none.
    assert!(!begin(&mut l, Trigger::Status, at + 10).poll);
    finish(&mut l, PollResult::Pending, at + 100);
    assert!(!begin(&mut l, Trigger::Status, at + 4_000).poll);
    assert!(begin(&mut l, Trigger::Status, at + 5_000 + PACING_MARGIN_MS).poll);
    assert_eq!(l.view(at)["status"], "pending");
}

#[test]
fn slow_down_adds_five_seconds_for_good() {
    let mut l = login(Mode::Poll);
    let at = T0 + 6_000;
    assert!(begin(&mut l, Trigger::Status, at).poll);
    finish(&mut l, PollResult::SlowDown, at);
    assert_eq!(l.interval_secs, 10);
    assert!(!begin(&mut l, Trigger::Status, at + 9_000).poll);
    let next = at + 10_000 + PACING_MARGIN_MS;
    assert!(begin(&mut l, Trigger::Status, next).poll);
    finish(&mut l, PollResult::Pending, next);
    // The next one waits the grown interval too.
    assert!(!begin(&mut l, Trigger::Status, next + 9_000).poll);
    assert_eq!(l.view(next)["interval"], 10);
}

#[test]
fn retry_after_moves_the_next_request() {
    let mut l = login(Mode::Poll);
    let at = T0 + 6_000;
    assert!(begin(&mut l, Trigger::Status, at).poll);
    finish(
        &mut l,
        PollResult::RateLimited {
            retry_after_secs: 30,
        },
        at,
    );
    assert!(!begin(&mut l, Trigger::Status, at + 29_000).poll);
    assert!(begin(&mut l, Trigger::Status, at + 30_000 + PACING_MARGIN_MS).poll);
    // A Retry-After shorter than the interval: the interval still holds.
    let mut l = login(Mode::Poll);
    assert!(begin(&mut l, Trigger::Status, at).poll);
    finish(
        &mut l,
        PollResult::RateLimited {
            retry_after_secs: 1,
        },
        at,
    );
    assert!(!begin(&mut l, Trigger::Status, at + 2_000).poll);
}

#[test]
fn expiry_needs_no_request_and_finals_stay() {
    let mut l = login(Mode::Poll);
    let d = begin(&mut l, Trigger::Status, T0 + 600_000);
    assert_eq!(
        d,
        Decision {
            poll: false,
            changed: true
        }
    );
    assert_eq!(l.status, Status::Expired);
    assert_eq!(l.view(T0 + 600_000)["status"], "expired");
    assert_eq!(l.delete_at_ms(), T0 + 600_000 + RESULT_TTL_SECS * 1000);
    // A final status is not overwritten, and asks for nothing.
    let mut l = login(Mode::Poll);
    assert!(begin(&mut l, Trigger::Status, T0 + 6_000).poll);
    finish(
        &mut l,
        PollResult::Final {
            status: Status::Denied,
        },
        T0 + 6_100,
    );
    finish(
        &mut l,
        PollResult::Final {
            status: Status::Expired,
        },
        T0 + 6_200,
    );
    assert_eq!(l.status, Status::Denied);
    assert_eq!(l.lease_until_ms, 0);
    assert!(!begin(&mut l, Trigger::Status, T0 + 60_000).poll);
    assert_eq!(l.view(T0)["status"], "denied");
}

#[test]
fn only_pings_start_a_ping_mode_request_and_only_status_requests_a_poll_mode_one() {
    let mut ping = login(Mode::Ping);
    assert!(!begin(&mut ping, Trigger::Status, T0 + 60_000).poll);
    assert!(begin(&mut ping, Trigger::Ping, T0 + 1).poll);
    // A duplicate ping while the request is in flight.
    assert!(!begin(&mut ping, Trigger::Ping, T0 + 2).poll);
    let mut poll = login(Mode::Poll);
    assert!(!begin(&mut poll, Trigger::Ping, T0 + 60_000).poll);
    let mut page = login(Mode::Webpage);
    assert!(!begin(&mut page, Trigger::Status, T0 + 60_000).poll);
    assert!(!begin(&mut page, Trigger::Ping, T0 + 60_000).poll);
}

#[test]
fn the_redirect_variant_redeems_once_with_its_state() {
    let user = serde_json::json!({"sub": "s"});
    let mut l = login(Mode::Webpage);
    assert_eq!(
        redeem(
            &mut l,
            "state-2",
            Status::Approved { user: user.clone() },
            T0
        )
        .unwrap_err()
        .code(),
        ErrorCode::CibaAuthReqIdMismatch
    );
    redeem(
        &mut l,
        "state-1",
        Status::Approved { user: user.clone() },
        T0,
    )
    .unwrap();
    assert_eq!(l.view(T0)["user"]["sub"], "s");
    assert_eq!(
        redeem(
            &mut l,
            "state-1",
            Status::Approved { user: user.clone() },
            T0
        )
        .unwrap_err()
        .code(),
        ErrorCode::PhoneLoginAlreadyUsed
    );
    let mut poll = login(Mode::Poll);
    assert!(redeem(&mut poll, "state-1", Status::Denied, T0).is_err());
    let mut late = login(Mode::Webpage);
    assert_eq!(
        redeem(&mut late, "state-1", Status::Denied, T0 + 600_000)
            .unwrap_err()
            .code(),
        ErrorCode::PhoneLoginAlreadyUsed
    );
}

#[test]
fn failures_keep_code_message_and_hint() {
    let e = Error::new(ErrorCode::VippsInvalidUser, "no user");
    let mut l = login(Mode::Poll);
    finish(
        &mut l,
        PollResult::Final {
            status: Status::failed(&e),
        },
        T0,
    );
    let v = l.view(T0);
    assert_eq!(v["status"], "failed");
    assert_eq!(v["error"], "vipps_invalid_user");
    assert!(v["hint"].as_str().unwrap().contains("under 15"));
    // Round trip through storage.
    let json = serde_json::to_string(&l).unwrap();
    assert_eq!(serde_json::from_str::<PhoneLogin>(&json).unwrap(), l);
}

#[test]
fn ids_and_states_are_ours_or_nothing() {
    let keys = PhoneLoginKeys::derive(b"0123456789abcdef0123456789abcdef").unwrap();
    let id = keys.id_for("3b1f0c2e-9a8d-4c1e-8f00-000000000001").unwrap();
    assert_eq!(
        keys.auth_req_id_of(&id).as_deref(),
        Some("3b1f0c2e-9a8d-4c1e-8f00-000000000001")
    );
    let other = PhoneLoginKeys::derive(b"another-secret-another-secret-!!").unwrap();
    assert_eq!(other.auth_req_id_of(&id), None);
    let (value, tag) = id.split_once('.').unwrap();
    let forged = format!(
        "{}.{tag}",
        Base64UrlUnpadded::encode_string(b"3b1f0c2e-9a8d-4c1e-8f00-000000000002")
    );
    for bad in [
        forged.as_str(),
        value,
        "",
        ".",
        "a.b",
        &format!("{id}x"),
        &"A".repeat(600),
    ] {
        assert_eq!(keys.auth_req_id_of(bad), None, "{bad}");
    }
    let state = keys.mint_state().unwrap();
    assert_eq!(state.len(), 54);
    assert!(keys.issued_state(&state));
    assert!(!other.issued_state(&state));
    assert!(!keys.issued_state(&"A".repeat(54)));
    assert!(!keys.issued_state(""));
    // A browser login's state (another key) is not a phone login's.
    let browser = crate::state::StateKey::derive(b"0123456789abcdef0123456789abcdef").unwrap();
    assert!(!keys.issued_state(&browser.mint().unwrap()));
    assert!(!format!("{keys:?}").contains("0123"));
}

#[test]
fn the_flat_wire_shape_round_trips() {
    for result in [
        PollResult::Pending,
        PollResult::SlowDown,
        PollResult::RateLimited {
            retry_after_secs: 7,
        },
        PollResult::Final {
            status: Status::Approved {
                user: serde_json::json!({"sub": "s"}),
            },
        },
        PollResult::Final {
            status: Status::Expired,
        },
    ] {
        let json = serde_json::to_string(&result).unwrap();
        assert_eq!(
            serde_json::from_str::<PollResult>(&json).unwrap(),
            result,
            "{json}"
        );
    }
    for mode in [Mode::Poll, Mode::Ping, Mode::Webpage] {
        let json = serde_json::to_string(&mode).unwrap();
        assert_eq!(serde_json::from_str::<Mode>(&json).unwrap(), mode);
    }
    assert_eq!(
        serde_json::to_string(&Status::Denied).unwrap(),
        r#"{"kind":"denied"}"#
    );
    // Nothing unreadable reads as approved.
    assert!(matches!(
        serde_json::from_str::<Status>(r#"{"kind":"approvedx","user":{}}"#).unwrap(),
        Status::Failed { .. }
    ));
}

#[test]
fn the_previous_keys_ids_and_states_are_accepted_until_its_time_only() {
    const OLD: &[u8] = b"the-old-secret-the-old-secret-xx";
    let old = PhoneLoginKeys::derive(OLD).unwrap();
    let (id, state) = (old.id_for("req-1").unwrap(), old.mint_state().unwrap());
    let rotated = PhoneLoginKeys::derive(b"0123456789abcdef0123456789abcdef")
        .unwrap()
        .with_previous(OLD, 2000)
        .unwrap();
    assert_eq!(
        rotated.auth_req_id_of_at(&id, 1999).as_deref(),
        Some("req-1")
    );
    assert!(rotated.issued_state_at(&state, 1999));
    assert_eq!(rotated.auth_req_id_of_at(&id, 2000), None);
    assert!(!rotated.issued_state_at(&state, 2000));
    assert_eq!(rotated.auth_req_id_of(&id), None);
    // New ones are the current key's.
    let new_id = rotated.id_for("req-2").unwrap();
    assert_eq!(old.auth_req_id_of(&new_id), None);
    assert_eq!(
        rotated.auth_req_id_of_at(&new_id, 1999).as_deref(),
        Some("req-2")
    );
    assert!(!format!("{rotated:?}").contains("old-secret"));
}
