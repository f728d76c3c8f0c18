//! The emulator's HTML pages (the device verification page, the login
//! page): escaping, the page frame, query values. Pages are served
//! unframeable with a CSP allowing no script (see `server::serve`).

use crate::server::Reply;

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

/// A page titled `title` (escaped) around `body` (already escaped markup).
pub(crate) fn page(status: u16, title: &str, body: &str) -> Reply {
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

/// The (form-decoded) value of `name` in a query string or form body.
pub(crate) fn query_value(query: &str, name: &str) -> Option<String> {
    idaas_oauth::form::decode(query)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// A form POST from the emulator's own pages — no `Origin` (a non-browser
/// client) or exactly the emulator's — or the 403 page for another site's.
pub(crate) fn same_origin(headers: &http::HeaderMap, base_url: &str) -> Result<(), Reply> {
    if headers
        .get(http::header::ORIGIN)
        .is_none_or(|origin| origin.as_bytes() == base_url.as_bytes())
    {
        Ok(())
    } else {
        Err(page(
            403,
            "Refused",
            "<p>This form only accepts requests from its own page.</p>",
        ))
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
