//! The table: every error variant the SDK has, and its exit code. The
//! SDK's error enums are `#[non_exhaustive]`, so the map must keep a
//! fallback arm for variants added later; every variant known today has a
//! row here (and its own arm in the map), so none reaches a fallback.

use std::sync::Arc;
use std::time::Duration;

use idaas::OAuthError;
use idaas::TransportError;
use idaas::cache::CacheError;
use idaas::config::ConfigError;
use idaas::oauth::OAuthErrorCode;

use super::{Cause, Code, Failure, exit_code, message, oauth_code};

fn oauth(code: &str, status: u16) -> idaas::oauth::Error {
    idaas::oauth::Error::OAuth(OAuthError {
        code: OAuthErrorCode::parse(code),
        description: Some("described".into()),
        uri: None,
        status,
    })
}

fn transport_variants() -> Vec<(TransportError, Code)> {
    let host = || "idp.example".to_owned();
    vec![
        (
            TransportError::InvalidUrl {
                url: "x".into(),
                reason: "r".into(),
            },
            Code::Usage,
        ),
        (
            TransportError::InvalidOptions { reason: "r".into() },
            Code::Usage,
        ),
        (TransportError::InsecureScheme { host: host() }, Code::Usage),
        (
            TransportError::CaFile {
                path: "ca.pem".into(),
                reason: "no certificate".into(),
            },
            Code::Usage,
        ),
        // mutual TLS: a certificate or key that does not load is local
        // configuration (nothing was sent)
        (
            TransportError::ClientCertificate {
                origin: "--key client.key".into(),
                reason: "does not match the certificate".into(),
            },
            Code::Usage,
        ),
        (
            TransportError::ConnectTimeout {
                host: host(),
                after: Duration::from_secs(5),
            },
            Code::Network,
        ),
        (
            TransportError::Connect {
                host: host(),
                reason: "refused".into(),
            },
            Code::Network,
        ),
        (
            TransportError::Tls {
                host: host(),
                reason: "UnknownIssuer".into(),
            },
            Code::Network,
        ),
        (
            TransportError::ReadTimeout {
                host: host(),
                after: Duration::from_secs(10),
            },
            Code::Network,
        ),
        (
            TransportError::BodyTooLarge {
                host: host(),
                limit: 1,
            },
            Code::Network,
        ),
        (
            TransportError::Protocol {
                host: host(),
                reason: "reset".into(),
            },
            Code::Network,
        ),
    ]
}

#[test]
fn every_oauth_error_code_has_its_exit_code() {
    use Code::*;
    let table: &[(&str, Code)] = &[
        ("access_denied", Denied),
        ("user_blocked", Denied),
        ("account_linking_required", Denied),
        ("expired_token", Denied),
        ("invalid_request", Usage),
        ("invalid_scope", Usage),
        ("invalid_target", Usage),
        ("unsupported_grant_type", Usage),
        ("unsupported_response_type", Usage),
        ("unsupported_token_type", Usage),
        ("invalid_client", Auth),
        ("invalid_grant", Auth),
        ("unauthorized_client", Auth),
        ("invalid_token", Auth),
        ("insufficient_scope", Auth),
        ("login_required", Auth),
        ("consent_required", Auth),
        ("interaction_required", Auth),
        ("account_selection_required", Auth),
        ("session_expired", Auth),
        ("server_error", Network),
        ("temporarily_unavailable", Network),
        ("slow_down", Network),
        ("authorization_pending", Network),
        // RFC 9449: a refused proof, or a nonce still demanded after the one
        // retry with the server's nonce, is the server refusing our request
        ("use_dpop_nonce", Auth),
        ("invalid_dpop_proof", Auth),
        ("something_new", Auth),
    ];
    for (code, expected) in table {
        // each row but the last exercises a typed variant, not `Other`
        assert_eq!(
            matches!(OAuthErrorCode::parse(code), OAuthErrorCode::Other(_)),
            *code == "something_new",
            "{code}"
        );
        assert_eq!(
            oauth_code(&OAuthErrorCode::parse(code), 400),
            *expected,
            "{code}"
        );
        assert_eq!(
            exit_code(Cause::OAuth(&oauth(code, 400))),
            *expected,
            "{code}"
        );
    }
    // a server in trouble is a server error whatever code its body names
    for status in [429, 500, 502, 503] {
        for code in [
            "invalid_client",
            "invalid_scope",
            "temporarily_unavailable",
            "x",
        ] {
            assert_eq!(
                exit_code(Cause::OAuth(&oauth(code, status))),
                Network,
                "{code} {status}"
            );
        }
        assert_eq!(
            exit_code(Cause::OAuth(&oauth("access_denied", status))),
            Denied
        );
    }
    // a resource server's DPoP challenge comes with 401
    for code in ["use_dpop_nonce", "invalid_dpop_proof"] {
        assert_eq!(exit_code(Cause::OAuth(&oauth(code, 401))), Auth, "{code}");
    }
    // access_denied through a browser redirect (status 0), as from the token endpoint
    assert_eq!(exit_code(Cause::OAuth(&oauth("access_denied", 0))), Denied);
    assert_eq!(oauth_code(&OAuthErrorCode::parse("whatever"), 404), Usage);
}

#[test]
fn every_protocol_error_has_its_exit_code() {
    use idaas::oauth::Error as O;
    let mut table: Vec<(O, Code)> = transport_variants()
        .into_iter()
        .map(|(t, c)| (O::Transport(t), c))
        .collect();
    let status = |status| O::UnexpectedStatus {
        endpoint: "https://idp.example/token".into(),
        status,
        location: None,
    };
    table.extend([
        (oauth("invalid_grant", 400), Code::Auth),
        (status(401), Code::Auth),
        (status(403), Code::Auth),
        (status(404), Code::Usage),
        (status(400), Code::Usage),
        (status(302), Code::Network),
        (status(500), Code::Network),
        (status(503), Code::Network),
        (status(429), Code::Network),
        (
            O::InvalidResponse {
                endpoint: "e".into(),
                reason: "not JSON".into(),
            },
            Code::Network,
        ),
        (
            O::Key(idaas::oauth::jose::KeyError::Unsupported("k".into())),
            Code::Usage,
        ),
        (O::Timeout("nobody approved".into()), Code::Denied),
        // another process's refresh holds the token-store file: not a
        // denial, a transient failure to retry
        (
            O::StoreLocked {
                path: "/home/u/.cloud_idaas/tokens/x.lock".into(),
                after: Duration::from_secs(10),
            },
            Code::Network,
        ),
        (
            O::Jwt(idaas::oauth::jose::JwtError::Malformed("m".into())),
            Code::Denied,
        ),
        (
            O::Io {
                action: "read",
                path: "p".into(),
                source: std::io::Error::other("r"),
            },
            Code::Usage,
        ),
        (O::Misconfigured("m".into()), Code::Usage),
        (
            O::InvalidUrl {
                what: "issuer",
                url: "::".into(),
                source: url::ParseError::RelativeUrlWithoutBase,
            },
            Code::Usage,
        ),
        (
            O::IdToken(idaas::oauth::IdTokenError::WrongNonce),
            Code::Auth,
        ),
        (
            O::SubjectMismatch {
                expected: "a".into(),
                actual: "b".into(),
            },
            Code::Auth,
        ),
        (
            O::RefreshFailed {
                message: "m".into(),
                code: Some(OAuthErrorCode::InvalidGrant),
                retryable: false,
            },
            Code::Auth,
        ),
        (
            O::RefreshFailed {
                message: "m".into(),
                code: Some(OAuthErrorCode::AccessDenied),
                retryable: false,
            },
            Code::Denied,
        ),
        (
            O::RefreshFailed {
                message: "m".into(),
                code: None,
                retryable: true,
            },
            Code::Network,
        ),
        (
            O::RefreshFailed {
                message: "m".into(),
                code: None,
                retryable: false,
            },
            Code::Auth,
        ),
        (O::TokenExpired, Code::Auth),
        (O::BlockingInAsyncContext, Code::Usage),
    ]);
    for (error, expected) in &table {
        assert_eq!(exit_code(error.into()), *expected, "{error:?}");
    }
}

#[test]
fn every_credential_and_config_error_has_its_exit_code() {
    use idaas::credentials::Error as C;
    let refresh_of = |inner: C| C::Refresh(CacheError::Refresh(Arc::new(inner)));
    let config = || ConfigError::Syntax {
        path: None,
        reason: "r".into(),
    };
    let table: Vec<(C, Code)> = vec![
        (C::Config(config()), Code::Usage),
        (C::OAuth(oauth("invalid_client", 401)), Code::Auth),
        (C::OAuth(oauth("access_denied", 400)), Code::Denied),
        (
            C::Source {
                source_name: "metadata".into(),
                reason: "r".into(),
            },
            Code::Network,
        ),
        (C::Unsupported("u".into()), Code::Usage),
        (C::InvalidArgument("a".into()), Code::Usage),
        (
            refresh_of(C::OAuth(oauth("invalid_client", 401))),
            Code::Auth,
        ),
        (
            refresh_of(C::OAuth(oauth("temporarily_unavailable", 503))),
            Code::Network,
        ),
        (refresh_of(C::Config(config())), Code::Usage),
        (
            C::Refresh(CacheError::Timeout(Duration::from_secs(5))),
            Code::Network,
        ),
        (C::Refresh(CacheError::Panicked("p".into())), Code::Network),
        (C::Refresh(CacheError::ExpiredValue), Code::Network),
        (C::Refresh(CacheError::NoRuntime), Code::Usage),
        (C::Refresh(CacheError::Cancelled), Code::Network),
        // a refresh failed with an error that is not a credential error
        (
            C::Refresh(CacheError::Refresh(Arc::new(std::io::Error::other("x")))),
            Code::Network,
        ),
        // the human (device-flow) cache's file stayed locked by another process
        (
            C::OAuth(idaas::oauth::Error::StoreLocked {
                path: "p.lock".into(),
                after: Duration::from_secs(10),
            }),
            Code::Network,
        ),
    ];
    for (error, expected) in &table {
        assert_eq!(exit_code(error.into()), *expected, "{error:?}");
    }
    assert_eq!(exit_code((&config()).into()), Code::Usage);
    for (error, expected) in transport_variants() {
        assert_eq!(exit_code((&error).into()), expected, "{error:?}");
    }
}

#[test]
fn every_pam_error_has_its_exit_code() {
    use idaas::pam::Error as P;
    let api = |status, code: &str| P::Api {
        operation: "get API key",
        status,
        code: code.into(),
        message: "m".into(),
        request_id: "r".into(),
    };
    let authorization = |code: &str| P::Authorization {
        code: code.into(),
        message: "m".into(),
    };
    let mut table: Vec<(P, Code)> = vec![
        (P::InvalidArgument("a".into()), Code::Usage),
        (api(400, "InvalidParameter"), Code::Usage),
        (api(404, "NotFound"), Code::Usage),
        (api(401, "Unauthorized"), Code::Auth),
        (api(403, "Forbidden"), Code::Auth),
        (api(403, "access_denied"), Code::Denied),
        (api(429, "Throttling"), Code::Network),
        (api(500, "InternalError"), Code::Network),
        (api(503, "ServiceUnavailable"), Code::Network),
        (
            P::InvalidResponse {
                operation: "o",
                reason: "r".into(),
            },
            Code::Network,
        ),
        (authorization("authorization_flow_mismatch"), Code::Usage),
        (authorization("polling_timeout"), Code::Denied),
        (authorization("authorization_session_expired"), Code::Denied),
        (authorization("authorization_failed"), Code::Denied),
        (P::Callback("no browser".into()), Code::Usage),
        (
            P::Credential(idaas::credentials::Error::OAuth(oauth(
                "invalid_client",
                401,
            ))),
            Code::Auth,
        ),
    ];
    table.extend(
        transport_variants()
            .into_iter()
            .map(|(t, c)| (P::Transport(t), c)),
    );
    for (error, expected) in &table {
        assert_eq!(exit_code(error.into()), *expected, "{error:?}");
    }
}

#[test]
fn messages_fit_a_one_shot_command() {
    use idaas::credentials::Error as C;
    let cached = C::Refresh(CacheError::Refresh(Arc::new(C::OAuth(oauth(
        "invalid_client",
        401,
    )))));
    let text = message((&cached).into());
    assert!(!text.contains("backoff"), "{text}");
    assert!(
        text.contains("invalid_client (HTTP 401): described"),
        "{text}"
    );
    let redirected = oauth("access_denied", 0);
    let text = message((&redirected).into());
    assert!(!text.contains("HTTP 0"), "{text}");
    assert!(
        text.starts_with("the sign-in ended with access_denied: described"),
        "{text}"
    );
    let hostile = idaas::oauth::Error::OAuth(OAuthError {
        code: OAuthErrorCode::parse("bad\u{1b}[2J"),
        description: Some(format!("\u{1b}]0;pwned\u{7}{}", "x".repeat(100_000))),
        uri: None,
        status: 400,
    });
    let failure = Failure::of(&hostile, false);
    assert!(
        !failure.message.chars().any(char::is_control),
        "{}",
        failure.message
    );
    assert!(failure.message.len() < 2 * super::output::FIELD_CAP + 200);
    assert!(failure.message.contains("more bytes)"));
}
