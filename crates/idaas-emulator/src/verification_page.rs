//! The person's side of the device flow: `GET /device` shows a form (the
//! code prefilled from `?user_code=`), `POST /device` approves or denies it.
//!
//! Everything echoed is HTML-escaped. Enough CSRF protection for a local
//! tool: the form carries this emulator's random token (a page on another
//! origin cannot read it), a request whose `Origin` is not the emulator is
//! refused, and the page may not be framed (see `server::serve`'s headers).

use http::HeaderMap;

use crate::device::Decision;
use crate::server::{Reply, State};

/// `&`, `<`, `>`, `"` and `'` as entities: safe in text and quoted attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(status: u16, title: &str, body: &str) -> Reply {
    Reply::html(
        status,
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
             <style>body{{font-family:sans-serif;max-width:32em;margin:3em auto}}\
             input{{font-size:1.4em;letter-spacing:.1em}}button{{font-size:1.1em;margin:.5em .5em 0 0}}</style>\
             </head><body><h1>{}</h1>{body}</body></html>",
            escape(title),
            escape(title)
        ),
    )
}

fn query_value(query: &str, name: &str) -> Option<String> {
    idaas_oauth::form::decode(query)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

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
        if let Some(origin) = headers.get(http::header::ORIGIN)
            && origin.as_bytes() != self.base_url.as_bytes()
        {
            return page(
                403,
                "Refused",
                "<p>This form only accepts requests from its own page.</p>",
            );
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

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<script>\"x\"&'y'</script>"),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;"
        );
    }
}
