//! Finding and reading the configuration file, in the reference SDK's order:
//! explicit path > `CLOUD_IDAAS_CONFIG_PATH` > `~/.cloud_idaas/client-config.json`.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::env::Environment;
use super::error::{ConfigError, ConfigOrigin};

/// The environment variable naming the configuration file.
pub const CONFIG_PATH_ENV: &str = "CLOUD_IDAAS_CONFIG_PATH";

/// The default location, relative to the home directory.
pub const DEFAULT_RELATIVE_PATH: &str = ".cloud_idaas/client-config.json";

/// The largest configuration file read (1 MiB); anything bigger is a mistake.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The path to load and where it came from.
pub fn resolve_path(
    explicit: Option<&Path>,
    env: &dyn Environment,
) -> Result<(PathBuf, ConfigOrigin), ConfigError> {
    if let Some(path) = explicit.filter(|p| !p.as_os_str().is_empty()) {
        return Ok((expand_home(path, env), ConfigOrigin::Explicit));
    }
    if let Some(value) = env.non_blank(CONFIG_PATH_ENV) {
        return Ok((
            expand_home(Path::new(value.trim()), env),
            ConfigOrigin::EnvVar,
        ));
    }
    let home = home_dir(env).ok_or_else(|| ConfigError::NotFound {
        path: PathBuf::from("~").join(DEFAULT_RELATIVE_PATH),
        origin: ConfigOrigin::Default,
    })?;
    Ok((home.join(DEFAULT_RELATIVE_PATH), ConfigOrigin::Default))
}

fn home_dir(env: &dyn Environment) -> Option<PathBuf> {
    env.non_blank("HOME")
        .or_else(|| env.non_blank("USERPROFILE"))
        .map(PathBuf::from)
}

/// Expands a leading `~` to the home directory.
fn expand_home(path: &Path, env: &dyn Environment) -> PathBuf {
    let Ok(rest) = path.strip_prefix("~") else {
        return path.to_owned();
    };
    match home_dir(env) {
        Some(home) => home.join(rest),
        None => path.to_owned(),
    }
}

/// Reads the file as UTF-8 text, refusing anything over [`MAX_CONFIG_BYTES`].
pub(super) fn read_file(path: &Path, origin: ConfigOrigin) -> Result<String, ConfigError> {
    let unreadable = |e: std::io::Error| ConfigError::Unreadable {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ConfigError::NotFound {
                path: path.to_owned(),
                origin,
            });
        }
        Err(e) => return Err(unreadable(e)),
    };
    let meta = file.metadata().map_err(unreadable)?;
    if meta.is_dir() {
        return Err(ConfigError::Unreadable {
            path: path.to_owned(),
            reason: "is a directory, not a file".into(),
        });
    }
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(ConfigError::TooLarge {
            path: path.to_owned(),
            size: meta.len(),
            limit: MAX_CONFIG_BYTES,
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(ConfigError::TooLarge {
            path: path.to_owned(),
            size: bytes.len() as u64,
            limit: MAX_CONFIG_BYTES,
        });
    }
    String::from_utf8(bytes).map_err(|e| ConfigError::Syntax {
        path: Some(path.to_owned()),
        reason: format!(
            "is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })
}
