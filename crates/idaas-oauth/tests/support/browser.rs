//! A scripted browser on our own HTTP client: a cookie jar (name, value,
//! path), redirects followed by hand, and HTML forms submitted with their
//! hidden inputs plus the fields the test fills in (login, password,
//! user code). Enough for oidc-provider's login, consent, device and logout
//! pages; it stops where the test says (our loopback redirect URI).

use std::sync::Arc;

use idaas_core::http::{Bytes, HttpClient, HyperClient, Method, header};
use idaas_oauth::form::Form;
use url::Url;

/// Where the browser stopped.
#[derive(Debug, Clone)]
pub(crate) struct Landing {
    /// The last URL (the stop URL, if reached).
    pub url: Url,
    /// Its status (0 when the stop URL was not fetched).
    pub status: u16,
    /// Its body.
    pub body: String,
}

#[derive(Debug, Clone)]
struct Cookie {
    name: String,
    value: String,
    path: String,
}

/// The browser. Keeps its cookies (the provider's session) between drives.
#[derive(Debug)]
pub(crate) struct Browser {
    http: Arc<HyperClient>,
    cookies: Vec<Cookie>,
    fields: Vec<(String, String)>,
}

const MAX_STEPS: usize = 30;

impl Browser {
    /// A browser that fills `login` and `password` on login pages.
    pub(crate) fn new(login: &str, password: &str) -> Self {
        Self {
            http: Arc::new(HyperClient::new(Default::default()).unwrap()),
            cookies: Vec::new(),
            fields: vec![
                ("login".into(), login.into()),
                ("password".into(), password.into()),
            ],
        }
    }

    /// Whether the jar holds a cookie named `name`.
    pub(crate) fn has_cookie(&self, name: &str) -> bool {
        self.cookies.iter().any(|c| c.name == name)
    }

    /// Opens `start`, follows redirects and submits forms until a redirect
    /// to a URL starting with `stop_at` (fetched when `fetch_stop`), or a
    /// page without a form, or a page showing an error.
    pub(crate) async fn drive(&mut self, start: &str, stop_at: &str, fetch_stop: bool) -> Landing {
        let mut url = Url::parse(start).unwrap();
        let mut body: Option<String> = None;
        for step in 1..=MAX_STEPS {
            if url.as_str().starts_with(stop_at) && step > 1 {
                if !fetch_stop {
                    return Landing {
                        url,
                        status: 0,
                        body: String::new(),
                    };
                }
                let (status, _, text) = self.request(&url, None).await;
                return Landing {
                    url,
                    status,
                    body: text,
                };
            }
            let (status, location, text) = self.request(&url, body.take()).await;
            if let Some(location) = location.filter(|_| (300..400).contains(&status)) {
                url = url.join(&location).unwrap();
                continue;
            }
            let form = (status == 200 && !text.contains("class=\"error\""))
                .then(|| parse_form(&text))
                .flatten();
            let Some((action, inputs)) = form else {
                return Landing {
                    url,
                    status,
                    body: text,
                };
            };
            let mut fields = Form::new();
            for (name, value) in inputs {
                let filled = self.fields.iter().find(|(n, _)| *n == name);
                fields.push(&name, filled.map(|(_, v)| v.clone()).unwrap_or(value));
            }
            body = Some(fields.encode());
            url = if action.is_empty() {
                url
            } else {
                url.join(&action).unwrap()
            };
        }
        panic!("the scripted browser did not arrive within {MAX_STEPS} requests (last: {url})");
    }

    /// GET (no body) or POST (a form body) with the jar's cookies; returns
    /// status, `Location` and body, and stores `Set-Cookie`.
    async fn request(&mut self, url: &Url, form: Option<String>) -> (u16, Option<String>, String) {
        let mut builder = http::Request::builder()
            .method(if form.is_some() {
                Method::POST
            } else {
                Method::GET
            })
            .uri(url.as_str())
            .header(header::ACCEPT, "text/html");
        let cookies: Vec<String> = self
            .cookies
            .iter()
            .filter(|c| url.path().starts_with(&c.path))
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        if !cookies.is_empty() {
            builder = builder.header(header::COOKIE, cookies.join("; "));
        }
        if form.is_some() {
            builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        let request = builder.body(Bytes::from(form.unwrap_or_default())).unwrap();
        let response = self.http.execute(request).await.unwrap();
        for value in response.headers().get_all(header::SET_COOKIE) {
            self.store_cookie(value.to_str().unwrap());
        }
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        let text = String::from_utf8_lossy(response.body()).into_owned();
        (response.status().as_u16(), location, text)
    }

    fn store_cookie(&mut self, header: &str) {
        let mut parts = header.split(';').map(str::trim);
        let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
            return;
        };
        let mut path = "/".to_owned();
        let mut expired = value.is_empty();
        for attribute in parts {
            let (key, val) = attribute.split_once('=').unwrap_or((attribute, ""));
            match key.to_ascii_lowercase().as_str() {
                "path" => path = val.to_owned(),
                "max-age" => expired |= val.starts_with('-') || val == "0",
                "expires" => expired |= val.contains("1970"),
                _ => {}
            }
        }
        self.cookies.retain(|c| !(c.name == name && c.path == path));
        if !expired {
            self.cookies.push(Cookie {
                name: name.to_owned(),
                value: value.to_owned(),
                path,
            });
        }
    }
}

/// The first form of `html`: its action and its named inputs with values.
fn parse_form(html: &str) -> Option<(String, Vec<(String, String)>)> {
    let start = html.find("<form")?;
    let end = html[start..]
        .find("</form>")
        .map_or(html.len(), |e| start + e);
    let form = &html[start..end];
    let tag_end = form.find('>')?;
    let action = attribute(&form[..tag_end], "action").unwrap_or_default();
    let mut inputs = Vec::new();
    let mut rest = &form[tag_end..];
    while let Some(i) = rest.find("<input") {
        let tag = &rest[i..i + rest[i..].find('>').unwrap_or(rest.len() - i)];
        if let Some(name) = attribute(tag, "name") {
            inputs.push((name, attribute(tag, "value").unwrap_or_default()));
        }
        rest = &rest[i + tag.len()..];
    }
    Some((action.replace("&amp;", "&"), inputs))
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].replace("&amp;", "&"))
}
