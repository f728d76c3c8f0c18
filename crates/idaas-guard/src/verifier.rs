//! [`TokenVerifier`]: incoming access tokens → [`Principal`]. JWTs are
//! checked locally per RFC 9068 against the issuer's JWKS; other tokens go
//! to RFC 7662 introspection when it is configured.

use std::sync::Arc;
use std::time::Duration;

use idaas_core::clock::{self, SharedClock};
use idaas_core::http::{HyperClient, SharedHttpClient};
use idaas_oauth::jose::{Algorithm, Validation, decode_jws, verify_decoded};
use idaas_oauth::{ClientAuth, Discovery, OAuthClient, RemoteJwks};
use serde_json::Value;

use crate::error::{Error, Reason, from_oauth};
use crate::introspection::{Expect, IntrospectionCache, Introspector};
use crate::principal::{Principal, TokenKind};
use crate::replay::ReplayCache;

/// The algorithms accepted by default: every asymmetric one. Symmetric
/// (`HS*`) algorithms and `none` are never accepted (a resource server holds
/// no shared secret with the issuer).
pub const DEFAULT_ALGORITHMS: [Algorithm; 10] = [
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

/// Which JOSE `typ` headers a JWT access token may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TypPolicy {
    /// `at+jwt` (or `application/at+jwt`) only, as RFC 9068 §4 requires; an
    /// ID token or any other JWT of the same issuer is refused.
    #[default]
    AccessTokenOnly,
    /// Also `JWT` and no `typ` at all, for issuers that send those (the
    /// `client_id` may then come from `azp`).
    AllowPlainJwt,
}

#[derive(Debug)]
struct Inner {
    issuer: String,
    audiences: Vec<String>,
    jwks: Option<RemoteJwks>,
    algorithms: Vec<Algorithm>,
    typ: TypPolicy,
    validation: Validation,
    clock: SharedClock,
    introspector: Option<Introspector>,
    replay: Option<ReplayCache>,
    dpop: crate::dpop::ProofChecker,
}

/// Verifies incoming bearer tokens for one issuer and this resource's
/// audiences. Cheap to clone (clones share the key and answer caches);
/// store it anywhere.
#[derive(Debug, Clone)]
pub struct TokenVerifier {
    inner: Arc<Inner>,
}

enum Introspection {
    None,
    Client(OAuthClient),
    Discovered { client_id: String, auth: ClientAuth },
}

/// Builds a [`TokenVerifier`]; [`VerifierBuilder::build`] discovers what
/// was not given explicitly.
pub struct VerifierBuilder {
    issuer: String,
    audiences: Vec<String>,
    http: Option<SharedHttpClient>,
    jwks_uri: Option<String>,
    jwks: Option<RemoteJwks>,
    jwt: bool,
    algorithms: Vec<Algorithm>,
    typ: TypPolicy,
    leeway: Duration,
    clock: SharedClock,
    introspection: Introspection,
    cache: IntrospectionCache,
    replay: Option<u64>,
    dpop_lifetime: Duration,
}

impl std::fmt::Debug for VerifierBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifierBuilder")
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .finish_non_exhaustive()
    }
}

impl VerifierBuilder {
    /// An audience this resource answers to (`aud` must name one).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// The HTTP client for discovery, JWKS and introspection (default: a
    /// [`HyperClient`] with default options).
    pub fn http(mut self, http: SharedHttpClient) -> Self {
        self.http = Some(http);
        self
    }

    /// The JWKS URI, instead of the discovered `jwks_uri`.
    pub fn jwks_uri(mut self, uri: impl Into<String>) -> Self {
        self.jwks_uri = Some(uri.into());
        self
    }

    /// A key set built by the caller (its own refetch interval, clock).
    pub fn jwks(mut self, jwks: RemoteJwks) -> Self {
        self.jwks = Some(jwks);
        self
    }

    /// Refuses every JWT: all tokens go to introspection.
    pub fn opaque_only(mut self) -> Self {
        self.jwt = false;
        self
    }

    /// The accepted signing algorithms (default [`DEFAULT_ALGORITHMS`];
    /// `HS*` are dropped from the list). Each key narrows it further to its
    /// JWK's `alg` and key type.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().filter(|a| !a.is_hmac()).collect();
        self
    }

    /// Which `typ` headers are accepted (default: `at+jwt` only).
    pub fn typ(mut self, policy: TypPolicy) -> Self {
        self.typ = policy;
        self
    }

    /// Clock skew allowed on `exp`, `nbf`, `iat` (default 60 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The clock of the claim checks and the answer caches.
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Introspects opaque tokens with `client` (its introspection endpoint
    /// and client authentication).
    pub fn introspection(mut self, client: OAuthClient) -> Self {
        self.introspection = Introspection::Client(client);
        self
    }

    /// Introspects opaque tokens at the discovered `introspection_endpoint`,
    /// authenticating as `client_id` with `auth`.
    pub fn introspect_as(mut self, client_id: impl Into<String>, auth: ClientAuth) -> Self {
        self.introspection = Introspection::Discovered {
            client_id: client_id.into(),
            auth,
        };
        self
    }

    /// How introspection answers are cached.
    pub fn introspection_cache(mut self, cache: IntrospectionCache) -> Self {
        self.cache = cache;
        self
    }

    /// Refuses a JWT whose `jti` was seen before (one-time tokens), keeping
    /// up to `capacity` ids until their `exp`. Tokens then need a `jti`.
    pub fn replay_cache(mut self, capacity: u64) -> Self {
        self.replay = Some(capacity);
        self
    }

    /// How old a DPoP proof's `iat` may be (besides the leeway): 60 s by
    /// default. Proofs' `jti`s are remembered that long.
    pub fn dpop_proof_lifetime(mut self, lifetime: Duration) -> Self {
        self.dpop_lifetime = lifetime;
        self
    }

    /// The verifier: discovers the issuer's metadata when the JWKS URI or
    /// the introspection endpoint was not given.
    pub async fn build(self) -> Result<TokenVerifier, Error> {
        if self.audiences.is_empty() {
            return Err(Error::Misconfigured(
                "a token verifier needs at least one audience (this resource's identifier)".into(),
            ));
        }
        let http = match self.http {
            Some(http) => http,
            None => Arc::new(
                HyperClient::new(Default::default())
                    .map_err(|e| Error::Misconfigured(e.to_string()))?,
            ),
        };
        let needs_discovery = (self.jwt && self.jwks.is_none() && self.jwks_uri.is_none())
            || matches!(self.introspection, Introspection::Discovered { .. });
        let metadata = if needs_discovery {
            let discovery = Discovery::new(http.clone(), self.issuer.clone());
            Some(discovery.metadata().await.map_err(from_oauth)?)
        } else {
            None
        };
        let jwks = match (self.jwt, self.jwks, self.jwks_uri) {
            (false, _, _) => None,
            (true, Some(jwks), _) => Some(jwks),
            (true, None, Some(uri)) => Some(RemoteJwks::new(http.clone(), uri)),
            (true, None, None) => {
                let uri = metadata
                    .as_ref()
                    .and_then(|m| m.jwks_uri.clone())
                    .ok_or_else(|| {
                        Error::Misconfigured(format!("{} publishes no jwks_uri", self.issuer))
                    })?;
                Some(RemoteJwks::new(http.clone(), uri))
            }
        };
        let client = match self.introspection {
            Introspection::None => None,
            Introspection::Client(client) => Some(client),
            Introspection::Discovered { client_id, auth } => {
                let metadata = metadata.as_ref().ok_or_else(|| {
                    Error::Misconfigured("introspection needs the issuer's metadata".into())
                })?;
                if metadata.introspection_endpoint.is_none() {
                    return Err(Error::Misconfigured(format!(
                        "{} publishes no introspection_endpoint",
                        self.issuer
                    )));
                }
                Some(OAuthClient::from_metadata(
                    http.clone(),
                    client_id,
                    metadata,
                    auth,
                ))
            }
        };
        Ok(TokenVerifier {
            inner: Arc::new(Inner {
                validation: Validation {
                    issuer: Some(self.issuer.clone()),
                    audience: None,
                    leeway: self.leeway,
                    require_exp: true,
                },
                issuer: self.issuer,
                audiences: self.audiences,
                jwks,
                algorithms: self.algorithms,
                typ: self.typ,
                clock: self.clock,
                introspector: client.map(|c| Introspector::new(c, self.cache)),
                replay: self.replay.map(ReplayCache::new),
                dpop: crate::dpop::ProofChecker::new(self.dpop_lifetime),
            }),
        })
    }
}

/// Whether a `typ` header value names the `at+jwt` media type (RFC 9068
/// §4; media types compare case-insensitively, `application/` may be left
/// out).
fn is_access_token_typ(typ: &str) -> bool {
    let typ = typ.to_ascii_lowercase();
    typ == "at+jwt" || typ == "application/at+jwt"
}

impl TokenVerifier {
    /// A builder for tokens of `issuer` (discovery at `build`, unless the
    /// JWKS URI is given).
    pub fn builder(issuer: impl Into<String>) -> VerifierBuilder {
        VerifierBuilder {
            issuer: issuer.into(),
            audiences: Vec::new(),
            http: None,
            jwks_uri: None,
            jwks: None,
            jwt: true,
            algorithms: DEFAULT_ALGORITHMS.to_vec(),
            typ: TypPolicy::default(),
            leeway: Duration::from_secs(60),
            clock: clock::system(),
            introspection: Introspection::None,
            cache: IntrospectionCache::default(),
            replay: None,
            dpop_lifetime: crate::dpop::DEFAULT_PROOF_LIFETIME,
        }
    }

    /// A verifier of JWT access tokens of `issuer` (discovered) for
    /// `audience`.
    pub async fn from_issuer(
        issuer: impl Into<String>,
        audience: impl Into<String>,
    ) -> Result<Self, Error> {
        Self::builder(issuer).audience(audience).build().await
    }

    /// The issuer.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The accepted audiences.
    pub fn audiences(&self) -> &[String] {
        &self.inner.audiences
    }

    /// The key set, when JWTs are accepted.
    pub fn jwks(&self) -> Option<&RemoteJwks> {
        self.inner.jwks.as_ref()
    }

    /// How many introspection requests were sent (for monitoring and tests).
    pub fn introspection_requests(&self) -> u64 {
        self.inner.introspector.as_ref().map_or(0, |i| i.requests())
    }

    /// Verifies `token`: a JWT (three dot-separated parts) locally when JWTs
    /// are accepted, anything else by introspection when configured. A
    /// certificate-bound token (`cnf.x5t#S256`) is refused: no certificate
    /// is presented here (see [`Self::verify_with_certificate`]); so is a
    /// DPoP-bound one (`cnf.jkt`, see [`Self::verify_dpop`]).
    pub async fn verify(&self, token: &str) -> Result<Principal, Error> {
        self.verify_with_certificate(token, None).await
    }

    /// [`Self::verify`] for a request that came with the TLS client
    /// certificate `certificate` (or none): a token bound to a certificate
    /// (`cnf.x5t#S256`, RFC 8705 §3) is accepted only when it is that one,
    /// else [`Reason::CertificateMismatch`].
    pub async fn verify_with_certificate(
        &self,
        token: &str,
        certificate: Option<&crate::ClientCertificate>,
    ) -> Result<Principal, Error> {
        self.verify_presented(token, certificate, None).await
    }

    /// Verifies a token sent with `Authorization: DPoP` and the proof of
    /// `request` (RFC 9449 §7; see [`crate::dpop`]): the token must be bound
    /// (`cnf.jkt`) to the proof's key, the proof valid for this method, URL
    /// and token, fresh and not replayed. A refused proof is
    /// [`Error::InvalidDpopProof`].
    pub async fn verify_dpop(
        &self,
        token: &str,
        request: &crate::DpopRequest<'_>,
    ) -> Result<Principal, Error> {
        self.verify_presented(token, None, Some(request)).await
    }

    /// The one path of every `verify*`: the token, then its bindings.
    pub(crate) async fn verify_presented(
        &self,
        token: &str,
        certificate: Option<&crate::ClientCertificate>,
        dpop: Option<&crate::DpopRequest<'_>>,
    ) -> Result<Principal, Error> {
        let inner = &self.inner;
        let principal = self.verify_token(token).await?;
        crate::binding::check(principal.claims(), certificate)?;
        match dpop {
            Some(request) => inner.dpop.check(
                token,
                principal.claims(),
                request,
                &inner.algorithms,
                inner.clock.now(),
                inner.validation.leeway,
            )?,
            None if crate::dpop::is_bound(principal.claims()) => {
                return Err(Error::InvalidToken(Reason::DpopBound));
            }
            None => {}
        }
        Ok(principal)
    }

    async fn verify_token(&self, token: &str) -> Result<Principal, Error> {
        let inner = &self.inner;
        let looks_like_jwt = token.bytes().filter(|b| *b == b'.').count() == 2;
        match (&inner.jwks, &inner.introspector) {
            (Some(jwks), _) if looks_like_jwt => self.verify_jwt(jwks, token).await,
            (_, Some(introspector)) => {
                let expect = Expect {
                    issuer: &inner.issuer,
                    audiences: &inner.audiences,
                    clock: &inner.clock,
                    leeway: inner.validation.leeway,
                };
                introspector.verify(token, &expect).await
            }
            _ => Err(Error::InvalidToken(Reason::Malformed)),
        }
    }

    async fn verify_jwt(&self, jwks: &RemoteJwks, token: &str) -> Result<Principal, Error> {
        let inner = &self.inner;
        let jws = decode_jws(token)?;
        let typ = jws.header.get("typ");
        let plain_ok = inner.typ == TypPolicy::AllowPlainJwt;
        match typ {
            Some(Value::String(t)) if is_access_token_typ(t) => {}
            Some(Value::String(t)) if plain_ok && t.eq_ignore_ascii_case("jwt") => {}
            None if plain_ok => {}
            _ => return Err(Error::InvalidToken(Reason::WrongType)),
        }
        // the verifier's allow-list first; each key's own list in verify
        let allowed = jws
            .alg()
            .and_then(|a| a.parse::<Algorithm>().ok())
            .is_some_and(|a| inner.algorithms.contains(&a));
        if !allowed {
            return Err(Error::InvalidToken(Reason::AlgorithmNotAllowed));
        }
        let keys = jwks.keys_for(jws.kid()).await.map_err(from_oauth)?;
        verify_decoded(&jws, keys.keys())?;
        let claims = jws.claims;
        inner.validation.check(&claims, inner.clock.now())?;
        let ours = |a: &Value| {
            a.as_str()
                .is_some_and(|a| inner.audiences.iter().any(|x| x == a))
        };
        let audience_ok = match claims.get("aud") {
            Some(Value::Array(list)) => list.iter().any(ours),
            Some(single) => ours(single),
            None => false,
        };
        if !audience_ok {
            return Err(Error::InvalidToken(Reason::WrongAudience));
        }
        let is_str = |name: &str| claims.get(name).is_some_and(Value::is_string);
        let client_id_claims: &[&str] = if plain_ok {
            &["client_id", "azp"]
        } else {
            &["client_id"]
        };
        if !is_str("sub")
            || !client_id_claims.iter().any(|c| is_str(c))
            || !claims.get("iat").is_some_and(Value::is_number)
        {
            return Err(Error::InvalidToken(Reason::MissingClaim));
        }
        if let Some(replay) = &inner.replay {
            let jti = claims.get("jti").and_then(Value::as_str);
            let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
            replay.first_use(
                &inner.issuer,
                jti,
                exp,
                inner.clock.now(),
                inner.validation.leeway,
            )?;
        }
        Principal::new(claims, TokenKind::Jwt, &inner.audiences, client_id_claims)
    }
}
