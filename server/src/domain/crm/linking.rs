//! Linking a booking's attendees to the customers a CSM looks after.
//!
//! An attendee is recognised first as a known stakeholder (their exact address
//! is on file), otherwise by the company domain in their address: a new person
//! from `acme.com` is still Acme, and that is what makes a customer's meeting
//! history complete without a CSM typing in every attendee. Free-mail domains
//! never identify a company, so they never link by domain. A CSM can always
//! link by hand, and a manual link beats whatever was guessed.
//!
//! Addresses and domains compare case-insensitively, as mail systems do in
//! practice; every link carries the attendee's address lower-cased and trimmed,
//! so it can be used as a key.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::domain::ids::{CustomerId, StakeholderId};

/// How an attendee was tied to a customer; stored with the link so a CSM can
/// tell a certain match (email, manual) from an inferred one (domain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchedBy {
    /// The attendee's address is a known stakeholder's address.
    Email,
    /// The attendee's address is at one of the customer's domains (or a subdomain).
    Domain,
    /// A CSM linked the booking by hand.
    Manual,
}

impl MatchedBy {
    /// The lower-case word used in storage and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchedBy::Email => "email",
            MatchedBy::Domain => "domain",
            MatchedBy::Manual => "manual",
        }
    }

    /// Parses the stored word; `None` for anything else.
    pub fn parse(s: &str) -> Option<MatchedBy> {
        [Self::Email, Self::Domain, Self::Manual]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// A stakeholder as linking needs it: who, at which customer, reached where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownStakeholder {
    /// The stakeholder.
    pub id: StakeholderId,
    /// The customer they belong to.
    pub customer_id: CustomerId,
    /// Their address, in any case.
    pub email: String,
}

/// A customer as linking needs it: the domains its people write from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownCustomer {
    /// The customer.
    pub id: CustomerId,
    /// Its domains (`acme.com`); normalized here with [`normalize_domain`], so
    /// stored values in another case or with `www.` still match. Entries that
    /// do not normalize, and free-mail domains, are ignored.
    pub domains: Vec<String>,
}

/// One attendee of a booking tied to one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The customer the attendee belongs to.
    pub customer_id: CustomerId,
    /// The stakeholder, when the attendee is a known one.
    pub stakeholder_id: Option<StakeholderId>,
    /// The attendee's address; lower-cased and trimmed in automatic links.
    pub attendee_email: String,
    /// How the link was made.
    pub matched_by: MatchedBy,
}

/// Free-mail providers whose exact domain is listed.
const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "passport.com",
    "yahoo.com",
    "ymail.com",
    "rocketmail.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "aim.com",
    "proton.me",
    "protonmail.com",
    "protonmail.ch",
    "pm.me",
    "tutanota.com",
    "tutanota.de",
    "tuta.io",
    "gmx.de",
    "gmx.net",
    "gmx.com",
    "web.de",
    "t-online.de",
    "freenet.de",
    "mail.com",
    "email.com",
    "yandex.ru",
    "yandex.com",
    "ya.ru",
    "mail.ru",
    "bk.ru",
    "inbox.ru",
    "list.ru",
    "rambler.ru",
    "zoho.com",
    "zohomail.com",
    "fastmail.com",
    "fastmail.fm",
    "hey.com",
    "duck.com",
    "qq.com",
    "163.com",
    "126.com",
    "yeah.net",
    "sina.com",
    "naver.com",
    "daum.net",
    "hanmail.net",
    "orange.fr",
    "wanadoo.fr",
    "free.fr",
    "laposte.net",
    "sfr.fr",
    "libero.it",
    "virgilio.it",
    "btinternet.com",
    "comcast.net",
    "verizon.net",
    "att.net",
    "sbcglobal.net",
    "cox.net",
    "rediffmail.com",
    "seznam.cz",
    "wp.pl",
    "o2.pl",
    "interia.pl",
    "onet.pl",
];

/// Providers that run the same free service under many country domains
/// (`yahoo.co.uk`, `hotmail.fr`, `outlook.de`, `gmx.at`, …); see [`is_regional`].
const FREE_MAIL_FAMILIES: &[&str] = &[
    "yahoo", "ymail", "hotmail", "outlook", "live", "gmx", "yandex",
];

/// Whether `domain` belongs to a free-mail provider, in any case. An address
/// there says nothing about the company its owner works for, so such domains
/// never link a booking to a customer by domain.
///
/// Besides a list of exact domains, a family name followed by a country suffix
/// (`yahoo.co.uk`, `yahoo.com.br`, `hotmail.fr`) counts; a family name inside a
/// company's domain (`outlook.acme.com`) does not.
pub fn is_free_mail(domain: &str) -> bool {
    let domain = domain.trim().trim_end_matches('.').to_lowercase();
    if FREE_MAIL.contains(&domain.as_str()) {
        return true;
    }
    domain
        .split_once('.')
        .is_some_and(|(family, suffix)| FREE_MAIL_FAMILIES.contains(&family) && is_regional(suffix))
}

/// A country-style suffix: `com`, `net`, a two-letter country code, or
/// `co.`/`com.` before one (`co.uk`, `com.br`).
fn is_regional(suffix: &str) -> bool {
    let country = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_lowercase());
    match suffix.split_once('.') {
        None => suffix == "com" || suffix == "net" || country(suffix),
        Some((second, cc)) => (second == "co" || second == "com") && country(cc),
    }
}

/// The canonical form of a domain a CSM typed or pasted: lower-cased, with
/// surrounding whitespace, a leading `@`, a URL's scheme, port, path, query
/// and fragment, a leading `www.` and a trailing root dot removed:
/// `" Acme.COM"`, `"@acme.com"` and `"https://www.acme.com/pricing"` all give
/// `acme.com`. `None` for anything that is not a plausible host name: empty,
/// without a dot, with spaces or characters outside letters, digits, `-` and
/// `.` (internationalized names must be given in their `xn--` form), with an
/// empty or over-long label, or an all-numeric last label (an IP address).
pub fn normalize_domain(input: &str) -> Option<String> {
    let mut rest = input.trim();
    if let Some((scheme, after)) = rest.split_once("://") {
        if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphabetic()) {
            return None;
        }
        rest = after;
    }
    let rest = rest.strip_prefix('@').unwrap_or(rest);
    let mut host = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    if let Some((name, port)) = host.rsplit_once(':')
        && !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
    {
        host = name;
    }
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    let host = match host.strip_prefix("www.") {
        Some(bare) if bare.contains('.') => bare.to_owned(),
        _ => host,
    };
    is_host_name(&host).then_some(host)
}

/// At least two dot-separated labels of 1–63 ASCII letters, digits and inner
/// hyphens, 253 characters at most, and a last label that is not all digits.
fn is_host_name(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |l: &&str| {
        (1..=63).contains(&l.len())
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    host.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(label_ok)
        && labels
            .last()
            .is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_alphabetic()))
}

/// The lower-cased part of an address after its last `@` (`Jane@Acme.COM` →
/// `acme.com`); `None` without an `@` or with nothing after it.
pub fn domain_of(email: &str) -> Option<String> {
    let (_, domain) = email.trim().rsplit_once('@')?;
    (!domain.is_empty()).then(|| domain.to_lowercase())
}

/// The form addresses are compared and stored in.
fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Ties each attendee of a booking to the customers they belong to.
///
/// For each distinct attendee address (compared case-insensitively, in the
/// order given):
/// 1. if it is a known stakeholder's address, one [`MatchedBy::Email`] link per
///    customer that has such a stakeholder (a consultant may be a stakeholder
///    at two customers), naming that customer's stakeholder with the lowest id;
/// 2. otherwise, if its domain is one of a customer's domains or a subdomain
///    of one (`eu.acme.com` is Acme's), one [`MatchedBy::Domain`] link without
///    a stakeholder. When several customers claim it, the longest (most
///    specific) claimed domain wins, then the lowest customer id, so the
///    answer never depends on load order. Free-mail domains never match, on
///    either side.
///
/// An attendee that matches nothing gets no link. The result holds at most one
/// link per (customer, attendee address), in attendee order.
pub fn link_attendees(
    attendee_emails: &[String],
    stakeholders: &[KnownStakeholder],
    customers: &[KnownCustomer],
) -> Vec<Link> {
    let claims = domain_claims(customers);
    let mut seen = HashSet::new();
    let mut links = Vec::new();
    for raw in attendee_emails {
        let email = email_key(raw);
        if email.is_empty() || !seen.insert(email.clone()) {
            continue;
        }
        let by_email = stakeholder_links(&email, stakeholders);
        if !by_email.is_empty() {
            links.extend(by_email);
        } else if let Some(customer_id) = domain_owner(&email, &claims) {
            links.push(Link {
                customer_id,
                stakeholder_id: None,
                attendee_email: email,
                matched_by: MatchedBy::Domain,
            });
        }
    }
    links
}

/// Email links for one (already keyed) address, by customer id.
fn stakeholder_links(email: &str, stakeholders: &[KnownStakeholder]) -> Vec<Link> {
    let mut by_customer: BTreeMap<CustomerId, StakeholderId> = BTreeMap::new();
    for s in stakeholders.iter().filter(|s| email_key(&s.email) == email) {
        by_customer
            .entry(s.customer_id)
            .and_modify(|id| *id = (*id).min(s.id))
            .or_insert(s.id);
    }
    by_customer
        .into_iter()
        .map(|(customer_id, stakeholder_id)| Link {
            customer_id,
            stakeholder_id: Some(stakeholder_id),
            attendee_email: email.to_owned(),
            matched_by: MatchedBy::Email,
        })
        .collect()
}

/// Every (normalized domain, customer) claim that may match by domain.
fn domain_claims(customers: &[KnownCustomer]) -> Vec<(String, CustomerId)> {
    customers
        .iter()
        .flat_map(|c| {
            c.domains
                .iter()
                .filter_map(|d| normalize_domain(d))
                .filter(|d| !is_free_mail(d))
                .map(|d| (d, c.id))
        })
        .collect()
}

/// The customer whose claimed domain is the most specific match for the
/// address's domain, lowest id on a tie.
fn domain_owner(email: &str, claims: &[(String, CustomerId)]) -> Option<CustomerId> {
    let domain = domain_of(email)?;
    if is_free_mail(&domain) {
        return None;
    }
    claims
        .iter()
        .filter(|(claimed, _)| {
            domain == *claimed
                || domain
                    .strip_suffix(claimed.as_str())
                    .is_some_and(|sub| sub.ends_with('.'))
        })
        .max_by_key(|(claimed, id)| (claimed.len(), Reverse(*id)))
        .map(|(_, id)| *id)
}

/// Applies a booking's manual links over its automatic ones: every automatic
/// link for an attendee address that has a manual link (compared
/// case-insensitively) is dropped, and the manual links for that address take
/// the place of the first one. Manual links for attendees nothing matched
/// follow, in the order given. A CSM's decision is final, so it must survive
/// every re-run of automatic linking; duplicates per (customer, address) among
/// the manual links are kept once.
pub fn merge_with_manual(automatic: Vec<Link>, manual: &[Link]) -> Vec<Link> {
    let mut manual_by_email: Vec<(String, Vec<Link>)> = Vec::new();
    for link in manual {
        let key = email_key(&link.attendee_email);
        let index = match manual_by_email.iter().position(|(k, _)| *k == key) {
            Some(index) => index,
            None => {
                manual_by_email.push((key, Vec::new()));
                manual_by_email.len() - 1
            }
        };
        let group = &mut manual_by_email[index].1;
        if !group.iter().any(|l| l.customer_id == link.customer_id) {
            group.push(link.clone());
        }
    }
    let mut placed = HashSet::new();
    let mut merged = Vec::new();
    for link in automatic {
        let key = email_key(&link.attendee_email);
        match manual_by_email.iter().find(|(k, _)| *k == key) {
            Some((_, group)) => {
                if placed.insert(key) {
                    merged.extend(group.iter().cloned());
                }
            }
            None => merged.push(link),
        }
    }
    for (key, group) in manual_by_email {
        if !placed.contains(&key) {
            merged.extend(group);
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stakeholder(id: i64, customer: i64, email: &str) -> KnownStakeholder {
        KnownStakeholder {
            id: StakeholderId(id),
            customer_id: CustomerId(customer),
            email: email.to_owned(),
        }
    }

    fn customer(id: i64, domains: &[&str]) -> KnownCustomer {
        KnownCustomer {
            id: CustomerId(id),
            domains: domains.iter().map(|d| d.to_string()).collect(),
        }
    }

    fn link(customer: i64, stakeholder: Option<i64>, email: &str, by: MatchedBy) -> Link {
        Link {
            customer_id: CustomerId(customer),
            stakeholder_id: stakeholder.map(StakeholderId),
            attendee_email: email.to_owned(),
            matched_by: by,
        }
    }

    fn emails(list: &[&str]) -> Vec<String> {
        list.iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn matched_by_words_round_trip() {
        for m in [MatchedBy::Email, MatchedBy::Domain, MatchedBy::Manual] {
            assert_eq!(MatchedBy::parse(m.as_str()), Some(m));
        }
        assert_eq!(MatchedBy::Domain.as_str(), "domain");
        assert_eq!(MatchedBy::parse("Email"), None);
        assert_eq!(MatchedBy::parse(""), None);
    }

    #[test]
    fn free_mail_domains() {
        #[rustfmt::skip]
        let cases = [
            ("gmail.com", true),
            ("GMail.COM", true),
            ("googlemail.com", true),
            ("proton.me", true),
            ("qq.com", true),
            ("163.com", true),
            ("yahoo.co.uk", true),
            ("yahoo.com.br", true),
            ("hotmail.fr", true),
            ("outlook.de", true),
            ("gmx.at", true),
            ("gmail.com.", true),
            ("acme.com", false),
            ("outlook.acme.com", false),
            ("yahoo.acme.co.uk", false),
            ("mygmail.com", false),
            ("gmail.company.com", false),
            ("yahoo.example", false),
        ];
        for (domain, expected) in cases {
            assert_eq!(is_free_mail(domain), expected, "{domain}");
        }
    }

    #[test]
    fn normalize_domain_accepts_and_rejects() {
        #[rustfmt::skip]
        let cases = [
            ("acme.com", Some("acme.com")),
            ("Acme.COM", Some("acme.com")),
            ("  acme.com\t", Some("acme.com")),
            ("@acme.com", Some("acme.com")),
            ("www.acme.com", Some("acme.com")),
            ("WWW.Acme.com", Some("acme.com")),
            ("https://www.acme.com/path", Some("acme.com")),
            ("http://acme.com", Some("acme.com")),
            ("https://acme.com:8443/a?b=c#d", Some("acme.com")),
            ("acme.com/pricing", Some("acme.com")),
            ("acme.com.", Some("acme.com")),
            ("eu.acme.co.uk", Some("eu.acme.co.uk")),
            ("xn--bcher-kva.de", Some("xn--bcher-kva.de")),
            ("my-company.io", Some("my-company.io")),
            ("www.com", Some("www.com")),
            ("", None),
            ("   ", None),
            ("acme", None),
            ("https://acme", None),
            ("acme .com", None),
            ("ac me.com", None),
            ("acme..com", None),
            (".acme.com", None),
            ("acme.com..", None),
            ("-acme.com", None),
            ("acme-.com", None),
            ("acme_corp.com", None),
            ("jane@acme.com", None),
            ("bücher.de", None),
            ("192.168.0.1", None),
            ("acme.com:port", None),
            ("1http://acme.com", None),
            ("://acme.com", None),
            ("@", None),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize_domain(input).as_deref(), expected, "{input:?}");
        }
        let long_label = format!("{}.com", "a".repeat(64));
        assert_eq!(normalize_domain(&long_label), None, "64-char label");
        let ok_label = format!("{}.com", "a".repeat(63));
        assert_eq!(normalize_domain(&ok_label), Some(ok_label.clone()));
    }

    #[test]
    fn domain_of_takes_the_part_after_the_last_at() {
        #[rustfmt::skip]
        let cases = [
            ("jane@acme.com", Some("acme.com")),
            ("Jane@Acme.COM", Some("acme.com")),
            (" jane@acme.com ", Some("acme.com")),
            ("\"a@b\"@acme.com", Some("acme.com")),
            ("jane@", None),
            ("jane", None),
            ("", None),
        ];
        for (email, expected) in cases {
            assert_eq!(domain_of(email).as_deref(), expected, "{email:?}");
        }
    }

    #[test]
    fn link_attendees_rules() {
        use MatchedBy::{Domain, Email};
        let stakeholders = [
            stakeholder(10, 1, "Jane@Acme.com"),
            stakeholder(11, 2, "bob@gmail.com"),
            stakeholder(12, 3, "ceo@globex.com"),
            stakeholder(13, 4, "ceo@globex.com"),
            stakeholder(15, 3, "sam@consult.io"),
            stakeholder(14, 3, "SAM@consult.io"),
        ];
        let customers = [
            customer(1, &["acme.com"]),
            customer(2, &["gmail.com", "initech.com"]),
            customer(3, &["globex.com"]),
            customer(5, &["eu.acme.com"]),
            customer(7, &["umbrella.com"]),
            customer(6, &["umbrella.com"]),
            customer(8, &["WWW.Hooli.COM", "not a domain"]),
            customer(9, &["consult.io"]),
        ];
        #[rustfmt::skip]
        let cases: Vec<(&str, Vec<&str>, Vec<Link>)> = vec![
            ("exact email", vec!["jane@acme.com"], vec![link(1, Some(10), "jane@acme.com", Email)]),
            ("email case-insensitive", vec!["JANE@ACME.COM"], vec![link(1, Some(10), "jane@acme.com", Email)]),
            ("domain", vec!["joe@acme.com"], vec![link(1, None, "joe@acme.com", Domain)]),
            ("domain case-insensitive", vec!["Joe@ACME.com"], vec![link(1, None, "joe@acme.com", Domain)]),
            ("subdomain", vec!["joe@us.acme.com"], vec![link(1, None, "joe@us.acme.com", Domain)]),
            ("longest domain wins", vec!["joe@eu.acme.com"], vec![link(5, None, "joe@eu.acme.com", Domain)]),
            ("longest domain wins for its subdomains", vec!["joe@de.eu.acme.com"], vec![link(5, None, "joe@de.eu.acme.com", Domain)]),
            ("a suffix is not a subdomain", vec!["joe@notacme.com"], vec![]),
            ("a parent is not a subdomain", vec!["joe@com"], vec![]),
            ("tie goes to the lowest customer id", vec!["joe@umbrella.com"], vec![link(6, None, "joe@umbrella.com", Domain)]),
            ("stored domains are normalized", vec!["joe@hooli.com"], vec![link(8, None, "joe@hooli.com", Domain)]),
            ("free mail never matches by domain", vec!["alice@gmail.com"], vec![]),
            ("free mail subdomain of a listed free-mail domain", vec!["alice@x.gmail.com"], vec![]),
            ("free mail still matches by exact email", vec!["bob@gmail.com"], vec![link(2, Some(11), "bob@gmail.com", Email)]),
            ("a customer's other domain still matches", vec!["x@initech.com"], vec![link(2, None, "x@initech.com", Domain)]),
            ("exact email beats another customer's domain", vec!["sam@consult.io"], vec![link(3, Some(14), "sam@consult.io", Email)]),
            ("one email, two customers", vec!["ceo@globex.com"], vec![link(3, Some(12), "ceo@globex.com", Email), link(4, Some(13), "ceo@globex.com", Email)]),
            ("unknown domain", vec!["x@nowhere.org"], vec![]),
            ("no domain at all", vec!["not-an-email", ""], vec![]),
            ("duplicates give one link", vec!["joe@acme.com", "JOE@acme.com ", "joe@acme.com"], vec![link(1, None, "joe@acme.com", Domain)]),
            ("attendee order", vec!["x@initech.com", "alice@gmail.com", "jane@acme.com", "joe@acme.com"], vec![
                link(2, None, "x@initech.com", Domain),
                link(1, Some(10), "jane@acme.com", Email),
                link(1, None, "joe@acme.com", Domain),
            ]),
        ];
        for (name, attendees, expected) in cases {
            assert_eq!(
                link_attendees(&emails(&attendees), &stakeholders, &customers),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn link_attendees_with_nothing_known() {
        assert_eq!(
            link_attendees(&emails(&["jane@acme.com"]), &[], &[]),
            vec![]
        );
        assert_eq!(
            link_attendees(&[], &[], &[customer(1, &["acme.com"])]),
            vec![]
        );
    }

    #[test]
    fn manual_links_win() {
        use MatchedBy::{Domain, Email, Manual};
        let automatic = vec![
            link(1, Some(10), "jane@acme.com", Email),
            link(2, None, "joe@initech.com", Domain),
            link(3, Some(12), "ceo@globex.com", Email),
            link(4, Some(13), "ceo@globex.com", Email),
        ];
        #[rustfmt::skip]
        let cases: Vec<(&str, Vec<Link>, Vec<Link>)> = vec![
            ("no manual links", vec![], automatic.clone()),
            ("manual replaces the automatic link in place", vec![link(9, None, "joe@initech.com", Manual)], vec![
                link(1, Some(10), "jane@acme.com", Email),
                link(9, None, "joe@initech.com", Manual),
                link(3, Some(12), "ceo@globex.com", Email),
                link(4, Some(13), "ceo@globex.com", Email),
            ]),
            ("manual replaces every automatic link of that attendee", vec![link(4, Some(13), "CEO@globex.com", Manual)], vec![
                link(1, Some(10), "jane@acme.com", Email),
                link(2, None, "joe@initech.com", Domain),
                link(4, Some(13), "CEO@globex.com", Manual),
            ]),
            ("manual for an unmatched attendee is appended", vec![link(9, None, "alice@gmail.com", Manual)], {
                let mut all = automatic.clone();
                all.push(link(9, None, "alice@gmail.com", Manual));
                all
            }),
            ("two manual customers for one attendee, duplicates once", vec![
                link(9, None, "jane@acme.com", Manual),
                link(8, None, "jane@acme.com", Manual),
                link(9, None, "Jane@acme.com", Manual),
            ], vec![
                link(9, None, "jane@acme.com", Manual),
                link(8, None, "jane@acme.com", Manual),
                link(2, None, "joe@initech.com", Domain),
                link(3, Some(12), "ceo@globex.com", Email),
                link(4, Some(13), "ceo@globex.com", Email),
            ]),
        ];
        for (name, manual, expected) in cases {
            assert_eq!(
                merge_with_manual(automatic.clone(), &manual),
                expected,
                "{name}"
            );
        }
    }
}
