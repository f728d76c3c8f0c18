//! The shared entry: a credential as sealed into Redis, and when the fleet
//! considers it due for a refresh.

use std::time::Duration;

use idaas_cache::{JITTER_SHARE, MAX_JITTER, Timing};
use idaas_core::SecretString;
use idaas_core::token::Credential;
use serde::{Deserialize, Serialize};

use crate::key::zeroize_vec;

/// Lifetime assumed for a credential without any expiry (as the providers do).
pub(crate) const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

/// The plaintext inside a sealed entry.
#[derive(Serialize, Deserialize)]
struct Plain {
    access_token: String,
    token_type: String,
    expires_in: u64,
    expires_at: u64,
    received_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    issued_token_type: Option<String>,
}

/// A credential with the two moments the fleet cares about.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub credential: Credential,
    /// When the winner received it (Unix seconds).
    pub received_at: u64,
}

impl Entry {
    /// A credential just received at `now`; one without `expires_at` gets it
    /// from `expires_in`, or [`DEFAULT_LIFETIME`].
    pub(crate) fn received(credential: Credential, now: Duration) -> Self {
        let mut credential = credential.with_expiry_from(now);
        if credential.expires_at.is_none() {
            credential.expires_at = Some(now.as_secs() + DEFAULT_LIFETIME.as_secs());
        }
        Self {
            credential,
            received_at: now.as_secs(),
        }
    }

    fn expires_at(&self) -> Duration {
        Duration::from_secs(self.credential.expires_at.unwrap_or(self.received_at))
    }

    fn lifetime(&self) -> Duration {
        match self.credential.expires_in {
            0 => self
                .expires_at()
                .saturating_sub(Duration::from_secs(self.received_at)),
            s => Duration::from_secs(s),
        }
    }

    /// From here the fleet refreshes: the earliest moment any process's
    /// jittered refresh-ahead can start ([`Timing::for_token`] with the
    /// largest jitter). Before it, every process that asks takes the entry;
    /// from it, a process asking has the entry already and wants a new one.
    pub(crate) fn due_at(&self) -> Duration {
        let lifetime = self.lifetime();
        let widest = (lifetime / JITTER_SHARE).min(MAX_JITTER);
        Timing::for_token_with_jitter(
            Duration::from_secs(self.received_at),
            self.expires_at(),
            lifetime,
            widest,
        )
        .prefetch_at
    }

    /// Whether a process asking at `now` takes this entry.
    pub(crate) fn is_fresh(&self, now: Duration) -> bool {
        now < self.due_at()
    }

    /// How long Redis keeps it: the token's remaining lifetime (`None`: already expired).
    pub(crate) fn time_to_live(&self, now: Duration) -> Option<Duration> {
        let left = self.expires_at().checked_sub(now)?;
        (!left.is_zero()).then_some(left)
    }

    /// The plaintext to seal.
    pub(crate) fn to_plain(&self) -> Vec<u8> {
        let c = &self.credential;
        let plain = Plain {
            access_token: c.access_token.expose_secret().to_owned(),
            token_type: c.token_type.clone(),
            expires_in: c.expires_in,
            expires_at: c.expires_at.unwrap_or(self.received_at),
            received_at: self.received_at,
            scope: c.scope.clone(),
            refresh_token: c
                .refresh_token
                .as_ref()
                .map(|s| s.expose_secret().to_owned()),
            id_token: c.id_token.as_ref().map(|s| s.expose_secret().to_owned()),
            issued_token_type: c.issued_token_type.clone(),
        };
        serde_json::to_vec(&plain).expect("an entry serialises")
    }

    /// The entry in opened plaintext (which is zeroed afterwards).
    pub(crate) fn from_plain(plain: Vec<u8>) -> Option<Self> {
        let parsed = serde_json::from_slice::<Plain>(&plain);
        zeroize_vec(plain);
        let p = parsed.ok()?;
        let mut credential =
            Credential::bearer(SecretString::from(p.access_token), Some(p.expires_at));
        credential.token_type = p.token_type;
        credential.expires_in = p.expires_in;
        credential.scope = p.scope;
        credential.refresh_token = p.refresh_token.map(SecretString::from);
        credential.id_token = p.id_token.map(SecretString::from);
        credential.issued_token_type = p.issued_token_type;
        Some(Self {
            credential,
            received_at: p.received_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn token(expires_in: u64) -> Credential {
        let mut c = Credential::bearer("at", None);
        c.expires_in = expires_in;
        c.refresh_token = Some("rt".into());
        c
    }

    #[test]
    fn due_before_any_process_refreshes() {
        let e = Entry::received(token(3600), S(1_000_000));
        assert_eq!(e.credential.expires_at, Some(1_003_600));
        // a process's prefetch is at expiry − 1/3 − jitter ≤ 5 min: never before due
        assert_eq!(e.due_at(), S(1_003_600 - 1200 - 300));
        for _ in 0..200 {
            let t = Timing::for_token(S(1_000_000), S(1_003_600), S(3600));
            assert!(t.prefetch_at >= e.due_at());
        }
        assert!(e.is_fresh(S(1_000_000)) && !e.is_fresh(e.due_at()));
        assert_eq!(e.time_to_live(S(1_003_000)), Some(S(600)));
        assert_eq!(e.time_to_live(S(1_003_600)), None);
    }

    #[test]
    fn a_short_token_is_due_at_a_little_over_half_its_life() {
        let e = Entry::received(token(6), S(100));
        // 6 − 2 − 0.6 = 3.4 s after receipt
        assert_eq!(e.due_at(), Duration::from_millis(103_400));
    }

    #[test]
    fn without_expiry_the_default_lifetime() {
        let e = Entry::received(token(0), S(10));
        assert_eq!(e.credential.expires_at, Some(10 + 300));
        assert_eq!(e.due_at(), S(310 - 100 - 30));
    }

    #[test]
    fn plaintext_round_trip_keeps_every_field() {
        let mut c = token(60);
        c.scope = Some("api|read".into());
        c.id_token = Some("idt".into());
        c.issued_token_type = Some("urn:x".into());
        let e = Entry::received(c.clone(), S(50));
        let back = Entry::from_plain(e.to_plain()).unwrap();
        assert_eq!(back.credential, c.with_expiry_from(S(50)));
        assert_eq!(back.received_at, 50);
        assert!(Entry::from_plain(b"{}".to_vec()).is_none());
    }
}
