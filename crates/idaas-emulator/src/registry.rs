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
        }
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
