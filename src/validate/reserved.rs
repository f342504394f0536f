//! Namespaces no team may declare: Kubernetes' own, the ones rbacc itself
//! writes into or wires (kubeconfig ConfigMaps, Flux), and those common
//! add-ons run in. A team that declared one would have rbacc rewrite its
//! labels, quota and limits, and bind its own members there: in Flux's
//! namespace that is every Kustomization, in the kubeconfig namespace every
//! team's kubeconfig and its exec plugin.
//!
//! `policy.reservedNamespaces` adds names (or `prefix-*` patterns);
//! `policy.unreserveNamespaces` gives add-on names back to teams, one by
//! one. rbacc's own namespaces and Kubernetes' can never be given back.

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::raw::{self, NamespacePrefix};
use crate::source::{Sp, Span};

/// Namespaces common add-ons install into. Reserved unless
/// `policy.unreserveNamespaces` names them; documented in
/// `docs/diagnostics.md` under `reserved-namespace`.
pub const ADDON_NAMESPACES: &[&str] = &[
    "argo-rollouts",
    "argocd",
    "calico-apiserver",
    "calico-system",
    "capsule-system",
    "cattle-system",
    "cert-manager",
    "cnpg-system",
    "crossplane-system",
    "external-dns",
    "external-secrets",
    "flux-system",
    "gatekeeper-system",
    "gpu-operator",
    "ingress-nginx",
    "istio-ingress",
    "istio-system",
    "karpenter",
    "keda",
    "knative-eventing",
    "knative-serving",
    "kubernetes-dashboard",
    "kyverno",
    "linkerd",
    "linkerd-viz",
    "local-path-storage",
    "logging",
    "longhorn-system",
    "metallb-system",
    "monitoring",
    "olm",
    "opentelemetry-operator-system",
    "operators",
    "prometheus",
    "rbac-manager",
    "sealed-secrets",
    "tekton-pipelines",
    "tigera-operator",
    "trivy-system",
    "vault",
    "velero",
];

/// Names Kubernetes and its distributions keep, besides every name with
/// one of [`KUBERNETES_PREFIXES`].
const KUBERNETES_NAMES: &[&str] = &["default", "openshift"];
const KUBERNETES_PREFIXES: &[&str] = &["kube-", "openshift-"];

/// Prefixes whole platforms install namespaces under, several of them
/// holding cluster-wide service accounts (Rancher and Fleet, GKE and its
/// managed Prometheus, AKS, EKS). Reserved like [`ADDON_NAMESPACES`];
/// documented beside them.
pub const ADDON_PREFIXES: &[&str] = &["aks-", "cattle-", "eks-", "fleet-", "gke-", "gmp-"];

/// Why a namespace is reserved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// Kubernetes' or OpenShift's own (`default`, `kube-*`, `openshift-*`).
    Kubernetes,
    /// rbacc writes into it: `what` says what, `span` where it is set (none
    /// for a default).
    Rbacc {
        what: &'static str,
        span: Option<Span>,
    },
    /// A namespace a common add-on runs in.
    Addon,
    /// Listed in `policy.reservedNamespaces`.
    Policy(Span),
    /// Its file in the team's shard would be another file of the layout.
    Layout,
}

/// Namespace names whose file (`<namespace>.yaml`) in a team's shard would
/// be a file the layout of `out/` keeps for itself.
const LAYOUT_NAMES: &[&str] = &["kustomization"];

/// The reserved namespaces of one configuration.
#[derive(Debug, Default)]
pub struct Reserved {
    names: BTreeMap<String, Why>,
    /// `policy.unreserveNamespaces`: add-on names given back to teams.
    unreserved: Vec<String>,
    /// `prefix-*` patterns of `policy.reservedNamespaces`.
    prefixes: Vec<(String, Span)>,
}

impl Reserved {
    /// Why `namespace` is reserved, or `None` when a team may declare it.
    pub fn why(&self, namespace: &str) -> Option<Why> {
        if let Some(why) = self.names.get(namespace) {
            return Some(why.clone());
        }
        if LAYOUT_NAMES.contains(&namespace) {
            return Some(Why::Layout);
        }
        if KUBERNETES_PREFIXES.iter().any(|p| namespace.starts_with(p)) {
            return Some(Why::Kubernetes);
        }
        if ADDON_PREFIXES.iter().any(|p| namespace.starts_with(p))
            && !self.unreserved.iter().any(|u| u == namespace)
        {
            return Some(Why::Addon);
        }
        self.prefixes
            .iter()
            .find(|(prefix, _)| namespace.starts_with(prefix.as_str()))
            .map(|(_, span)| Why::Policy(*span))
    }
}

/// The namespace rbacc's kubeconfig ConfigMaps go to, when it renders
/// kubeconfigs.
fn kubeconfig_namespace(config: &raw::Config) -> Option<(String, Option<Span>)> {
    let renders =
        config.kubeconfig.is_some() || config.clusters.iter().any(|c| c.kubeconfig.is_some());
    if !renders {
        return None;
    }
    let explicit = config
        .kubeconfig
        .as_ref()
        .and_then(|k| k.namespace.as_ref());
    Some(match explicit {
        Some(ns) => (ns.value.clone(), Some(ns.span)),
        None => (super::kubeconfig::DEFAULT_NAMESPACE.to_string(), None),
    })
}

/// Reads the reserved namespaces of `config`, reporting entries of
/// `policy.unreserveNamespaces` that cannot be given back.
pub fn check(config: &raw::Config, diags: &mut Diagnostics) -> Reserved {
    let policy = &config.policy;
    let mut reserved = Reserved::default();
    let unreserved: Vec<&Sp<String>> = policy.unreserve_namespaces.iter().collect();
    reserved.unreserved = unreserved.iter().map(|u| u.value.clone()).collect();
    for name in ADDON_NAMESPACES {
        if !unreserved.iter().any(|u| u.value == *name) {
            reserved.names.insert(name.to_string(), Why::Addon);
        }
    }
    for entry in policy.reserved_namespaces.iter().flatten() {
        let name = entry.value.strip_suffix('*').unwrap_or(&entry.value);
        // A prefix is a label with something after it: check it as one.
        let label = if name.len() < entry.value.len() {
            format!("{name}x")
        } else {
            name.to_string()
        };
        let problem = if name.is_empty() {
            Some("an empty name, or a prefix of nothing".to_string())
        } else {
            super::dns_label_problem(&label)
        };
        if let Some(problem) = problem {
            diags.push(
                Diagnostic::error(
                    Code::InvalidName,
                    entry.span,
                    format!("`{}` is not a namespace name or `prefix-*`: {problem}", entry.value),
                )
                .label("reserves nothing")
                .help("write a namespace name (`platform-tools`) or a prefix ending in `*` (`platform-*`)"),
            );
            continue;
        }
        match entry.value.strip_suffix('*') {
            Some(prefix) if !prefix.is_empty() => {
                reserved.prefixes.push((prefix.to_string(), entry.span));
            }
            _ => {
                reserved
                    .names
                    .insert(entry.value.clone(), Why::Policy(entry.span));
            }
        }
    }
    let mut rbacc_own = Vec::new();
    if let Some((ns, span)) = kubeconfig_namespace(config) {
        rbacc_own.push((ns, "holds every team's kubeconfig ConfigMap", span));
    }
    if let Some(flux) = &config.gitops.flux {
        let (ns, span) = match &flux.namespace {
            Some(ns) => (ns.value.clone(), Some(ns.span)),
            None => (super::gitops::DEFAULT_NAMESPACE.to_string(), None),
        };
        rbacc_own.push((ns, "holds the Flux Kustomizations that apply out/", span));
    }
    for (ns, what, span) in rbacc_own {
        reserved.names.insert(ns, Why::Rbacc { what, span });
    }
    for name in KUBERNETES_NAMES {
        reserved.names.insert(name.to_string(), Why::Kubernetes);
    }
    for entry in unreserved {
        let problem = match reserved.why(&entry.value) {
            Some(Why::Kubernetes) => Some("is Kubernetes' own".to_string()),
            Some(Why::Rbacc { what, .. }) => Some(format!("is rbacc's own: it {what}")),
            Some(Why::Policy(_)) => {
                Some("is also listed in `policy.reservedNamespaces`".to_string())
            }
            Some(Why::Layout) => Some("is the name of a file of out/'s layout".to_string()),
            _ if !ADDON_NAMESPACES.contains(&entry.value.as_str())
                && !ADDON_PREFIXES.iter().any(|p| entry.value.starts_with(p)) =>
            {
                Some("is not reserved by default: teams may declare it already".to_string())
            }
            _ => None,
        };
        if let Some(problem) = problem {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    entry.span,
                    format!("namespace `{}` {problem}", entry.value),
                )
                .label("cannot be given to teams")
                .help(
                    "`unreserveNamespaces` lists add-on namespaces (see `reserved-namespace` \
                     in docs/diagnostics.md) that a team may own on your clusters",
                ),
            );
        }
    }
    let no_extra = policy
        .reserved_namespaces
        .as_ref()
        .is_none_or(Vec::is_empty);
    if let Some(prefix) = &policy.namespace_prefix
        && prefix.value == NamespacePrefix::None
        && no_extra
    {
        diags.push(
            Diagnostic::warning(
                Code::ReservedNamespace,
                prefix.span,
                "any namespace the platform runs in is open to teams",
            )
            .label("teams may name their namespaces anything")
            .help(
                "with `namespacePrefix: none`, list the namespaces your platform runs in \
                 (beyond Kubernetes', rbacc's and the common add-ons') in \
                 `policy.reservedNamespaces`",
            ),
        );
    }
    reserved
}

/// The diagnostic for a team's namespace that `why` reserves.
pub fn diagnostic(name: &Sp<String>, why: &Why) -> Diagnostic {
    let d = Diagnostic::error(
        Code::ReservedNamespace,
        name.span,
        format!("namespace `{}` is reserved", name.value),
    );
    match why {
        Why::Kubernetes => d.label("Kubernetes' own").help(
            "`default`, `kube-*`, `openshift` and `openshift-*` belong to Kubernetes \
             and its distributions",
        ),
        Why::Rbacc { what, span } => {
            let d = d
                .label(format!("rbacc's own: it {what}"))
                .help("a team that owned it could rewrite what rbacc puts there");
            match span {
                Some(span) => d.with_secondary(*span, "rbacc writes there because of this"),
                None => d,
            }
        }
        Why::Addon => d.label("an add-on's namespace").help(format!(
            "common add-ons run in `{}`; if yours does not and a team should own it, \
             list it in `policy.unreserveNamespaces` in rbacc.yaml",
            name.value
        )),
        Why::Layout => d
            .label("its file would be the shard's `kustomization.yaml`")
            .help("choose another name"),
        Why::Policy(span) => d
            .label("reserved for the platform")
            .with_secondary(*span, "reserved by `policy.reservedNamespaces`")
            .help("the platform keeps this namespace; choose another name"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addon_namespaces_are_sorted_documented_and_valid() {
        let mut sorted = ADDON_NAMESPACES.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, ADDON_NAMESPACES, "sorted, no duplicates");
        let docs = include_str!("../../docs/diagnostics.md");
        for name in ADDON_NAMESPACES {
            assert!(
                crate::validate::names::dns_label_problem(name).is_none(),
                "{name}"
            );
            assert!(docs.contains(&format!("`{name}`")), "{name} is documented");
        }
        for prefix in ADDON_PREFIXES {
            assert!(
                docs.contains(&format!("`{prefix}*`")),
                "{prefix} is documented"
            );
        }
    }

    #[test]
    fn prefixes_and_defaults() {
        let reserved = check(&raw::Config::default(), &mut Diagnostics::default());
        assert_eq!(reserved.why("kube-system"), Some(Why::Kubernetes));
        assert_eq!(reserved.why("kube-anything"), Some(Why::Kubernetes));
        assert_eq!(reserved.why("openshift-monitoring"), Some(Why::Kubernetes));
        assert_eq!(reserved.why("default"), Some(Why::Kubernetes));
        assert_eq!(reserved.why("cert-manager"), Some(Why::Addon));
        assert_eq!(reserved.why("cattle-fleet-system"), Some(Why::Addon));
        assert_eq!(reserved.why("gmp-system"), Some(Why::Addon));
        assert_eq!(reserved.why("payments-prod"), None);
        // No kubeconfigs, no Flux: rbacc has no namespace of its own.
        assert_eq!(reserved.why("rbacc-kubeconfigs"), None);
    }
}
