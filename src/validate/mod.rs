//! Validation: raw declarations in, a resolved [`Org`] out.
//!
//! Every check runs and pushes its findings; the [`Org`] is returned only
//! when none of them is an error. One file per family of checks:
//! [`config`] for `rbacc.yaml` (clusters, policy, defaults, custom roles),
//! [`teams`] for team files (one file per family there: names, members,
//! namespaces, subjects, grants, service accounts, `allow`, expiry, risk
//! findings), [`owners`] for the owners of team files, [`quota`] for
//! quotas and limit ranges.
//!
//! Architecture invariant: validation never touches the file system or git.

pub mod analysis;
mod cluster_bindings;
mod config;
mod gitops;
mod kubeconfig;
pub mod limits;
pub(crate) mod metadata;
pub mod names;
mod network;
mod owners;
mod pod_security;
mod quota;
pub(crate) mod reserved;
mod teams;

pub(crate) use config::ROLE_ALLOW;
pub use names::{dns_label_problem, label_key_problem, label_value_problem};

/// The kubeconfig templates shipped in the binary, as `(name, text)`.
pub fn built_in_templates() -> &'static [(&'static str, &'static str)] {
    kubeconfig::BUILT_IN
}

/// Validates `spec.gitops.flux` and resolves it, when present. Separate
/// from [`validate`]: the Flux settings are not part of the [`Org`].
pub fn flux(parsed: &Parsed, diags: &mut Diagnostics) -> Option<crate::model::Flux> {
    gitops::check(&parsed.config, &parsed.teams, diags)
}

/// Checks every team's `metadata.owners` against what `syntax`'s forge
/// accepts in a CODEOWNERS file, beyond what [`validate`] checks for both.
pub fn owners_for(syntax: crate::codeowners::Syntax, parsed: &Parsed, diags: &mut Diagnostics) {
    owners::check_for(syntax, &parsed.config, &parsed.teams, diags);
}

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::load::Parsed;
use crate::model::{Org, RoleDef};
use crate::risk;
use crate::source::{Sources, Sp, Span};
use analysis::Analysis;

pub use kubeconfig::Render;

/// Validates the declarations and resolves them into an [`Org`].
pub fn validate(sources: &Sources, parsed: &Parsed, diags: &mut Diagnostics) -> Option<Org> {
    validate_with_analysis(sources, parsed, &Render::Full, false, false, diags).0
}

/// Validates the declarations and resolves them into an [`Org`], with the
/// origins of its objects and the risk findings; reports the findings the
/// policy makes errors or warnings. With [`Render::NamesOnly`], kubeconfig
/// templates are not rendered (nor checked): the `Org` holds empty texts.
/// With `keep_all`, the analysis also keeps every object's origin and the
/// findings that are accepted (for `rbacc explain`); with
/// `keep_builtin_accepted`, those `policy.builtinRoles` accepts.
pub fn validate_with_analysis(
    sources: &Sources,
    parsed: &Parsed,
    render: &Render,
    keep_all: bool,
    keep_builtin_accepted: bool,
    diags: &mut Diagnostics,
) -> (Option<Org>, Analysis) {
    let mut analysis = Analysis {
        keep_all,
        keep_builtin_accepted,
        ..Analysis::default()
    };
    let org = resolve(sources, parsed, render, &mut analysis, diags);
    // With errors to fix, risk warnings (about bindings that will not be
    // emitted yet) would bury them: only risk errors are reported.
    let least = if diags.has_errors() {
        risk::Level::Error
    } else {
        risk::Level::Warning
    };
    analysis.report(least, diags);
    (org.filter(|_| !diags.has_errors()), analysis)
}

fn resolve(
    sources: &Sources,
    parsed: &Parsed,
    render: &Render,
    analysis: &mut Analysis,
    diags: &mut Diagnostics,
) -> Option<Org> {
    let settings = config::check(sources, &parsed.config, diags);
    let owners = owners::check(&parsed.config.owners, diags);
    for role in settings.roles.values().filter(|_| analysis.keep_all) {
        if let Some(span) = role.span {
            analysis.origins.push(analysis::Origin {
                kind: "ClusterRole",
                namespace: None,
                name: role.def.object_name(),
                span,
                what: format!("role `{}` in rbacc.yaml", role.def.name),
            });
        }
    }
    let teams = teams::check(
        sources,
        &settings,
        &parsed.teams,
        &parsed.broken_teams,
        parsed.today,
        analysis,
        diags,
    );
    let source = parsed
        .config
        .file
        .map_or("rbacc.yaml", |f| sources.path(f))
        .to_string();
    let cluster_bindings = cluster_bindings::check(
        &settings,
        &source,
        &parsed.config.cluster_bindings,
        parsed.today,
        diags,
    );
    if diags.has_errors() {
        return None;
    }
    for binding in parsed
        .config
        .cluster_bindings
        .iter()
        .filter(|_| analysis.keep_all)
    {
        analysis.origins.push(analysis::Origin {
            kind: "ClusterRoleBinding",
            namespace: None,
            name: crate::model::cluster_role_name(&binding.name.value),
            span: binding.name.span,
            what: format!("cluster binding `{}` in rbacc.yaml", binding.name.value),
        });
    }
    let argocd = gitops::check_argocd(&parsed.config, diags);
    let kubeconfigs = kubeconfig::check(
        sources,
        &parsed.config,
        &parsed.templates,
        &settings.clusters,
        &teams,
        render,
        diags,
    );
    if diags.has_errors() {
        return None;
    }
    let (existing_roles, roles): (Vec<RoleDef>, Vec<RoleDef>) = settings
        .roles
        .into_values()
        .map(|r| r.def)
        .partition(|r| r.existing.is_some());
    let org = Org {
        owners,
        cluster_bindings,
        clusters: settings.clusters,
        protect_namespaces: settings.protect_namespaces,
        roles,
        existing_roles,
        teams,
        kubeconfigs,
        argocd,
        limits: settings.limits,
    };
    // What every later stage (emission, the diff's evaluation) costs grows
    // with the subjects bound, in every namespace on every cluster.
    limits::check_bindings(&settings.limits, &org, sources, diags);
    (!diags.has_errors()).then_some(org)
}

/// Reports `name` when it is not a DNS-1123 label. `what` names it in the
/// message ("team name").
fn check_dns_label(diags: &mut Diagnostics, name: &Sp<String>, what: &str) -> bool {
    match dns_label_problem(&name.value) {
        None => true,
        Some(problem) => {
            diags.push(invalid_name(name, what, &problem).help(
                "use at most 63 lowercase letters (`a-z`), digits and `-`, \
                 starting and ending with a letter or digit",
            ));
            false
        }
    }
}

/// `name` is not a DNS-1123 label, for `problem`. `what` names it in the
/// message ("namespace name").
fn invalid_name(name: &Sp<String>, what: &str, problem: &str) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidName,
        name.span,
        format!("`{}` is not a valid {what}: {problem}", name.value),
    )
    .label("not a DNS-1123 label")
}

/// The DNS-1123 names of one kind of declaration seen so far, each to be
/// declared once.
struct UniqueNames<'a> {
    seen: BTreeMap<&'a str, Span>,
    /// What the name is, in a message: "cluster name".
    what: &'static str,
    /// What it names, in a message: "cluster".
    kind: &'static str,
    /// The code of a second declaration.
    code: Code,
}

impl<'a> UniqueNames<'a> {
    fn new(what: &'static str, kind: &'static str, code: Code) -> UniqueNames<'a> {
        UniqueNames {
            seen: BTreeMap::new(),
            what,
            kind,
            code,
        }
    }

    /// Whether `name` is a DNS-1123 label not seen before; reported
    /// otherwise.
    fn check(&mut self, name: &'a Sp<String>, diags: &mut Diagnostics) -> bool {
        if !check_dns_label(diags, name, self.what) {
            return false;
        }
        if let Some(first) = self.seen.insert(&name.value, name.span) {
            diags.push(declared_twice(
                self.code,
                name.span,
                format!("{} `{}` is declared twice", self.kind, name.value),
                first,
            ));
            return false;
        }
        true
    }
}

/// `message` about a name declared again at `span`, first at `first`.
fn declared_twice(code: Code, span: Span, message: String, first: Span) -> Diagnostic {
    Diagnostic::error(code, span, message)
        .label("declared again here")
        .with_secondary(first, "first declared here")
}

/// `allow:` written without a `reason:` (absent or blank): `message` on its
/// first entry, with `help` saying what reviewers judge by it.
fn check_reason(
    allow: &[Sp<String>],
    reason: Option<&Sp<String>>,
    message: String,
    help: &str,
    diags: &mut Diagnostics,
) {
    let Some(first) = allow.first() else {
        return;
    };
    if reason.is_none_or(|r| r.value.trim().is_empty()) {
        diags.push(
            Diagnostic::error(Code::MissingField, first.span, message)
                .label("`allow` needs a `reason`")
                .help(help),
        );
    }
}

/// "did you mean" help when `word` is close to one of `candidates`.
fn suggestion<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    did_you_mean(word, candidates).map(|best| format!("did you mean `{best}`?"))
}
