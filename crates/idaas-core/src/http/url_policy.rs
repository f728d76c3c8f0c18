//! Which URLs the transport will talk to: https anywhere, plain http only to
//! loopback hosts (the emulator and tests) and to the cloud instance-metadata
//! services, which speak nothing else and are reachable only from inside the
//! instance. The reference SDK rewrites every endpoint to https; we keep that
//! guarantee for real networks.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use crate::error::TransportError;

/// Whether `host` is a loopback name or address: `localhost`, `127.0.0.0/8`
/// or `::1` (with or without brackets). Only these exact forms count: a name
/// such as `a.localhost` or `127.0.0.1.` would go through DNS, so it does not.
pub fn is_loopback_host(host: &str) -> bool {
    let host = unbracket(host);
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The instance-metadata service addresses plain http may go to: Alibaba
/// Cloud ECS (`100.100.100.200`), AWS EC2 IMDS (`169.254.169.254` and
/// `fd00:ec2::254`).
const METADATA_ADDRESSES: [IpAddr; 3] = [
    IpAddr::V4(Ipv4Addr::new(100, 100, 100, 200)),
    IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)),
];

/// Whether `host` is a cloud instance-metadata service address, written as
/// an IP literal (with or without brackets): `100.100.100.200` (Alibaba
/// Cloud ECS), `169.254.169.254` or `fd00:ec2::254` (AWS). Names never count.
pub fn is_metadata_host(host: &str) -> bool {
    unbracket(host)
        .parse::<IpAddr>()
        .is_ok_and(|ip| METADATA_ADDRESSES.contains(&ip))
}

fn unbracket(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// Whether plain http may go to `host` as written.
fn plain_http_allowed(host: &str) -> bool {
    is_loopback_host(host) || is_metadata_host(host)
}

/// Parses `url` and checks the transport may use it: `https`, or `http` to a
/// loopback host or an instance-metadata address ([`is_metadata_host`]).
/// Anything else is refused before a connection is made.
///
/// A rejected URL is quoted in the error without its query string, which may
/// carry secrets.
pub fn check_url(url: &str) -> Result<Url, TransportError> {
    let invalid = |reason: String| TransportError::InvalidUrl {
        url: without_query(url).to_owned(),
        reason,
    };
    let parsed = Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    let host = match parsed.host() {
        Some(Host::Domain(d)) => d.to_owned(),
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(ip)) => ip.to_string(),
        None => return Err(invalid("no host".into())),
    };
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if plain_http_allowed(&host) => Ok(parsed),
        "http" => Err(TransportError::InsecureScheme { host }),
        other => Err(invalid(format!("unsupported scheme {other:?}; use https"))),
    }
}

/// [`check_url`], and for plain http the host must also qualify as written
/// (what the connector will resolve), not only after URL normalisation:
/// `http://127.1/`, `http://2130706433/` or `http://127.0.0.1./` are
/// refused. The one rule for endpoints: the configuration, the CLI and the
/// transport all use it. Schemes are case-insensitive (`HTTPS://` is https).
pub fn check_endpoint(url: &str) -> Result<Url, TransportError> {
    let parsed = check_url(url)?;
    if parsed.scheme() == "http" {
        let written = url
            .parse::<http::Uri>()
            .ok()
            .and_then(|uri| uri.host().map(str::to_owned))
            .unwrap_or_default();
        if !plain_http_allowed(&written) {
            return Err(TransportError::InsecureScheme { host: written });
        }
    }
    Ok(parsed)
}

/// [`check_endpoint`] for the URI a request is about to be sent to.
#[cfg(feature = "transport")]
pub(crate) fn check_request_uri(uri: &http::Uri) -> Result<Url, TransportError> {
    check_endpoint(&uri.to_string())
}

/// `url` up to its query or fragment, for error messages.
fn without_query(url: &str) -> &str {
    url.find(['?', '#']).map_or(url, |end| &url[..end])
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
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "example.com",
            "10.0.0.1",
            "128.0.0.1",
            "localhost.example.com",
            "::2",
            "a.localhost",
            "127.0.0.1.",
            "[::1",
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

    #[test]
    fn metadata_hosts_take_plain_http() {
        for host in [
            "100.100.100.200",
            "169.254.169.254",
            "fd00:ec2::254",
            "[fd00:ec2::254]",
        ] {
            assert!(is_metadata_host(host), "{host}");
        }
        for host in [
            "100.100.100.201",
            "169.254.169.253",
            "metadata.google.internal",
            "127.0.0.1",
            "",
        ] {
            assert!(!is_metadata_host(host), "{host}");
        }
        assert!(check_url("http://100.100.100.200/latest/api/token").is_ok());
        assert!(check_url("http://[fd00:ec2::254]/latest/api/token").is_ok());
        assert!(matches!(
            check_url("http://100.100.100.201/"),
            Err(TransportError::InsecureScheme { .. })
        ));
        let uri = "http://169.254.169.254/latest/meta-data"
            .parse::<http::Uri>()
            .unwrap();
        assert!(check_request_uri(&uri).is_ok());
    }

    #[test]
    fn invalid_urls_are_quoted_without_their_query() {
        let err = check_url("https://exa mple.com/token?client_secret=S3CRET#frag").unwrap_err();
        assert!(
            matches!(&err, TransportError::InvalidUrl { url, .. } if url == "https://exa mple.com/token")
        );
        assert!(!err.to_string().contains("S3CRET"), "{err}");
        let err = check_url("ftp://example.com/x?token=S3CRET").unwrap_err();
        assert!(!err.to_string().contains("S3CRET"), "{err}");
    }

    #[test]
    fn one_rule_for_endpoints_and_requests() {
        // schemes are case-insensitive
        assert!(check_endpoint("HTTPS://EXAMPLE.com/token").is_ok());
        assert!(check_endpoint("HTTP://LOCALHOST:8080/").is_ok());
        assert!(check_endpoint("Http://127.0.0.1/").is_ok());
        assert!(matches!(
            check_endpoint("HTTP://EXAMPLE.com/"),
            Err(TransportError::InsecureScheme { .. })
        ));
        // a host that is loopback only after WHATWG normalisation is not
        for written in ["http://2130706433/", "http://0x7f000001/", "http://127.1/"] {
            assert!(
                matches!(
                    check_endpoint(written),
                    Err(TransportError::InsecureScheme { .. })
                ),
                "{written}"
            );
            let uri = written.parse::<http::Uri>().unwrap();
            assert!(check_request_uri(&uri).is_err(), "{written}");
        }
        // https to the same hosts is fine: TLS checks the name
        assert!(check_endpoint("https://2130706433/").is_ok());
        let uri = "HTTPS://example.com/".parse::<http::Uri>().unwrap();
        assert!(check_request_uri(&uri).is_ok());
    }

    #[test]
    fn request_uris_must_be_loopback_as_written() {
        let uri = |s: &str| s.parse::<http::Uri>().unwrap();
        assert!(check_request_uri(&uri("http://127.0.0.1:8080/token?x=1")).is_ok());
        assert!(check_request_uri(&uri("http://[::1]:8080/")).is_ok());
        assert!(check_request_uri(&uri("http://LocalHost/")).is_ok());
        assert!(check_request_uri(&uri("https://example.com/")).is_ok());
        for written in [
            "http://127.1/",
            "http://127.0.0.1./",
            "http://0x7f.0.0.1/",
            "http://example.com/",
        ] {
            assert!(
                matches!(
                    check_request_uri(&uri(written)),
                    Err(TransportError::InsecureScheme { .. })
                ),
                "{written}"
            );
        }
        assert!(matches!(
            check_request_uri(&uri("/relative")),
            Err(TransportError::InvalidUrl { .. })
        ));
    }
}
