//! A capturing loopback server for wire tests: it records every request
//! (method, path, query, headers, body) and answers with queued canned
//! responses (200 `{}` once the queue is empty).
#![allow(dead_code)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::HeaderMap;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use idaas_core::config::{ClientConfig, SecretSource};
use idaas_core::token::Credential;
use idaas_credentials::{CredentialProviderFactory, StaticCredentialProvider};
use idaas_emulator::{Client, Emulator};
use idaas_pam::PamClient;
use serde_json::Value;
use tokio::net::TcpListener;

/// The instance id of wire tests: its `/` must be sent as `%2F`.
pub(crate) const INSTANCE: &str = "idaas_x/y";
/// Its encoded path prefix.
pub(crate) const PREFIX: &str = "/v2/idaas_x%2Fy";
/// The bearer token the client sends.
pub(crate) const BEARER: &str = "tok-123";

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Recorded {
    pub(crate) fn body_text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("a UTF-8 body")
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header"))
    }
}

/// The server and what it recorded.
pub(crate) struct Capture {
    pub addr: std::net::SocketAddr,
    recorded: Arc<Mutex<Vec<Recorded>>>,
    replies: Arc<Mutex<VecDeque<(u16, String)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Capture {
    pub(crate) async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let recorded: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let replies: Arc<Mutex<VecDeque<(u16, String)>>> = Arc::default();
        let (rec, rep) = (recorded.clone(), replies.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (rec, rep) = (rec.clone(), rep.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                        let (rec, rep) = (rec.clone(), rep.clone());
                        async move {
                            let (parts, body) = request.into_parts();
                            let body = body.collect().await.unwrap().to_bytes().to_vec();
                            rec.lock().unwrap().push(Recorded {
                                method: parts.method.to_string(),
                                path: parts.uri.path().to_owned(),
                                query: parts.uri.query().map(str::to_owned),
                                headers: parts.headers,
                                body,
                            });
                            let (status, body) = rep
                                .lock()
                                .unwrap()
                                .pop_front()
                                .unwrap_or((200, "{}".into()));
                            Ok::<_, Infallible>(
                                Response::builder()
                                    .status(status)
                                    .header("content-type", "application/json")
                                    .body(Full::new(Bytes::from(body)))
                                    .unwrap(),
                            )
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            addr,
            recorded,
            replies,
            task,
        }
    }

    /// Queues a JSON answer.
    pub(crate) fn reply(&self, status: u16, body: Value) {
        self.reply_raw(status, body.to_string());
    }

    /// Queues an answer with this exact body.
    pub(crate) fn reply_raw(&self, status: u16, body: impl Into<String>) {
        self.replies
            .lock()
            .unwrap()
            .push_back((status, body.into()));
    }

    /// Every request so far.
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.recorded.lock().unwrap().clone()
    }

    /// The only request so far; clears the record.
    pub(crate) fn take_one(&self) -> Recorded {
        let mut recorded = self.recorded.lock().unwrap();
        assert_eq!(recorded.len(), 1, "exactly one request: {recorded:?}");
        recorded.remove(0)
    }

    /// Clears the record.
    pub(crate) fn clear(&self) {
        self.recorded.lock().unwrap().clear();
    }

    /// A client of this server, instance [`INSTANCE`], bearer [`BEARER`].
    pub(crate) fn client(&self) -> PamClient {
        PamClient::builder()
            .developer_api_endpoint(format!("http://{}", self.addr))
            .idaas_instance_id(INSTANCE)
            .credential_provider(Arc::new(StaticCredentialProvider::new(Credential::bearer(
                BEARER, None,
            ))))
            .build()
            .unwrap()
    }
}

/// Asserts the request line and the spec's §3.3 headers.
///
/// `path` is after the instance prefix; `bearer` whether `Authorization`
/// must be sent; a POST must carry the JSON content type, a GET no body.
pub(crate) fn assert_request(r: &Recorded, method: &str, path: &str, action: &str, bearer: bool) {
    assert_eq!(r.method, method);
    assert_eq!(r.path, format!("{PREFIX}{path}"));
    let date = r.header("date").expect("a date header");
    assert!(date.ends_with(" GMT"), "{date}");
    httpdate::parse_http_date(date).expect("an RFC 1123 date");
    assert_eq!(r.header("accept"), Some("application/json"));
    let nonce = r.header("x-acs-signature-nonce").expect("a nonce");
    assert_eq!(nonce.len(), 32, "{nonce}");
    assert!(
        nonce
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "lowercase hex: {nonce}"
    );
    assert_eq!(r.header("x-acs-signature-method"), Some("HMAC-SHA1"));
    assert_eq!(r.header("x-acs-signature-version"), Some("1.0"));
    assert_eq!(r.header("x-acs-version"), Some("2022-02-25"));
    assert_eq!(r.header("x-acs-action"), Some(action));
    let agent = r.header("user-agent").expect("a user agent");
    assert!(agent.starts_with("AlibabaCloud ("), "{agent}");
    assert!(agent.contains("TeaDSL/2"), "{agent}");
    assert!(r.header("host").is_some());
    if bearer {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {BEARER}").as_str())
        );
    } else {
        assert_eq!(
            r.header("authorization"),
            None,
            "a consumer call sends no token"
        );
    }
    match method {
        "POST" => assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        ),
        _ => {
            assert_eq!(r.header("content-type"), None);
            assert!(r.body.is_empty(), "a GET has no body");
        }
    }
}

/// The 12 fields of an authentication-token record, as the API returns it.
pub(crate) fn full_record(id: &str) -> serde_json::Map<String, Value> {
    serde_json::json!({
        "instanceId": INSTANCE,
        "authenticationTokenId": id,
        "credentialProviderId": "cp_1",
        "authenticationTokenType": "jwt",
        "revoked": false,
        "creatorType": "application",
        "creatorId": "app_1",
        "consumerType": "custom",
        "consumerId": "cons 1",
        "createTime": 1_795_000_000_000u64,
        "updateTime": 1_795_000_001_000u64,
        "expirationTime": 1_795_003_600_000u64,
    })
    .as_object()
    .unwrap()
    .clone()
}

/// `full_record` plus `extra` members.
pub(crate) fn record_with(id: &str, extra: Value) -> Value {
    let mut map = full_record(id);
    map.extend(extra.as_object().unwrap().clone());
    Value::Object(map)
}

/// Asserts a parsed record has every field of [`full_record`].
pub(crate) fn assert_full_record(t: &idaas_pam::AuthenticationToken, id: &str) {
    assert_eq!(t.instance_id.as_deref(), Some(INSTANCE));
    assert_eq!(t.authentication_token_id, id);
    assert_eq!(t.credential_provider_id.as_deref(), Some("cp_1"));
    assert_eq!(t.authentication_token_type.as_deref(), Some("jwt"));
    assert!(!t.revoked);
    assert_eq!(t.creator_type.as_deref(), Some("application"));
    assert_eq!(t.creator_id.as_deref(), Some("app_1"));
    assert_eq!(t.consumer_type.as_deref(), Some("custom"));
    assert_eq!(t.consumer_id.as_deref(), Some("cons 1"));
    assert_eq!(t.create_time, Some(1_795_000_000_000));
    assert_eq!(t.update_time, Some(1_795_000_001_000));
    assert_eq!(t.expiration_time, Some(1_795_003_600_000));
}

/// An emulator with the client `pam-app` (secret `s`), a factory of that
/// client (instance `idaas_pam`, the emulator as developer API endpoint) and
/// the PAM client from the factory.
pub(crate) async fn emulator_setup() -> (Emulator, CredentialProviderFactory, PamClient) {
    let emulator = Emulator::builder()
        .client(Client::new("pam-app").with_secret("s"))
        .start()
        .await
        .unwrap();
    let config = ClientConfig::builder()
        .idaas_instance_id("idaas_pam")
        .client_id("pam-app")
        .issuer(emulator.base_url())
        .token_endpoint(emulator.token_endpoint())
        .developer_api_endpoint(emulator.base_url())
        .client_secret_post(SecretSource::env("S"))
        .build()
        .unwrap();
    let factory = idaas_test_support::factory(config, None).await;
    let pam = PamClient::from_factory(&factory).await.unwrap();
    (emulator, factory, pam)
}

/// A client of `endpoint` (instance `idaas_pam`) with the given provider.
pub(crate) fn client_with(
    endpoint: &str,
    provider: idaas_credentials::SharedCredentialProvider,
) -> PamClient {
    PamClient::builder()
        .developer_api_endpoint(endpoint)
        .idaas_instance_id("idaas_pam")
        .credential_provider(provider)
        .build()
        .unwrap()
}
