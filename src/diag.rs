//! Diagnostics: every problem found in a user's files.
//!
//! A [`Diagnostic`] carries a stable [`Code`], a message, a primary label on
//! the exact YAML node, secondary labels ("first declared here") and help.
//! Checks push diagnostics into a [`Diagnostics`] and keep going, so one run
//! reports every problem; the caller stops only afterwards, if any is an
//! error. Rendering goes through miette.

use std::fmt;

use crate::source::{Sources, Span};

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

macro_rules! codes {
    ($($(#[doc = $doc:literal])* $variant:ident => $code:literal,)*) => {
        /// The stable code of a diagnostic. Each is documented in
        /// `docs/diagnostics.md` under a heading of the same name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($(#[doc = $doc])* $variant,)* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// What the code means, in one sentence: its doc comment here
            /// (SARIF's `shortDescription`).
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => concat!($($doc),*).trim_ascii(),)* }
            }
        }
    };
}

codes! {
    /// The file is not valid YAML.
    YamlSyntax => "yaml-syntax",
    /// The file exceeds a size, depth, alias or count limit.
    InputLimit => "input-limit",
    /// The file is not UTF-8 text.
    InvalidEncoding => "invalid-encoding",
    /// A field the schema does not know.
    UnknownField => "unknown-field",
    /// A required field is absent.
    MissingField => "missing-field",
    /// A value of the wrong YAML type.
    WrongType => "wrong-type",
    /// A value outside what the field accepts.
    InvalidValue => "invalid-value",
    /// `apiVersion` or `kind` is not one rbacc reads.
    UnsupportedKind => "unsupported-kind",
    /// A name that is not a DNS-1123 label.
    InvalidName => "invalid-name",
    /// The same entry appears twice in one list.
    DuplicateEntry => "duplicate-entry",
    /// Two team files declare the same team.
    DuplicateTeam => "duplicate-team",
    /// A namespace is declared twice.
    DuplicateNamespace => "duplicate-namespace",
    /// Two declarations would generate objects with the same name.
    DuplicateObject => "duplicate-object",
    /// A team file's name differs from its `metadata.name`.
    TeamFileName => "team-file-name",
    /// A namespace the policy reserves.
    ReservedNamespace => "reserved-namespace",
    /// A namespace name without its team's prefix.
    NamespacePrefix => "namespace-prefix",
    /// A role name that is neither built in nor declared.
    UnknownRole => "unknown-role",
    /// A cluster name not declared in `rbacc.yaml`.
    UnknownCluster => "unknown-cluster",
    /// A team name with no team file.
    UnknownTeam => "unknown-team",
    /// A custom role's rule names a verb Kubernetes does not know.
    UnknownVerb => "unknown-verb",
    /// A custom role's rule names a resource its API group does not serve.
    UnknownResource => "unknown-resource",
    /// A custom role that holds escalation-grade permissions.
    EscalatingRole => "escalating-role",
    /// A binding to `cluster-admin` while the policy forbids it.
    ClusterAdminForbidden => "cluster-admin-forbidden",
    /// A subject in the reserved `system:` namespace.
    SystemSubject => "system-subject",
    /// A label rbacc or Kubernetes reserves.
    ReservedLabel => "reserved-label",
    /// An annotation rbacc, Kubernetes or a controller reserves.
    ReservedAnnotation => "reserved-annotation",
    /// Labels or annotations that break `policy.labels` or
    /// `policy.annotations`.
    MetadataPolicy => "metadata-policy",
    /// A grant that is legal but gives more than it may seem to.
    RiskyGrant => "risky-grant",
    /// A `policy.extraResources` entry that would give every built-in role
    /// what the roles keep from some of their holders.
    SensitiveExtraResource => "sensitive-extra-resource",
    /// A binding gives a risky permission the policy does not allow.
    AccessRisk => "access-risk",
    /// A team's own role the policy does not allow, or that grants what
    /// the built-in `admin` does not.
    TeamRole => "team-role",
    /// An existing role whose rules rbacc cannot see.
    OpaqueRole => "opaque-role",
    /// A NetworkPolicy admits traffic the policy asks about.
    NetworkRisk => "network-risk",
    /// A team's `allow:` entry that accepts no finding.
    UnusedAllow => "unused-allow",
    /// Access whose `expires` date has come: it is no longer emitted.
    Expired => "expired",
    /// Access that expires within two weeks.
    ExpiresSoon => "expires-soon",
    /// A namespace that runs without Pod Security restrictions.
    PrivilegedNamespace => "privileged-namespace",
    /// A namespace's Pod Security level that the policy does not allow.
    PodSecurityLevel => "pod-security-level",
    /// A file under `teams/` that rbacc does not read.
    IgnoredFile => "ignored-file",
    /// A file or link that leads outside the repository.
    OutsideRepo => "outside-repo",
    /// A link whose target does not exist, or a link to a directory.
    InvalidLink => "invalid-link",
    /// A file or directory name that is not plain text (line breaks, control
    /// characters, white space at either end).
    InvalidPath => "invalid-path",
    /// A file to read that is a named pipe, a device or a socket.
    NotAFile => "not-a-file",
    /// A kubeconfig template name with no template.
    UnknownTemplate => "unknown-template",
    /// A kubeconfig template that does not parse or fails to render.
    TemplateError => "template-error",
    /// A template rendered something that is not a safe, consistent kubeconfig.
    InvalidKubeconfig => "invalid-kubeconfig",
    /// An entry of `metadata.owners` that a CODEOWNERS file cannot name.
    InvalidOwner => "invalid-owner",
    /// A CODEOWNERS file rbacc generated that differs from what it generates now.
    StaleCodeowners => "stale-codeowners",
    /// A file of `out/` that is not what `rbacc build` would write: missing,
    /// different, or left from declarations that are gone.
    StaleOutput => "stale-output",
    /// Something under `out/` that rbacc did not write: a hand-written or
    /// special file, a directory of its own, a link.
    ForeignOutput => "foreign-output",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A span with the text shown beside it.
#[derive(Clone, Debug)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

/// One finding in the user's files.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            primary: Label {
                span,
                text: String::new(),
            },
            secondary: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    /// The text shown at the primary span.
    pub fn label(mut self, text: impl Into<String>) -> Diagnostic {
        self.primary.text = text.into();
        self
    }

    /// A related place, such as "first declared here".
    pub fn with_secondary(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Sort key: file, position, code. Gives a stable report order whatever
    /// order checks ran in.
    fn sort_key(&self) -> (crate::source::FileId, u32, Code, &str) {
        (
            self.primary.span.file,
            self.primary.span.offset,
            self.code,
            &self.message,
        )
    }
}

/// The findings of one run.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// All findings, in file and position order.
    pub fn sorted(&self, sources: &Sources) -> Vec<&Diagnostic> {
        let mut items: Vec<&Diagnostic> = self.items.iter().collect();
        items.sort_by(|a, b| {
            let (ka, kb) = (a.sort_key(), b.sort_key());
            sources
                .path(ka.0)
                .cmp(sources.path(kb.0))
                .then((ka.1, ka.2, ka.3).cmp(&(kb.1, kb.2, kb.3)))
        });
        items
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }
}

/// The closest of `candidates` to `word`, if it is close enough to be what
/// the user meant.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|&(distance, c)| distance <= (c.len().max(word.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code is unique and documented under a heading of its own.
    #[test]
    fn codes_are_unique_and_documented() {
        let docs = include_str!("../docs/diagnostics.md");
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "duplicate code {code}");
            assert!(
                docs.contains(&format!("\n## {}\n", code.as_str())),
                "docs/diagnostics.md has no heading for {code}"
            );
        }
        let headings = docs.lines().filter(|l| l.starts_with("## ")).count();
        assert_eq!(headings, Code::ALL.len(), "every documented code exists");
    }

    /// Each code's summary is its doc comment as one line.
    #[test]
    fn summaries_are_one_sentence() {
        assert_eq!(Code::YamlSyntax.summary(), "The file is not valid YAML.");
        assert_eq!(
            Code::MetadataPolicy.summary(),
            "Labels or annotations that break `policy.labels` or `policy.annotations`."
        );
        for code in Code::ALL {
            let summary = code.summary();
            assert!(summary.ends_with('.'), "{code}: {summary:?}");
            assert!(
                !summary.contains('\n') && !summary.contains("  "),
                "{code}: {summary:?}"
            );
        }
    }

    #[test]
    fn did_you_mean_finds_close_words_only() {
        let fields = ["members", "namespaces"];
        assert_eq!(did_you_mean("member", fields), Some("members"));
        assert_eq!(did_you_mean("namspaces", fields), Some("namespaces"));
        assert_eq!(did_you_mean("owners", fields), None);
    }
}
