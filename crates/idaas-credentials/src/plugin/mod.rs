//! `PLUGIN`: custom credential providers registered by name, and the
//! Alibaba Cloud OpenAPI plugin.

mod alibaba;

pub use alibaba::{
    ALIBABA_PLUGIN_NAME, AccessKey, AlibabaCloudPlugin, GENERATE_OAUTH_TOKEN, acs3_authorization,
};

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use idaas_core::config::{ClientConfig, ScopeSpec};
use idaas_core::token::Credential;

use crate::error::Error;

/// A custom source of tokens, selected by `authnConfiguration.pluginName`.
#[async_trait]
pub trait CredentialPlugin: Send + Sync + Debug {
    /// A token for `scope`, with the client's configuration at hand.
    async fn fetch(&self, config: &ClientConfig, scope: &ScopeSpec) -> Result<Credential, Error>;
}

/// Plugins by name. Clones share the registrations.
#[derive(Debug, Clone, Default)]
pub struct PluginRegistry {
    plugins: Arc<RwLock<HashMap<String, Arc<dyn CredentialPlugin>>>>,
}

impl PluginRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `plugin` under `name` (replacing an earlier one).
    pub fn register(&self, name: impl Into<String>, plugin: Arc<dyn CredentialPlugin>) {
        self.plugins
            .write()
            .expect("plugin registry lock")
            .insert(name.into(), plugin);
    }

    /// The plugin called `name`.
    pub fn get(&self, name: &str) -> Result<Arc<dyn CredentialPlugin>, Error> {
        let plugins = self.plugins.read().expect("plugin registry lock");
        plugins.get(name).cloned().ok_or_else(|| {
            let mut known: Vec<&str> = plugins.keys().map(String::as_str).collect();
            known.sort();
            Error::Unsupported(format!(
                "authnConfiguration.pluginName: no plugin {name:?} is registered (registered: {})",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ))
        })
    }
}
