//! The generic OAuth commands: `client-credentials`, `introspect`, `revoke`,
//! `refresh`, against any issuer found by discovery.

use std::sync::Arc;

use idaas::oauth::discovery::Discovery;
use idaas::oauth::jose::{Algorithm, SigningKey};
use idaas::oauth::{ClientAuth, ClientCredentials, OAuthClient, TokenResponse};
use serde_json::json;

use crate::cli::{AuthMethod, DpopArgs, OAuthArgs};
use crate::exit::{Code, Failure};
use crate::output;
use crate::secrets;

fn failure(error: &idaas::oauth::Error, json: bool) -> Failure {
    Failure::of(error, json)
}

fn usage(message: impl Into<String>, json: bool) -> Failure {
    Failure::new(Code::Usage, message, json)
}

fn client_auth(args: &OAuthArgs, json: bool) -> Result<ClientAuth, Failure> {
    let key = match &args.private_key {
        Some(path) => {
            let pem = std::fs::read_to_string(path)
                .map_err(|e| usage(format!("--private-key {}: {e}", path.display()), json))?;
            let mut key = SigningKey::from_pem(&pem)
                .map_err(|e| usage(format!("--private-key: {e}"), json))?;
            if let Some(alg) = &args.alg {
                let alg: Algorithm = alg.parse().map_err(|e: String| usage(e, json))?;
                key = key
                    .with_algorithm(alg)
                    .map_err(|e| usage(e.to_string(), json))?;
            }
            Some(key)
        }
        None => None,
    };
    let secret = secrets::client_secret(
        args.client_secret.as_ref(),
        args.client_secret_env.as_deref(),
        json,
    )?;
    let method = args.auth_method.unwrap_or(match (&key, &secret) {
        (Some(_), _) => AuthMethod::PrivateKeyJwt,
        (None, Some(_)) => AuthMethod::ClientSecretBasic,
        (None, None) => AuthMethod::None,
    });
    let need_secret = || {
        secret.clone().ok_or_else(|| {
            usage(
                format!("--auth-method {} needs --client-secret", method.name()),
                json,
            )
        })
    };
    Ok(match method {
        AuthMethod::None => ClientAuth::None,
        AuthMethod::ClientSecretBasic => ClientAuth::basic(need_secret()?),
        AuthMethod::ClientSecretPost => ClientAuth::SecretPost {
            secret: need_secret()?.into(),
        },
        AuthMethod::ClientSecretJwt => {
            let alg = match &args.alg {
                Some(a) => a.parse().map_err(|e: String| usage(e, json))?,
                None => Algorithm::HS256,
            };
            let key = SigningKey::hmac(need_secret()?.into(), alg)
                .map_err(|e| usage(e.to_string(), json))?;
            ClientAuth::SecretJwt { key: Arc::new(key) }
        }
        AuthMethod::PrivateKeyJwt => {
            let key = key
                .ok_or_else(|| usage("--auth-method private_key_jwt needs --private-key", json))?;
            ClientAuth::private_key_jwt(Arc::new(key))
        }
        AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth => {
            if args.net.cert.is_none() {
                return Err(usage(
                    format!(
                        "--auth-method {} needs --cert FILE --key FILE",
                        method.name()
                    ),
                    json,
                ));
            }
            if method == AuthMethod::TlsClientAuth {
                ClientAuth::TlsClientAuth
            } else {
                ClientAuth::SelfSignedTlsClientAuth
            }
        }
    })
}

pub(crate) async fn client(args: &OAuthArgs, json: bool) -> Result<OAuthClient, Failure> {
    let http = super::http_client(&args.net, json)?;
    let metadata = Discovery::new(http.clone(), args.issuer.clone())
        .metadata()
        .await
        .map_err(|e| failure(&e, json))?;
    let auth = client_auth(args, json)?;
    let mut client = OAuthClient::from_metadata(http, args.client_id.clone(), &metadata, auth);
    if let (Some(cert), Some(key)) = (&args.net.cert, &args.net.key) {
        // a token bound to another certificate than ours is refused
        let identity = idaas::http::ClientIdentity::from_files(cert, key);
        let thumbprint =
            idaas::oauth::mtls::identity_thumbprint(&identity, &idaas::config::ProcessEnv)
                .map_err(|e| failure(&e, json))?;
        client = client.with_certificate_binding(thumbprint);
    }
    if let Some(url) = &args.introspection_endpoint {
        client = client.with_introspection_endpoint(url.clone());
    }
    if let Some(url) = &args.revocation_endpoint {
        client = client.with_revocation_endpoint(url.clone());
    }
    Ok(client)
}

pub(crate) fn print_tokens(token: &TokenResponse, json: bool) {
    let c = &token.credential;
    if json {
        output::out_json(&json!({
            "access_token": c.access_token.expose_secret(),
            "token_type": c.token_type,
            "expires_in": c.expires_in,
            "expires_at": c.expires_at,
            "scope": c.scope,
            "refresh_token": c.refresh_token.as_ref().map(|t| t.expose_secret()),
            "issued_token_type": c.issued_token_type,
        }));
    } else {
        // printing the token is this command's job
        output::out(output::verbatim(c.access_token.expose_secret()));
    }
}

pub(super) async fn client_credentials(
    args: OAuthArgs,
    dpop: &DpopArgs,
    json: bool,
) -> Result<Code, Failure> {
    let client = super::dpop::bind(client(&args, json).await?, dpop, json)?;
    let mut request = ClientCredentials::default();
    if !args.scopes.is_empty() {
        request.scope = Some(args.scopes.join(" "));
    }
    if let Some(resource) = &args.resource {
        request = request.resource(resource.clone());
    }
    let token = client
        .client_credentials(&request)
        .await
        .map_err(|e| failure(&e, json))?;
    print_tokens(&token, json);
    Ok(Code::Ok)
}

pub(super) async fn refresh(
    args: OAuthArgs,
    refresh_token: String,
    dpop: &DpopArgs,
    json: bool,
) -> Result<Code, Failure> {
    let client = super::dpop::bind(client(&args, json).await?, dpop, json)?;
    let scope = (!args.scopes.is_empty()).then(|| args.scopes.join(" "));
    let token = client
        .refresh(&refresh_token.into(), scope.as_deref())
        .await
        .map_err(|e| failure(&e, json))?;
    print_tokens(&token, json);
    Ok(Code::Ok)
}

pub(super) async fn introspect(
    args: OAuthArgs,
    token: String,
    hint: Option<String>,
    json: bool,
) -> Result<Code, Failure> {
    let client = client(&args, json).await?;
    let info = client
        .introspect(&token.into(), hint.as_deref())
        .await
        .map_err(|e| failure(&e, json))?;
    if json {
        output::out_json(&serde_json::Value::Object(info.claims.clone()));
    } else {
        output::out(if info.active { "active" } else { "inactive" });
        for (name, value) in &info.claims {
            if name != "active" {
                output::out(format_args!(
                    "  {}: {}",
                    output::field(name),
                    output::field(&value.to_string())
                ));
            }
        }
    }
    Ok(if info.active { Code::Ok } else { Code::Denied })
}

pub(super) async fn revoke(
    args: OAuthArgs,
    token: String,
    hint: Option<String>,
    json: bool,
) -> Result<Code, Failure> {
    let client = client(&args, json).await?;
    client
        .revoke(&token.into(), hint.as_deref())
        .await
        .map_err(|e| failure(&e, json))?;
    if json {
        output::out_json(&json!({"revoked": true}));
    } else {
        output::out("revoked");
    }
    Ok(Code::Ok)
}
