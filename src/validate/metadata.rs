//! Which labels and annotations a team may set on its namespaces, which
//! it must set, and with what values.
//!
//! Labels and annotations on a Namespace are read by more than people: Pod
//! Security admission, service meshes (sidecar injection), OpenShift,
//! Capsule, Rancher, Gatekeeper, Argo CD and Flux, node selectors and cloud
//! IAM, and the platform's own NetworkPolicy selectors. A team that set one
//! of theirs would change what the cluster enforces. Three tiers:
//!
//! 1. **Always reserved**, whatever the policy: rbacc's own (`rbacc.dev/`,
//!    `app.kubernetes.io/managed-by`, the Argo CD and Flux annotations
//!    rbacc writes), Pod Security's, and every prefix under
//!    `kubernetes.io` and `k8s.io`.
//! 2. **Reserved by default** ([`CONTROLLER_LABELS`],
//!    [`CONTROLLER_ANNOTATIONS`]): keys that common controllers act on.
//!    `policy.labels.allow` (`policy.annotations.allow`) gives some back.
//! 3. **Forbidden by the platform**: `forbid` adds keys or prefixes of its
//!    own.
//!
//! On top, the platform's metadata policy: keys every namespace must have
//! (`required`), the values a key may take (`values`: a list or a
//! pattern), and `defaults.labels` / `defaults.annotations` for namespaces
//! that do not set a key. Defaults are the platform's, so they may use
//! keys reserved for controllers (tier 2), never those of tier 1.
//!
//! A pattern is a key (`istio-injection`), a prefix ending in `/`
//! (`istio.io/`: every key with that prefix) or a domain with its
//! subdomains (`*.openshift.io/`).

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::raw::{self, AllowedValues};
use crate::source::{Sp, Span};
use crate::text::is_invisible;

use super::names::{label_key_problem, label_value_problem};

/// The `app.kubernetes.io` key rbacc sets on every namespace.
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";

/// The annotations rbacc writes on every Namespace, besides its own
/// `rbacc.dev/` ones: they keep Argo CD and Flux from deleting it.
pub const RBACC_ANNOTATIONS: &[&str] = &[
    "argocd.argoproj.io/sync-options",
    "argocd.argoproj.io/sync-wave",
    "kustomize.toolkit.fluxcd.io/prune",
];

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

/// Annotation keys and prefixes controllers act on, reserved unless
/// `policy.annotations.allow` lists them. Documented under
/// `reserved-annotation` in `docs/diagnostics.md`.
pub const CONTROLLER_ANNOTATIONS: &[(&str, &str)] = &[
    ("*.cattle.io/", "Rancher (projects and their access)"),
    ("*.gatekeeper.sh/", "Gatekeeper"),
    ("*.openshift.io/", "OpenShift (node selectors, SCC ranges)"),
    ("*.toolkit.fluxcd.io/", "Flux"),
    ("argocd.argoproj.io/", "Argo CD"),
    ("capsule.clastix.io/", "Capsule"),
    ("cert-manager.io/", "cert-manager"),
    ("config.linkerd.io/", "Linkerd"),
    ("eks.amazonaws.com/", "EKS (pod IAM roles)"),
    ("elbv2.k8s.aws/", "the AWS Load Balancer Controller"),
    (
        "iam.amazonaws.com/",
        "kube2iam and kiam (the IAM roles pods may assume)",
    ),
    ("istio.io/", "Istio"),
    ("kyverno.io/", "Kyverno"),
    ("linkerd.io/", "Linkerd"),
    ("openshift.io/", "OpenShift (node selectors, SCC ranges)"),
    ("policies.kyverno.io/", "Kyverno"),
    ("projectcapsule.dev/", "Capsule"),
    ("sidecar.istio.io/", "Istio"),
    ("velero.io/", "Velero"),
];

/// What the API server accepts of a Namespace's annotations, keys and
/// values together (`TotalAnnotationSizeLimitB`), less what rbacc writes.
pub const ANNOTATIONS_BYTES: usize = 256 * 1024 - 1024;

/// The longest `pattern:` of `values`.
const PATTERN_BYTES: usize = 1024;

/// Labels or annotations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MetaKind {
    #[default]
    Label,
    Annotation,
}

impl MetaKind {
    /// `label`, `annotation`.
    pub fn noun(self) -> &'static str {
        match self {
            MetaKind::Label => "label",
            MetaKind::Annotation => "annotation",
        }
    }

    /// The field that holds them: `labels`, `annotations`.
    pub fn field(self) -> &'static str {
        match self {
            MetaKind::Label => "labels",
            MetaKind::Annotation => "annotations",
        }
    }

    fn controllers(self) -> &'static [(&'static str, &'static str)] {
        match self {
            MetaKind::Label => CONTROLLER_LABELS,
            MetaKind::Annotation => CONTROLLER_ANNOTATIONS,
        }
    }

    fn reserved_code(self) -> Code {
        match self {
            MetaKind::Label => Code::ReservedLabel,
            MetaKind::Annotation => Code::ReservedAnnotation,
        }
    }

    /// Why `key` is not a valid key of this kind.
    fn key_problem(self, key: &str) -> Option<String> {
        match self {
            MetaKind::Label => label_key_problem(key),
            // The API server checks annotation keys lowercased.
            MetaKind::Annotation => label_key_problem(&key.to_ascii_lowercase()),
        }
    }

    /// `key` as reserved keys and patterns are compared with it: an
    /// annotation key lowercased, as the API server checks it (a domain is
    /// the same in any case), a label key as written (the API server
    /// refuses uppercase in its prefix).
    fn fold(self, key: &str) -> std::borrow::Cow<'_, str> {
        match self {
            MetaKind::Label => key.into(),
            MetaKind::Annotation => key.to_ascii_lowercase().into(),
        }
    }

    /// Why `value` is not a valid value of this kind, with help.
    fn value_problem(self, value: &str) -> Option<(String, &'static str)> {
        match self {
            MetaKind::Label => label_value_problem(value).map(|p| {
                (
                    p,
                    "label values are at most 63 letters, digits, `-`, `_` and `.`",
                )
            }),
            MetaKind::Annotation => value
                .chars()
                .find(|&c| is_invisible(c) && c != '\n' && c != '\t')
                .map(|c| {
                    (
                        format!("it contains the invisible character {:?}", c),
                        "annotation values are text; line breaks and tabs are kept, other control and invisible characters are not",
                    )
                }),
        }
    }
}

/// Why a team may not set a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reserved<'a> {
    /// `pod-security.kubernetes.io/…`: would change the namespace's Pod
    /// Security level behind the policy's back.
    PodSecurity,
    /// `rbacc.dev/…`: rbacc's own.
    Rbacc,
    /// A key rbacc writes itself (`app.kubernetes.io/managed-by`, the
    /// Argo CD and Flux annotations).
    SetByRbacc(&'a str),
    /// A prefix under `kubernetes.io` or `k8s.io` (the prefix given).
    Kubernetes(&'a str),
    /// A key a controller acts on (which one).
    Controller(&'static str),
    /// Forbidden by the policy's `forbid`, at this entry.
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
pub fn always_reserved(kind: MetaKind, key: &str) -> Option<Reserved<'_>> {
    let folded = kind.fold(key);
    if kind == MetaKind::Annotation
        && let Some(own) = RBACC_ANNOTATIONS.iter().find(|k| **k == folded)
    {
        return Some(Reserved::SetByRbacc(own));
    }
    let (prefix, _) = folded.split_once('/')?;
    match prefix {
        "rbacc.dev" => Some(Reserved::Rbacc),
        "app.kubernetes.io" => (folded == MANAGED_BY).then_some(Reserved::SetByRbacc(MANAGED_BY)),
        "pod-security.kubernetes.io" => Some(Reserved::PodSecurity),
        // The prefix as written: folding keeps every byte where it is.
        _ if matches("*.kubernetes.io/", &folded) || matches("*.k8s.io/", &folded) => {
            Some(Reserved::Kubernetes(&key[..prefix.len()]))
        }
        _ => None,
    }
}

/// The values a key may take.
#[derive(Debug)]
enum Allowed {
    List(BTreeSet<String>),
    Pattern(Regex),
}

/// The metadata policy of one kind (`policy.labels` or
/// `policy.annotations`, with `defaults.labels` or `defaults.annotations`).
#[derive(Debug, Default)]
pub struct MetadataPolicy {
    kind: MetaKind,
    allow: Vec<String>,
    forbid: Vec<Sp<String>>,
    required: Vec<Sp<String>>,
    /// Key -> the values it may take, and where the policy says so.
    values: BTreeMap<String, (Allowed, Span)>,
    defaults: BTreeMap<String, String>,
}

impl MetadataPolicy {
    /// Reads the policy and defaults of `kind`, reporting patterns that
    /// are not keys or prefixes, `allow` entries no policy may allow, and
    /// required keys, values and defaults that cannot hold.
    pub fn check(
        kind: MetaKind,
        raw: &raw::MetadataPolicy,
        defaults: &[(Sp<String>, Sp<String>)],
        diags: &mut Diagnostics,
    ) -> MetadataPolicy {
        let mut policy = MetadataPolicy {
            kind,
            ..MetadataPolicy::default()
        };
        policy.read_patterns(raw, diags);
        for (key, allowed) in &raw.values {
            if !policy.check_policy_key(key, diags) {
                continue;
            }
            if let Some(allowed) = policy.check_allowed(key.span, allowed, diags) {
                policy.values.insert(key.value.clone(), allowed);
            }
        }
        for (key, value) in defaults {
            if !policy.check_policy_key(key, diags) {
                continue;
            }
            if let Some((problem, help)) = kind.value_problem(&value.value) {
                diags.push(invalid(value, kind, "value", problem).help(help));
                continue;
            }
            if let Some(d) = policy.value_not_allowed(key, value) {
                diags.push(d);
                continue;
            }
            policy
                .defaults
                .insert(key.value.clone(), value.value.clone());
        }
        for key in &raw.required {
            if !policy.check_policy_key(key, diags) {
                continue;
            }
            if !policy.defaults.contains_key(&key.value)
                && let Some(reserved) = policy.reserved(&key.value)
            {
                diags.push(
                    Diagnostic::error(
                        Code::MetadataPolicy,
                        key.span,
                        format!("{} `{}` is required, but teams may not set it", kind.noun(), key.value),
                    )
                    .label(reserved_label(kind, &reserved))
                    .help(format!(
                        "give it a value in `defaults.{}`, or let teams set it with `policy.{}.allow`",
                        kind.field(),
                        kind.field()
                    )),
                );
                continue;
            }
            policy.required.push(key.clone());
        }
        if kind == MetaKind::Annotation {
            let bytes: usize = policy.defaults.iter().map(|(k, v)| k.len() + v.len()).sum();
            if bytes > ANNOTATIONS_BYTES
                && let Some((key, _)) = defaults.first()
            {
                diags.push(too_many_annotation_bytes(
                    key.span,
                    bytes,
                    "`defaults.annotations`",
                ));
            }
        }
        policy
    }

    fn read_patterns(&mut self, raw: &raw::MetadataPolicy, diags: &mut Diagnostics) {
        let kind = self.kind;
        for (list, allow) in [(&raw.allow, true), (&raw.forbid, false)] {
            for pattern in list {
                if let Some(problem) = pattern_problem(&pattern.value) {
                    diags.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            pattern.span,
                            format!(
                                "`{}` is not a {} key or prefix: {problem}",
                                pattern.value,
                                kind.noun()
                            ),
                        )
                        .label(format!("not a {} pattern", kind.noun()))
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
                    if always_reserved(kind, &probe).is_some() {
                        diags.push(
                            Diagnostic::error(
                                kind.reserved_code(),
                                pattern.span,
                                format!("`{}` cannot be allowed", pattern.value),
                            )
                            .label("reserved whatever the policy")
                            .help(format!(
                                "rbacc's {}, Pod Security's and prefixes under kubernetes.io and k8s.io are never set by teams",
                                kind.field(),
                            )),
                        );
                        continue;
                    }
                    self.allow.push(pattern.value.clone());
                } else {
                    self.forbid.push(pattern.clone());
                }
            }
        }
    }

    /// Whether `key`, named by the policy itself, is a key it may name.
    fn check_policy_key(&self, key: &Sp<String>, diags: &mut Diagnostics) -> bool {
        let kind = self.kind;
        if let Some(problem) = kind.key_problem(&key.value) {
            diags.push(invalid(key, kind, "key", problem));
            return false;
        }
        if let Some(reserved) = always_reserved(kind, &key.value) {
            diags.push(
                diagnostic(kind, key, &reserved)
                    .help(format!("rbacc's {}, Pod Security's and keys under kubernetes.io and k8s.io are not the policy's either", kind.field())),
            );
            return false;
        }
        true
    }

    /// The values `allowed` names, with the span a diagnostic points at
    /// (the pattern, or the key of a list).
    fn check_allowed(
        &self,
        key: Span,
        allowed: &AllowedValues,
        diags: &mut Diagnostics,
    ) -> Option<(Allowed, Span)> {
        let kind = self.kind;
        match allowed {
            AllowedValues::List(span, values) => {
                let mut ok = true;
                for value in values {
                    if let Some((problem, help)) = kind.value_problem(&value.value) {
                        diags.push(invalid(value, kind, "value", problem).help(help));
                        ok = false;
                    }
                }
                if values.is_empty() {
                    diags.push(
                        Diagnostic::error(Code::InvalidValue, *span, "no value is allowed")
                            .label("empty list")
                            .help(format!("list the values the key may take; to keep teams from setting it, use `policy.{}.forbid`", kind.field())),
                    );
                    ok = false;
                }
                ok.then(|| {
                    (
                        Allowed::List(values.iter().map(|v| v.value.clone()).collect()),
                        key,
                    )
                })
            }
            AllowedValues::Pattern(pattern) => {
                let compiled = if pattern.value.len() > PATTERN_BYTES {
                    Err(format!(
                        "it is {} bytes long, more than {PATTERN_BYTES}",
                        pattern.value.len()
                    ))
                } else {
                    // The pattern alone first: one that parses alone cannot
                    // close the group that anchors it (`a)|(b`).
                    let build = |p: &str| {
                        regex::RegexBuilder::new(p)
                            .size_limit(1 << 20)
                            .dfa_size_limit(1 << 20)
                            .build()
                    };
                    build(&pattern.value)
                        .and_then(|_| build(&format!("^(?:{})$", pattern.value)))
                        .map_err(|e| match e {
                            regex::Error::Syntax(text) => text
                                .lines()
                                .last()
                                .unwrap_or("invalid syntax")
                                .trim_start_matches("error: ")
                                .to_string(),
                            regex::Error::CompiledTooBig(_) => {
                                "it compiles to more than 1 MiB".to_string()
                            }
                            _ => e.to_string(),
                        })
                };
                match compiled {
                    Ok(regex) => Some((Allowed::Pattern(regex), pattern.span)),
                    Err(problem) => {
                        diags.push(
                            Diagnostic::error(
                                Code::InvalidValue,
                                pattern.span,
                                format!("`{}` is not a valid pattern: {}", crate::text::visible(&pattern.value), crate::text::visible(&problem)),
                            )
                            .label("invalid regular expression")
                            .help("write a regular expression in Rust `regex` syntax (no look-around or back-references); the whole value must match it"),
                        );
                        None
                    }
                }
            }
        }
    }

    /// The diagnostic for `value` of `key` when the policy does not allow
    /// it.
    fn value_not_allowed(&self, key: &Sp<String>, value: &Sp<String>) -> Option<Diagnostic> {
        let (allowed, span) = self.values.get(&key.value)?;
        let (ok, expected) = match allowed {
            Allowed::List(values) => (
                values.contains(&value.value),
                format!(
                    "one of {}",
                    crate::decode::backticked_all(
                        &values.iter().map(String::as_str).collect::<Vec<_>>()
                    )
                ),
            ),
            Allowed::Pattern(regex) => (
                regex.is_match(&value.value),
                format!(
                    "a value matching `{}`",
                    regex
                        .as_str()
                        .trim_start_matches("^(?:")
                        .trim_end_matches(")$")
                ),
            ),
        };
        (!ok).then(|| {
            Diagnostic::error(
                Code::MetadataPolicy,
                value.span,
                format!(
                    "`{}` is not an allowed value of {} `{}`",
                    crate::text::visible(&value.value),
                    self.kind.noun(),
                    key.value
                ),
            )
            .label(format!("expected {expected}"))
            .with_secondary(*span, format!("`policy.{}.values`", self.kind.field()))
            .help(format!("the platform allows {expected} here"))
        })
    }

    /// Why a team may not set `key`, or `None` when it may.
    pub fn reserved<'a>(&self, key: &'a str) -> Option<Reserved<'a>> {
        if let Some(reserved) = always_reserved(self.kind, key) {
            return Some(reserved);
        }
        let kind = self.kind;
        let key = kind.fold(key);
        let covers = |pattern: &str| matches(&kind.fold(pattern), &key);
        if let Some(entry) = self.forbid.iter().find(|p| covers(&p.value)) {
            return Some(Reserved::Policy(entry.span));
        }
        if self.allow.iter().any(|p| covers(p)) {
            return None;
        }
        kind.controllers()
            .iter()
            .find(|(pattern, _)| covers(pattern))
            .map(|(_, who)| Reserved::Controller(who))
    }

    /// The labels (or annotations) of the namespace `namespace` as its team
    /// file sets them, over the defaults: keys the team may not set, keys
    /// and values Kubernetes refuses and values the policy does not allow
    /// reported and left out, and every required key that is missing
    /// reported on the namespace.
    pub fn check_namespace(
        &self,
        namespace: &Sp<String>,
        written: &[(Sp<String>, Sp<String>)],
        diags: &mut Diagnostics,
    ) -> BTreeMap<String, String> {
        let kind = self.kind;
        let mut out = BTreeMap::new();
        let mut set = BTreeSet::new();
        for (key, value) in written {
            // Written, even if refused: a refused key is not also missing.
            set.insert(key.value.as_str());
            if let Some(reserved) = self.reserved(&key.value) {
                diags.push(diagnostic(kind, key, &reserved));
            } else if let Some(problem) = kind.key_problem(&key.value) {
                diags.push(invalid(key, kind, "key", problem));
            } else if let Some((problem, help)) = kind.value_problem(&value.value) {
                diags.push(invalid(value, kind, "value", problem).help(help));
            } else if let Some(d) = self.value_not_allowed(key, value) {
                diags.push(d);
            } else {
                out.insert(key.value.clone(), value.value.clone());
            }
        }
        for (key, value) in &self.defaults {
            if !set.contains(key.as_str()) {
                out.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
        for key in &self.required {
            if !set.contains(key.value.as_str()) && !out.contains_key(&key.value) {
                diags.push(
                    Diagnostic::error(
                        Code::MetadataPolicy,
                        namespace.span,
                        format!(
                            "namespace `{}` has no {} `{}`",
                            namespace.value,
                            kind.noun(),
                            key.value
                        ),
                    )
                    .label(format!("`{}` missing", key.value))
                    .with_secondary(
                        key.span,
                        format!("required by `policy.{}.required`", kind.field()),
                    )
                    .help(self.required_help(&key.value)),
                );
            }
        }
        if kind == MetaKind::Annotation {
            let bytes: usize = out.iter().map(|(k, v)| k.len() + v.len()).sum();
            if bytes > ANNOTATIONS_BYTES {
                diags.push(too_many_annotation_bytes(
                    namespace.span,
                    bytes,
                    "the namespace's annotations",
                ));
                out.clear();
            }
        }
        out
    }

    fn required_help(&self, key: &str) -> String {
        let example = match self.values.get(key) {
            Some((Allowed::List(values), _)) => values.first().cloned().unwrap_or_default(),
            _ => "…".to_string(),
        };
        let mut help = format!(
            "add `{}: {{ {key}: {example} }}` to the namespace",
            self.kind.field()
        );
        if let Some((Allowed::List(values), _)) = self.values.get(key) {
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            help.push_str(&format!(
                "; the platform allows {}",
                crate::decode::backticked_all(&values)
            ));
        }
        help
    }
}

fn invalid(written: &Sp<String>, kind: MetaKind, what: &str, problem: String) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidValue,
        written.span,
        format!(
            "`{}` is not a valid {} {what}: {problem}",
            crate::text::visible(&written.value),
            kind.noun()
        ),
    )
    .label(format!("invalid {} {what}", kind.noun()))
}

fn too_many_annotation_bytes(span: Span, bytes: usize, what: &str) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidValue,
        span,
        format!("{what} hold {bytes} bytes, more than {ANNOTATIONS_BYTES}"),
    )
    .label("annotations too large")
    .help("the API server refuses more than 256 KiB of annotations on one object, and rbacc writes some of its own; keep long text in the repository and link to it")
}

fn pattern_problem(pattern: &str) -> Option<String> {
    let key = match pattern.strip_suffix('/') {
        Some(prefix) => format!("{}/x", prefix.strip_prefix("*.").unwrap_or(prefix)),
        None => pattern.to_string(),
    };
    label_key_problem(&key)
}

fn reserved_label(kind: MetaKind, reserved: &Reserved<'_>) -> String {
    match reserved {
        Reserved::PodSecurity => {
            "`pod-security.kubernetes.io/` labels set the namespace's Pod Security level"
                .to_string()
        }
        Reserved::Rbacc => "`rbacc.dev/` is rbacc's prefix".to_string(),
        Reserved::SetByRbacc(key) => format!("`{key}` is set by rbacc"),
        Reserved::Kubernetes(prefix) => format!("`{prefix}/` is a Kubernetes prefix"),
        Reserved::Controller(who) => format!("read by {who}"),
        Reserved::Policy(_) => format!("forbidden by `policy.{}.forbid`", kind.field()),
    }
}

/// The diagnostic for a `key` a team may not set.
pub fn diagnostic(kind: MetaKind, key: &Sp<String>, reserved: &Reserved<'_>) -> Diagnostic {
    let d = Diagnostic::error(
        kind.reserved_code(),
        key.span,
        format!(
            "{} `{}` is reserved",
            kind.noun(),
            crate::text::visible(&key.value)
        ),
    );
    let label = reserved_label(kind, reserved);
    match reserved {
        Reserved::PodSecurity => d.label(label).help("choose the level with `podSecurity`"),
        Reserved::Rbacc => d.label(label).help("rbacc sets these itself"),
        Reserved::SetByRbacc(MANAGED_BY) => d
            .label(label)
            .help(format!("rbacc sets `{MANAGED_BY}: rbacc` itself")),
        Reserved::SetByRbacc(_) => d
            .label(label)
            .help("rbacc sets it on every namespace it writes"),
        Reserved::Kubernetes(_) => d
            .label(label)
            .help("prefixes under kubernetes.io and k8s.io are reserved for Kubernetes"),
        Reserved::Controller(_) => d.label(label).help(format!(
            "setting it changes what the cluster enforces in the namespace; if teams may, \
                 list it in `policy.{}.allow` in rbacc.yaml",
            kind.field()
        )),
        Reserved::Policy(span) => d
            .label("forbidden by the platform")
            .with_secondary(
                *span,
                format!("forbidden by `policy.{}.forbid`", kind.field()),
            )
            .help(format!(
                "the platform sets or forbids this {}; remove it",
                kind.noun()
            )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn always_reserved_keys() {
        assert_eq!(
            always_reserved(MetaKind::Label, "rbacc.dev/team"),
            Some(Reserved::Rbacc)
        );
        assert_eq!(
            always_reserved(MetaKind::Label, "pod-security.kubernetes.io/enforce"),
            Some(Reserved::PodSecurity)
        );
        assert_eq!(
            always_reserved(MetaKind::Label, MANAGED_BY),
            Some(Reserved::SetByRbacc(MANAGED_BY))
        );
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
                always_reserved(MetaKind::Label, key),
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
            assert_eq!(always_reserved(MetaKind::Label, free), None, "{free}");
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
        let none = MetadataPolicy::default();
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
        let allowing = MetadataPolicy {
            allow: vec!["istio-injection".into(), "istio.io/".into()],
            ..MetadataPolicy::default()
        };
        assert_eq!(allowing.reserved("istio-injection"), None);
        assert_eq!(allowing.reserved("istio.io/rev"), None);
        assert!(allowing.reserved("sidecar.istio.io/inject").is_some());
    }

    #[test]
    fn controller_keys_are_sorted_documented_and_valid() {
        for list in [CONTROLLER_LABELS, CONTROLLER_ANNOTATIONS] {
            let patterns: Vec<&str> = list.iter().map(|(p, _)| *p).collect();
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

    fn nowhere() -> Span {
        let mut sources = crate::source::Sources::default();
        Span::file_start(sources.add("rbacc.yaml".to_string(), ""))
    }

    fn spanned(s: &str) -> Sp<String> {
        Sp::new(s.to_string(), nowhere())
    }

    fn policy(
        kind: MetaKind,
        raw: raw::MetadataPolicy,
        defaults: &[(&str, &str)],
    ) -> (MetadataPolicy, Diagnostics) {
        let mut diags = Diagnostics::default();
        let defaults: Vec<_> = defaults
            .iter()
            .map(|(k, v)| (spanned(k), spanned(v)))
            .collect();
        (
            MetadataPolicy::check(kind, &raw, &defaults, &mut diags),
            diags,
        )
    }

    fn codes(diags: &Diagnostics) -> Vec<&'static str> {
        diags.iter().map(|d| d.code.as_str()).collect()
    }

    #[test]
    fn annotations_rbacc_writes_are_reserved_whatever_the_policy() {
        for key in RBACC_ANNOTATIONS {
            assert_eq!(
                always_reserved(MetaKind::Annotation, key),
                Some(Reserved::SetByRbacc(key))
            );
            assert_eq!(
                always_reserved(MetaKind::Label, key),
                None,
                "{key} is a label key teams may be allowed"
            );
        }
        let allowing = MetadataPolicy {
            kind: MetaKind::Annotation,
            allow: vec!["argocd.argoproj.io/".into()],
            ..MetadataPolicy::default()
        };
        assert!(
            allowing
                .reserved("argocd.argoproj.io/sync-options")
                .is_some()
        );
        assert_eq!(allowing.reserved("argocd.argoproj.io/tracking-id"), None);
        assert!(matches!(
            MetadataPolicy {
                kind: MetaKind::Annotation,
                ..MetadataPolicy::default()
            }
            .reserved("iam.amazonaws.com/allowed-roles"),
            Some(Reserved::Controller(_))
        ));
        assert!(matches!(
            always_reserved(
                MetaKind::Annotation,
                "scheduler.alpha.kubernetes.io/node-selector"
            ),
            Some(Reserved::Kubernetes("scheduler.alpha.kubernetes.io"))
        ));
    }

    #[test]
    fn values_and_patterns_hold_for_whole_values() {
        let raw = raw::MetadataPolicy {
            required: vec![spanned("business-unit"), spanned("env")],
            values: vec![
                (
                    spanned("business-unit"),
                    AllowedValues::List(nowhere(), vec![spanned("payments"), spanned("retail")]),
                ),
                (spanned("env"), AllowedValues::Pattern(spanned("prod|dev"))),
            ],
            ..raw::MetadataPolicy::default()
        };
        let (policy, diags) = policy(MetaKind::Label, raw, &[("env", "dev")]);
        assert!(diags.is_empty(), "{:?}", codes(&diags));
        let ns = spanned("team-a");
        let mut diags = Diagnostics::default();
        let got = policy.check_namespace(
            &ns,
            &[(spanned("business-unit"), spanned("retail"))],
            &mut diags,
        );
        assert!(diags.is_empty());
        assert_eq!(
            got,
            BTreeMap::from([
                ("business-unit".into(), "retail".into()),
                ("env".into(), "dev".into())
            ])
        );
        let mut diags = Diagnostics::default();
        let got =
            policy.check_namespace(&ns, &[(spanned("env"), spanned("production"))], &mut diags);
        // `production` contains `prod` but is not it; the unit is missing.
        assert_eq!(codes(&diags), ["metadata-policy", "metadata-policy"]);
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn policies_that_cannot_hold_are_refused() {
        let raw = raw::MetadataPolicy {
            required: vec![spanned("istio-injection")],
            values: vec![
                (spanned("a"), AllowedValues::Pattern(spanned("(unclosed"))),
                (
                    spanned("b"),
                    AllowedValues::Pattern(spanned(&"x".repeat(PATTERN_BYTES + 1))),
                ),
                (
                    spanned("c"),
                    AllowedValues::Pattern(spanned("a{1000}{1000}")),
                ),
                (spanned("d"), AllowedValues::List(nowhere(), vec![])),
                (
                    spanned("rbacc.dev/team"),
                    AllowedValues::List(nowhere(), vec![spanned("x")]),
                ),
            ],
            ..raw::MetadataPolicy::default()
        };
        let (policy, diags) = policy(MetaKind::Label, raw, &[("e", "not valid!")]);
        assert_eq!(
            codes(&diags),
            [
                "invalid-value",
                "invalid-value",
                "invalid-value",
                "invalid-value",
                "reserved-label",
                "invalid-value",
                "metadata-policy"
            ]
        );
        assert!(
            policy.values.is_empty() && policy.defaults.is_empty() && policy.required.is_empty()
        );
    }

    /// A pattern is one whole-value pattern: `a)|(b` would be anchored as
    /// `^(?:a)|(b)$`, any value that starts with `a` or ends with `b`.
    #[test]
    fn a_pattern_cannot_close_its_anchoring_group() {
        for pattern in ["a)|(b", "prod)|.*|(dev", "x)|(?:y"] {
            let raw = raw::MetadataPolicy {
                values: vec![(spanned("env"), AllowedValues::Pattern(spanned(pattern)))],
                ..raw::MetadataPolicy::default()
            };
            let (policy, diags) = policy(MetaKind::Label, raw, &[]);
            assert_eq!(codes(&diags), ["invalid-value"], "{pattern}");
            assert!(policy.values.is_empty(), "{pattern}");
        }
        let raw = raw::MetadataPolicy {
            values: vec![(spanned("env"), AllowedValues::Pattern(spanned("(a)|(b)")))],
            ..raw::MetadataPolicy::default()
        };
        let (policy, diags) = policy(MetaKind::Label, raw, &[]);
        assert!(diags.is_empty(), "{:?}", codes(&diags));
        let mut diags = Diagnostics::default();
        policy.check_namespace(
            &spanned("team-a"),
            &[(spanned("env"), spanned("a-and-more"))],
            &mut diags,
        );
        assert_eq!(codes(&diags), ["metadata-policy"]);
    }

    #[test]
    fn annotation_values_are_visible_text_and_bounded() {
        let (policy, _) = policy(MetaKind::Annotation, raw::MetadataPolicy::default(), &[]);
        let ns = spanned("team-a");
        let mut diags = Diagnostics::default();
        let got = policy.check_namespace(
            &ns,
            &[
                (
                    spanned("example.com/Owner"),
                    spanned("line one\nline two\tend"),
                ),
                (spanned("example.com/bidi"), spanned("safe\u{202e}txt")),
                (spanned("example.com/escape"), spanned("\u{1b}[2J")),
            ],
            &mut diags,
        );
        assert_eq!(codes(&diags), ["invalid-value", "invalid-value"]);
        assert_eq!(got.len(), 1);
        let mut diags = Diagnostics::default();
        let big = "x".repeat(ANNOTATIONS_BYTES);
        let got = policy.check_namespace(
            &ns,
            &[(spanned("example.com/big"), spanned(&big))],
            &mut diags,
        );
        assert_eq!(codes(&diags), ["invalid-value"]);
        assert!(got.is_empty());
    }
}
