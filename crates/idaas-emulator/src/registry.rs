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
    /// `PCA`: an assertion signed by the key of `certificate_pem`, which the
    /// client must present verbatim as `client_x509`.
    Pca {
        /// The credential's name.
        name: String,
        /// The leaf certificate PEM the client presents.
        certificate_pem: String,
        /// The certificate's public key.
        key: VerifyingKey,
    },
    /// `PKCS7`: attested documents accepted as issued by the cloud's signer.
    /// The emulator compares documents; it does not parse PKCS#7.
    Pkcs7 {
        /// The credential's name.
        name: String,
        /// The documents accepted.
        documents: Vec<String>,
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
}

impl Client {
    /// A client with nothing registered yet.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            secret: None,
            public_key: None,
            federated: Vec::new(),
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

    /// Registers a federated credential.
    pub fn with_federated(mut self, credential: FederatedCredential) -> Self {
        self.federated.push(credential);
        self
    }
}
