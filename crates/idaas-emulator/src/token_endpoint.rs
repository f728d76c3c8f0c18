//! The token endpoint: authenticates the client by every IDaaS method, then
//! issues a signed JWT access token (client credentials, token exchange).

use base64::Engine;
use idaas_core::secret::constant_time_eq;
use idaas_core::token::{ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE};
use idaas_oauth::JWT_BEARER_ASSERTION_TYPE;
use idaas_oauth::jose::{JwtHeader, Validation, VerifyingKey, sign_jwt, verify_jwt};
use serde_json::{Value, json};

use crate::registry::{Client, FederatedCredential};
use crate::server::{Reply, State};

const X509: &str = "urn:cloud:idaas:params:oauth:client-assertion-type:x509-jwt-bearer";
const PKCS7: &str = "urn:cloud:idaas:params:oauth:client-assertion-type:pkcs7-bearer";
const ID_TOKEN: &str = "urn:cloud:idaas:params:oauth:client-assertion-type:id-token-bearer";
const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// An OAuth error reply.
pub(crate) fn oauth_error(status: u16, code: &str, description: impl Into<String>) -> Reply {
    Reply::json(
        status,
        json!({"error": code, "error_description": description.into()}),
    )
}

struct Form(Vec<(String, String)>);

impl Form {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `Authorization: Basic` credentials, raw or RFC 6749 form-encoded. A raw
/// id may itself contain `:`; the `client_id` form field (which the
/// reference SDK always sends) then tells where the id ends.
fn basic_credentials(
    header: Option<&str>,
    form_client_id: Option<&str>,
) -> Option<(String, String)> {
    let encoded = header?.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    if let Some(id) = form_client_id
        && let Some(secret) = text.strip_prefix(&format!("{id}:"))
    {
        return Some((id.to_owned(), secret.to_owned()));
    }
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn form_decode(text: &str) -> String {
    idaas_oauth::form::decode(&format!("x={text}"))
        .pop()
        .map(|(_, v)| v)
        .unwrap_or_default()
}

fn secret_matches(client: &Client, given: &str) -> bool {
    client
        .secret
        .as_ref()
        .is_some_and(|s| constant_time_eq(s.expose_secret().as_bytes(), given.as_bytes()))
}

impl State {
    /// Handles `POST /oauth2/token`.
    /// The client a request authenticates as, with its form; or the error reply.
    fn authenticated_client(
        &self,
        body: &str,
        authorization: Option<&str>,
    ) -> Result<(Client, Form), Reply> {
        let form = Form(idaas_oauth::form::decode(body));
        let basic = basic_credentials(authorization, form.get("client_id"));
        let client_id = form
            .get("client_id")
            .map(str::to_owned)
            .or_else(|| basic.as_ref().map(|(id, _)| id.clone()));
        let Some(client_id) = client_id else {
            return Err(oauth_error(401, "invalid_client", "no client_id"));
        };
        self.count(&client_id);
        let Some(client) = self.client(&client_id) else {
            return Err(oauth_error(
                401,
                "invalid_client",
                format!("unknown client {client_id}"),
            ));
        };
        self.authenticate(&client, &form, basic)
            .map_err(|reason| oauth_error(401, "invalid_client", reason))?;
        Ok((client, form))
    }

    /// Handles `POST /oauth2/token`.
    pub(crate) fn token(&self, body: &str, authorization: Option<&str>) -> Reply {
        let (client, form) = match self.authenticated_client(body, authorization) {
            Ok(found) => found,
            Err(reply) => return reply,
        };
        match form.get("grant_type") {
            Some("client_credentials") => self.issue(&client, form.get("scope"), None),
            Some("authorization_code") => self.authorization_code(
                &client,
                form.get("code"),
                form.get("redirect_uri"),
                form.get("code_verifier"),
            ),
            Some(TOKEN_EXCHANGE) => self.exchange(&client, &form),
            Some(idaas_oauth::JWT_BEARER_GRANT) => {
                self.jwt_bearer(&client, form.get("assertion"), form.get("scope"))
            }
            Some("refresh_token") => self.refresh(&client, form.get("refresh_token")),
            Some(idaas_oauth::device::DEVICE_CODE_GRANT) => {
                self.device_token(&client, form.get("device_code"))
            }
            Some(other) => oauth_error(
                400,
                "unsupported_grant_type",
                format!("grant_type {other} is not supported"),
            ),
            None => oauth_error(400, "invalid_request", "grant_type is missing"),
        }
    }

    /// Handles `POST /oauth2/device_authorization`.
    pub(crate) fn device(&self, body: &str, authorization: Option<&str>) -> Reply {
        match self.authenticated_client(body, authorization) {
            Ok((client, form)) => {
                self.device_authorization(&client, form.get("scope").unwrap_or(""))
            }
            Err(reply) => reply,
        }
    }

    fn authenticate(
        &self,
        client: &Client,
        form: &Form,
        basic: Option<(String, String)>,
    ) -> Result<(), String> {
        if let Some((id, secret)) = basic {
            // raw (reference SDK) or RFC 6749 §2.3.1 form-encoded
            let ok = (id == client.id && secret_matches(client, &secret))
                || (form_decode(&id) == client.id && secret_matches(client, &form_decode(&secret)));
            return if ok {
                Ok(())
            } else {
                Err("bad client secret".into())
            };
        }
        if let Some(secret) = form.get("client_secret") {
            return if secret_matches(client, secret) {
                Ok(())
            } else {
                Err("bad client secret".into())
            };
        }
        let is_public =
            client.secret.is_none() && client.public_key.is_none() && client.federated.is_empty();
        let Some(assertion) = form.get("client_assertion") else {
            // a public client (RFC 6749 §2.1) identifies itself by its id alone
            return if is_public {
                Ok(())
            } else {
                Err("no client authentication".into())
            };
        };
        match form.get("client_assertion_type") {
            Some(JWT_BEARER_ASSERTION_TYPE) => {
                let mut keys = Vec::new();
                if let Some(secret) = &client.secret {
                    keys.push(VerifyingKey::hmac(secret.clone()));
                }
                if let Some(key) = &client.public_key {
                    keys.push(key.clone());
                }
                self.check_client_assertion(client, assertion, &keys)
            }
            Some(kind @ (X509 | PKCS7 | ID_TOKEN)) => {
                let name = form
                    .get("application_federated_credential_name")
                    .ok_or("application_federated_credential_name is missing")?;
                let credential = client
                    .federated
                    .iter()
                    .find(|c| c.name() == name)
                    .ok_or_else(|| format!("no federated credential {name}"))?;
                match (kind, credential) {
                    (
                        ID_TOKEN,
                        FederatedCredential::Oidc {
                            issuer,
                            keys,
                            audience,
                            ..
                        },
                    ) => {
                        let validation = Validation {
                            issuer: Some(issuer.clone()),
                            audience: Some(audience.clone()),
                            ..Validation::default()
                        };
                        verify_jwt(assertion.trim(), keys, &validation, self.clock.now())
                            .map(|_| ())
                            .map_err(|e| format!("federated token rejected: {e}"))
                    }
                    (
                        X509,
                        FederatedCredential::Pca {
                            ca_certificate_pem, ..
                        },
                    ) => {
                        let leaf = crate::x509::verify_path(
                            form.get("client_x509").unwrap_or_default(),
                            form.get("client_x509_chain").unwrap_or_default(),
                            ca_certificate_pem,
                            self.clock.now(),
                        )?;
                        let key = VerifyingKey::from_certificate_der(&leaf)
                            .map_err(|e| format!("client_x509 has no usable key: {e}"))?;
                        self.check_client_assertion(client, assertion, std::slice::from_ref(&key))
                    }
                    (
                        PKCS7,
                        FederatedCredential::Pkcs7 {
                            signer_certificate_pem,
                            audience,
                            ..
                        },
                    ) => crate::attestation::verify_document(
                        assertion,
                        signer_certificate_pem,
                        audience,
                        self.clock.now(),
                    )
                    .map(|_| ())
                    .map_err(|e| format!("attested document rejected: {e}")),
                    _ => Err(format!(
                        "federated credential {name} does not accept {kind}"
                    )),
                }
            }
            other => Err(format!("unsupported client_assertion_type {other:?}")),
        }
    }

    /// A client assertion: signed by the client's key, iss = sub = client_id,
    /// aud = this token endpoint, not expired.
    fn check_client_assertion(
        &self,
        client: &Client,
        assertion: &str,
        keys: &[VerifyingKey],
    ) -> Result<(), String> {
        if keys.is_empty() {
            return Err("no key registered for client assertions".into());
        }
        let validation = Validation {
            issuer: Some(client.id.clone()),
            audience: Some(self.token_endpoint()),
            ..Validation::default()
        };
        let claims = verify_jwt(assertion, keys, &validation, self.clock.now())
            .map_err(|e| format!("client assertion rejected: {e}"))?;
        if claims.get("sub").and_then(Value::as_str) != Some(client.id.as_str()) {
            return Err("client assertion sub is not the client".into());
        }
        Ok(())
    }

    fn exchange(&self, client: &Client, form: &Form) -> Reply {
        let Some(subject) = form.get("subject_token") else {
            return oauth_error(400, "invalid_request", "subject_token is missing");
        };
        if form.get("subject_token_type").is_none() {
            return oauth_error(400, "invalid_request", "subject_token_type is missing");
        }
        let validation = Validation {
            issuer: Some(self.base_url.clone()),
            ..Validation::default()
        };
        if let Err(e) = verify_jwt(
            subject,
            &[self.verifying_key()],
            &validation,
            self.clock.now(),
        ) {
            return oauth_error(400, "invalid_grant", format!("subject_token rejected: {e}"));
        }
        let requested = form
            .get("requested_token_type")
            .unwrap_or(ACCESS_TOKEN_TYPE);
        if requested != ACCESS_TOKEN_TYPE && requested != JWT_TOKEN_TYPE {
            return oauth_error(400, "invalid_request", format!("cannot issue {requested}"));
        }
        self.issue(client, form.get("scope"), Some(requested))
    }

    /// Signs an access token for the client itself; returns it with its
    /// `expires_at`.
    pub(crate) fn sign_access_token(
        &self,
        client_id: &str,
        audience: &str,
        scope: &str,
    ) -> Result<(String, u64), String> {
        self.sign_access_token_for(client_id, client_id, audience, scope)
    }

    /// Signs an access token about `subject` issued to `client_id`.
    pub(crate) fn sign_access_token_for(
        &self,
        subject: &str,
        client_id: &str,
        audience: &str,
        scope: &str,
    ) -> Result<(String, u64), String> {
        let now = self.clock.now().as_secs();
        let lifetime = self.token_lifetime.as_secs();
        let claims = json!({
            "iss": self.base_url,
            "sub": subject,
            "aud": audience,
            "client_id": client_id,
            "scope": scope,
            "iat": now,
            "exp": now + lifetime,
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        let header = JwtHeader {
            typ: Some("at+jwt".into()),
            kid: self.verifying_key().kid().map(str::to_owned),
            ..JwtHeader::default()
        };
        let token = sign_jwt(&self.signing_key, &header, &claims).map_err(|e| e.to_string())?;
        Ok((token, now + lifetime))
    }

    pub(crate) fn issue(
        &self,
        client: &Client,
        scope: Option<&str>,
        issued_type: Option<&str>,
    ) -> Reply {
        self.issue_for(&client.id, client, scope, issued_type)
    }

    /// Issues an access token about `subject` to `client`.
    pub(crate) fn issue_for(
        &self,
        subject: &str,
        client: &Client,
        scope: Option<&str>,
        issued_type: Option<&str>,
    ) -> Reply {
        let scope = scope.unwrap_or("");
        let audience = scope
            .split_whitespace()
            .next()
            .and_then(|item| item.split_once('|'))
            .map(|(aud, _)| aud.to_owned())
            .unwrap_or_else(|| self.base_url.clone());
        let (token, expires_at) =
            match self.sign_access_token_for(subject, &client.id, &audience, scope) {
                Ok(t) => t,
                Err(e) => return oauth_error(500, "server_error", e),
            };
        let mut body = json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.token_lifetime.as_secs(),
            "expires_at": expires_at,
            "scope": scope,
        });
        if let Some(t) = issued_type {
            body["issued_token_type"] = json!(t);
        }
        Reply::json(200, body)
    }
}
