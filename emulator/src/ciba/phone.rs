//! The emulated phone: `GET /_emulator/phone[?phone=..]` lists the pending CIBA
//! requests (shop, binding message) with Approve and Deny; its forms post to
//! `POST /_emulator/phone/decision`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::decide::decide;
use crate::html::{self, escape};
use crate::http::with_params;
use crate::params::Params;
use crate::scopes::in_words;
use crate::state::Shared;

pub const PHONE_PATH: &str = "/_emulator/phone";
pub const DECISION_PATH: &str = "/_emulator/phone/decision";
/// The page reloads itself this often (seconds) to show new requests.
const REFRESH_SECS: u32 = 3;
/// Most requests shown on one page.
const MAX_SHOWN: usize = 50;

struct Shown {
    auth_req_id: String,
    shop: String,
    phone: String,
    user: String,
    binding_message: Option<String>,
    scopes: Vec<String>,
    webpage: bool,
    requested_at: i64,
}

pub async fn page(State(app): State<Shared>, uri: Uri) -> Response {
    let params = Params::parse(uri.query().unwrap_or("").as_bytes());
    // A leading `+` is allowed (and dropped): numbers are stored without it.
    let phone = params
        .non_empty("phone")
        .map(|p| p.strip_prefix('+').unwrap_or(p).to_string());
    if phone
        .as_deref()
        .is_some_and(|p| p.len() > 15 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return html::error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "phone: digits with country code, no '+' (like 4712345678).",
        );
    }
    let now = app.clock.now();
    let mut shown: Vec<Shown> = {
        let store = app.store();
        store
            .ciba
            .requests
            .values()
            .filter(|r| r.is_open(now))
            .filter(|r| phone.as_deref().is_none_or(|p| p == r.phone))
            .map(|r| Shown {
                auth_req_id: r.auth_req_id.clone(),
                shop: app
                    .config
                    .sales_unit_by_client_id(&r.client_id)
                    .map_or_else(|| r.client_id.clone(), |u| u.name.clone()),
                phone: r.phone.clone(),
                user: app
                    .config
                    .user(&r.user_id)
                    .map_or_else(|| r.user_id.clone(), |u| u.name.clone()),
                binding_message: r.binding_message.clone(),
                scopes: r.scopes.clone(),
                webpage: r.redirect_uri.is_some(),
                requested_at: r.requested_at,
            })
            .collect()
    };
    shown.sort_by_key(|s| s.requested_at);
    shown.truncate(MAX_SHOWN);

    let requests: String = if shown.is_empty() {
        "<p id=\"none\">No login requests are waiting.</p>\n".to_string()
    } else {
        shown.iter().map(request_html).collect()
    };
    let title = match &phone {
        Some(p) => format!("Phone +{p}"),
        None => "Phone (every number)".to_string(),
    };
    let body = format!(
        "<h1>{title}</h1>\n\
<form method=\"get\" action=\"{PHONE_PATH}\">\n\
<label>Number <input type=\"text\" name=\"phone\" value=\"{number}\" inputmode=\"numeric\"></label>\n\
<button type=\"submit\" class=\"cancel\">Show</button>\n</form>\n\
<h2>Login requests</h2>\n{requests}\
<p class=\"note\">Vipps MobilePay Login emulator: the phone of the test users. It reloads every \
{REFRESH_SECS} s. Login from phone number is merchant-initiated, for point of sale and \
customer service only.</p>",
        title = escape(&title),
        number = escape(phone.as_deref().unwrap_or("")),
    );
    let document = html::page(&title, &body).replacen(
        "<meta charset=\"utf-8\">",
        &format!(
            "<meta charset=\"utf-8\">\n<meta http-equiv=\"refresh\" content=\"{REFRESH_SECS}\">"
        ),
        1,
    );
    frameable(html::response(StatusCode::OK, document))
}

fn request_html(s: &Shown) -> String {
    let scopes: String = s
        .scopes
        .iter()
        .map(|scope| format!("<li>{}</li>", escape(in_words(scope))))
        .collect();
    let binding = match &s.binding_message {
        Some(m) => format!(
            "<p>Code: <strong class=\"binding\">{}</strong></p>\n",
            escape(m)
        ),
        None => String::new(),
    };
    format!(
        "<form method=\"post\" action=\"{DECISION_PATH}\" class=\"request\">\n\
<h2 class=\"shop\">{shop}</h2>\n{binding}\
<p><small>+{phone} &middot; {user}{webpage}</small></p>\n\
<ul class=\"scopes\">{scopes}</ul>\n\
<input type=\"hidden\" name=\"auth_req_id\" value=\"{id}\">\n\
<div class=\"buttons\">\n\
<button type=\"submit\" name=\"decision\" value=\"deny\" class=\"cancel\">Deny</button>\n\
<button type=\"submit\" name=\"decision\" value=\"approve\" class=\"approve\">Approve</button>\n\
</div>\n</form>\n",
        shop = escape(&s.shop),
        phone = escape(&s.phone),
        user = escape(&s.user),
        webpage = if s.webpage {
            " &middot; continues in the browser"
        } else {
            ""
        },
        id = escape(&s.auth_req_id),
    )
}

/// `POST /_emulator/phone/decision` form `auth_req_id`, `decision` (`approve`|`deny`).
/// Approving a `login_to_webpage` request 303s the phone to `{redirect_uri}?code=..`;
/// otherwise back to the phone page.
pub async fn decision(State(app): State<Shared>, body: Bytes) -> Response {
    let params = Params::parse(&body);
    let bad = |description: &str| {
        html::error_page(StatusCode::BAD_REQUEST, "invalid_request", description)
    };
    let Some(auth_req_id) = params.non_empty("auth_req_id") else {
        return bad("The form has no auth_req_id.");
    };
    let approve = match params.get("decision") {
        Some("approve") => true,
        Some("deny") => false,
        _ => return bad("The decision must be approve or deny."),
    };
    match decide(&app, auth_req_id, approve, None).await {
        Err(refused) => html::error_page(refused.status(), refused.error(), &refused.description()),
        Ok(outcome) => {
            let to = outcome
                .redirect_to
                .unwrap_or_else(|| with_params(PHONE_PATH, &[("phone", &outcome.phone)]));
            see_other(&to)
        }
    }
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    match HeaderValue::from_str(location) {
        Ok(value) => {
            response.headers_mut().insert(header::LOCATION, value);
        }
        Err(_) => {
            return html::error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "The redirect URI cannot be sent in a Location header.",
            )
        }
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The phone may sit in a frame beside a demo shop: no `frame-ancestors 'none'`.
fn frameable(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.remove(header::X_FRAME_OPTIONS);
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    response
}
