//! OpenID Connect ID-token verification (OIDC Core §3.1.3.7): the JWT checks
//! of [`JwtValidator`] (signature by the provider's JWKS, `iss`, `aud`,
//! `exp`, `iat`) plus an algorithm allow-list, `azp`, `nonce` and `sub`.

use std::str::FromStr;

use idaas_core::clock::{self, SharedClock};
use idaas_core::http::SharedHttpClient;
use serde_json::{Map, Value};

use crate::discovery::ProviderMetadata;
use crate::error::{Error, IdTokenError};
use crate::jose::{Algorithm, Validation, decode_jws, verify_decoded};
use crate::jwks::{JwtValidator, RemoteJwks};

/// The algorithms accepted for ID tokens by default: every asymmetric one.
/// HMAC (`HS*`, keyed by the client secret) and `none` are never accepted.
pub const DEFAULT_ID_TOKEN_ALGORITHMS: [Algorithm; 10] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::ES512,
    Algorithm::EdDSA,
];

/// The verified claims of an ID token.
#[derive(Debug, Clone)]
pub struct IdTokenClaims {
    sub: String,
    claims: Map<String, Value>,
}

impl IdTokenClaims {
    /// `sub`, never empty.
    pub fn sub(&self) -> &str {
        &self.sub
    }

    /// Every claim, as signed.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// A string claim.
    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }
}

/// Verifies the ID tokens a provider issues to one client.
#[derive(Debug, Clone)]
pub struct IdTokenVerifier {
    validator: JwtValidator,
    client_id: String,
    algorithms: Vec<Algorithm>,
    clock: SharedClock,
}

impl IdTokenVerifier {
    /// A verifier over `validator`, whose rules must name the issuer and,
    /// as audience, `client_id`.
    pub fn new(validator: JwtValidator, client_id: impl Into<String>) -> Result<Self, Error> {
        let client_id = client_id.into();
        let rules = validator.validation();
        if rules.issuer.is_none() || rules.audience.as_deref() != Some(client_id.as_str()) {
            return Err(Error::Misconfigured(format!(
                "an ID-token validator needs the issuer and the client id {client_id:?} as audience"
            )));
        }
        Ok(Self {
            validator,
            client_id,
            algorithms: DEFAULT_ID_TOKEN_ALGORITHMS.to_vec(),
            clock: clock::system(),
        })
    }

    /// The verifier of ID tokens from the provider of `metadata` for `client_id`.
    pub fn for_issuer(
        http: SharedHttpClient,
        metadata: &ProviderMetadata,
        client_id: impl Into<String>,
    ) -> Result<Self, Error> {
        let client_id = client_id.into();
        let validator = JwtValidator::for_issuer(http, metadata, client_id.clone())?;
        Self::new(validator, client_id)
    }

    /// A verifier over an existing key set (shared cache) with the standard rules.
    pub fn with_jwks(
        jwks: RemoteJwks,
        issuer: impl Into<String>,
        client_id: impl Into<String>,
    ) -> Self {
        let client_id = client_id.into();
        let validation = Validation {
            issuer: Some(issuer.into()),
            audience: Some(client_id.clone()),
            ..Validation::default()
        };
        Self {
            validator: JwtValidator::new(jwks, validation),
            client_id,
            algorithms: DEFAULT_ID_TOKEN_ALGORITHMS.to_vec(),
            clock: clock::system(),
        }
    }

    /// Restricts the accepted algorithms (HMAC ones are dropped: an ID token
    /// keyed by the client secret proves nothing to a public client).
    pub fn with_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().filter(|a| !a.is_hmac()).collect();
        self
    }

    /// The clock for `exp`/`iat` checks.
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.validator = self.validator.with_clock(clock.clone());
        self.clock = clock;
        self
    }

    /// The client id (the required audience).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Verifies a freshly issued ID token: signature, `iss`, `aud`, `exp`,
    /// `iat`, the algorithm allow-list, `azp`, `sub` and, when given, `nonce`
    /// (the one sent in the authorization request; always given after a
    /// code exchange).
    pub async fn verify(
        &self,
        token: &str,
        expected_nonce: Option<&str>,
    ) -> Result<IdTokenClaims, Error> {
        self.check_algorithm(token)?;
        let claims = self.validator.validate(token).await?;
        if !matches!(claims.get("iat"), Some(Value::Number(_))) {
            return Err(Error::IdToken(IdTokenError::NoIssuedAt));
        }
        if let Some(expected) = expected_nonce {
            let found = claims.get("nonce").and_then(Value::as_str);
            let matches = found.is_some_and(|n| {
                idaas_core::secret::constant_time_eq(n.as_bytes(), expected.as_bytes())
            });
            if !matches {
                return Err(Error::IdToken(if found.is_none() {
                    IdTokenError::NoNonce
                } else {
                    IdTokenError::WrongNonce
                }));
            }
        }
        self.finish(claims)
    }

    /// Verifies an ID token kept in storage: signature, `iss`, `aud`, the
    /// algorithm allow-list, `azp` and `sub`, but not `exp` — a session's
    /// life is the access token's (and the refresh token's), and a stored
    /// ID token outlives its `exp` by design.
    pub async fn verify_stored(&self, token: &str) -> Result<IdTokenClaims, Error> {
        self.check_algorithm(token)?;
        let jws = decode_jws(token)?;
        let keys = self.validator.jwks().keys_for(jws.kid()).await?;
        verify_decoded(&jws, keys.keys())?;
        let rules = Validation {
            require_exp: false,
            ..self.validator.validation().clone()
        };
        let mut without_exp = jws.claims.clone();
        without_exp.remove("exp");
        rules.check(&without_exp, self.clock.now())?;
        self.finish(jws.claims)
    }

    fn check_algorithm(&self, token: &str) -> Result<(), Error> {
        let jws = decode_jws(token)?;
        let alg = jws.alg().unwrap_or("none");
        match Algorithm::from_str(alg) {
            Ok(a) if self.algorithms.contains(&a) => Ok(()),
            _ => Err(Error::IdToken(IdTokenError::AlgorithmNotAllowed {
                alg: alg.to_owned(),
                allowed: self
                    .algorithms
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })),
        }
    }

    fn finish(&self, claims: Map<String, Value>) -> Result<IdTokenClaims, Error> {
        let several_audiences =
            matches!(claims.get("aud"), Some(Value::Array(list)) if list.len() > 1);
        match claims.get("azp") {
            Some(Value::String(azp)) if azp != &self.client_id => {
                return Err(Error::IdToken(IdTokenError::WrongAuthorizedParty {
                    azp: azp.clone(),
                    client_id: self.client_id.clone(),
                }));
            }
            None if several_audiences => {
                return Err(Error::IdToken(IdTokenError::NoAuthorizedParty));
            }
            Some(Value::String(_)) | None => {}
            Some(_) => return Err(Error::IdToken(IdTokenError::AuthorizedPartyNotString)),
        }
        let sub = match claims.get("sub") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => return Err(Error::IdToken(IdTokenError::NoSubject)),
        };
        Ok(IdTokenClaims { sub, claims })
    }
}
