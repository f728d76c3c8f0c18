//! The person's side of the device flow: `GET /device` shows a form (the
//! code prefilled from `?user_code=`), `POST /device` approves or denies it.
//!
//! Everything echoed is HTML-escaped. Enough CSRF protection for a local
//! tool: the form carries this emulator's random token (a page on another
//! origin cannot read it), a request whose `Origin` is not the emulator is
//! refused, and the page may not be framed (see `server::serve`'s headers).

use http::HeaderMap;

use crate::device::Decision;
use crate::html::{escape, page, query_value, same_origin};
use crate::server::{Reply, State};

impl State {
    /// `GET /device[?user_code=…]`: the form.
    pub(crate) fn verification_form(&self, query: &str) -> Reply {
        let code = query_value(query, "user_code").unwrap_or_default();
        page(
            200,
            "Device sign-in",
            &format!(
                "<p>Enter the code your device shows, then approve or deny its sign-in.</p>\
                 <form method=\"post\" action=\"/device\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
                 <p><label>Code <input id=\"user_code\" name=\"user_code\" value=\"{}\" \
                 autocomplete=\"off\" required></label></p>\
                 <button id=\"approve\" name=\"decision\" value=\"approve\">Approve</button>\
                 <button id=\"deny\" name=\"decision\" value=\"deny\">Deny</button></form>",
                escape(self.page_token.expose_secret()),
                escape(&code)
            ),
        )
    }

    /// `POST /device`: the decision.
    pub(crate) fn verification_decision(&self, headers: &HeaderMap, body: &str) -> Reply {
        if let Err(refused) = same_origin(headers, &self.base_url) {
            return refused;
        }
        let form = idaas_oauth::form::decode(body);
        let field = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .unwrap_or_default()
        };
        if !idaas_core::secret::constant_time_eq(
            field("csrf").as_bytes(),
            self.page_token.expose_secret().as_bytes(),
        ) {
            return page(
                403,
                "Refused",
                "<p>The form token is missing or stale: <a href=\"/device\">open the form again</a>.</p>",
            );
        }
        let code = field("user_code").trim().to_ascii_uppercase();
        let (decision, done) = match field("decision") {
            "approve" => (Decision::Approved, "Approved"),
            "deny" => (Decision::Denied, "Denied"),
            other => {
                return page(
                    400,
                    "Unknown decision",
                    &format!(
                        "<p>Expected approve or deny, not <code>{}</code>.</p>",
                        escape(other)
                    ),
                );
            }
        };
        if self.decide_pending_device(&code, decision) {
            page(
                200,
                done,
                &format!(
                    "<p id=\"result\">{done}: the device with code <code>{}</code> {}. You can close this tab.</p>",
                    escape(&code),
                    if decision == Decision::Approved {
                        "is signed in"
                    } else {
                        "is not signed in"
                    }
                ),
            )
        } else {
            page(
                404,
                "Unknown code",
                &format!(
                    "<p id=\"result\">No device is waiting with code <code>{}</code> (mistyped, expired or already used). \
                     <a href=\"/device\">Try again</a>.</p>",
                    escape(&code)
                ),
            )
        }
    }
}
