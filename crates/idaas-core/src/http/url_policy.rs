//! Which URLs the transport will talk to: https anywhere, plain http only to
//! loopback hosts (the emulator and tests). The reference SDK rewrites every
//! endpoint to https; we keep that guarantee for real networks.

use std::net::IpAddr;

use url::{Host, Url};

use crate::error::TransportError;

/// Whether `host` is a loopback name or address: `localhost`, `127.0.0.0/8`,
/// `::1` (with or without brackets).
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether `host` is a cloud instance metadata service, which only speaks
/// plain http on a link-local or provider-internal address: AWS
/// `169.254.169.254` (and `fd00:ec2::254`), Alibaba Cloud `100.100.100.200`.
pub fn is_metadata_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    matches!(
        host,
        "169.254.169.254" | "100.100.100.200" | "fd00:ec2::254"
    )
}

/// Parses `url` and checks the transport may use it: `https`, or `http` to a
/// loopback host or a cloud metadata service. Anything else is refused
/// before a connection is made.
pub fn check_url(url: &str) -> Result<Url, TransportError> {
    let parsed = Url::parse(url).map_err(|e| TransportError::InvalidUrl {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    let host = match parsed.host() {
        Some(Host::Domain(d)) => d.to_owned(),
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(ip)) => ip.to_string(),
        None => {
            return Err(TransportError::InvalidUrl {
                url: url.to_owned(),
                reason: "no host".into(),
            });
        }
    };
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback_host(&host) || is_metadata_host(&host) => Ok(parsed),
        "http" => Err(TransportError::InsecureScheme { host }),
        other => Err(TransportError::InvalidUrl {
            url: url.to_owned(),
            reason: format!("unsupported scheme {other:?}; use https"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.8.9.10",
            "::1",
            "[::1]",
            "a.localhost",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "example.com",
            "10.0.0.1",
            "128.0.0.1",
            "localhost.example.com",
            "::2",
            "",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn https_anywhere_http_only_to_loopback() {
        assert!(check_url("https://example.com/token").is_ok());
        assert!(check_url("http://127.0.0.1:8080/token").is_ok());
        assert!(check_url("http://[::1]:8080/").is_ok());
        assert!(check_url("http://localhost/").is_ok());
        assert!(matches!(
            check_url("http://example.com/token"),
            Err(TransportError::InsecureScheme { host }) if host == "example.com"
        ));
        assert!(matches!(
            check_url("ftp://example.com/"),
            Err(TransportError::InvalidUrl { .. })
        ));
        assert!(matches!(
            check_url("not a url"),
            Err(TransportError::InvalidUrl { .. })
        ));
    }
}
