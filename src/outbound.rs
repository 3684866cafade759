//! Requests to other people's servers (webhook endpoints, external feeds, sign-in providers): bounded in time and size, no
//! redirects, no proxy, and no connection to a loopback, private, link-local or otherwise
//! internal address unless the operator allows it (KOTAE_WEBHOOK_ALLOW_PRIVATE). The check
//! sits in the resolver the client connects through, so a name that resolves to a public
//! address when it is saved and to an internal one later (DNS rebinding) is still refused.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use crate::error::{AppError, AppResult};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

pub const URL_MAX: usize = 2000;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const TOTAL_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_RESPONSE_HEADERS: usize = 16 * 1024;

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b) // NAT64 reaches IPv4 space
}

/// Why a URL cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub enum UrlProblem {
    Invalid,
    Private,
    Unresolved,
}

/// Checks a URL someone wants us to call: http or https, a host, no credentials, not too
/// long, and (unless allowed) resolving to public addresses only. Blocking: it resolves.
pub fn check_url(raw: &str, allow_private: bool) -> Result<url::Url, UrlProblem> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > URL_MAX {
        return Err(UrlProblem::Invalid);
    }
    let parsed = url::Url::parse(raw).map_err(|_| UrlProblem::Invalid)?;
    if !matches!(parsed.scheme(), "http" | "https")
        || !parsed.username().is_empty()
        || parsed.password().is_some()
        || parsed.fragment().is_some()
    {
        return Err(UrlProblem::Invalid);
    }
    let addresses = parsed
        .socket_addrs(|| None)
        .map_err(|_| UrlProblem::Unresolved)?;
    if addresses.is_empty() {
        return Err(UrlProblem::Unresolved);
    }
    if !allow_private && !addresses.iter().all(|a| is_public(a.ip())) {
        return Err(UrlProblem::Private);
    }
    Ok(parsed)
}

/// A URL that passed `checked_url`: the only way to a new webhook endpoint or feed.
pub struct CheckedUrl(String);

impl CheckedUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a URL someone saves for us to call, off the async threads (it resolves the host),
/// as a field error a form or the API can show.
pub async fn checked_url(raw: String, allow_private: bool) -> AppResult<CheckedUrl> {
    let checked = tokio::task::spawn_blocking(move || check_url(&raw, allow_private))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    match checked {
        Ok(url) => Ok(CheckedUrl(url.to_string())),
        Err(UrlProblem::Invalid) => Err(AppError::invalid(
            "url",
            "url_invalid",
            "must be an http:// or https:// URL of at most 2,000 characters",
        )),
        Err(UrlProblem::Unresolved) => Err(AppError::invalid(
            "url",
            "url_unresolved",
            "its host name does not resolve",
        )),
        Err(UrlProblem::Private) => Err(AppError::invalid(
            "url",
            "url_private",
            "resolves to a loopback, private or link-local address",
        )),
    }
}

/// Resolves as usual, then drops every address that is not public.
#[derive(Debug)]
struct PublicOnly;

impl Resolver for PublicOnly {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let all = DefaultResolver::default().resolve(uri, config, timeout)?;
        let mut public = self.empty();
        for address in all.iter().filter(|a| is_public(a.ip())) {
            public.push(*address);
        }
        if public.is_empty() {
            return Err(ureq::Error::Io(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "the host resolves to a private address",
            )));
        }
        Ok(public)
    }
}

/// What a server said about a document last time, for a conditional GET.
#[derive(Debug, Clone, Default)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

pub enum Fetched {
    NotModified,
    Body(Vec<u8>, Validators),
}

/// Why a call out got no answer.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CallError(String);

/// A client for calls out; cheap to clone.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
}

impl Client {
    pub fn new(allow_private: bool) -> Client {
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(TOTAL_TIMEOUT))
            .max_redirects(0)
            .http_status_as_error(false)
            .proxy(None)
            .max_response_header_size(MAX_RESPONSE_HEADERS)
            .user_agent("Kotae/1 (webhooks, feeds, sign-in)")
            .build();
        let agent = if allow_private {
            ureq::Agent::with_parts(config, DefaultConnector::new(), DefaultResolver::default())
        } else {
            ureq::Agent::with_parts(config, DefaultConnector::new(), PublicOnly)
        };
        Client { agent }
    }

    /// GETs a feed, conditionally when validators of the last answer are known; at most
    /// `max` bytes of body. Blocking.
    pub fn get_feed(
        &self,
        url: &str,
        validators: &Validators,
        max: u64,
    ) -> Result<Fetched, String> {
        let mut request = self.agent.get(url).header(
            "accept",
            "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.5",
        );
        if let Some(etag) = &validators.etag {
            request = request.header("if-none-match", etag.as_str());
        }
        if let Some(modified) = &validators.last_modified {
            request = request.header("if-modified-since", modified.as_str());
        }
        let response = request.call().map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        if status == 304 {
            return Ok(Fetched::NotModified);
        }
        if !(200..300).contains(&status) {
            return Err(format!("the feed answered {status}"));
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .filter(|v| v.len() <= 200)
                .map(String::from)
        };
        let fresh = Validators {
            etag: header("etag"),
            last_modified: header("last-modified"),
        };
        let body = response
            .into_body()
            .with_config()
            .limit(max)
            .read_to_vec()
            .map_err(|e| e.to_string())?;
        Ok(Fetched::Body(body, fresh))
    }

    /// Sends a prepared request (the OpenID Connect client's) and reads at most `max` bytes
    /// of the answer. Blocking.
    pub fn exchange(
        &self,
        request: ureq::http::Request<Vec<u8>>,
        max: u64,
    ) -> Result<ureq::http::Response<Vec<u8>>, CallError> {
        let response = self
            .agent
            .run(request)
            .map_err(|e| CallError(e.to_string()))?;
        let (parts, body) = response.into_parts();
        let bytes = body
            .into_with_config()
            .limit(max)
            .read_to_vec()
            .map_err(|e| CallError(e.to_string()))?;
        Ok(ureq::http::Response::from_parts(parts, bytes))
    }

    /// POSTs a JSON body; the answer's status code, or why there was none. Blocking.
    pub fn post_json(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: &str,
    ) -> Result<u16, String> {
        let mut request = self
            .agent
            .post(url)
            .header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        let response = request.send(body).map_err(|e| e.to_string())?;
        Ok(response.status().as_u16())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_not_public() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(internal.parse().unwrap()), "{internal}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn urls_are_checked_before_they_are_saved() {
        assert_eq!(
            check_url("http://127.0.0.1:9/x", false),
            Err(UrlProblem::Private)
        );
        assert_eq!(
            check_url("http://[::ffff:192.168.0.1]/", false),
            Err(UrlProblem::Private)
        );
        assert!(check_url("http://127.0.0.1:9/x", true).is_ok());
        for bad in [
            "",
            "ftp://example.com/",
            "javascript:alert(1)",
            "http://user:pw@example.com/",
            "not a url",
        ] {
            assert_eq!(check_url(bad, true), Err(UrlProblem::Invalid), "{bad}");
        }
        let long = format!("http://example.com/{}", "a".repeat(URL_MAX));
        assert_eq!(check_url(&long, true), Err(UrlProblem::Invalid));
    }
}
