//! Where the server may send requests on someone else's say-so (a webhook subscriber's
//! URL, a plugin's request): the checks that keep such a request from pointing the
//! server at its own network (SSRF), pure so every rule is testable without a network.
//! Host names are checked before resolution ([`host_allowed`]) and every address they
//! resolve to after ([`address_allowed`]): a public name can resolve to a private address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether an (ASCII, lower-case) host's last label is numeric — decimal or `0x` hex —
/// which is when URL parsers treat the whole host as an IPv4 address in some form.
pub(crate) fn ends_in_number(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    let last = host.rsplit('.').next().unwrap_or("");
    if last.is_empty() {
        return false;
    }
    if let Some(hex) = last.strip_prefix("0x") {
        return hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    last.bytes().all(|b| b.is_ascii_digit())
}

/// How an address is treated by [`address_allowed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Never a destination, whatever the operator allows.
    Never,
    /// Inside the server's own network: only when the operator allows private targets.
    Internal,
    /// On the public internet.
    Public,
}

/// The AWS/GCP/Azure instance metadata address; it hands out cloud credentials.
const METADATA_V4: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);
/// AWS's IPv6 instance metadata address.
const METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254);

/// Classifies an IPv4 address.
fn reach_v4(ip: Ipv4Addr) -> Reach {
    let [a, b, ..] = ip.octets();
    if ip == METADATA_V4 || a == 0 || ip.is_multicast() {
        // 0.0.0.0/8 is "this network" (0.0.0.0 reaches the local host on Linux);
        // multicast is never an HTTP server.
        Reach::Never
    } else if ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || (a == 100 && (64..128).contains(&b))
        || a >= 240
    {
        // Loopback, RFC 1918, link-local, broadcast, CGNAT 100.64/10, reserved 240/4.
        Reach::Internal
    } else {
        Reach::Public
    }
}

/// Classifies an IPv6 address, judging IPv4 addresses embedded in it as IPv4.
fn reach_v6(ip: Ipv6Addr) -> Reach {
    let s = ip.segments();
    if ip.is_unspecified() || ip == METADATA_V6 || ip.is_multicast() {
        Reach::Never
    } else if ip.is_loopback() {
        Reach::Internal
    } else if let Some(v4) = ip.to_ipv4_mapped() {
        // ::ffff:a.b.c.d
        reach_v4(v4)
    } else if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || s[..6] == [0; 6] {
        // NAT64 64:ff9b::/96 and the deprecated IPv4-compatible ::a.b.c.d.
        let [.., a, b, c, d] = ip.octets();
        reach_v4(Ipv4Addr::new(a, b, c, d))
    } else if (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfe80 || (s[0] & 0xffc0) == 0xfec0 {
        // Unique local fc00::/7, link-local fe80::/10, old site-local fec0::/10.
        Reach::Internal
    } else {
        Reach::Public
    }
}

/// Which destination addresses a webhook or a plugin's request may be sent to. `allow_private` is the
/// operator setting (tests set it to reach loopback receivers).
///
/// Refused unless allowed: loopback (127/8, ::1), private (10/8, 172.16/12,
/// 192.168/16, fc00::/7), link-local (169.254/16, fe80::/10), broadcast, CGNAT
/// 100.64/10, reserved 240/4, and IPv4-mapped (`::ffff:a.b.c.d`), NAT64 and
/// IPv4-compatible IPv6 forms of all of these. The cloud metadata addresses
/// (169.254.169.254, fd00:ec2::254), the unspecified addresses (0.0.0.0/8, ::) and
/// multicast are refused EVEN when `allow_private` is true: nothing legitimate lives there.
pub fn address_allowed(ip: IpAddr, allow_private: bool) -> bool {
    let reach = match ip {
        IpAddr::V4(v4) => reach_v4(v4),
        IpAddr::V6(v6) => reach_v6(v6),
    };
    match reach {
        Reach::Never => false,
        Reach::Internal => allow_private,
        Reach::Public => true,
    }
}

/// Host names refused before any DNS lookup: "localhost" and "*.localhost" (unless
/// `allow_private`, as they are loopback), "metadata.google.internal" (always), IP
/// literals — bracketed or not — that [`address_allowed`] refuses, and numeric hosts
/// that are not a plain dotted quad (`127.1`), which clients read as disguised IPs.
///
/// Case and one trailing dot are ignored. Passing this is not enough: the addresses a
/// name resolves to must each pass [`address_allowed`] too.
pub fn host_allowed(host: &str, allow_private: bool) -> bool {
    let host = host.to_ascii_lowercase();
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner
            .parse::<Ipv6Addr>()
            .is_ok_and(|ip| address_allowed(IpAddr::V6(ip), allow_private));
    }
    let host = host.strip_suffix('.').unwrap_or(&host);
    if host.is_empty() || host == "metadata.google.internal" {
        return false;
    }
    if host == "localhost" || host.ends_with(".localhost") {
        return allow_private;
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return address_allowed(ip, allow_private);
    }
    !ends_in_number(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        // (name, address, allowed without allow_private, allowed with allow_private)
        let cases = [
            ("public v4", "93.184.216.34", true, true),
            ("public v6", "2606:4700::1111", true, true),
            ("loopback", "127.0.0.1", false, true),
            ("loopback range", "127.8.9.10", false, true),
            ("loopback v6", "::1", false, true),
            ("10/8", "10.1.2.3", false, true),
            ("172.16/12 low", "172.16.0.1", false, true),
            ("172.16/12 high", "172.31.255.255", false, true),
            ("just outside 172.16/12", "172.32.0.1", true, true),
            ("192.168/16", "192.168.1.1", false, true),
            ("fc00::/7", "fd12:3456::1", false, true),
            ("fc00::/7 low", "fc00::1", false, true),
            ("link-local", "169.254.1.1", false, true),
            ("link-local v6", "fe80::1", false, true),
            ("broadcast", "255.255.255.255", false, true),
            ("cgnat", "100.64.0.1", false, true),
            ("cgnat high", "100.127.255.255", false, true),
            ("just outside cgnat", "100.128.0.1", true, true),
            ("mapped loopback", "::ffff:127.0.0.1", false, true),
            ("mapped private", "::ffff:10.0.0.1", false, true),
            ("mapped public", "::ffff:93.184.216.34", true, true),
            ("nat64 loopback", "64:ff9b::7f00:1", false, true),
            ("metadata", "169.254.169.254", false, false),
            ("mapped metadata", "::ffff:169.254.169.254", false, false),
            ("aws v6 metadata", "fd00:ec2::254", false, false),
            ("unspecified", "0.0.0.0", false, false),
            ("this network", "0.1.2.3", false, false),
            ("unspecified v6", "::", false, false),
            ("mapped unspecified", "::ffff:0.0.0.0", false, false),
            ("multicast", "224.0.0.1", false, false),
            ("multicast v6", "ff02::1", false, false),
        ];
        for (name, input, strict, lenient) in cases {
            let ip: IpAddr = input.parse().unwrap();
            assert_eq!(
                address_allowed(ip, false),
                strict,
                "{name} ({input}), private refused"
            );
            assert_eq!(
                address_allowed(ip, true),
                lenient,
                "{name} ({input}), private allowed"
            );
        }
    }

    #[test]
    fn hosts() {
        // (name, host, allowed without allow_private, allowed with allow_private)
        let cases = [
            ("public name", "hooks.example.com", true, true),
            ("public ip", "93.184.216.34", true, true),
            ("public ipv6 bracketed", "[2606:4700::1111]", true, true),
            ("localhost", "localhost", false, true),
            ("localhost upper, trailing dot", "LocalHost.", false, true),
            ("sub.localhost", "app.localhost", false, true),
            ("not really localhost", "localhost.example.com", true, true),
            ("gcp metadata", "metadata.google.internal", false, false),
            (
                "gcp metadata trailing dot",
                "Metadata.Google.Internal.",
                false,
                false,
            ),
            ("loopback literal", "127.0.0.1", false, true),
            ("private literal", "192.168.0.10", false, true),
            ("bracketed loopback", "[::1]", false, true),
            (
                "unbracketed mapped loopback",
                "::ffff:127.0.0.1",
                false,
                true,
            ),
            ("metadata literal", "169.254.169.254", false, false),
            ("unspecified literal", "0.0.0.0", false, false),
            ("short ipv4", "127.1", false, false),
            ("decimal ipv4", "2130706433", false, false),
            ("hex ipv4", "0x7f.0.0.1", false, false),
            ("octal ipv4", "0177.0.0.1", false, false),
            ("bad brackets", "[not-ip]", false, false),
            ("empty", "", false, false),
        ];
        for (name, host, strict, lenient) in cases {
            assert_eq!(
                host_allowed(host, false),
                strict,
                "{name} ({host}), private refused"
            );
            assert_eq!(
                host_allowed(host, true),
                lenient,
                "{name} ({host}), private allowed"
            );
        }
    }
}
