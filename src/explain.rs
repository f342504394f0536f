//! `rbacc explain KIND/NAME`: where a generated object comes from (the
//! files of `out/` that hold it, the declaration and its line) and the risk
//! findings about it, allowed ones with their reasons.
//!
//! Pure: works on a [`Compilation`] of the repository.

use std::fmt::Write as _;

use serde::Serialize;

use crate::Compilation;
use crate::emit::ObjectId;
use crate::risk::Level;
use crate::source::{Sources, Span};
use crate::text::visible;
use crate::validate::analysis::{Finding, Origin, subjects_text};

/// The kinds `explain` knows, with the names kubectl accepts for them.
const KINDS: &[(&str, &[&str], bool)] = &[
    // (kind, names, namespaced)
    ("Namespace", &["namespace", "namespaces", "ns"], false),
    ("RoleBinding", &["rolebinding", "rolebindings", "rb"], true),
    ("Role", &["role", "roles"], true),
    (
        "ServiceAccount",
        &["serviceaccount", "serviceaccounts", "sa"],
        true,
    ),
    ("ClusterRole", &["clusterrole", "clusterroles"], false),
    (
        "ClusterRoleBinding",
        &["clusterrolebinding", "clusterrolebindings", "crb"],
        false,
    ),
    (
        "ResourceQuota",
        &["resourcequota", "resourcequotas", "quota"],
        true,
    ),
    ("LimitRange", &["limitrange", "limitranges", "limits"], true),
    (
        "NetworkPolicy",
        &["networkpolicy", "networkpolicies", "netpol"],
        true,
    ),
    ("ConfigMap", &["configmap", "configmaps", "cm"], true),
    (
        "Kustomization",
        &["kustomization", "kustomizations", "ks"],
        true,
    ),
];

/// What `explain` is asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub kind: &'static str,
    pub name: String,
    /// `None` for cluster-scoped kinds.
    pub namespace: Option<String>,
}

impl ObjectRef {
    /// Reads `KIND/NAME` as kubectl writes it (`rolebinding/x`, `rb/x`,
    /// `RoleBinding/x`, `rolebindings.rbac.authorization.k8s.io/x`), in
    /// `namespace` when the kind is namespaced.
    pub fn parse(text: &str, namespace: Option<&str>) -> Result<ObjectRef, String> {
        let Some((kind, name)) = text.split_once('/') else {
            return Err(format!(
                "`{text}` is not KIND/NAME, e.g. `rolebinding/payments-admin`"
            ));
        };
        let kind = kind.to_ascii_lowercase();
        let kind = kind.split('.').next().unwrap_or_default();
        let Some(&(kind, _, namespaced)) = KINDS.iter().find(|(_, names, _)| names.contains(&kind))
        else {
            let known: Vec<&str> = KINDS.iter().map(|(_, names, _)| names[0]).collect();
            return Err(format!(
                "rbacc generates no `{kind}`; explain takes {}",
                known.join(", ")
            ));
        };
        if name.is_empty() {
            return Err(format!("`{text}` names no object"));
        }
        let namespace = match (namespaced, namespace) {
            (true, Some(ns)) => Some(ns.to_string()),
            (true, None) => {
                return Err(format!(
                    "a {kind} is namespaced: say which namespace with `-n NAMESPACE`"
                ));
            }
            (false, _) => None,
        };
        Ok(ObjectRef {
            kind,
            name: name.to_string(),
            namespace,
        })
    }
}

/// The answer, for people or as JSON.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    pub kind: &'static str,
    pub name: String,
    pub namespace: Option<String>,
    /// The files of `out/` that hold the object, one per cluster.
    pub files: Vec<String>,
    /// The declaration it is generated from.
    pub source: Option<SourcePoint>,
    /// When no one declaration produces it: for each file that holds it,
    /// the sources its header names (the team file, and for a kubeconfig
    /// the template of that file's cluster).
    pub generated_from: Vec<GeneratedFrom>,
    pub findings: Vec<FindingView>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GeneratedFrom {
    /// The file of `out/`.
    pub file: String,
    /// What its header names: `teams/x.yaml`, or `teams/x.yaml with
    /// templates/y.yaml.j2`.
    pub source: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourcePoint {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub declaration: String,
    /// The line of the file, as written.
    pub text: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingView {
    pub risk: &'static str,
    /// `error`, `warning` or `allow`.
    pub level: &'static str,
    pub message: String,
    /// binding → role → rule.
    pub chain: String,
    /// Why it is allowed, and where that is written; for a finding the
    /// policy allows, where it does (or `default`).
    pub allowed: Option<Allowance>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Allowance {
    pub reason: String,
    pub at: String,
}

/// Explains `object` in a compiled repository; `None` when no generated
/// file holds it.
pub fn explain(compilation: &Compilation, object: &ObjectRef) -> Option<Explanation> {
    // Emitted with `Selection::objects`: the index says where it is.
    let output = compilation.output.as_ref()?;
    let id = ObjectId {
        kind: object.kind,
        namespace: object.namespace.clone(),
        name: object.name.clone(),
    };
    let paths = output.objects.get(&id)?;
    let files: Vec<String> = paths.iter().map(|path| format!("out/{path}")).collect();
    let sources = &compilation.sources;
    let analysis = &compilation.resolved.as_ref()?.analysis;
    let origin = analysis
        .origins
        .iter()
        .find(|o| o.kind == object.kind && o.name == object.name && o.namespace == object.namespace)
        .or_else(|| {
            // Other objects of a namespace come from its declaration.
            let ns = object.namespace.as_deref()?;
            analysis
                .origins
                .iter()
                .find(|o| o.kind == "Namespace" && o.name == ns)
        });
    let findings = if object.kind == "RoleBinding" {
        analysis
            .findings
            .iter()
            .filter(|f| Some(&f.namespace) == object.namespace.as_ref() && f.binding == object.name)
            .map(|f| view(sources, f))
            .collect()
    } else {
        Vec::new()
    };
    let generated_from = match origin {
        Some(_) => Vec::new(),
        None => paths
            .iter()
            .filter_map(|path| {
                Some(GeneratedFrom {
                    file: format!("out/{path}"),
                    source: output.sources.get(path)?.clone(),
                })
            })
            .collect(),
    };
    Some(Explanation {
        kind: object.kind,
        name: object.name.clone(),
        namespace: object.namespace.clone(),
        files,
        source: origin.map(|o| point(sources, o)),
        generated_from,
        findings,
    })
}

fn point(sources: &Sources, origin: &Origin) -> SourcePoint {
    let (file, line, column) = location(sources, origin.span);
    let text = sources
        .get(origin.span.file)
        .text
        .lines()
        .nth(line - 1)
        .unwrap_or_default()
        .to_string();
    SourcePoint {
        file,
        line,
        column,
        declaration: origin.what.clone(),
        text,
    }
}

/// `path:line:column`.
fn at(sources: &Sources, span: Span) -> String {
    let (file, line, column) = location(sources, span);
    format!("{file}:{line}:{column}")
}

/// `(path, line, column)`, one-based.
fn location(sources: &Sources, span: Span) -> (String, usize, usize) {
    let (line, column) = sources.line_col(span);
    (sources.path(span.file).to_string(), line, column)
}

fn view(sources: &Sources, finding: &Finding) -> FindingView {
    let level = match (&finding.allowed, finding.level) {
        (Some(_), _) | (None, Level::Allow) => "allow",
        (None, level) => level.as_str(),
    };
    FindingView {
        risk: finding.risk.id(),
        level,
        message: format!(
            "{} can {}",
            subjects_text(&finding.subjects),
            finding.risk.can()
        ),
        chain: format!(
            "RoleBinding {} → {} {} → rule {} allows `{}`",
            finding.binding,
            finding.role_ref.kind(),
            finding.role_ref.name(),
            finding.rule_index + 1,
            finding.request
        ),
        allowed: match (&finding.allowed, finding.level, finding.policy) {
            (Some(accepted), _, _) => Some(Allowance {
                reason: accepted.reason.clone(),
                at: match accepted.at {
                    Some(span) => at(sources, span),
                    None => format!("default of `policy.builtinRoles.{}`", finding.role),
                },
            }),
            (None, Level::Allow, Some(span)) => Some(Allowance {
                reason: format!("`policy.risks.{}: allow`", finding.risk.id()),
                at: at(sources, span),
            }),
            (None, Level::Allow, None) => Some(Allowance {
                reason: format!(
                    "`{}` is allowed unless `policy.risks` says otherwise",
                    finding.risk.id()
                ),
                at: "default".to_string(),
            }),
            (None, _, _) => None,
        },
    }
}

impl Explanation {
    /// The answer for people.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = write!(out, "{} {}", self.kind, visible(&self.name));
        if let Some(ns) = &self.namespace {
            let _ = write!(out, " in namespace {}", visible(ns));
        }
        out.push('\n');
        for file in &self.files {
            let _ = writeln!(out, "  written to  {}", visible(file));
        }
        match &self.source {
            Some(source) => {
                let _ = writeln!(
                    out,
                    "  from        {}:{}:{}: {}",
                    visible(&source.file),
                    source.line,
                    source.column,
                    visible(&source.declaration)
                );
                let _ = writeln!(out, "    {:>4} │ {}", source.line, visible(&source.text));
            }
            None => {
                let sources: std::collections::BTreeSet<&str> = self
                    .generated_from
                    .iter()
                    .map(|g| g.source.as_str())
                    .collect();
                match sources.len() {
                    0 => {
                        let _ = writeln!(out, "  from        built into rbacc (no declaration)");
                    }
                    // The same sources for every file (every cluster).
                    1 => {
                        let source = sources.first().copied().unwrap_or_default();
                        let _ = writeln!(
                            out,
                            "  from        {} (the file as a whole)",
                            visible(source)
                        );
                    }
                    // Clusters with templates of their own: which for which.
                    _ => {
                        for g in &self.generated_from {
                            let _ = writeln!(
                                out,
                                "  from        {} (the file as a whole), for {}",
                                visible(&g.source),
                                visible(&g.file)
                            );
                        }
                    }
                }
            }
        }
        if self.kind == "RoleBinding" {
            if self.findings.is_empty() {
                out.push_str("no risk findings\n");
            } else {
                out.push_str("risk findings:\n");
            }
            for f in &self.findings {
                let _ = writeln!(out, "  {:<8} {}: {}", f.level, f.risk, visible(&f.message));
                let _ = writeln!(out, "           {}", visible(&f.chain));
                if let Some(allowed) = &f.allowed {
                    let _ = writeln!(
                        out,
                        "           allowed ({}): {}",
                        visible(&allowed.at),
                        visible(&allowed.reason)
                    );
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_read_as_kubectl_writes_them() {
        let rb = ObjectRef::parse("rb/payments-admin", Some("payments-prod")).unwrap();
        assert_eq!(rb.kind, "RoleBinding");
        assert_eq!(rb.namespace.as_deref(), Some("payments-prod"));
        let full = ObjectRef::parse("rolebindings.rbac.authorization.k8s.io/x", Some("n")).unwrap();
        assert_eq!(full.kind, "RoleBinding");
        let ns = ObjectRef::parse("Namespace/payments-prod", Some("ignored")).unwrap();
        assert_eq!((ns.kind, ns.namespace), ("Namespace", None));
        assert!(
            ObjectRef::parse("rolebinding/x", None)
                .unwrap_err()
                .contains("-n NAMESPACE")
        );
        assert!(
            ObjectRef::parse("secret/x", Some("n"))
                .unwrap_err()
                .contains("generates no `secret`")
        );
        assert!(ObjectRef::parse("payments-admin", None).is_err());
    }
}
