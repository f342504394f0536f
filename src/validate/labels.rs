//! Which namespace labels a team may set.
//!
//! Labels on a Namespace are read by more than people: Pod Security
//! admission, service meshes (sidecar injection), OpenShift, Capsule,
//! Gatekeeper, Argo CD and Flux, and the platform's own NetworkPolicy
//! selectors. A team that set one of theirs would change what the cluster
//! enforces. Three tiers:
//!
//! 1. **Always reserved**, whatever the policy: rbacc's own (`rbacc.dev/`,
//!    `app.kubernetes.io/managed-by`), Pod Security's, and every prefix
//!    under `kubernetes.io` and `k8s.io`.
//! 2. **Reserved by default** ([`CONTROLLER_LABELS`]): keys that common
//!    controllers act on. `policy.labels.allow` gives some back.
//! 3. **Forbidden by the platform**: `policy.labels.forbid` adds keys or
//!    prefixes of its own.
//!
//! A pattern is a key (`istio-injection`), a prefix ending in `/`
//! (`istio.io/`: every key with that prefix) or a domain with its
//! subdomains (`*.openshift.io/`).

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::{Sp, Span};

use super::names::{label_key_problem, label_value_problem};

/// The `app.kubernetes.io` key rbacc sets on every namespace.
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";

/// Label keys and prefixes controllers act on, reserved unless
/// `policy.labels.allow` lists them. Documented under `reserved-label` in
/// `docs/diagnostics.md`.
pub const CONTROLLER_LABELS: &[(&str, &str)] = &[
    ("*.gatekeeper.sh/", "Gatekeeper"),
    ("*.openshift.io/", "OpenShift"),
    ("*.toolkit.fluxcd.io/", "Flux"),
    ("admission.gatekeeper.sh/", "Gatekeeper"),
    ("argocd.argoproj.io/", "Argo CD"),
    ("capsule.clastix.io/", "Capsule"),
    ("cert-manager.io/", "cert-manager"),
    ("component", "the platform's NetworkPolicy selectors"),
    ("config.linkerd.io/", "Linkerd"),
    ("control-plane", "the platform's NetworkPolicy selectors"),
    ("elbv2.k8s.aws/", "the AWS Load Balancer Controller"),
    ("istio-injection", "Istio"),
    ("istio.io/", "Istio"),
    ("kyverno.io/", "Kyverno"),
    ("linkerd.io/", "Linkerd"),
    ("name", "the platform's NetworkPolicy selectors"),
    ("openshift.io/", "OpenShift"),
    ("policies.kyverno.io/", "Kyverno"),
    ("projectcapsule.dev/", "Capsule"),
    ("sidecar.istio.io/", "Istio"),
    ("velero.io/", "Velero"),
];

/// Why a team may not set a label key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reserved<'a> {
    /// `pod-security.kubernetes.io/…`: would change the namespace's Pod
    /// Security level behind the policy's back.
    PodSecurity,
    /// `rbacc.dev/…`: rbacc's own labels.
    Rbacc,
    /// `app.kubernetes.io/managed-by`, which rbacc sets to `rbacc`.
    ManagedBy,
    /// A prefix under `kubernetes.io` or `k8s.io` (the prefix given).
    Kubernetes(&'a str),
    /// A key a controller acts on (which one).
    Controller(&'static str),
    /// Forbidden by `policy.labels.forbid`, at this entry.
    Policy(Span),
}

/// Whether `pattern` covers `key`.
pub fn matches(pattern: &str, key: &str) -> bool {
    let Some(prefix_pattern) = pattern.strip_suffix('/') else {
        return pattern == key;
    };
    let Some((prefix, _)) = key.split_once('/') else {
        return false;
    };
    match prefix_pattern.strip_prefix("*.") {
        Some(domain) => {
            prefix == domain
                || prefix
                    .strip_suffix(domain)
                    .is_some_and(|sub| sub.ends_with('.'))
        }
        None => prefix == prefix_pattern,
    }
}

/// What no policy can give a team: rbacc's, Pod Security's and
/// Kubernetes' keys. Of the recommended `app.kubernetes.io` labels, only
/// `managed-by` is reserved.
pub fn always_reserved(key: &str) -> Option<Reserved<'_>> {
    let (prefix, _) = key.split_once('/')?;
    match prefix {
        "rbacc.dev" => Some(Reserved::Rbacc),
        "app.kubernetes.io" => (key == MANAGED_BY).then_some(Reserved::ManagedBy),
        "pod-security.kubernetes.io" => Some(Reserved::PodSecurity),
        _ if matches("*.kubernetes.io/", key) || matches("*.k8s.io/", key) => {
            Some(Reserved::Kubernetes(prefix))
        }
        _ => None,
    }
}

/// The label policy of one configuration (`policy.labels`).
#[derive(Debug, Default)]
pub struct LabelPolicy {
    allow: Vec<String>,
    forbid: Vec<Sp<String>>,
}

impl LabelPolicy {
    /// Reads `policy.labels`, reporting patterns that are not keys or
    /// prefixes and `allow` entries no policy may allow.
    pub fn check(raw: &crate::model::raw::LabelPolicy, diags: &mut Diagnostics) -> LabelPolicy {
        let mut policy = LabelPolicy::default();
        for (list, allow) in [(&raw.allow, true), (&raw.forbid, false)] {
            for pattern in list {
                if let Some(problem) = pattern_problem(&pattern.value) {
                    diags.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            pattern.span,
                            format!("`{}` is not a label key or prefix: {problem}", pattern.value),
                        )
                        .label("not a label pattern")
                        .help("write a key (`team`), a prefix (`example.com/`) or a domain with its subdomains (`*.example.com/`)"),
                    );
                    continue;
                }
                if allow {
                    let probe = pattern.value.replace("*.", "x.");
                    let probe = if probe.ends_with('/') {
                        format!("{probe}x")
                    } else {
                        probe
                    };
                    if always_reserved(&probe).is_some() {
                        diags.push(
                            Diagnostic::error(
                                Code::ReservedLabel,
                                pattern.span,
                                format!("`{}` cannot be allowed", pattern.value),
                            )
                            .label("reserved whatever the policy")
                            .help("rbacc's labels, Pod Security's and prefixes under kubernetes.io and k8s.io are never set by teams"),
                        );
                        continue;
                    }
                    policy.allow.push(pattern.value.clone());
                } else {
                    policy.forbid.push(pattern.clone());
                }
            }
        }
        policy
    }

    /// Why a team may not set `key`, or `None` when it may.
    pub fn reserved<'a>(&self, key: &'a str) -> Option<Reserved<'a>> {
        if let Some(reserved) = always_reserved(key) {
            return Some(reserved);
        }
        if let Some(entry) = self.forbid.iter().find(|p| matches(&p.value, key)) {
            return Some(Reserved::Policy(entry.span));
        }
        if self.allow.iter().any(|p| matches(p, key)) {
            return None;
        }
        CONTROLLER_LABELS
            .iter()
            .find(|(pattern, _)| matches(pattern, key))
            .map(|(_, who)| Reserved::Controller(who))
    }

    /// The labels of a namespace as a team file sets them, with the keys
    /// the team may not set and the keys and values Kubernetes refuses
    /// reported and left out.
    pub fn check_labels(
        &self,
        labels: &[(Sp<String>, Sp<String>)],
        diags: &mut Diagnostics,
    ) -> BTreeMap<String, String> {
        let invalid = |written: &Sp<String>, what: &str, problem: String| {
            Diagnostic::error(
                Code::InvalidValue,
                written.span,
                format!("`{}` is not a valid {what}: {problem}", written.value),
            )
            .label(format!("invalid {what}"))
        };
        let mut out = BTreeMap::new();
        for (key, value) in labels {
            if let Some(reserved) = self.reserved(&key.value) {
                diags.push(diagnostic(key, &reserved));
            } else if let Some(problem) = label_key_problem(&key.value) {
                diags.push(invalid(key, "label key", problem));
            } else if let Some(problem) = label_value_problem(&value.value) {
                diags.push(
                    invalid(value, "label value", problem)
                        .help("label values are at most 63 letters, digits, `-`, `_` and `.`"),
                );
            } else {
                out.insert(key.value.clone(), value.value.clone());
            }
        }
        out
    }
}

fn pattern_problem(pattern: &str) -> Option<String> {
    let key = match pattern.strip_suffix('/') {
        Some(prefix) => format!("{}/x", prefix.strip_prefix("*.").unwrap_or(prefix)),
        None => pattern.to_string(),
    };
    label_key_problem(&key)
}

/// The diagnostic for a label `key` a team may not set.
pub fn diagnostic(key: &Sp<String>, reserved: &Reserved<'_>) -> Diagnostic {
    let d = Diagnostic::error(
        Code::ReservedLabel,
        key.span,
        format!("label `{}` is reserved", key.value),
    );
    match reserved {
        Reserved::PodSecurity => d
            .label("`pod-security.kubernetes.io/` labels set the namespace's Pod Security level")
            .help("choose the level with `podSecurity`"),
        Reserved::Rbacc => d
            .label("`rbacc.dev/` is rbacc's prefix")
            .help("rbacc sets these itself"),
        Reserved::ManagedBy => d
            .label(format!("`{MANAGED_BY}` is set by rbacc"))
            .help(format!("rbacc sets `{MANAGED_BY}: rbacc` itself")),
        Reserved::Kubernetes(prefix) => d
            .label(format!("`{prefix}/` is a Kubernetes prefix"))
            .help("prefixes under kubernetes.io and k8s.io are reserved for Kubernetes"),
        Reserved::Controller(who) => d.label(format!("read by {who}")).help(
            "setting it changes what the cluster enforces in the namespace; if teams may, \
                 list it in `policy.labels.allow` in rbacc.yaml",
        ),
        Reserved::Policy(span) => d
            .label("forbidden by the platform")
            .with_secondary(*span, "forbidden by `policy.labels.forbid`")
            .help("the platform sets or forbids this label; remove it"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn always_reserved_keys() {
        assert_eq!(always_reserved("rbacc.dev/team"), Some(Reserved::Rbacc));
        assert_eq!(
            always_reserved("pod-security.kubernetes.io/enforce"),
            Some(Reserved::PodSecurity)
        );
        assert_eq!(always_reserved(MANAGED_BY), Some(Reserved::ManagedBy));
        for (key, prefix) in [
            ("kubernetes.io/metadata.name", "kubernetes.io"),
            ("k8s.io/x", "k8s.io"),
            ("topology.kubernetes.io/zone", "topology.kubernetes.io"),
            (
                "node-role.kubernetes.io/control-plane",
                "node-role.kubernetes.io",
            ),
            ("example.k8s.io/x", "example.k8s.io"),
        ] {
            assert_eq!(
                always_reserved(key),
                Some(Reserved::Kubernetes(prefix)),
                "{key}"
            );
        }
        for free in [
            "cost-center",
            "app.kubernetes.io/part-of",
            "app.kubernetes.io/name",
            "app.kubernetes.io/component",
            "example.com/tier",
            "example.com/kubernetes.io",
            "mykubernetes.io/x",
            "k8s.io.example.com/x",
            "rbacc.dev.example.com/x",
        ] {
            assert_eq!(always_reserved(free), None, "{free}");
        }
    }

    #[test]
    fn patterns() {
        assert!(matches("istio-injection", "istio-injection"));
        assert!(!matches("istio-injection", "istio-injection-x"));
        assert!(matches("istio.io/", "istio.io/rev"));
        assert!(!matches("istio.io/", "sub.istio.io/rev"));
        assert!(!matches("istio.io/", "istio.io"));
        assert!(matches("*.openshift.io/", "openshift.io/run-level"));
        assert!(matches("*.openshift.io/", "security.openshift.io/scc"));
        assert!(!matches("*.openshift.io/", "notopenshift.io/x"));
    }

    #[test]
    fn controller_labels_are_reserved_until_allowed() {
        let none = LabelPolicy::default();
        for key in [
            "istio-injection",
            "istio.io/rev",
            "openshift.io/run-level",
            "capsule.clastix.io/tenant",
            "admission.gatekeeper.sh/ignore",
            "argocd.argoproj.io/managed-by",
            "kustomize.toolkit.fluxcd.io/name",
            "component",
            "name",
        ] {
            assert!(
                matches!(none.reserved(key), Some(Reserved::Controller(_))),
                "{key}"
            );
        }
        assert_eq!(none.reserved("cost-center"), None);
        let allowing = LabelPolicy {
            allow: vec!["istio-injection".into(), "istio.io/".into()],
            forbid: Vec::new(),
        };
        assert_eq!(allowing.reserved("istio-injection"), None);
        assert_eq!(allowing.reserved("istio.io/rev"), None);
        assert!(allowing.reserved("sidecar.istio.io/inject").is_some());
    }

    #[test]
    fn controller_labels_are_sorted_documented_and_valid() {
        let patterns: Vec<&str> = CONTROLLER_LABELS.iter().map(|(p, _)| *p).collect();
        let mut sorted = patterns.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, patterns, "sorted, no duplicates");
        let docs = include_str!("../../docs/diagnostics.md");
        for pattern in patterns {
            assert_eq!(pattern_problem(pattern), None, "{pattern}");
            assert!(
                docs.contains(&format!("`{pattern}`")),
                "{pattern} is documented"
            );
        }
    }
}
