//! Checks on `rbacc.yaml`: clusters, policy, defaults and custom roles.

use std::collections::{BTreeMap, BTreeSet};

use crate::builtin::{self, BUILTIN_ROLES, RolePolicy};
use crate::decode::{backticked, backticked_all};
use crate::diag::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::model::raw::{self, NamespacePrefix, PodSecurity};
use crate::model::{Cluster, LimitRange, RoleDef, Rule};
use crate::risk::{Level, Risk};
use crate::source::{Sources, Sp, Span};

use super::analysis::Accepted;
use super::quota::{check_limit_range, check_quota, valid_limit_range};
use super::{UniqueNames, check_dns_label, check_reason, declared_twice, suggestion};

/// The upstream ClusterRole that grants everything.
pub const CLUSTER_ADMIN: &str = "cluster-admin";

/// What team checks need from the config.
pub struct Settings {
    pub clusters: Vec<Cluster>,
    pub reserved: super::reserved::Reserved,
    /// Which label keys teams may and must set, with what values
    /// (`policy.labels`, `defaults.labels`).
    pub labels: super::metadata::MetadataPolicy,
    /// The same for annotations (`policy.annotations`,
    /// `defaults.annotations`).
    pub annotations: super::metadata::MetadataPolicy,
    /// Which Pod Security levels teams may choose (`policy.podSecurity`).
    pub pod_security_policy: super::pod_security::PodSecurityPolicy,
    /// Budgets on what one declaration makes (`policy.limits`).
    pub limits: super::limits::Limits,
    pub namespace_prefix: NamespacePrefix,
    pub forbid_cluster_admin: bool,
    /// Where `forbidClusterAdmin` was set, if it was.
    pub forbid_cluster_admin_span: Option<Span>,
    pub protect_namespaces: bool,
    /// `policy.teamRoles: false`, where it is written: teams may not
    /// declare roles of their own.
    pub forbid_team_roles: Option<Sp<bool>>,
    pub pod_security: PodSecurity,
    pub quota: BTreeMap<String, String>,
    pub limit_range: Option<LimitRange>,
    /// `defaults.limitRange` as written, its valid entries only: what a
    /// namespace's own `limitRange` is merged over.
    pub limit_range_written: Option<raw::LimitRange>,
    /// The platform's NetworkPolicies (`spec.networkPolicies`), in every
    /// team namespace, sorted by name.
    pub network_policies: Vec<super::network::Checked>,
    /// Every role a team may bind, by the name teams use.
    pub roles: BTreeMap<String, KnownRole>,
    /// What each risk finding is (`policy.risks`, else the default), and
    /// where the policy set it.
    pub risk_levels: BTreeMap<Risk, (Level, Option<Span>)>,
    /// What the platform accepts of the built-in roles, by role and risk
    /// (`policy.builtinRoles`, else [`builtin::DEFAULT_ACCEPTED`]).
    pub builtin_accepts: BTreeMap<(&'static str, Risk), Accepted>,
}

pub struct KnownRole {
    pub def: RoleDef,
    /// Where a custom role is declared; `None` for built-in roles.
    pub span: Option<Span>,
    /// Whether the role lets its holders create pods (and so mount every
    /// Secret and service account of the namespace).
    pub creates_pods: bool,
    /// Risks the role's `allow:` accepts, with its `reason:` and where.
    pub allowed: Vec<Risk>,
    pub reason: Option<Sp<String>>,
}

impl KnownRole {
    /// A role a file declares, its name at `name`: whether it creates pods
    /// found in its rules with the evaluator's matching, and the risks
    /// `allow` names accepted with `reason`.
    pub(crate) fn declared(
        def: RoleDef,
        name: Span,
        allow: &[Sp<String>],
        reason: Option<&Sp<String>>,
    ) -> KnownRole {
        // Pods, or workloads that create them.
        let creates_pods = crate::risk::findings_of(&def.rules, "")
            .iter()
            .any(|f| f.risk == Risk::PodsCreate);
        KnownRole {
            def,
            span: Some(name),
            creates_pods,
            allowed: allow
                .iter()
                .filter_map(|a| Risk::from_id(&a.value))
                .collect(),
            reason: reason.cloned(),
        }
    }

    /// [`KnownRole::declared`] for a role rbacc writes (a custom role, a
    /// team's role) from `source`: no description is an empty one.
    pub(crate) fn written(
        name: &Sp<String>,
        description: Option<&Sp<String>>,
        rules: Vec<Rule>,
        source: &str,
        allow: &[Sp<String>],
        reason: Option<&Sp<String>>,
    ) -> KnownRole {
        let def = RoleDef {
            name: name.value.clone(),
            description: description.map_or_else(String::new, |d| d.value.clone()),
            rules,
            source: source.to_string(),
            existing: None,
        };
        KnownRole::declared(def, name.span, allow, reason)
    }
}

impl Settings {
    pub fn cluster_names(&self) -> impl Iterator<Item = &str> {
        self.clusters.iter().map(|c| c.name.as_str())
    }

    /// The clusters a declaration is on: those `list` names, else every
    /// cluster; sorted, and `None`, each reported, when one is not declared
    /// in rbacc.yaml.
    pub fn resolve_clusters(
        &self,
        list: Option<&[Sp<String>]>,
        diags: &mut Diagnostics,
    ) -> Option<Vec<String>> {
        let Some(list) = list else {
            return Some(self.cluster_names().map(String::from).collect());
        };
        let mut ok = true;
        let mut clusters = BTreeSet::new();
        for c in list {
            if self.cluster_names().any(|n| n == c.value) {
                clusters.insert(c.value.clone());
                continue;
            }
            ok = false;
            // With no cluster read from rbacc.yaml, that file's own findings
            // say why; every name would be unknown.
            if self.clusters.is_empty() && diags.has_errors() {
                continue;
            }
            let names: Vec<&str> = self.cluster_names().collect();
            let help = suggestion(&c.value, names.iter().copied()).or_else(|| {
                (!names.is_empty())
                    .then(|| format!("rbacc.yaml declares {}", backticked_all(&names)))
            });
            let d = Diagnostic::error(
                Code::UnknownCluster,
                c.span,
                format!("unknown cluster `{}`", c.value),
            )
            .label("not declared in rbacc.yaml");
            diags.push(match help {
                Some(help) => d.help(help),
                None => d,
            });
        }
        ok.then(|| clusters.into_iter().collect())
    }

    /// The ClusterRole a binding of `role` (as teams name it) refers to:
    /// `rbacc:<role>` for the roles rbacc writes, the cluster's name for an
    /// existing role, `cluster-admin` for itself.
    pub fn cluster_role_of(&self, role: &str) -> String {
        match self.roles.get(role) {
            Some(known) => known.def.object_name(),
            None if role == CLUSTER_ADMIN => role.to_string(),
            None => crate::model::cluster_role_name(role),
        }
    }
}

pub fn check(sources: &Sources, config: &raw::Config, diags: &mut Diagnostics) -> Settings {
    let source_path = config
        .file
        .map_or("rbacc.yaml", |f| sources.path(f))
        .to_string();
    let policy = &config.policy;
    let role_policy = RolePolicy {
        viewers_secrets: policy.viewers_secrets.as_ref().is_some_and(|v| v.value),
        viewers_exec: policy.viewers_exec.as_ref().is_some_and(|v| v.value),
        extra_resources: extra_resources(config, diags),
    };
    for flag in [&policy.viewers_secrets, &policy.viewers_exec]
        .into_iter()
        .flatten()
    {
        if flag.value {
            diags.push(
                Diagnostic::warning(Code::RiskyGrant, flag.span, "viewers get more than read access")
                    .label("this widens the built-in `viewer` role in every namespace")
                    .help("viewers who can read Secrets or exec into pods can act as the workloads they view"),
            );
        }
    }
    let mut roles = BTreeMap::new();
    for name in BUILTIN_ROLES {
        let def = RoleDef {
            name: name.to_string(),
            description: builtin::description(name, &role_policy),
            rules: builtin::rules(name, &role_policy),
            source: source_path.clone(),
            existing: None,
        };
        let creates_pods = *name != "viewer";
        roles.insert(
            name.to_string(),
            KnownRole {
                def,
                span: None,
                creates_pods,
                allowed: Vec::new(),
                reason: None,
            },
        );
    }
    for role in &config.roles {
        if check_dns_label(diags, &role.name, "role name")
            && let Some(known) = check_role(role, &source_path, &roles, diags)
        {
            roles.insert(role.name.value.clone(), known);
        }
    }
    for role in &config.existing_roles {
        if check_dns_label(diags, &role.name, "role name")
            && let Some(known) = check_existing_role(role, &source_path, &roles, diags)
        {
            roles.insert(role.name.value.clone(), known);
        }
    }
    let limit_range = config
        .defaults
        .limit_range
        .as_ref()
        .map(|l| check_limit_range(l, diags));
    let limit_range_written = config
        .defaults
        .limit_range
        .as_ref()
        .zip(limit_range.as_ref())
        .map(|(written, checked)| valid_limit_range(written, checked));
    let risk_levels = risk_levels(&policy.risks, diags);
    let builtin_accepts = builtin_accepts(&policy.builtin_roles, &roles, diags);
    let network_policies = super::network::check_all(
        &config.network_policies,
        &source_path,
        super::network::Declarer::Platform,
        &[],
        diags,
    );
    for checked in &network_policies {
        for &(risk, span) in &checked.risks {
            let (level, _) = risk_levels[&risk];
            if level != Level::Allow {
                diags.push(super::network::finding(
                    risk,
                    level,
                    span,
                    &checked.policy.name,
                    super::network::Accepter::Platform,
                    None,
                ));
            }
        }
    }
    Settings {
        risk_levels,
        builtin_accepts,
        network_policies,
        clusters: check_clusters(config, diags),
        reserved: super::reserved::check(config, diags),
        labels: super::metadata::MetadataPolicy::check(
            super::metadata::MetaKind::Label,
            &policy.labels,
            &config.defaults.labels,
            diags,
        ),
        annotations: super::metadata::MetadataPolicy::check(
            super::metadata::MetaKind::Annotation,
            &policy.annotations,
            &config.defaults.annotations,
            diags,
        ),
        pod_security_policy: super::pod_security::PodSecurityPolicy::check(
            &policy.pod_security,
            config.defaults.pod_security.as_ref(),
            diags,
        ),
        limits: super::limits::Limits::of(&policy.limits),
        namespace_prefix: policy
            .namespace_prefix
            .as_ref()
            .map_or(NamespacePrefix::Team, |p| p.value),
        forbid_cluster_admin: policy.forbid_cluster_admin.as_ref().is_none_or(|f| f.value),
        forbid_cluster_admin_span: policy.forbid_cluster_admin.as_ref().map(|f| f.span),
        protect_namespaces: policy.protect_namespaces.unwrap_or(true),
        forbid_team_roles: policy.team_roles.clone().filter(|allowed| !allowed.value),
        pod_security: config
            .defaults
            .pod_security
            .as_ref()
            .map_or(PodSecurity::Baseline, |p| p.value),
        quota: check_quota(&config.defaults.quota, diags),
        limit_range,
        limit_range_written,
        roles,
    }
}

fn check_clusters(config: &raw::Config, diags: &mut Diagnostics) -> Vec<Cluster> {
    if let Some(span) = config.no_clusters {
        diags.push(
            Diagnostic::error(Code::MissingField, span, "no clusters are declared")
                .label("add at least one cluster")
                .help("a cluster needs a `name` and a `server` URL"),
        );
    }
    let mut seen = UniqueNames::new("cluster name", "cluster", Code::DuplicateEntry);
    let mut clusters = Vec::new();
    for cluster in &config.clusters {
        let name = &cluster.name;
        if !seen.check(name, diags) {
            continue;
        }
        let server = &cluster.server;
        if !server.value.starts_with("https://")
            || server.value.len() <= "https://".len()
            || server.value.contains(char::is_whitespace)
        {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    server.span,
                    format!("`{}` is not an https URL", server.value),
                )
                .label("expected `https://host[:port]`")
                .help("the API server's URL, as in a kubeconfig's `clusters[].cluster.server`"),
            );
        }
        if let Some(ca) = &cluster.certificate_authority_data
            && !ca.value.is_empty()
            && !is_base64(&ca.value)
        {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    ca.span,
                    "`certificateAuthorityData` is not base64",
                )
                .label("not base64")
                .help("encode the CA's PEM with `base64 -w0 ca.crt`"),
            );
        }
        clusters.push(Cluster {
            name: name.value.clone(),
            server: server.value.clone(),
            certificate_authority_data: cluster
                .certificate_authority_data
                .as_ref()
                .map(|c| c.value.clone())
                .filter(|c| !c.is_empty()),
        });
    }
    clusters.sort_by(|a, b| a.name.cmp(&b.name));
    clusters
}

fn is_base64(s: &str) -> bool {
    let s = s.trim_end_matches('=');
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
        && (s.len() % 4) != 1
}

fn extra_resources(config: &raw::Config, diags: &mut Diagnostics) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for extra in &config.policy.extra_resources {
        for resource in &extra.resources {
            let valid = !resource.value.is_empty()
                && resource.value.split('/').count() <= 2
                && resource
                    .value
                    .split('/')
                    .all(|part| super::dns_label_problem(part).is_none());
            if !valid {
                diags.push(
                    Diagnostic::error(Code::InvalidValue, resource.span, format!("`{}` is not a resource name", resource.value))
                        .label("expected a lowercase plural such as `rollouts`")
                        .help("wildcards are not allowed: the built-in roles list every resource they cover"),
                );
                continue;
            }
            if let Some(why) =
                builtin::kept_from_extra_resources(&extra.api_group.value, &resource.value)
            {
                diags.push(
                    Diagnostic::error(
                        Code::SensitiveExtraResource,
                        resource.span,
                        format!(
                            "`{}` would widen every built-in role: {why}",
                            crate::access::kubectl_name(&extra.api_group.value, &resource.value, None)
                        ),
                    )
                    .label("sensitive resource")
                    .help("an extra resource is read by viewers, written by deployers and fully controlled by admins; give it to those who need it with a custom role under `spec.roles`"),
                );
                continue;
            }
            out.push((extra.api_group.value.clone(), resource.value.clone()));
        }
        if extra.api_group.value.contains('*') {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    extra.api_group.span,
                    "wildcards are not allowed in `apiGroup`",
                )
                .label("name one API group"),
            );
        }
    }
    out
}

/// `written` (a key of `policy.risks`, a team's `allow` entry) names no
/// risk.
pub fn unknown_risk(written: &Sp<String>) -> Diagnostic {
    let ids: Vec<&str> = Risk::ALL.iter().map(|r| r.id()).collect();
    Diagnostic::error(
        Code::InvalidValue,
        written.span,
        format!("`{}` is not a risk rbacc reports", written.value),
    )
    .label("unknown risk")
    .help(
        suggestion(&written.value, ids.iter().copied())
            .unwrap_or_else(|| format!("risks are {}", backticked(&ids))),
    )
}

/// The longest `reason:` of `policy.builtinRoles`, in characters: it is
/// shown beside every finding it accepts, in explanations and reports.
pub const MAX_BUILTIN_REASON: usize = 500;

/// `policy.builtinRoles`, checked, over rbacc's defaults: a role whose
/// `allow:` is written is accepted with exactly those risks, the others
/// keep [`builtin::DEFAULT_ACCEPTED`].
fn builtin_accepts(
    written: &[raw::BuiltinRolePolicy],
    roles: &BTreeMap<String, KnownRole>,
    diags: &mut Diagnostics,
) -> BTreeMap<(&'static str, Risk), Accepted> {
    let mut replaced: BTreeSet<&'static str> = BTreeSet::new();
    let mut accepts = BTreeMap::new();
    for entry in written {
        let Some(&role) = BUILTIN_ROLES.iter().find(|r| **r == entry.role.value) else {
            diags.push(unknown_builtin_role(&entry.role, roles));
            continue;
        };
        let Some(allow) = &entry.allow else { continue };
        replaced.insert(role);
        let gives: BTreeSet<Risk> = roles
            .get(role)
            .map(|known| {
                crate::risk::findings_of(&known.def.rules, "")
                    .into_iter()
                    .map(|m| m.risk)
                    .collect()
            })
            .unwrap_or_default();
        let mut seen: BTreeMap<Risk, Span> = BTreeMap::new();
        for a in allow {
            let Some(risk) = Risk::from_id(&a.risk.value) else {
                diags.push(unknown_risk(&a.risk));
                continue;
            };
            if let Some(&first) = seen.get(&risk) {
                diags.push(declared_twice(
                    Code::DuplicateEntry,
                    a.risk.span,
                    format!("risk `{}` is accepted twice for `{role}`", risk.id()),
                    first,
                ));
                continue;
            }
            seen.insert(risk, a.risk.span);
            let Some(reason) = &a.reason else { continue };
            let Some(reason) = checked_reason(reason, diags) else {
                continue;
            };
            if !gives.contains(&risk) {
                diags.push(
                    Diagnostic::warning(
                        Code::UnusedAllow,
                        a.risk.span,
                        format!("the built-in `{role}` does not give `{}`", risk.id()),
                    )
                    .label("accepts nothing")
                    .help(format!(
                        "remove the entry; `{role}` gives {}",
                        if gives.is_empty() {
                            "no risk rbacc reports".to_string()
                        } else {
                            backticked_all(&gives.iter().map(|r| r.id()).collect::<Vec<_>>())
                        }
                    )),
                );
                continue;
            }
            accepts.insert(
                (role, risk),
                Accepted {
                    reason,
                    at: Some(a.span),
                },
            );
        }
    }
    for &(role, risk, reason) in builtin::DEFAULT_ACCEPTED {
        if !replaced.contains(role) {
            accepts.insert(
                (role, risk),
                Accepted {
                    reason: reason.to_string(),
                    at: None,
                },
            );
        }
    }
    accepts
}

/// A key of `policy.builtinRoles` that names no built-in role.
fn unknown_builtin_role(written: &Sp<String>, roles: &BTreeMap<String, KnownRole>) -> Diagnostic {
    let shown = crate::text::visible(&written.value);
    let d = Diagnostic::error(
        Code::UnknownRole,
        written.span,
        format!("`{shown}` is not a built-in role"),
    )
    .label("not a built-in role");
    if roles.get(&written.value).is_some_and(|r| r.span.is_some()) {
        return d.help(format!(
            "`{shown}` is a custom role: accept its risks with `allow:` and `reason:` on the role"
        ));
    }
    d.help(
        suggestion(&written.value, BUILTIN_ROLES.iter().copied())
            .unwrap_or_else(|| format!("built-in roles are {}", backticked(BUILTIN_ROLES))),
    )
}

/// A `reason:` of `policy.builtinRoles` as reviewers will read it: not
/// empty, at most [`MAX_BUILTIN_REASON`] characters, no invisible
/// character. `None`, reported, otherwise.
fn checked_reason(reason: &Sp<String>, diags: &mut Diagnostics) -> Option<String> {
    let text = &reason.value;
    let problem = if text.trim().is_empty() {
        Diagnostic::error(
            Code::MissingField,
            reason.span,
            "an `allow` entry needs a reason",
        )
        .label("empty reason")
        .help("say why every team may hold this through the role, so reviewers can judge it")
    } else if text.chars().count() > MAX_BUILTIN_REASON {
        Diagnostic::error(
            Code::InputLimit,
            reason.span,
            format!(
                "a reason of {} characters, more than {MAX_BUILTIN_REASON}",
                text.chars().count()
            ),
        )
        .label("too long")
        .help(
            "it is shown beside every finding it accepts: say why in a sentence, and link to more",
        )
    } else if let Some(c) = text.chars().find(|&c| crate::text::is_invisible(c)) {
        Diagnostic::error(
            Code::InvalidValue,
            reason.span,
            format!(
                "the reason holds the invisible character {}",
                crate::text::visible(&c.to_string())
            ),
        )
        .label("invisible character")
        .help("write the reason on one line of plain text: control and formatting characters read differently in a review")
    } else {
        return Some(text.clone());
    };
    diags.push(problem);
    None
}

/// `policy.risks`, checked, over the default level of every risk.
fn risk_levels(
    written: &[(Sp<String>, Sp<String>)],
    diags: &mut Diagnostics,
) -> BTreeMap<Risk, (Level, Option<Span>)> {
    let mut levels: BTreeMap<Risk, (Level, Option<Span>)> = Risk::ALL
        .iter()
        .map(|&r| (r, (r.default_level(), None)))
        .collect();
    for (key, value) in written {
        let Some(risk) = Risk::from_id(&key.value) else {
            diags.push(unknown_risk(key));
            continue;
        };
        let Some(&(_, level)) = Level::CHOICES.iter().find(|(name, _)| *name == value.value) else {
            diags.push(
                Diagnostic::error(Code::InvalidValue, value.span, format!("`{}` is not a level", value.value))
                    .label("expected `error`, `warning` or `allow`")
                    .help("`error` fails `check`, `warning` reports, `allow` reports nothing (`rbacc explain` still shows it)"),
            );
            continue;
        };
        levels.insert(risk, (level, Some(value.span)));
    }
    levels
}

/// What a custom role may name in `allow:`: the escalation-grade
/// permissions it must name (`bind`, `escalate`, `impersonate`, `secrets`,
/// `serviceaccount-token`, `wildcard`, and the cluster-wide risks:
/// `nodes-proxy`, `persistent-volumes`, `csr-approval`,
/// `admission-webhooks`), and every risk of [`Risk::ALL`] that bindings
/// give, whose findings it then accepts. Sorted.
pub(crate) const ROLE_ALLOW: &[&str] = &[
    "admission-webhooks",
    "bind",
    "cluster-binding",
    "csr-approval",
    "escalate",
    "impersonate",
    "namespace-write",
    "nodes-proxy",
    "persistent-volumes",
    "pods-create",
    "pods-exec",
    "rbac-write",
    "secrets",
    "serviceaccount-token",
    "wildcard",
];

fn check_role(
    role: &raw::Role,
    source: &str,
    roles: &BTreeMap<String, KnownRole>,
    diags: &mut Diagnostics,
) -> Option<KnownRole> {
    let name = &role.name;
    if BUILTIN_ROLES.contains(&name.value.as_str()) || name.value == CLUSTER_ADMIN {
        diags.push(
            Diagnostic::error(
                Code::DuplicateEntry,
                name.span,
                format!("role `{}` is built in", name.value),
            )
            .label("clashes with a built-in role")
            .help("choose another name; built-in roles are `admin`, `deployer` and `viewer`"),
        );
        return None;
    }
    if let Some(first) = roles.get(&name.value).and_then(|r| r.span) {
        diags.push(declared_twice(
            Code::DuplicateEntry,
            name.span,
            format!("role `{}` is declared twice", name.value),
            first,
        ));
        return None;
    }
    let accepted = ROLE_ALLOW;
    for allowed in &role.allow {
        if !accepted.contains(&allowed.value.as_str()) {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    allowed.span,
                    format!("`{}` is not a permission rbacc asks about", allowed.value),
                )
                .label("unknown permission")
                .help(
                    suggestion(&allowed.value, accepted.iter().copied())
                        .unwrap_or_else(|| format!("`allow` takes {}", backticked(accepted))),
                ),
            );
        }
    }
    check_reason(
        &role.allow,
        role.reason.as_ref(),
        format!("role `{}` allows escalation without a `reason`", name.value),
        "say why the role needs this, so reviewers can judge it",
        diags,
    );
    let mut rules = Vec::new();
    for rule in &role.rules {
        let Some(checked) = checked_rule(rule, diags) else {
            continue;
        };
        for (what, span) in escalations(rule) {
            if role.allow.iter().any(|a| a.value == what) {
                continue;
            }
            diags.push(
                Diagnostic::error(
                    Code::EscalatingRole,
                    span,
                    format!("role `{}` grants {}", name.value, escalation_text(what)),
                )
                .label(format!("escalation-grade permission `{what}`"))
                .with_secondary(name.span, "in this role")
                .help(format!(
                    "if this is intended, add `allow: [{what}]` and a `reason:` to the role"
                )),
            );
        }
        rules.push(checked);
    }
    Some(KnownRole::written(
        name,
        role.description.as_ref(),
        rules,
        source,
        &role.allow,
        role.reason.as_ref(),
    ))
}

/// A rule as written, with its lists sorted; `None`, reported, when it
/// names no API group, resource or verb. What it names that the API server
/// never matches is warned about.
pub(crate) fn checked_rule(rule: &raw::Rule, diags: &mut Diagnostics) -> Option<Rule> {
    if rule.verbs.is_empty() || rule.resources.is_empty() || rule.api_groups.is_empty() {
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                rule.span,
                "a rule needs at least one API group, resource and verb",
            )
            .label("this rule grants nothing")
            .help("write `apiGroups: [\"\"]` for the core group"),
        );
        return None;
    }
    check_rule_names(rule, diags);
    Some(Rule {
        api_groups: sorted(&rule.api_groups),
        resources: sorted(&rule.resources),
        verbs: sorted(&rule.verbs),
        resource_names: sorted(&rule.resource_names),
    })
}

/// Checks an entry of `spec.existingRoles`: a ClusterRole in the cluster
/// that teams may bind under the name `name`, whose rules rbacc assumes
/// (Kubernetes' own for `admin`, `edit` and `view`, plus any `rules`
/// operators aggregate into them; as declared for others), or cannot see
/// (`opaque`, a warning).
fn check_existing_role(
    role: &raw::ExistingRole,
    source: &str,
    roles: &BTreeMap<String, KnownRole>,
    diags: &mut Diagnostics,
) -> Option<KnownRole> {
    let name = &role.name;
    if let Some(known) = roles.get(&name.value) {
        let d = Diagnostic::error(
            Code::DuplicateEntry,
            name.span,
            format!("role `{}` is already declared", name.value),
        );
        diags.push(match known.span {
            Some(first) => d.label("declared again here").with_secondary(first, "first declared here"),
            None => d
                .label("a built-in role")
                .help(format!("teams bind the built-in `{}` under this name: name the existing role otherwise, such as `k8s-{}`, with `clusterRole: {}`", name.value, name.value, role.cluster_role.as_ref().map_or(name.value.as_str(), |c| c.value.as_str()))),
        });
        return None;
    }
    let object = role.cluster_role.as_ref().unwrap_or(name);
    let object_problem = if object.value.starts_with("rbacc:") {
        Some((
            "`rbacc:` roles are the ones rbacc writes",
            "name the role rbacc should not write",
        ))
    } else if object.value == CLUSTER_ADMIN {
        Some((
            "`cluster-admin` grants everything everywhere",
            "teams bind `cluster-admin` by name only where `policy.forbidClusterAdmin: false` allows it",
        ))
    } else if object.value.starts_with("system:") {
        Some((
            "`system:` roles are for Kubernetes' own components",
            "bind a role made for people",
        ))
    } else if object.value.is_empty()
        || object.value.len() > 253
        || object.value.contains(['/', '%'])
        || object.value == "."
        || object.value == ".."
        || object.value.chars().any(crate::text::is_invisible)
    {
        Some((
            "not a ClusterRole name",
            "a ClusterRole's name is at most 253 characters, without `/`, `%` or invisible characters",
        ))
    } else {
        None
    };
    if let Some((label, help)) = object_problem {
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                object.span,
                format!(
                    "`{}` cannot be an existing role",
                    crate::text::visible(&object.value)
                ),
            )
            .label(label)
            .help(help),
        );
        return None;
    }
    for allowed in &role.allow {
        if Risk::from_id(&allowed.value).is_none_or(|r| r.reach() == crate::risk::Reach::Network) {
            diags.push(unknown_risk(allowed));
        }
    }
    check_reason(
        &role.allow,
        role.reason.as_ref(),
        format!("role `{}` accepts risks without a `reason`", name.value),
        "say why teams may take these risks through the role, so reviewers can judge it",
        diags,
    );
    let opaque = role.opaque.as_ref().is_some_and(|o| o.value);
    let bootstrap = crate::bootstrap::rules_of(&object.value);
    if opaque && (role.rules.is_some() || bootstrap.is_some()) {
        let span = role.opaque.as_ref().map_or(name.span, |o| o.span);
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                span,
                "a role whose rules rbacc knows is not opaque",
            )
            .label("`opaque: true`")
            .help(if bootstrap.is_some() {
                "rbacc knows Kubernetes' `admin`, `edit` and `view`; remove `opaque`"
            } else {
                "remove `opaque`, or the `rules`: rbacc either assumes rules or sees none"
            }),
        );
        return None;
    }
    let mut rules = bootstrap.clone().unwrap_or_default();
    for rule in role.rules.iter().flatten() {
        if let Some(checked) = checked_rule(rule, diags) {
            rules.push(checked);
        }
    }
    rules.sort();
    rules.dedup();
    if opaque {
        diags.push(
            Diagnostic::warning(
                Code::OpaqueRole,
                role.opaque.as_ref().map_or(name.span, |o| o.span),
                format!("rbacc cannot see what `{}` allows", object.value),
            )
            .label("opaque")
            .help("risk analysis, `can-i`, `who-can` and `diff` see no permission through bindings to it; declare the `rules` it holds to let them"),
        );
    } else if bootstrap.is_none() && role.rules.is_none() {
        diags.push(
            Diagnostic::error(
                Code::MissingField,
                name.span,
                format!("existing role `{}` needs its `rules`", name.value),
            )
            .label("rules unknown to rbacc")
            .help("write the rules the ClusterRole holds, so analysis sees through it, or `opaque: true` to say rbacc cannot"),
        );
        return None;
    }
    let def = RoleDef {
        name: name.value.clone(),
        description: role
            .description
            .as_ref()
            .map(|d| d.value.clone())
            .unwrap_or_else(|| match bootstrap {
                Some(_) => format!("Kubernetes' `{}`", object.value),
                None => format!("the cluster's `{}`", object.value),
            }),
        rules,
        source: source.to_string(),
        existing: Some(crate::model::Existing {
            cluster_role: object.value.clone(),
            opaque,
            bootstrap: bootstrap.is_some(),
        }),
    };
    Some(KnownRole::declared(
        def,
        name.span,
        &role.allow,
        role.reason.as_ref(),
    ))
}

/// Warns about what a rule names that the API server never matches: a
/// verb outside [`builtin::KNOWN_VERBS`], or a resource that none of the
/// rule's API groups serves when Kubernetes serves every one of them (a
/// custom resource's group is not known, so its resources are not judged).
fn check_rule_names(rule: &raw::Rule, diags: &mut Diagnostics) {
    let rule_names = builtin::rule_names();
    for verb in &rule.verbs {
        if builtin::KNOWN_VERBS.contains(&verb.value.as_str()) {
            continue;
        }
        let help =
            suggestion(&verb.value, builtin::KNOWN_VERBS.iter().copied()).unwrap_or_else(|| {
                format!(
                    "the verbs of resources are {}",
                    backticked(&builtin::VERBS_IN_READING_ORDER)
                )
            });
        diags.push(
            Diagnostic::warning(
                Code::UnknownVerb,
                verb.span,
                format!("`{}` is not a verb Kubernetes knows", verb.value),
            )
            .label("unknown verb: no request has it")
            .help(help),
        );
    }
    let Some(groups) = rule
        .api_groups
        .iter()
        .map(|g| rule_names.get(g.value.as_str()))
        .collect::<Option<Vec<_>>>()
    else {
        return;
    };
    for resource in &rule.resources {
        let name = resource.value.as_str();
        let (base, sub) = match name.split_once('/') {
            Some((base, sub)) => (base, Some(sub)),
            None => (name, None),
        };
        let known = |n: &str| groups.iter().any(|names| names.contains(n));
        if name.starts_with('*') || known(name) || (base == "userextras" && known(base)) {
            continue;
        }
        // A known resource with an unknown subresource is compared with
        // that resource's subresources; anything else with every resource.
        let candidates: BTreeSet<&str> = groups
            .iter()
            .flat_map(|names| names.iter().map(String::as_str))
            .filter(|n| match sub {
                Some(_) if known(base) => n.strip_prefix(base).is_some_and(|r| r.starts_with('/')),
                _ => !n.contains('/'),
            })
            .collect();
        let served_by: Vec<&str> = rule_names
            .iter()
            .filter(|(_, names)| names.contains(name))
            .map(|(group, _)| if group.is_empty() { "\"\"" } else { group })
            .collect();
        let help = match (sub, did_you_mean(name, candidates.iter().copied())) {
            (Some("*"), _) => format!(
                "`{name}` is not a wildcard in RBAC: list the subresources, or write `*/<subresource>`"
            ),
            (_, Some(best)) => format!("did you mean `{best}`?"),
            _ if !served_by.is_empty() => {
                format!("`{name}` is in API group {}", backticked(&served_by))
            }
            (_, None) => format!(
                "`kubectl api-resources` lists what Kubernetes {} serves; a custom resource is in its own API group",
                builtin::KUBERNETES_VERSION
            ),
        };
        let quoted: Vec<String> = rule
            .api_groups
            .iter()
            .map(|g| match g.value.as_str() {
                "" => "`\"\"`".to_string(),
                group => format!("`{group}`"),
            })
            .collect();
        let groups_text = match quoted.as_slice() {
            [core] if core == "`\"\"`" => "the core API group".to_string(),
            [one] => format!("API group {one}"),
            _ => format!("API groups {}", quoted.join(", ")),
        };
        diags.push(
            Diagnostic::warning(
                Code::UnknownResource,
                resource.span,
                format!("`{name}` is not a resource of {groups_text}"),
            )
            .label("unknown resource: no request names it")
            .help(help),
        );
    }
}

fn sorted(list: &[Sp<String>]) -> Vec<String> {
    let mut out: Vec<String> = list.iter().map(|s| s.value.clone()).collect();
    out.sort();
    out.dedup();
    out
}

/// The escalation-grade permissions a rule grants, each with the value
/// that grants it. The cluster-wide risks are found with the evaluator's
/// matching, resource by resource (a wildcard resource is reported as
/// `wildcard` alone): no RoleBinding gives them, but the ClusterRole rbacc
/// emits can be bound cluster-wide by others.
fn escalations(rule: &raw::Rule) -> Vec<(&'static str, Span)> {
    let mut found = Vec::new();
    let wildcard = |s: &Sp<String>| s.value == "*" || s.value.starts_with("*/");
    for item in rule
        .verbs
        .iter()
        .chain(&rule.resources)
        .chain(&rule.api_groups)
    {
        if wildcard(item) {
            found.push(("wildcard", item.span));
        }
    }
    for verb in &rule.verbs {
        for what in ["bind", "escalate", "impersonate"] {
            if verb.value == what {
                found.push((what, verb.span));
            }
        }
    }
    let core = rule.api_groups.iter().any(|g| g.value.is_empty());
    let creates = rule.verbs.iter().any(|v| v.value == "create");
    for resource in &rule.resources {
        match resource.value.as_str() {
            "serviceaccounts/token" if core && creates => {
                found.push(("serviceaccount-token", resource.span))
            }
            "secrets" if core => found.push(("secrets", resource.span)),
            _ if wildcard(resource) => {}
            _ => {
                let alone = Rule {
                    api_groups: sorted(&rule.api_groups),
                    resources: vec![resource.value.clone()],
                    verbs: sorted(&rule.verbs),
                    resource_names: sorted(&rule.resource_names),
                };
                for risk in crate::risk::cluster_risks_of(&[alone]) {
                    found.push((risk.risk.id(), resource.span));
                }
            }
        }
    }
    found.sort_by_key(|(what, span)| (*what, span.offset));
    found.dedup_by_key(|(what, _)| *what);
    found
}

fn escalation_text(what: &str) -> &'static str {
    match what {
        "wildcard" => "a wildcard (`*`), which includes every current and future permission",
        "bind" => "`bind`, which lets its holders grant roles they do not hold",
        "escalate" => "`escalate`, which lets its holders edit roles beyond their own permissions",
        "impersonate" => "`impersonate`, which lets its holders act as other users",
        "nodes-proxy" => "`nodes/proxy`, which reaches the kubelet API of every node",
        "persistent-volumes" => {
            "PersistentVolume creation, which reaches the file system of any node through `hostPath`"
        }
        "csr-approval" => {
            "approval of certificate signing requests, which issues certificates for any user"
        }
        "admission-webhooks" => {
            "writing admission webhook configurations, whose webhooks see or change every object written to the cluster"
        }
        "serviceaccount-token" => {
            "token creation for service accounts, which lets its holders act as them"
        }
        _ => "access to Secrets",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A role's `allow:` takes every risk a binding gives, so that it can
    /// accept any such finding, and no risk of NetworkPolicies; the list
    /// stays sorted for the schema and messages.
    #[test]
    fn role_allow_is_sorted_and_names_every_risk_of_bindings() {
        assert!(ROLE_ALLOW.windows(2).all(|w| w[0] < w[1]), "{ROLE_ALLOW:?}");
        for risk in Risk::ALL {
            let network = risk.reach() == crate::risk::Reach::Network;
            assert_eq!(ROLE_ALLOW.contains(&risk.id()), !network, "{}", risk.id());
        }
    }
}
