//! NetworkPolicies: the platform's (`spec.networkPolicies` of rbacc.yaml),
//! written into every team namespace, and each namespace's own.
//!
//! Input: the policies as written, in Kubernetes' shape (`podSelector`,
//! `policyTypes`, `ingress[].from`, `egress[].to`, `ports`) with rbacc's
//! shorthands for peers: `sameNamespace: true`, `teams: [...]` (every
//! namespace of those teams, by the `rbacc.dev/team` label rbacc sets and
//! teams cannot) and `namespaces: [...]` (by the immutable
//! `kubernetes.io/metadata.name` label). Output: [`NetworkPolicy`]s with
//! the shorthands resolved, and the risk findings of their ingress rules.
//!
//! Invariants: what the API server refuses is reported (names, selectors,
//! CIDRs, ports, protocols, a peer with no or conflicting fields); so is
//! what it accepts but ignores (rules of a direction `policyTypes` leaves
//! out). An ingress rule that admits every namespace or addresses outside
//! the private ranges is a finding ([`Risk::IngressAllNamespaces`],
//! [`Risk::IngressInternet`]) that the policy makes an error, a warning
//! or nothing.

use std::collections::BTreeSet;
use std::net::IpAddr;

use crate::decode::backticked;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::raw;
use crate::model::{
    NetworkPolicy, Peer, Port, PortNumber, Selector, SelectorExpression, TrafficRule,
};
use crate::risk::{Level, Risk};
use crate::source::{Sp, Span};

use super::names::{dns_subdomain_problem, label_key_problem, label_value_problem};
use super::suggestion;

/// The label rbacc sets on every team namespace, naming its team.
pub const TEAM_LABEL: &str = "rbacc.dev/team";
/// The label the API server sets on every namespace, naming it.
pub const NAME_LABEL: &str = "kubernetes.io/metadata.name";
/// The labels rbacc sets on every namespace it writes, besides
/// [`TEAM_LABEL`]: `managed-by: rbacc` and the Pod Security levels.
const MANAGED_BY: (&str, &str) = (super::metadata::MANAGED_BY, "rbacc");
const POD_SECURITY_LABELS: &[&str] = &[
    "pod-security.kubernetes.io/audit",
    "pod-security.kubernetes.io/enforce",
    "pod-security.kubernetes.io/warn",
];
const POD_SECURITY_LEVELS: &[&str] = &["baseline", "privileged", "restricted"];

const POLICY_TYPES: &[&str] = &["Ingress", "Egress"];
const PROTOCOLS: &[&str] = &["TCP", "UDP", "SCTP"];
const OPERATORS: &[&str] = &["In", "NotIn", "Exists", "DoesNotExist"];

/// A checked policy, where it is declared, and the risks its ingress
/// rules give, each with the peer or rule that gives it.
#[derive(Debug)]
pub struct Checked {
    pub policy: NetworkPolicy,
    pub span: Span,
    pub name_span: Span,
    pub risks: Vec<(Risk, Span)>,
}

/// Who declares the policies being checked.
#[derive(Clone, Copy)]
pub enum Declarer<'a> {
    /// rbacc.yaml, which names no team.
    Platform,
    /// A team file; `teams` are every team's names, `broken` those whose
    /// files do not parse.
    Team {
        teams: &'a BTreeSet<&'a str>,
        broken: &'a BTreeSet<String>,
    },
}

/// Checks a list of policies declared in `source`. Names must be unique in
/// the list; `taken` are names the list may not use (the platform's, for
/// a namespace's own), with where they are declared.
pub fn check_all(
    written: &[raw::NetworkPolicy],
    source: &str,
    by: Declarer,
    taken: &[Checked],
    diags: &mut Diagnostics,
) -> Vec<Checked> {
    let mut out: Vec<Checked> = Vec::new();
    let mut seen: Vec<&Sp<String>> = Vec::new();
    for raw in written {
        let name = &raw.name.value;
        // Valid or not, a name is taken: a second one is reported either way.
        if let Some(first) = seen.iter().find(|n| &n.value == name) {
            diags.push(super::declared_twice(
                Code::DuplicateObject,
                raw.name.span,
                format!(
                    "NetworkPolicy `{}` is declared twice",
                    crate::text::visible(name)
                ),
                first.span,
            ));
            continue;
        }
        seen.push(&raw.name);
        let Some(checked) = check(raw, source, by, diags) else {
            continue;
        };
        if let Some(platform) = taken.iter().find(|c| &c.policy.name == name) {
            diags.push(
                Diagnostic::error(
                    Code::DuplicateObject,
                    raw.name.span,
                    format!("NetworkPolicy `{name}` is the platform's"),
                )
                .label("taken by a policy of rbacc.yaml")
                .with_secondary(platform.name_span, "the platform's policy, in every team namespace")
                .help("choose another name: the platform's policies are in every namespace and cannot be replaced"),
            );
            continue;
        }
        out.push(checked);
    }
    out.sort_by(|a, b| a.policy.name.cmp(&b.policy.name));
    out
}

fn check(
    raw: &raw::NetworkPolicy,
    source: &str,
    by: Declarer,
    diags: &mut Diagnostics,
) -> Option<Checked> {
    let errors = diags.error_count();
    let name = &raw.name;
    if let Some(problem) = dns_subdomain_problem(&name.value) {
        diags.push(
            Diagnostic::error(
                Code::InvalidName,
                name.span,
                format!("`{}` is not a valid NetworkPolicy name: {problem}", crate::text::visible(&name.value)),
            )
            .label("invalid name")
            .help("a NetworkPolicy's name is a DNS subdomain: lowercase letters, digits, `-` and `.`, at most 253"),
        );
    }
    let pod_selector = raw
        .pod_selector
        .as_ref()
        .map(|s| selector(s, diags))
        .unwrap_or_default();
    let policy_types = policy_types(raw, diags);
    let mut risks = Vec::new();
    let ingress = rules(raw.ingress.as_deref(), by, true, &mut risks, diags);
    let egress = rules(raw.egress.as_deref(), by, false, &mut risks, diags);
    (diags.error_count() == errors).then(|| Checked {
        policy: NetworkPolicy {
            name: name.value.clone(),
            source: source.to_string(),
            pod_selector,
            policy_types,
            ingress,
            egress,
        },
        span: raw.span,
        name_span: name.span,
        risks,
    })
}

/// `policyTypes` as written (checked), else what the API server defaults
/// to: `Ingress`, and `Egress` where there are egress rules.
fn policy_types(raw: &raw::NetworkPolicy, diags: &mut Diagnostics) -> Vec<String> {
    let Some(written) = &raw.policy_types else {
        let mut types = vec!["Ingress".to_string()];
        if raw.egress.as_ref().is_some_and(|e| !e.is_empty()) {
            types.push("Egress".to_string());
        }
        return types;
    };
    let mut types = Vec::new();
    for t in written {
        if !POLICY_TYPES.contains(&t.value.as_str()) {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    t.span,
                    format!("`{}` is not a policy type", crate::text::visible(&t.value)),
                )
                .label("expected `Ingress` or `Egress`")
                .help(
                    suggestion(&t.value, POLICY_TYPES.iter().copied())
                        .unwrap_or_else(|| "policy types are `Ingress` and `Egress`".to_string()),
                ),
            );
        } else if types.contains(&t.value) {
            diags.push(
                Diagnostic::error(
                    Code::DuplicateEntry,
                    t.span,
                    format!("`{}` is listed twice", t.value),
                )
                .label("listed before")
                .help("list each policy type once"),
            );
        } else {
            types.push(t.value.clone());
        }
    }
    if written.is_empty() {
        diags.push(
            Diagnostic::error(Code::InvalidValue, raw.name.span, "`policyTypes` is empty")
                .label("this policy")
                .help("list `Ingress`, `Egress` or both, or leave `policyTypes` out: then it is `Ingress`, with `Egress` where there are egress rules"),
        );
    }
    for (direction, rules) in [("Ingress", &raw.ingress), ("Egress", &raw.egress)] {
        if let Some(first) = rules.as_ref().and_then(|r| r.first())
            && !written.is_empty()
            && !written.iter().any(|t| t.value == direction)
        {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    first.span,
                    format!("these {} rules have no effect", direction.to_lowercase()),
                )
                .label(format!("`policyTypes` does not list `{direction}`"))
                .help(format!("the API server ignores {} rules unless `policyTypes` lists `{direction}`: add it, or remove the rules", direction.to_lowercase())),
            );
        }
    }
    types.sort_by_key(|t| POLICY_TYPES.iter().position(|p| p == t));
    types
}

fn rules(
    written: Option<&[raw::TrafficRule]>,
    by: Declarer,
    ingress: bool,
    risks: &mut Vec<(Risk, Span)>,
    diags: &mut Diagnostics,
) -> Vec<TrafficRule> {
    let mut out = Vec::new();
    for rule in written.unwrap_or_default() {
        let peers: Option<Vec<Peer>> = match rule.peers.as_deref() {
            // Absent or empty: every peer, wherever it is: the pods of
            // every namespace and every address.
            None | Some([]) => {
                if ingress {
                    risks.push((Risk::IngressAllNamespaces, rule.span));
                    risks.push((Risk::IngressInternet, rule.span));
                }
                None
            }
            Some(peers) => Some(
                peers
                    .iter()
                    .filter_map(|p| {
                        let peer = peer(p, by, diags)?;
                        if ingress && let Some(risk) = peer_risk(&peer) {
                            risks.push((risk, p.span));
                        }
                        Some(peer)
                    })
                    .collect(),
            ),
        };
        let ports = rule.ports.iter().filter_map(|p| port(p, diags)).collect();
        out.push(TrafficRule { peers, ports });
    }
    out
}

/// The risk an ingress peer gives, if any.
fn peer_risk(peer: &Peer) -> Option<Risk> {
    match peer {
        Peer::Pods(_) => None,
        Peer::Namespaces { namespaces, .. } => {
            matches_every_namespace(namespaces).then_some(Risk::IngressAllNamespaces)
        }
        Peer::IpBlock { cidr, .. } => (!is_private(cidr)).then_some(Risk::IngressInternet),
    }
}

/// Whether a namespace selector matches (nearly) every namespace: only
/// `matchLabels`, `In` and `Exists` narrow a selector, and only by a
/// label some namespaces lack; `NotIn` and `DoesNotExist` only leave some
/// out. Every namespace has its name label; every namespace rbacc writes
/// has its team label, `managed-by: rbacc` and a Pod Security level.
fn matches_every_namespace(selector: &Selector) -> bool {
    selector
        .match_labels
        .iter()
        .all(|(key, value)| on_every_namespace(key, std::slice::from_ref(value)))
        && selector
            .match_expressions
            .iter()
            .all(|e| match e.operator.as_str() {
                "Exists" => {
                    [NAME_LABEL, TEAM_LABEL, MANAGED_BY.0].contains(&e.key.as_str())
                        || POD_SECURITY_LABELS.contains(&e.key.as_str())
                }
                "In" => on_every_namespace(&e.key, &e.values),
                _ => true,
            })
}

/// Whether every namespace rbacc writes has label `key` with one of
/// `values`.
fn on_every_namespace(key: &str, values: &[String]) -> bool {
    let has = |value: &str| values.iter().any(|v| v == value);
    if key == MANAGED_BY.0 {
        has(MANAGED_BY.1)
    } else if POD_SECURITY_LABELS.contains(&key) {
        POD_SECURITY_LEVELS.iter().all(|level| has(level))
    } else {
        false
    }
}

/// Whether every address of `cidr` is in a private, shared, loopback or
/// link-local range (RFC 1918, RFC 6598, RFC 4193).
fn is_private(cidr: &str) -> bool {
    let Some((addr, bits)) = parse_cidr(cidr) else {
        return false;
    };
    const PRIVATE: &[&str] = &[
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    ];
    PRIVATE.iter().any(|range| {
        parse_cidr(range)
            .is_some_and(|(net, net_bits)| bits >= net_bits && within(addr, net, net_bits))
    })
}

/// An address and prefix length, from `a.b.c.d/n` or `x::y/n`.
fn parse_cidr(cidr: &str) -> Option<(IpAddr, u8)> {
    let (addr, bits) = cidr.split_once('/')?;
    let addr: IpAddr = addr.parse().ok()?;
    if bits.is_empty() || bits.len() > 3 || !bits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let bits: u8 = bits.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((addr, bits))
}

/// The address as a 128-bit number and its width.
fn as_bits(addr: IpAddr) -> (u128, u8) {
    match addr {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    }
}

/// Whether `addr` is in the network `net`/`bits` (same family).
fn within(addr: IpAddr, net: IpAddr, bits: u8) -> bool {
    if addr.is_ipv4() != net.is_ipv4() {
        return false;
    }
    let ((a, width), (n, _)) = (as_bits(addr), as_bits(net));
    let shift = u32::from(width - bits);
    shift >= 128 || (a >> shift) == (n >> shift)
}

/// Whether `addr/bits` has no bits set past its prefix.
fn canonical(addr: IpAddr, bits: u8) -> bool {
    let (a, width) = as_bits(addr);
    let host = u32::from(width - bits);
    // `checked_shl` is `None` for a whole IPv6 address of host bits (`::/0`).
    let mask = 1u128.checked_shl(host).map_or(u128::MAX, |bit| bit - 1);
    a & mask == 0
}

fn peer(raw: &raw::Peer, by: Declarer, diags: &mut Diagnostics) -> Option<Peer> {
    if let Some(block) = &raw.ip_block {
        let others = raw.same_namespace.is_some()
            || raw.teams.is_some()
            || raw.namespaces.is_some()
            || raw.namespace_selector.is_some()
            || raw.pod_selector.is_some();
        if others {
            diags.push(
                Diagnostic::error(Code::InvalidValue, block.span, "`ipBlock` stands alone in a peer")
                    .label("with other fields")
                    .help("write addresses and pods as two entries of the list: the API server refuses an `ipBlock` beside selectors"),
            );
            return None;
        }
        return ip_block(block, diags);
    }
    let mut namespace_forms: Vec<(&str, Span)> = Vec::new();
    if let Some(same) = &raw.same_namespace {
        namespace_forms.push(("sameNamespace", same.span));
    }
    if let Some(teams) = &raw.teams {
        namespace_forms.push(("teams", teams.first().map_or(raw.span, |t| t.span)));
    }
    if let Some(namespaces) = &raw.namespaces {
        namespace_forms.push((
            "namespaces",
            namespaces.first().map_or(raw.span, |n| n.span),
        ));
    }
    if let Some(selector) = &raw.namespace_selector {
        namespace_forms.push(("namespaceSelector", selector.span));
    }
    if let [(first, _), (second, span), ..] = namespace_forms[..] {
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                span,
                format!("a peer names its namespaces once: `{first}` and `{second}`"),
            )
            .label("second way of naming namespaces")
            .help("write one entry of the list for each: entries add up"),
        );
        return None;
    }
    let pods = raw.pod_selector.as_ref().map(|s| selector(s, diags));
    if let Some(same) = &raw.same_namespace
        && !same.value
    {
        diags.push(
            Diagnostic::error(Code::InvalidValue, same.span, "`sameNamespace: false` says nothing")
                .label("false")
                .help("write `sameNamespace: true` for the policy's own namespace, or name the namespaces with `teams`, `namespaces` or `namespaceSelector`"),
        );
        return None;
    }
    let namespaces = if raw.same_namespace.is_some() {
        None
    } else if let Some(teams) = &raw.teams {
        Some(in_selector(
            TEAM_LABEL,
            team_names(teams, by, raw.span, diags)?,
        ))
    } else if let Some(names) = &raw.namespaces {
        Some(in_selector(
            NAME_LABEL,
            namespace_names(names, raw.span, diags)?,
        ))
    } else {
        raw.namespace_selector.as_ref().map(|s| selector(s, diags))
    };
    match (namespaces, pods) {
        (Some(namespaces), pods) => Some(Peer::Namespaces { namespaces, pods }),
        (None, Some(pods)) => Some(Peer::Pods(pods)),
        (None, None) if raw.same_namespace.is_some() => Some(Peer::Pods(Selector::default())),
        (None, None) => {
            diags.push(
                Diagnostic::error(Code::MissingField, raw.span, "this peer names no one")
                    .label("empty peer")
                    .help("name pods (`podSelector`), namespaces (`sameNamespace: true`, `teams`, `namespaces`, `namespaceSelector`) or addresses (`ipBlock`)"),
            );
            None
        }
    }
}

/// A selector of the namespaces whose label `key` is one of `values`.
fn in_selector(key: &str, values: Vec<String>) -> Selector {
    Selector {
        match_labels: Default::default(),
        match_expressions: vec![SelectorExpression {
            key: key.to_string(),
            operator: "In".to_string(),
            values,
        }],
    }
}

fn team_names(
    written: &[Sp<String>],
    by: Declarer,
    peer: Span,
    diags: &mut Diagnostics,
) -> Option<Vec<String>> {
    let Declarer::Team { teams, broken } = by else {
        let span = written.first().map_or(peer, |t| t.span);
        diags.push(
            Diagnostic::error(Code::InvalidValue, span, "rbacc.yaml's policies cannot name teams")
                .label("in a policy of every namespace")
                .help(format!("select namespaces by label instead: every team namespace carries `{TEAM_LABEL}: <team>`")),
        );
        return None;
    };
    let mut ok = !written.is_empty();
    if written.is_empty() {
        diags.push(empty_list(peer, "teams"));
    }
    let mut names = BTreeSet::new();
    for team in written {
        if teams.contains(team.value.as_str()) {
            names.insert(team.value.clone());
            continue;
        }
        ok = false;
        if broken.contains(&team.value) {
            continue;
        }
        let d = Diagnostic::error(
            Code::UnknownTeam,
            team.span,
            format!("unknown team `{}`", crate::text::visible(&team.value)),
        )
        .label("no file declares it");
        diags.push(match suggestion(&team.value, teams.iter().copied()) {
            Some(help) => d.help(help),
            None => d,
        });
    }
    ok.then(|| names.into_iter().collect())
}

fn namespace_names(
    written: &[Sp<String>],
    peer: Span,
    diags: &mut Diagnostics,
) -> Option<Vec<String>> {
    if written.is_empty() {
        diags.push(empty_list(peer, "namespaces"));
        return None;
    }
    let mut ok = true;
    let mut names = BTreeSet::new();
    for name in written {
        ok &= super::check_dns_label(diags, name, "namespace name");
        names.insert(name.value.clone());
    }
    ok.then(|| names.into_iter().collect())
}

fn empty_list(span: Span, field: &str) -> Diagnostic {
    Diagnostic::error(Code::InvalidValue, span, format!("`{field}` is empty"))
        .label("selects nothing")
        .help(format!(
            "name at least one, or remove the entry; an empty `{field}` would select no namespace"
        ))
}

fn ip_block(raw: &raw::IpBlock, diags: &mut Diagnostics) -> Option<Peer> {
    let cidr = raw.cidr.as_ref()?;
    let (net, bits) = check_cidr(cidr, diags)?;
    let mut ok = true;
    let mut except = BTreeSet::new();
    for e in &raw.except {
        let Some((addr, e_bits)) = check_cidr(e, diags) else {
            ok = false;
            continue;
        };
        if e_bits <= bits || !within(addr, net, bits) {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    e.span,
                    format!("`{}` is not inside `{}`", e.value, cidr.value),
                )
                .label("not a strict part of `cidr`")
                .with_secondary(cidr.span, "the block")
                .help("each `except` entry must be a smaller block inside `cidr`, of the same address family"),
            );
            ok = false;
            continue;
        }
        except.insert(e.value.clone());
    }
    ok.then(|| Peer::IpBlock {
        cidr: cidr.value.clone(),
        except: except.into_iter().collect(),
    })
}

fn check_cidr(written: &Sp<String>, diags: &mut Diagnostics) -> Option<(IpAddr, u8)> {
    let Some((addr, bits)) = parse_cidr(&written.value) else {
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                written.span,
                format!(
                    "`{}` is not a CIDR block",
                    crate::text::visible(&written.value)
                ),
            )
            .label("expected an address and a prefix length")
            .help("write an IPv4 or IPv6 block such as `10.0.0.0/8` or `fd00::/8`"),
        );
        return None;
    };
    if !canonical(addr, bits) {
        let (a, width) = as_bits(addr);
        let host = u32::from(width - bits);
        let network = if host >= 128 { 0 } else { (a >> host) << host };
        let network: IpAddr = match addr {
            IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::from(network as u32)),
            IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::from(network)),
        };
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                written.span,
                format!("`{}` has bits set past its prefix", written.value),
            )
            .label("not a network address")
            .help(format!(
                "write the block as `{network}/{bits}`: it says exactly which addresses it holds"
            )),
        );
        return None;
    }
    Some((addr, bits))
}

fn port(raw: &raw::Port, diags: &mut Diagnostics) -> Option<Port> {
    let mut ok = true;
    let protocol = raw.protocol.as_ref().and_then(|p| {
        if PROTOCOLS.contains(&p.value.as_str()) {
            return Some(p.value.clone());
        }
        ok = false;
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                p.span,
                format!("`{}` is not a protocol", crate::text::visible(&p.value)),
            )
            .label(format!("expected {}", backticked(PROTOCOLS)))
            .help(
                suggestion(&p.value.to_uppercase(), PROTOCOLS.iter().copied()).unwrap_or_else(
                    || "NetworkPolicies know `TCP` (the default), `UDP` and `SCTP`".to_string(),
                ),
            ),
        );
        None
    });
    let number = raw.port.as_ref().and_then(|(text, is_number)| {
        let parsed = if *is_number {
            port_number(text, diags).map(PortNumber::Number)
        } else {
            port_name(text, diags).map(PortNumber::Name)
        };
        ok &= parsed.is_some();
        parsed
    });
    let end_port = raw.end_port.as_ref().and_then(|(text, is_number)| {
        let end = if *is_number {
            port_number(text, diags)
        } else {
            diags.push(
                Diagnostic::error(Code::WrongType, text.span, "`endPort` is a number")
                    .label("not a number")
                    .help("write the last port of the range, such as `32768`, without quotes"),
            );
            None
        };
        let end = end.and_then(|end| match &number {
            Some(PortNumber::Number(start)) if end >= *start => Some(end),
            Some(PortNumber::Number(start)) => {
                diags.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        text.span,
                        format!("`endPort` {end} is below `port` {start}"),
                    )
                    .label("range ends before it starts")
                    .help("`endPort` is the last port of the range that starts at `port`"),
                );
                None
            }
            _ => {
                diags.push(
                    Diagnostic::error(Code::InvalidValue, text.span, "`endPort` needs a numbered `port`")
                        .label("no range start")
                        .help("a range runs from a numbered `port` to `endPort`; a named port is one port"),
                );
                None
            }
        });
        ok &= end.is_some();
        end
    });
    ok.then_some(Port {
        protocol,
        port: number,
        end_port,
    })
}

fn port_number(text: &Sp<String>, diags: &mut Diagnostics) -> Option<i32> {
    match text.value.parse::<i32>() {
        Ok(n) if (1..=65535).contains(&n) => Some(n),
        _ => {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    text.span,
                    format!("`{}` is not a port", text.value),
                )
                .label("expected 1 to 65535")
                .help("ports are numbered 1 to 65535"),
            );
            None
        }
    }
}

/// A named container port (`IANA_SVC_NAME`): at most 15 lowercase letters,
/// digits and single `-`, with a letter, not starting or ending with `-`.
fn port_name(text: &Sp<String>, diags: &mut Diagnostics) -> Option<String> {
    let name = text.value.as_str();
    let problem = if name.is_empty() || name.len() > 15 {
        Some("it is not 1 to 15 characters long")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        Some("it holds a character other than a lowercase letter, a digit or `-`")
    } else if !name.bytes().any(|b| b.is_ascii_lowercase()) {
        Some("it has no letter")
    } else if name.starts_with('-') || name.ends_with('-') || name.contains("--") {
        Some("it starts or ends with `-`, or has `--`")
    } else {
        None
    };
    let Some(problem) = problem else {
        return Some(name.to_string());
    };
    let numeric = name.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty();
    diags.push(
        Diagnostic::error(
            Code::InvalidValue,
            text.span,
            format!(
                "`{}` is not a port name: {problem}",
                crate::text::visible(name)
            ),
        )
        .label("invalid port name")
        .help(if numeric {
            "a quoted number is a port name; write the number without quotes"
        } else {
            "a named port is the `name` of a container port, such as `http`"
        }),
    );
    None
}

fn selector(raw: &raw::Selector, diags: &mut Diagnostics) -> Selector {
    let mut out = Selector::default();
    for (key, value) in &raw.match_labels {
        if let Some(problem) = label_key_problem(&key.value) {
            diags.push(invalid(key, "label key", problem));
        } else if let Some(problem) = label_value_problem(&value.value) {
            diags.push(invalid(value, "label value", problem));
        } else {
            out.match_labels
                .insert(key.value.clone(), value.value.clone());
        }
    }
    for e in &raw.match_expressions {
        let (Some(key), Some(operator)) = (&e.key, &e.operator) else {
            continue;
        };
        if let Some(problem) = label_key_problem(&key.value) {
            diags.push(invalid(key, "label key", problem));
            continue;
        }
        if !OPERATORS.contains(&operator.value.as_str()) {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    operator.span,
                    format!(
                        "`{}` is not a selector operator",
                        crate::text::visible(&operator.value)
                    ),
                )
                .label(format!("expected {}", backticked(OPERATORS)))
                .help(
                    suggestion(&operator.value, OPERATORS.iter().copied()).unwrap_or_else(|| {
                        "operators are `In`, `NotIn`, `Exists` and `DoesNotExist`".to_string()
                    }),
                ),
            );
            continue;
        }
        let values = e.values.as_deref().unwrap_or_default();
        let wants_values = matches!(operator.value.as_str(), "In" | "NotIn");
        if wants_values == values.is_empty() {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    operator.span,
                    if wants_values {
                        format!("`{}` needs values", operator.value)
                    } else {
                        format!("`{}` takes no values", operator.value)
                    },
                )
                .label("this operator")
                .help("`In` and `NotIn` compare with a list of `values`; `Exists` and `DoesNotExist` look at the key alone"),
            );
            continue;
        }
        let mut ok = true;
        for v in values {
            if let Some(problem) = label_value_problem(&v.value) {
                diags.push(invalid(v, "label value", problem));
                ok = false;
            }
        }
        if ok {
            let values: BTreeSet<String> = values.iter().map(|v| v.value.clone()).collect();
            out.match_expressions.push(SelectorExpression {
                key: key.value.clone(),
                operator: operator.value.clone(),
                values: values.into_iter().collect(),
            });
        }
    }
    out
}

fn invalid(written: &Sp<String>, what: &str, problem: String) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidValue,
        written.span,
        format!(
            "`{}` is not a valid {what}: {problem}",
            crate::text::visible(&written.value)
        ),
    )
    .label(format!("invalid {what}"))
}

/// Who may accept a finding.
#[derive(Clone, Copy)]
pub enum Accepter<'a> {
    /// rbacc.yaml: `policy.risks`.
    Platform,
    /// A team, in namespace `namespace`: `spec.allow`.
    Team { namespace: &'a str },
}

/// The diagnostic for a finding the policy makes `level` (an error or a
/// warning): `risk` given by `span` in the policy `name`.
pub fn finding(
    risk: Risk,
    level: Level,
    span: Span,
    name: &str,
    by: Accepter,
    refused_allow: Option<Span>,
) -> Diagnostic {
    let make = match level {
        Level::Error => Diagnostic::error,
        _ => Diagnostic::warning,
    };
    let place = match by {
        Accepter::Platform => "in every team namespace".to_string(),
        Accepter::Team { namespace } => format!("in namespace `{namespace}`"),
    };
    let accept = match (level, by) {
        (Level::Error, _) | (_, Accepter::Platform) => {
            format!("only rbacc.yaml can relax it: `policy.risks.{}`", risk.id())
        }
        (_, Accepter::Team { .. }) => format!(
            "if this is intended, accept it with `allow: [{{ risk: {}, networkPolicy: {name}, reason: … }}]` under the team's `spec`, or set `policy.risks.{}` in rbacc.yaml",
            risk.id(),
            risk.id()
        ),
    };
    let what = match level {
        Level::Error => "an error",
        _ => "a warning",
    };
    let mut d = make(
        Code::NetworkRisk,
        span,
        format!("NetworkPolicy `{name}` {place} lets traffic {}", risk.can()),
    )
    .label(match risk {
        Risk::IngressAllNamespaces => "admits every namespace",
        _ => "admits addresses outside the private ranges",
    })
    .help(format!(
        "risk `{}` is {what} by the policy; {accept}",
        risk.id()
    ));
    if let Some(allow) = refused_allow {
        d = d.with_secondary(allow, "a team cannot accept what the policy makes an error");
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges_are_private_and_the_rest_is_not() {
        for cidr in [
            "10.0.0.0/8",
            "10.1.2.0/24",
            "172.16.0.0/12",
            "192.168.1.1/32",
            "fd00::/8",
            "100.64.0.0/16",
        ] {
            assert!(is_private(cidr), "{cidr}");
        }
        for cidr in [
            "0.0.0.0/0",
            "0.0.0.0/1",
            "128.0.0.0/1",
            "8.8.8.8/32",
            "10.0.0.0/7",
            "172.0.0.0/8",
            "::/0",
            "2001:db8::/32",
        ] {
            assert!(!is_private(cidr), "{cidr}");
        }
    }

    #[test]
    fn cidrs_parse_strictly() {
        assert_eq!(
            parse_cidr("10.0.0.0/8"),
            Some(("10.0.0.0".parse().unwrap(), 8))
        );
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "10.0.0/8",
            "10.0.0.0/+8",
            "::/129",
            "x/8",
            "10.0.0.0/ 8",
        ] {
            assert_eq!(parse_cidr(bad), None, "{bad}");
        }
        assert!(canonical("10.0.0.0".parse().unwrap(), 8));
        assert!(!canonical("10.0.0.1".parse().unwrap(), 8));
        assert!(canonical("0.0.0.0".parse().unwrap(), 0));
        assert!(canonical("10.0.0.1".parse().unwrap(), 32));
        // A /0 keeps no bit of an IPv6 address: 128 host bits.
        assert!(canonical("::".parse().unwrap(), 0));
        assert!(!canonical("::1".parse().unwrap(), 0));
        assert!(canonical("::1".parse().unwrap(), 128));
        for (address, block, prefix, inside) in [
            ("10.1.0.0", "10.0.0.0", 8, true),
            ("11.0.0.0", "10.0.0.0", 8, false),
            ("1.2.3.4", "0.0.0.0", 0, true),
            ("::1", "0.0.0.0", 0, false),
        ] {
            assert_eq!(
                within(address.parse().unwrap(), block.parse().unwrap(), prefix),
                inside,
                "{address} in {block}/{prefix}"
            );
        }
    }

    #[test]
    fn selectors_that_match_every_namespace() {
        let expr = |key: &str, operator: &str| SelectorExpression {
            key: key.into(),
            operator: operator.into(),
            values: vec!["x".into()],
        };
        let of = |match_expressions| Selector {
            match_labels: Default::default(),
            match_expressions,
        };
        assert!(matches_every_namespace(&Selector::default()));
        assert!(matches_every_namespace(&of(vec![expr(
            NAME_LABEL, "Exists"
        )])));
        assert!(matches_every_namespace(&of(vec![expr("team", "NotIn")])));
        assert!(matches_every_namespace(&of(vec![expr(
            "team",
            "DoesNotExist"
        )])));
        assert!(!matches_every_namespace(&of(vec![expr("team", "Exists")])));
        assert!(!matches_every_namespace(&of(vec![expr(NAME_LABEL, "In")])));
        let labelled = Selector {
            match_labels: [("team".to_string(), "a".to_string())].into(),
            match_expressions: Vec::new(),
        };
        assert!(!matches_every_namespace(&labelled));
        // What every namespace rbacc writes carries narrows nothing.
        let labels = |key: &str, value: &str| Selector {
            match_labels: [(key.to_string(), value.to_string())].into(),
            match_expressions: Vec::new(),
        };
        assert!(matches_every_namespace(&labels(
            "app.kubernetes.io/managed-by",
            "rbacc"
        )));
        assert!(!matches_every_namespace(&labels(
            "app.kubernetes.io/managed-by",
            "helm"
        )));
        assert!(!matches_every_namespace(&labels(
            "pod-security.kubernetes.io/enforce",
            "restricted"
        )));
        for key in [
            TEAM_LABEL,
            "app.kubernetes.io/managed-by",
            "pod-security.kubernetes.io/enforce",
            "pod-security.kubernetes.io/audit",
            "pod-security.kubernetes.io/warn",
        ] {
            assert!(
                matches_every_namespace(&of(vec![expr(key, "Exists")])),
                "{key}"
            );
        }
        let levels = |values: &[&str]| SelectorExpression {
            key: "pod-security.kubernetes.io/warn".into(),
            operator: "In".into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        };
        assert!(matches_every_namespace(&of(vec![levels(&[
            "baseline",
            "privileged",
            "restricted"
        ])])));
        assert!(!matches_every_namespace(&of(vec![levels(&[
            "baseline",
            "restricted"
        ])])));
        let teams = SelectorExpression {
            key: TEAM_LABEL.into(),
            operator: "In".into(),
            values: vec!["shop".into()],
        };
        assert!(!matches_every_namespace(&of(vec![teams])));
    }
}
