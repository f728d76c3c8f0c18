//! Who the emulator knows: clients, their credentials and federated
//! credentials, and the keys that vouch for them.

use idaas_core::SecretString;
use idaas_oauth::jose::VerifyingKey;

/// A federated credential of a client (`application_federated_credential_name`).
#[derive(Debug, Clone)]
pub enum FederatedCredential {
    /// `OIDC`: an ID token from `issuer`, signed by one of `keys`, whose
    /// `aud` contains `audience`.
    Oidc {
        /// The credential's name.
        name: String,
        /// The trusted issuer.
        issuer: String,
        /// The issuer's public keys.
        keys: Vec<VerifyingKey>,
        /// The audience the token must carry.
        audience: String,
    },
    /// `PCA`: the client presents its certificate (`client_x509`) and the
    /// intermediates (`client_x509_chain`); the certificate must chain to
    /// `ca_certificate_pem` and be valid now, and the assertion must be
    /// signed by its key (see [`crate::PrivateCa`]).
    Pca {
        /// The credential's name.
        name: String,
        /// The private CA the client's certificate must chain to, PEM.
        ca_certificate_pem: String,
    },
    /// `PKCS7`: an attested instance document — PKCS#7 SignedData signed
    /// by the key of `signer_certificate_pem` (the cloud's; see
    /// [`crate::CloudSigner`]), whose identity names `audience` (the IDaaS
    /// instance id) and was signed within five minutes.
    Pkcs7 {
        /// The credential's name.
        name: String,
        /// The cloud's signing certificate, PEM.
        signer_certificate_pem: String,
        /// The `aud` the document must carry.
        audience: String,
    },
}

impl FederatedCredential {
    /// The credential's name.
    pub fn name(&self) -> &str {
        match self {
            Self::Oidc { name, .. } | Self::Pca { name, .. } | Self::Pkcs7 { name, .. } => name,
        }
    }
}

/// A registered client.
#[derive(Debug, Clone)]
pub struct Client {
    /// `client_id`.
    pub id: String,
    /// Its secret (client_secret_basic/post/jwt).
    pub secret: Option<SecretString>,
    /// Its public key (private_key_jwt).
    pub public_key: Option<VerifyingKey>,
    /// Its federated credentials.
    pub federated: Vec<FederatedCredential>,
    /// Issuers whose jwt-bearer assertions (RFC 7523 §2.1) this client may
    /// present as an authorization grant, with their public keys.
    pub assertion_issuers: Vec<(String, Vec<VerifyingKey>)>,
    /// Its redirect URIs (authorization code flow). A loopback one
    /// (`http://127.0.0.1/…`, `http://[::1]/…`) matches any port (RFC 8252 §7.3).
    pub redirect_uris: Vec<String>,
}

impl Client {
    /// A client with nothing registered yet.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            secret: None,
            public_key: None,
            federated: Vec::new(),
            assertion_issuers: Vec::new(),
            redirect_uris: Vec::new(),
        }
    }

    /// Registers a redirect URI for the authorization code flow (a
    /// loopback IP literal one matches any port: a native app, RFC 8252).
    pub fn with_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uris.push(uri.into());
        self
    }

    /// Whether `given` is one of its redirect URIs: exactly, or a loopback
    /// one on another port (RFC 8252 §7.3: the port is the app's choice).
    pub fn allows_redirect(&self, given: &str) -> bool {
        self.redirect_uris
            .iter()
            .any(|registered| redirect_matches(registered, given))
    }

    /// Registers a secret.
    pub fn with_secret(mut self, secret: impl Into<SecretString>) -> Self {
        self.secret = Some(secret.into());
        self
    }

    /// Registers a public key for `private_key_jwt`.
    pub fn with_public_key(mut self, key: VerifyingKey) -> Self {
        self.public_key = Some(key);
        self
    }

    /// Trusts jwt-bearer authorization grants (RFC 7523 §2.1) whose
    /// assertion is issued by `issuer` and signed by one of `keys` (e.g. a
    /// baikal-sdk user grant signed with the keys of a `KeyDirectory`).
    pub fn trusting_assertions_from(
        mut self,
        issuer: impl Into<String>,
        keys: Vec<VerifyingKey>,
    ) -> Self {
        self.assertion_issuers.push((issuer.into(), keys));
        self
    }

    /// Registers a federated credential.
    pub fn with_federated(mut self, credential: FederatedCredential) -> Self {
        self.federated.push(credential);
        self
    }
}

/// A person who can sign in on the login page (authorization code flow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// `sub`, and what the person enters on the login page.
    pub sub: String,
    /// `name` (scope `profile`).
    pub name: Option<String>,
    /// `email` (scope `email`; `email_verified` true).
    pub email: Option<String>,
}

impl User {
    /// A user known by `sub` alone.
    pub fn new(sub: impl Into<String>) -> Self {
        Self {
            sub: sub.into(),
            name: None,
            email: None,
        }
    }

    /// Their display name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Their email address.
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// The claims about them the `scope` allows (ID token and userinfo):
    /// `sub` always, `name` with `profile`, `email` and `email_verified`
    /// with `email`.
    pub(crate) fn claims(&self, scope: &str) -> serde_json::Map<String, serde_json::Value> {
        let has = |s: &str| scope.split_whitespace().any(|x| x == s);
        let mut claims = serde_json::Map::new();
        claims.insert("sub".into(), self.sub.clone().into());
        if has("profile")
            && let Some(name) = &self.name
        {
            claims.insert("name".into(), name.clone().into());
        }
        if has("email")
            && let Some(email) = &self.email
        {
            claims.insert("email".into(), email.clone().into());
            claims.insert("email_verified".into(), true.into());
        }
        claims
    }
}

/// Exact match, or both `http` on the same loopback IP literal with the same
/// path and query, any port.
fn redirect_matches(registered: &str, given: &str) -> bool {
    if registered == given {
        return true;
    }
    let (Ok(r), Ok(g)) = (url::Url::parse(registered), url::Url::parse(given)) else {
        return false;
    };
    let loopback_ip = |u: &url::Url| match u.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    };
    r.scheme() == "http"
        && g.scheme() == "http"
        && loopback_ip(&r)
        && r.host() == g.host()
        && r.path() == g.path()
        && r.query() == g.query()
        && g.fragment().is_none()
        && g.username().is_empty()
        && g.password().is_none()
}

#[cfg(test)]
mod tests {
    use super::Client;

    #[test]
    fn loopback_redirects_match_any_port_and_nothing_else() {
        let client = Client::new("native")
            .with_redirect_uri("http://127.0.0.1/callback")
            .with_redirect_uri("https://app.example.com/cb");
        for ok in [
            "http://127.0.0.1/callback",
            "http://127.0.0.1:49152/callback",
            "https://app.example.com/cb",
        ] {
            assert!(client.allows_redirect(ok), "{ok}");
        }
        for refused in [
            "http://127.0.0.1:49152/other",
            "http://localhost:49152/callback",
            "http://[::1]:49152/callback",
            "https://127.0.0.1:49152/callback",
            "http://127.0.0.1:49152/callback?x=1",
            "http://u@127.0.0.1:49152/callback",
            "https://app.example.com:8443/cb",
            "https://app.example.com/cb/x",
            "http://127.0.0.1.evil.example/callback",
        ] {
            assert!(!client.allows_redirect(refused), "{refused}");
        }
    }
}
