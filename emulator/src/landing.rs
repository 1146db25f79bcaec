//! The landing page (choose a test user, Approve or Cancel) and its form's target.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::authorize::{approve, cancel};
use crate::config::SalesUnit;
use crate::dates::Date;
use crate::html::{self, escape};
use crate::params::Params;
use crate::scopes::in_words;
use crate::state::{Authorization, Shared};

pub fn render(app: &Shared, unit: &SalesUnit, auth: &Authorization, request_id: &str) -> Response {
    let today = Date::from_unix_secs(app.clock.now());
    let scopes: String = auth
        .scopes
        .iter()
        .map(|s| format!("<li>{}</li>\n", escape(in_words(s))))
        .collect();
    let users: String = app
        .config
        .users
        .iter()
        .enumerate()
        .map(|(i, user)| {
            let minor = user
                .birth_date()
                .is_some_and(|born| born.age_on(today) < 15);
            format!(
                "<label class=\"user\"><input type=\"radio\" name=\"user\" value=\"{id}\"{checked}> \
{name}<small>+{phone}{minor}</small></label>\n",
                id = escape(&user.id),
                checked = if i == 0 { " checked" } else { "" },
                name = escape(&user.name),
                phone = escape(&user.phone_number),
                minor = if minor { " &middot; under 15: cannot log in" } else { "" },
            )
        })
        .collect();
    let body = format!(
        "<h1>Log in to {unit_name}</h1>\n\
<p><strong>{unit_name}</strong> asks for:</p>\n<ul class=\"scopes\">\n{scopes}</ul>\n\
<form method=\"post\" action=\"{action}\">\n\
<input type=\"hidden\" name=\"request_id\" value=\"{request_id}\">\n\
<h2>Log in as</h2>\n{users}\
<div class=\"buttons\">\n\
<button type=\"submit\" name=\"action\" value=\"cancel\" class=\"cancel\">Cancel</button>\n\
<button type=\"submit\" name=\"action\" value=\"approve\" class=\"approve\">Approve</button>\n\
</div>\n</form>\n\
<p class=\"note\">Vipps MobilePay Login emulator. Nothing here is real; the users are \
test users from its configuration.</p>",
        unit_name = escape(&unit.name),
        action = escape(&app.issuer_url("oauth2/auth/decision")),
        request_id = escape(request_id),
    );
    html::response(
        StatusCode::OK,
        html::page(&format!("Log in to {} with Vipps", unit.name), &body),
    )
}

/// `POST .../oauth2/auth/decision`: `request_id`, `action` (`approve`|`cancel`), `user`.
pub async fn decision(State(app): State<Shared>, body: Bytes) -> Response {
    let params = Params::parse(&body);
    let bad = |description: &str| {
        html::error_page(StatusCode::BAD_REQUEST, "invalid_request", description)
    };

    let Some(request_id) = params.non_empty("request_id") else {
        return bad("The form has no request_id.");
    };
    let action = params.get("action").unwrap_or("approve");
    if action != "approve" && action != "cancel" {
        return bad("The action must be approve or cancel.");
    }
    let user_id = params.non_empty("user");
    if action == "approve" {
        match user_id {
            None => return bad("Choose a test user to log in as."),
            Some(id) if app.config.user(id).is_none() => {
                return bad(&format!("There is no test user {id:?}."))
            }
            Some(_) => {}
        }
    }

    let now = app.clock.now();
    let pending = app.store().pending.remove(request_id);
    let auth = match pending {
        Some(p) if p.expires_at > now => p.auth,
        _ => {
            return bad(
                "This login request is unknown, expired or already finished. Start the login again from the shop.",
            )
        }
    };

    match (action, user_id) {
        ("approve", Some(user_id)) => approve(&app, auth, user_id),
        _ => cancel(&auth),
    }
}
