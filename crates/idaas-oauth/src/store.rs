//! A token store on disk for CLI and desktop use: one file per issuer and
//! client id, mode 0600, replaced atomically, with an advisory lock per
//! file for refreshes shared between processes.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use idaas_core::SecretString;
use ring::digest;
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The environment variable that moves the store.
pub const TOKEN_STORE_DIR_ENV: &str = "IDAAS_TOKEN_STORE_DIR";

/// Tokens kept between runs.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredTokens {
    /// The issuer they came from.
    pub issuer: String,
    /// The client they were issued to.
    pub client_id: String,
    /// The access token.
    pub access_token: SecretString,
    /// The refresh token.
    pub refresh_token: Option<SecretString>,
    /// The ID token.
    pub id_token: Option<SecretString>,
    /// Expiry of the access token, Unix seconds.
    pub expires_at: Option<u64>,
    /// Granted scope.
    pub scope: Option<String>,
}

impl std::fmt::Debug for StoredTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredTokens")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
struct OnDisk {
    issuer: String,
    client_id: String,
    access_token: String,
    refresh_token: Option<String>,
    id_token: Option<String>,
    expires_at: Option<u64>,
    scope: Option<String>,
}

/// A directory of token files.
#[derive(Debug, Clone)]
pub struct TokenStore {
    dir: PathBuf,
}

fn io(path: &Path, what: &str, e: std::io::Error) -> Error {
    Error::Misconfigured(format!(
        "token store: cannot {what} {}: {e}",
        path.display()
    ))
}

impl TokenStore {
    /// The store in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// `$IDAAS_TOKEN_STORE_DIR`, else `~/.cloud_idaas/tokens`.
    pub fn default_location() -> Result<Self, Error> {
        if let Some(dir) = std::env::var_os(TOKEN_STORE_DIR_ENV).filter(|d| !d.is_empty()) {
            return Ok(Self::new(dir));
        }
        let home = std::env::var_os("HOME")
            .or_else(|| std::env::var_os("USERPROFILE"))
            .ok_or_else(|| {
                Error::Misconfigured(format!(
                    "token store: no home directory; set {TOKEN_STORE_DIR_ENV}"
                ))
            })?;
        Ok(Self::new(
            PathBuf::from(home).join(".cloud_idaas").join("tokens"),
        ))
    }

    /// The file of one issuer + client id.
    pub fn path_for(&self, issuer: &str, client_id: &str) -> PathBuf {
        let key = digest::digest(&digest::SHA256, format!("{issuer}\n{client_id}").as_bytes());
        let name: String = key.as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.dir.join(format!("{name}.json"))
    }

    /// Saves `tokens`, replacing the previous file atomically (write to a
    /// temporary file with mode 0600, then rename).
    pub fn save(&self, tokens: &StoredTokens) -> Result<(), Error> {
        fs::create_dir_all(&self.dir).map_err(|e| io(&self.dir, "create", e))?;
        restrict_dir(&self.dir);
        save_file(&self.path_for(&tokens.issuer, &tokens.client_id), tokens)
    }

    /// The tokens of `issuer` + `client_id`, if stored.
    pub fn load(&self, issuer: &str, client_id: &str) -> Result<Option<StoredTokens>, Error> {
        load_file(&self.path_for(issuer, client_id), issuer, client_id)
    }

    /// Forgets one issuer + client id.
    pub fn clear(&self, issuer: &str, client_id: &str) -> Result<(), Error> {
        let path = self.path_for(issuer, client_id);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&path, "remove", e)),
            _ => Ok(()),
        }
    }

    /// Forgets everything in the store.
    pub fn clear_all(&self) -> Result<(), Error> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io(&self.dir, "list", e)),
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|x| x == "json") {
                fs::remove_file(&path).map_err(|e| io(&path, "remove", e))?;
            }
        }
        Ok(())
    }
}

/// An exclusive advisory lock on one issuer + client's tokens, held by a
/// refresh so that two processes sharing the store never spend the same
/// (rotating) refresh token. Released on drop. Plain reads do not wait.
#[derive(Debug)]
pub struct StoreLock {
    _file: fs::File,
}

impl TokenStore {
    /// Takes the lock of `issuer` + `client_id`, waiting at most `timeout`
    /// for another holder (another process, or another session of this one).
    pub async fn lock(
        &self,
        issuer: &str,
        client_id: &str,
        timeout: Duration,
    ) -> Result<StoreLock, Error> {
        fs::create_dir_all(&self.dir).map_err(|e| io(&self.dir, "create", e))?;
        restrict_dir(&self.dir);
        let path = self.path_for(issuer, client_id).with_extension("lock");
        let file = open_private(&path).map_err(|e| io(&path, "open", e))?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(StoreLock { _file: file }),
                Err(fs::TryLockError::WouldBlock) if started.elapsed() < timeout => {
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(Error::Timeout(format!(
                        "token store: {} stayed locked for {timeout:?} (a refresh in another process is stuck?); retry, or remove the file if no idaas process runs",
                        path.display()
                    )));
                }
                Err(fs::TryLockError::Error(e)) => return Err(io(&path, "lock", e)),
            }
        }
    }
}

/// Writes `tokens` to `path` atomically with mode 0600 (the parent must exist).
pub fn save_file(path: &Path, tokens: &StoredTokens) -> Result<(), Error> {
    let disk = OnDisk {
        issuer: tokens.issuer.clone(),
        client_id: tokens.client_id.clone(),
        access_token: tokens.access_token.expose_secret().to_owned(),
        refresh_token: tokens
            .refresh_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned()),
        id_token: tokens
            .id_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned()),
        expires_at: tokens.expires_at,
        scope: tokens.scope.clone(),
    };
    let json = serde_json::to_vec_pretty(&disk).map_err(|e| Error::Misconfigured(e.to_string()))?;
    let tmp = path.with_extension(format!("tmp-{}", crate::authorize::random_token(6)));
    let mut file = create_private(&tmp).map_err(|e| io(&tmp, "create", e))?;
    file.write_all(&json)
        .and_then(|()| file.sync_all())
        .map_err(|e| io(&tmp, "write", e))?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io(path, "replace", e)
    })
}

/// Reads the tokens at `path` if they belong to `issuer` + `client_id`.
pub fn load_file(
    path: &Path,
    issuer: &str,
    client_id: &str,
) -> Result<Option<StoredTokens>, Error> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(path, "read", e)),
    };
    let disk: OnDisk = serde_json::from_slice(&bytes).map_err(|e| {
        Error::Misconfigured(format!(
            "token store: {} is corrupt ({e}); clear it",
            path.display()
        ))
    })?;
    if disk.issuer != issuer || disk.client_id != client_id {
        return Ok(None);
    }
    Ok(Some(StoredTokens {
        issuer: disk.issuer,
        client_id: disk.client_id,
        access_token: disk.access_token.into(),
        refresh_token: disk.refresh_token.map(Into::into),
        id_token: disk.id_token.map(Into::into),
        expires_at: disk.expires_at,
        scope: disk.scope,
    }))
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(unix)]
fn open_private(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(unix)]
fn restrict_dir(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
}

#[cfg(not(unix))]
fn restrict_dir(_: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(issuer: &str, client: &str, at: &str) -> StoredTokens {
        StoredTokens {
            issuer: issuer.into(),
            client_id: client.into(),
            access_token: at.into(),
            refresh_token: Some("rt".into()),
            id_token: None,
            expires_at: Some(10),
            scope: Some("openid".into()),
        }
    }

    #[test]
    fn save_load_replace_clear() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("tokens"));
        assert_eq!(store.load("https://idp", "app").unwrap(), None);
        store.save(&tokens("https://idp", "app", "at1")).unwrap();
        store.save(&tokens("https://idp", "other", "at2")).unwrap();
        store.save(&tokens("https://idp", "app", "at3")).unwrap();
        assert_eq!(
            store
                .load("https://idp", "app")
                .unwrap()
                .unwrap()
                .access_token
                .expose_secret(),
            "at3"
        );
        let files: Vec<_> = fs::read_dir(dir.path().join("tokens")).unwrap().collect();
        assert_eq!(
            files.len(),
            2,
            "one file per issuer + client, no temporary left"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(store.path_for("https://idp", "app"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{:?}", store.load("https://idp", "app").unwrap()).contains("at3"));
        store.clear("https://idp", "app").unwrap();
        assert_eq!(store.load("https://idp", "app").unwrap(), None);
        assert!(store.load("https://idp", "other").unwrap().is_some());
        store.clear_all().unwrap();
        assert_eq!(store.load("https://idp", "other").unwrap(), None);
        fs::write(store.path_for("https://idp", "x"), "not json").unwrap();
        assert!(
            store
                .load("https://idp", "x")
                .unwrap_err()
                .to_string()
                .contains("corrupt")
        );
    }
}
