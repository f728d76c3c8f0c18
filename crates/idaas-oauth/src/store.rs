//! A token store on disk for CLI and desktop use: one file per
//! [`StoreKey`] (issuer, client id, requested scopes and audiences), mode
//! 0600, replaced atomically, with an advisory lock per file for refreshes
//! shared between processes.

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

/// What stored tokens were issued for: the issuer, the client, and the
/// scopes and audiences (`resource`/`audience` parameters) that were asked
/// for, both sorted and without repeats. Tokens of one issuer are never
/// found under another's key (the seeds shared one row per client id
/// between environments and sent one's refresh token to the other), nor
/// tokens asked for one scope under another.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StoreKey {
    issuer: String,
    client_id: String,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    audiences: Vec<String>,
}

fn normalized<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Vec<String> {
    let mut v: Vec<String> = items
        .into_iter()
        .flat_map(|s| {
            let s: String = s.into();
            s.split_whitespace().map(str::to_owned).collect::<Vec<_>>()
        })
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

impl StoreKey {
    /// The key of `issuer` + `client_id`, with no scopes or audiences yet.
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            client_id: client_id.into(),
            scopes: Vec::new(),
            audiences: Vec::new(),
        }
    }

    /// The requested scopes (space-separated strings are split; order and
    /// repeats do not matter).
    #[must_use]
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.scopes = normalized(scopes);
        self
    }

    /// The requested audiences or resource indicators (order and repeats do
    /// not matter).
    #[must_use]
    pub fn audiences<I: IntoIterator<Item = S>, S: Into<String>>(mut self, audiences: I) -> Self {
        self.audiences = normalized(audiences);
        self
    }

    /// The issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The requested scopes, sorted.
    pub fn requested_scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The requested audiences, sorted.
    pub fn requested_audiences(&self) -> &[String] {
        &self.audiences
    }

    /// The file name of this key: a hash of its unambiguous JSON form.
    fn file_stem(&self) -> String {
        let json = serde_json::to_vec(self).expect("a key of strings serializes");
        digest::digest(&digest::SHA256, &json).as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Tokens kept between runs.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredTokens {
    /// What they were issued for (where they are stored).
    pub key: StoreKey,
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

impl StoredTokens {
    /// The issuer they came from.
    pub fn issuer(&self) -> &str {
        self.key.issuer()
    }

    /// The client they were issued to.
    pub fn client_id(&self) -> &str {
        self.key.client_id()
    }
}

impl std::fmt::Debug for StoredTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredTokens")
            .field("key", &self.key)
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
struct OnDisk {
    #[serde(flatten)]
    key: StoreKey,
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

fn io(path: &Path, action: &'static str, source: std::io::Error) -> Error {
    Error::Io {
        action,
        path: format!("token store {}", path.display()),
        source,
    }
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

    /// The file of one key.
    pub fn path_for(&self, key: &StoreKey) -> PathBuf {
        self.dir.join(format!("{}.json", key.file_stem()))
    }

    /// Saves `tokens`, replacing the previous file atomically (write to a
    /// temporary file with mode 0600, then rename).
    pub fn save(&self, tokens: &StoredTokens) -> Result<(), Error> {
        prepare_dir(&self.dir)?;
        save_file(&self.path_for(&tokens.key), tokens)
    }

    /// The tokens stored under `key`, if any.
    pub fn load(&self, key: &StoreKey) -> Result<Option<StoredTokens>, Error> {
        Ok(load_file(&self.path_for(key))?.filter(|tokens| tokens.key == *key))
    }

    /// Every sign-in stored for `issuer` + `client_id`, whatever its scopes
    /// and audiences, the most recently saved first. Unreadable files are
    /// skipped (with a warning).
    pub fn stored_for(&self, issuer: &str, client_id: &str) -> Result<Vec<StoredTokens>, Error> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&self.dir, "list", e)),
        };
        let mut found = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|x| x != "json") {
                continue;
            }
            match load_file(&path) {
                Ok(Some(tokens))
                    if tokens.issuer() == issuer && tokens.client_id() == client_id =>
                {
                    let saved = entry.metadata().and_then(|m| m.modified()).ok();
                    found.push((saved, tokens));
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "token store: skipping an unreadable file"),
            }
        }
        found.sort_by_key(|(saved, _)| std::cmp::Reverse(*saved));
        Ok(found.into_iter().map(|(_, tokens)| tokens).collect())
    }

    /// Forgets the tokens of one key.
    pub fn clear(&self, key: &StoreKey) -> Result<(), Error> {
        let path = self.path_for(key);
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

/// An exclusive advisory lock on one key's tokens, held by a
/// refresh so that two processes sharing the store never spend the same
/// (rotating) refresh token. Released on drop. Plain reads do not wait.
#[derive(Debug)]
pub struct StoreLock {
    _file: fs::File,
}

impl TokenStore {
    /// Takes the lock of `key`, waiting at most `timeout` for another
    /// holder (another process, or another session of this one).
    pub async fn lock(&self, key: &StoreKey, timeout: Duration) -> Result<StoreLock, Error> {
        prepare_dir(&self.dir)?;
        lock_file(&self.path_for(key), timeout).await
    }
}

/// Takes the advisory lock of the token file at `tokens` (on its sibling
/// `.lock` file; the parent must exist), waiting at most `timeout` for
/// another holder. The one lock of every store file: [`TokenStore::lock`]
/// and the human credential cache use it alike.
pub async fn lock_file(tokens: &Path, timeout: Duration) -> Result<StoreLock, Error> {
    let path = tokens.with_extension("lock");
    let file = open_private(&path).map_err(|e| io(&path, "open", e))?;
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(StoreLock { _file: file }),
            Err(fs::TryLockError::WouldBlock) if started.elapsed() < timeout => {
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            Err(fs::TryLockError::WouldBlock) => {
                return Err(Error::StoreLocked {
                    path: path.display().to_string(),
                    after: timeout,
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(io(&path, "lock", e)),
        }
    }
}

/// Writes `tokens` to `path` atomically with mode 0600 (the parent must exist).
pub fn save_file(path: &Path, tokens: &StoredTokens) -> Result<(), Error> {
    let disk = OnDisk {
        key: tokens.key.clone(),
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

/// Reads the tokens at `path`, whatever their key (the caller checks it).
/// Refuses a file larger than [`MAX_STORE_FILE_BYTES`] or readable by
/// others (it holds tokens; `chmod 600` it).
pub fn load_file(path: &Path) -> Result<Option<StoredTokens>, Error> {
    use std::io::Read;
    let file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(path, "read", e)),
    };
    check_private_file(path, &file)?;
    let mut bytes = Vec::new();
    file.take(MAX_STORE_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io(path, "read", e))?;
    if bytes.len() as u64 > MAX_STORE_FILE_BYTES {
        return Err(Error::Misconfigured(format!(
            "token store: {} is larger than {MAX_STORE_FILE_BYTES} bytes, not a token file; remove it",
            path.display()
        )));
    }
    let disk: OnDisk = serde_json::from_slice(&bytes).map_err(|e| {
        Error::Misconfigured(format!(
            "token store: {} is corrupt ({e}); clear it",
            path.display()
        ))
    })?;
    Ok(Some(StoredTokens {
        key: disk.key,
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

/// The largest token file read: 1 MiB.
pub const MAX_STORE_FILE_BYTES: u64 = 1024 * 1024;

/// Makes sure the store directory exists and is private, as ssh treats
/// `~/.ssh`: directories we create are made 0700 (each level created); a
/// directory that already exists is never chmodded, and is refused if it is
/// group- or world-writable or owned by another user.
#[cfg(unix)]
pub fn prepare_dir(dir: &Path) -> Result<(), Error> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    match fs::metadata(dir) {
        Ok(meta) => {
            let mode = meta.mode() & 0o7777;
            let me = rustix::process::geteuid().as_raw();
            if !meta.is_dir() {
                return Err(Error::Misconfigured(format!(
                    "token store: {} is not a directory; point IDAAS_TOKEN_STORE_DIR at a directory",
                    dir.display()
                )));
            }
            if meta.uid() != me {
                return Err(Error::Misconfigured(format!(
                    "token store: {} is owned by uid {}, not by this user (uid {me}); use a directory of your own (e.g. unset IDAAS_TOKEN_STORE_DIR) or `chown` it",
                    dir.display(),
                    meta.uid()
                )));
            }
            if mode & 0o022 != 0 {
                return Err(Error::Misconfigured(format!(
                    "token store: {} is writable by others (mode {mode:o}); it was left unchanged: run `chmod 700 {}` or use a private directory",
                    dir.display(),
                    dir.display()
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| io(dir, "create", e)),
        Err(e) => Err(io(dir, "inspect", e)),
    }
}

#[cfg(not(unix))]
pub fn prepare_dir(dir: &Path) -> Result<(), Error> {
    fs::create_dir_all(dir).map_err(|e| io(dir, "create", e))
}

/// Refuses a token file others may read.
#[cfg(unix)]
fn check_private_file(path: &Path, file: &fs::File) -> Result<(), Error> {
    use std::os::unix::fs::MetadataExt;
    let mode = file.metadata().map_err(|e| io(path, "inspect", e))?.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::Misconfigured(format!(
            "token store: {} is readable or writable by others (mode {mode:o}); run `chmod 600 {}`",
            path.display(),
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private_file(_: &Path, _: &fs::File) -> Result<(), Error> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn an_existing_shared_dir_is_refused_and_left_unchanged() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let shared = root.path().join("shared");
        fs::create_dir(&shared).unwrap();
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).unwrap();
        let store = TokenStore::new(&shared);
        let tokens = StoredTokens {
            key: StoreKey::new("https://idp", "app"),
            access_token: "at".into(),
            refresh_token: None,
            id_token: None,
            expires_at: None,
            scope: None,
        };
        let err = store.save(&tokens).unwrap_err().to_string();
        assert!(err.contains(&*shared.to_string_lossy()), "{err}");
        assert!(err.contains("chmod 700"), "{err}");
        let mode = fs::metadata(&shared).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o1777, "left unchanged");
        assert_eq!(fs::read_dir(&shared).unwrap().count(), 0, "nothing written");
        // a directory we create is 0700, each level
        let fresh = root.path().join("a/b");
        let store = TokenStore::new(&fresh);
        store.save(&tokens).unwrap();
        for dir in [root.path().join("a"), fresh.clone()] {
            let mode = fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", dir.display());
        }
        // an existing private directory is used as it is
        fs::set_permissions(&fresh, fs::Permissions::from_mode(0o750)).unwrap();
        store.save(&tokens).unwrap();
        let mode = fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o750, "never chmodded");
        // a token file others can read is refused, naming chmod 600
        let path = store.path_for(&tokens.key);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = store.load(&tokens.key).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
        // an oversize one too
        fs::write(&path, vec![b' '; 2 * 1024 * 1024]).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let err = store.load(&tokens.key).unwrap_err().to_string();
        assert!(err.contains("larger than"), "{err}");
    }

    #[tokio::test]
    async fn a_lock_held_elsewhere_times_out_as_store_locked() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("tokens"));
        let app = key("https://idp", "app");
        let held = store.lock(&app, Duration::ZERO).await.unwrap();
        let err = store
            .lock(&app, Duration::from_millis(60))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::StoreLocked { path, after }
                if path.ends_with(".lock") && *after == Duration::from_millis(60)),
            "{err:?}"
        );
        assert!(err.is_retryable());
        let text = err.to_string();
        assert!(
            text.contains("stayed locked for 60ms") && text.contains("retry"),
            "{text}"
        );
        drop(held);
        store.lock(&app, Duration::ZERO).await.unwrap();
    }

    fn key(issuer: &str, client: &str) -> StoreKey {
        StoreKey::new(issuer, client).scopes(["openid", "offline_access"])
    }

    fn tokens(key: StoreKey, at: &str) -> StoredTokens {
        StoredTokens {
            key,
            access_token: at.into(),
            refresh_token: Some("rt".into()),
            id_token: None,
            expires_at: Some(10),
            scope: Some("openid".into()),
        }
    }

    fn access_token(store: &TokenStore, key: &StoreKey) -> Option<String> {
        store
            .load(key)
            .unwrap()
            .map(|t| t.access_token.expose_secret().to_owned())
    }

    #[test]
    fn save_load_replace_clear() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("tokens"));
        let app = key("https://idp", "app");
        let other = key("https://idp", "other");
        assert_eq!(store.load(&app).unwrap(), None);
        store.save(&tokens(app.clone(), "at1")).unwrap();
        store.save(&tokens(other.clone(), "at2")).unwrap();
        store.save(&tokens(app.clone(), "at3")).unwrap();
        assert_eq!(access_token(&store, &app).as_deref(), Some("at3"));
        let files: Vec<_> = fs::read_dir(dir.path().join("tokens")).unwrap().collect();
        assert_eq!(files.len(), 2, "one file per key, no temporary left");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(store.path_for(&app))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{:?}", store.load(&app).unwrap()).contains("at3"));
        store.clear(&app).unwrap();
        assert_eq!(store.load(&app).unwrap(), None);
        assert!(store.load(&other).unwrap().is_some());
        store.clear_all().unwrap();
        assert_eq!(store.load(&other).unwrap(), None);
        let x = key("https://idp", "x");
        fs::write(store.path_for(&x), "not json").unwrap();
        #[cfg(unix)]
        fs::set_permissions(
            store.path_for(&x),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
        assert!(store.load(&x).unwrap_err().to_string().contains("corrupt"));
    }

    // The seeds keyed tokens by client id alone: the same client against
    // production and staging shared one row, and staging's refresh token
    // went to production's token endpoint.
    #[test]
    fn issuer_scopes_and_audiences_are_part_of_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path());
        let prod = StoreKey::new("https://idp", "app").scopes(["openid", "email"]);
        let staging = StoreKey::new("https://idp-staging", "app").scopes(["openid", "email"]);
        let narrow = StoreKey::new("https://idp", "app").scopes(["openid"]);
        let api = prod.clone().audiences(["https://api"]);
        for (k, at) in [(&prod, "p"), (&staging, "s"), (&narrow, "n"), (&api, "a")] {
            store.save(&tokens(k.clone(), at)).unwrap();
        }
        assert_eq!(access_token(&store, &prod).as_deref(), Some("p"));
        assert_eq!(access_token(&store, &staging).as_deref(), Some("s"));
        assert_eq!(access_token(&store, &narrow).as_deref(), Some("n"));
        assert_eq!(access_token(&store, &api).as_deref(), Some("a"));
        // order, repeats and space-joined scopes name the same key
        let same = StoreKey::new("https://idp", "app").scopes(["email openid", "openid"]);
        assert_eq!(same, prod);
        assert_eq!(store.path_for(&same), store.path_for(&prod));
        assert_eq!(prod.requested_scopes(), ["email", "openid"]);
    }

    #[test]
    fn every_sign_in_of_an_issuer_and_client_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path());
        assert!(store.stored_for("https://idp", "app").unwrap().is_empty());
        let old = StoreKey::new("https://idp", "app").scopes(["openid"]);
        let new = old.clone().audiences(["https://api"]);
        store.save(&tokens(old.clone(), "old")).unwrap();
        store
            .save(&tokens(StoreKey::new("https://idp", "other"), "x"))
            .unwrap();
        store
            .save(&tokens(StoreKey::new("https://idp2", "app"), "y"))
            .unwrap();
        store.save(&tokens(new.clone(), "new")).unwrap();
        let file = fs::File::options()
            .write(true)
            .open(store.path_for(&old))
            .unwrap();
        file.set_modified(std::time::SystemTime::UNIX_EPOCH)
            .unwrap();
        fs::write(dir.path().join("junk.json"), "{").unwrap();
        let keys: Vec<_> = store
            .stored_for("https://idp", "app")
            .unwrap()
            .into_iter()
            .map(|t| t.key)
            .collect();
        assert_eq!(keys, [new, old]);
    }

    #[test]
    fn a_file_under_another_keys_name_is_not_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path());
        let a = key("https://idp", "a");
        let b = key("https://idp", "b");
        store.save(&tokens(a.clone(), "at")).unwrap();
        fs::rename(store.path_for(&a), store.path_for(&b)).unwrap();
        assert_eq!(store.load(&b).unwrap(), None);
        let raw = load_file(&store.path_for(&b)).unwrap().unwrap();
        assert_eq!(raw.key, a, "load_file returns what is there");
    }
}
