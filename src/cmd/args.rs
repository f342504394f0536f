//! Command-line arguments, as the user typed them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Compile team declarations into deterministic Kubernetes RBAC manifests.
#[derive(Debug, Parser)]
#[command(name = "rbacc", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// When to colour output: `auto` colours on a terminal unless NO_COLOR is set.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print only errors.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Also print how long each stage took, and every diagnostic in full.
    #[arg(long, short, global = true)]
    pub verbose: bool,

    /// Show the first N diagnostics of each code in full (default 3; the
    /// rest are counted). JSON, SARIF and GitLab documents hold them all.
    #[arg(long, global = true, value_name = "N")]
    pub max_diagnostics: Option<usize>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the declarations and write `out/`.
    #[command(
        after_help = "Diagnostics go to stderr as text; with -o github, json, sarif or gitlab they go to\n\
stdout in that format (docs/output.md), and with json, sarif or gitlab also to stderr as text.\n\n\
Examples:\n  rbacc build\n  rbacc build --repo ../platform-rbac --out /tmp/out"
    )]
    Build(BuildArgs),
    /// Validate, and fail when `out/` is not exactly what `build` would write.
    #[command(
        after_help = "Diagnostics, and every file of out/ that is not what build writes, go to stderr as\n\
text; with -o github, json, sarif or gitlab they go to stdout in that format\n\
(docs/output.md), and with json, sarif or gitlab also to stderr as text.\n\n\
Examples:\n  rbacc check\n  rbacc check -o github          # annotations on the pull request\n  \
rbacc check -o sarif > rbacc.sarif   # for code scanning\n  \
rbacc check -o gitlab > gl-code-quality-report.json"
    )]
    Check(CheckArgs),
    /// Whether a user may do something: prints `yes` (exit 0) or `no` (exit 1).
    #[command(
        name = "can-i",
        after_help = "RESOURCE is written as kubectl writes it: `pods`, `pods/exec`, `deployments.apps`,\n\
`deployments.apps/scale`, or a non-resource URL such as `/healthz`. A resource without a\n\
group that is not a core resource is resolved like kubectl does (`deployments` ->\n\
`deployments.apps`). Without -n the request is cluster-wide (all namespaces), which only\n\
ClusterRoleBindings grant.\n\n\
Examples:\n  \
rbacc can-i create pods/exec -n payments-prod --cluster prod --as auditor@example.com\n  \
rbacc can-i delete deployments.apps -n payments-prod --cluster prod \\\n      \
--as alice@example.com --as-group payments-devs\n  \
rbacc can-i patch deployments.apps/scale -n payments-prod --cluster prod \\\n      \
--as system:serviceaccount:payments-prod:ci-deployer\n  \
rbacc can-i get secrets db-password -n payments-prod --cluster prod --as bob --as-group sre\n  \
rbacc can-i get secrets -n team-a --manifests rendered/ --as alice -o json"
    )]
    CanI(CanIArgs),
    /// Every subject that may do something, and the binding and role that allow it.
    #[command(
        name = "who-can",
        after_help = "Subjects are listed as the bindings name them: a group is not expanded into its\n\
members. Without -n the request is cluster-wide (all namespaces), which only\n\
ClusterRoleBindings grant.\n\n\
Examples:\n  \
rbacc who-can get secrets -n payments-prod --cluster prod\n  \
rbacc who-can create pods/exec -n sre-tools --cluster staging -o json\n  \
rbacc who-can get /metrics --manifests rendered/"
    )]
    WhoCan(WhoCanArgs),
    /// A matrix of resources x verbs: what one user may do in a namespace.
    #[command(
        after_help = "Rows are the built-in catalogue of namespaced resources plus every resource the\n\
roles of the manifests name (subresources included); columns are the verbs get, list,\n\
watch, create, update, patch, delete, deletecollection. Cells are `yes`/`no` (`✔`/`✖` on\n\
a terminal). Below the matrix, the bindings through which the user gets anything: in the\n\
namespace with -n, everywhere without it. Without -n the matrix is for cluster-wide\n\
requests (all namespaces).\n\n\
Examples:\n  \
rbacc access --as auditor@example.com --cluster prod -n payments-prod\n  \
rbacc access --as auditor@example.com --cluster prod     # where does auditor have bindings?\n  \
rbacc access --as alice --as-group payments-devs --cluster prod -n payments-prod -o json"
    )]
    Access(AccessArgs),
    /// Where a generated object comes from, and the risks it gives.
    #[command(
        after_help = "OBJECT is KIND/NAME as kubectl writes it: rolebinding/NAME (rb), namespace/NAME (ns),\n\
serviceaccount/NAME (sa), clusterrole/NAME, resourcequota/NAME, limitrange/NAME,\n\
configmap/NAME, role/NAME, kustomization/NAME. Prints the files of out/ that hold it, the\n\
declaration it is generated from (file, line and column), and for a RoleBinding every risk\n\
finding about it (binding -> role -> rule), allowed ones with the reason their `allow:`\n\
gives. Exit codes: 0 explained, 1 no such object or invalid declarations, 2 usage.\n\n\
Examples:\n  \
rbacc explain rolebinding/payments-admin -n payments-prod\n  \
rbacc explain ns/payments-prod\n  \
rbacc explain sa/ci-deployer -n payments-prod -o json"
    )]
    Explain(ExplainArgs),
    /// What a change does to the manifests, and who gains or loses access.
    #[command(
        after_help = "Compiles the base revision and the head (default: the work tree, uncommitted\n\
edits included), both read from git's object database, and reports: a summary per cluster,\n\
who gains or loses which permissions, warnings (namespaces that leave, risky grants, policy\n\
changes), and a unified diff of every generated file. Exit codes: 0 compared (changed or\n\
not; with --exit-code, 1 when anything changed), 1 the head does not compile, 2 usage or\n\
environment (a base that is not in the repository: fetch it).\n\n\
Examples:\n  \
rbacc diff --base origin/main\n  \
rbacc diff --base main --head feature -o markdown > comment.md\n  \
rbacc diff --base HEAD~1 -o json --exit-code"
    )]
    Diff(DiffArgs),
    /// Compare a live cluster's RBAC objects with what the declarations compile to.
    #[command(
        after_help = "PATH is a dump of the cluster: a file or a directory of manifests, such as
  kubectl get namespaces,serviceaccounts,roles,rolebindings,clusterroles,clusterrolebindings,\\
    resourcequotas,limitranges,networkpolicies --all-namespaces -o json > live.json
Reports first who can do what live that the declarations do not give (subject, requests,
where, through which binding and role), then the objects rbacc writes that are missing or
differ (rules, subjects, spec, labels such as Pod Security), and the bindings, roles and
NetworkPolicies rbacc did not write. Server-set fields and Kubernetes' own objects are never
drift. Exit codes: 0 no drift, 1 drift, 2 usage or environment (or declarations that do not
compile).

Examples:
  rbacc audit --live live.json --cluster prod
  rbacc audit --live dump/ --cluster prod -o json"
    )]
    Audit(AuditArgs),
    /// Write declarations for existing manifests: a dump of each cluster, or a repository of them.
    #[command(
        after_help = "Each --cluster NAME=PATH names a cluster and its manifests: a file or a directory\n\
(any layout, multi-document files, `kind: List`), such as a dump made with\n\
  kubectl get namespaces,serviceaccounts,roles,rolebindings,clusterroles,clusterrolebindings,\\\n\
    resourcequotas,limitranges,networkpolicies --all-namespaces -o json\n\
Writes DIR/rbacc.yaml and DIR/teams/ (DIR must be empty or absent), compiles them and\n\
compares the result with the input: namespaces, labels, annotations, Pod Security, quotas,\n\
limit ranges, NetworkPolicies and every subject's access. The report lists what differs\n\
(the aim is nothing), what was left out and why, duplicates, renamed objects and the\n\
risks accepted for review. Exit codes: 0 imported with no difference, 1 imported with\n\
differences or declarations that do not build, 2 usage or environment.\n\n\
Examples:\n  \
rbacc import --cluster prod=live-prod.json --into platform-rbac\n  \
rbacc import --cluster prod=namespaces/ --cluster staging=staging/ --team-key team --into new"
    )]
    Import(ImportArgs),
    /// One HTML page of who can do what across teams, namespaces and clusters, for auditors.
    #[command(
        after_help = "Compiles the repository in memory and prints, on stdout, one self-contained HTML\n\
page (no network, no external scripts, fonts or images; a print stylesheet): per cluster,\n\
every team's namespaces and the roles bound there; who can read Secrets, exec into pods,\n\
create pods or escalate, where and through which declaration; every risk finding with its\n\
`allow:` reason; the members entries and grants that expire, by date; and a filter by\n\
team, subject or namespace (also from the address: page.html#filter=payments). The same\n\
input gives the same bytes. -o json prints the same data. Exit codes: 0 printed, 1 invalid\n\
declarations, 2 usage or environment.\n\n\
Examples:\n  \
rbacc report > access.html\n  \
rbacc report -o json | jq '.capabilities[0].entries'"
    )]
    Report(ReportArgs),
    /// Print or write the CODEOWNERS file that asks each team's owners to review its changes.
    #[command(
        after_help = "Maps each team file (`/teams/payments.yaml`) and what rbacc compiles from it\n\
(`/out/*/teams/payments/`, `/out/*/kubeconfigs/payments.yaml`, `/out/*/flux/team-payments.yaml`)\n\
to the team's `metadata.owners`. Teams without owners are listed as comments. The file starts\n\
with rbacc's header; `rbacc check` fails while a committed file with that header is stale, and\n\
leaves a CODEOWNERS file without it alone.\n\n\
--write writes the file rbacc generated before, else the place the forge reads first\n\
(.github/CODEOWNERS for GitHub, CODEOWNERS for GitLab); it never overwrites a file rbacc did\n\
not generate. The syntax defaults to that of the file rbacc generated before, else github.\n\n\
Examples:\n  \
rbacc codeowners                           # print it\n  \
rbacc codeowners --write\n  \
rbacc codeowners --syntax gitlab --write   # one section per team\n  \
rbacc codeowners --check"
    )]
    Codeowners(CodeownersArgs),
    /// Create a new rbacc repository that passes `rbacc check` straight away.
    #[command(
        after_help = "Writes rbacc.yaml (one cluster), teams/example.yaml, templates/, schema/ (the JSON\n\
Schemas both files name, for editors), .gitignore, a GitHub Actions workflow running\n\
`rbacc check -o github`, the Argo CD and Flux wiring under deploy/, and out/ as\n\
`rbacc build` writes it. Refuses to overwrite anything: when one of those files exists, it\n\
lists them and writes nothing (exit 2).\n\n\
Examples:\n  \
rbacc init platform-rbac\n  \
rbacc init --git-url https://github.com/acme/platform-rbac.git"
    )]
    Init(InitArgs),
    /// Print the JSON Schema of team files or of `rbacc.yaml`, for editors.
    #[command(
        after_help = "Editors with YAML language support (yaml-language-server: VS Code, Neovim, Helix, ...)\n\
complete and check a file that names its schema in its first line:\n  \
# yaml-language-server: $schema=../schema/team.json\n\
`rbacc init` writes both schemas into schema/ and names them in the files it writes.\n\n\
Examples:\n  \
rbacc schema > schema/team.json\n  \
rbacc schema config > schema/config.json"
    )]
    Schema(SchemaArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  rbacc completions bash > ~/.local/share/bash-completion/completions/rbacc\n  rbacc completions zsh > \"${fpath[1]}/_rbacc\"\n  rbacc completions fish > ~/.config/fish/completions/rbacc.fish"
    )]
    Completions(CompletionsArgs),
    /// Print a man page (roff): rbacc(1), or one command's.
    #[command(
        after_help = "rbacc(1) describes every command and refers to a page per command, rbacc-build(1) and\n\
so on; --out-dir writes them all, so that every page it refers to exists.\n\n\
Examples:\n  rbacc man | man -l -\n  rbacc man check | man -l -\n  rbacc man --out-dir /usr/local/share/man/man1"
    )]
    Man(ManArgs),
    /// The clusters of the repository, one a line, for shell completion.
    #[command(name = "complete-clusters", hide = true)]
    CompleteClusters,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print (`check` for rbacc-check(1)).
    #[arg(value_name = "COMMAND", conflicts_with = "out_dir")]
    pub command: Option<String>,

    /// Write rbacc.1 and a page per command (rbacc-build.1, …) into DIR.
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub out_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The directory of the new repository; created when missing.
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// The URL Argo CD and Flux clone the repository from, written into `deploy/`.
    #[arg(long, value_name = "URL", default_value = rbacc::init::PLACEHOLDER_URL)]
    pub git_url: String,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The file whose schema to print.
    #[arg(value_enum, default_value_t = SchemaFile::Team)]
    pub file: SchemaFile,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaFile {
    /// A team file, `teams/**/*.yaml`.
    Team,
    /// `rbacc.yaml`.
    Config,
}

impl From<SchemaFile> for rbacc::schema::Document {
    fn from(file: SchemaFile) -> Self {
        match file {
            SchemaFile::Team => rbacc::schema::Document::Team,
            SchemaFile::Config => rbacc::schema::Document::Config,
        }
    }
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The old spelling of `--output` on `check`, `codeowners` and `diff`: a
/// hidden alias (not in help, completions or the man page), deprecated.
pub const DEPRECATED_FORMAT: &str = "format";

/// The repository a command run without `--repo` is about: the current
/// directory or the nearest one above it that holds `rbacc.yaml`, as git
/// finds its repository from a subdirectory; the current directory when
/// none does (so the error names it).
pub fn discover_repo() -> PathBuf {
    let here = PathBuf::from(".");
    let Ok(cwd) = std::env::current_dir() else {
        return here;
    };
    let mut up = PathBuf::new();
    for dir in cwd.ancestors() {
        if dir.join("rbacc.yaml").is_file() {
            return if up.as_os_str().is_empty() { here } else { up };
        }
        up.push("..");
    }
    here
}

#[derive(Debug, Args)]
pub struct RepoArgs {
    /// The repository: the directory holding `rbacc.yaml` and `teams/`
    /// [default: the nearest directory, from here up, that holds
    /// `rbacc.yaml`].
    #[arg(long, default_value_os_t = discover_repo(), hide_default_value = true)]
    pub repo: PathBuf,

    /// The output directory [default: <repo>/out].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

impl RepoArgs {
    pub fn out_dir(&self) -> PathBuf {
        self.out.clone().unwrap_or_else(|| self.repo.join("out"))
    }

    /// Where the build record of [`RepoArgs::out_dir`] lives: beside
    /// `out/` when it is inside the repository, else in the user's cache
    /// directory (`$XDG_CACHE_HOME/rbacc/`, or `~/.cache/rbacc/`), named
    /// by a digest of `out/`'s absolute path. `None` when `out/` is
    /// outside and there is no cache directory: then nothing is recorded.
    pub fn state_path(&self) -> Option<PathBuf> {
        let out = self.out_dir();
        if super::build::out_relative(self).is_some() {
            return Some(rbacc::output::record_beside(&out));
        }
        let cache = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| {
                std::env::var_os("HOME")
                    .map(PathBuf::from)
                    .filter(|p| p.is_absolute())
                    .map(|home| home.join(".cache"))
            })?;
        let absolute = std::path::absolute(&out).ok()?;
        let absolute = absolute.canonicalize().unwrap_or(absolute);
        Some(
            cache
                .join("rbacc")
                .join(format!("state-{}", rbacc::output::path_digest(&absolute))),
        )
    }
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub repo: RepoArgs,

    /// How to print diagnostics.
    #[arg(long, short, value_name = "FORMAT", value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub repo: RepoArgs,

    /// How to print diagnostics and the files of out/ that differ.
    #[arg(long, short, alias = DEPRECATED_FORMAT, value_name = "FORMAT", value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
}

#[derive(Debug, Args)]
pub struct CodeownersArgs {
    #[command(flatten)]
    pub repo: RepoArgs,

    /// The forge whose syntax to write [default: that of the file rbacc generated before, else github].
    #[arg(long, value_enum)]
    pub syntax: Option<Forge>,

    /// Write the file where the forge reads it, instead of printing it.
    #[arg(long, conflicts_with = "check")]
    pub write: bool,

    /// Print nothing; fail (exit 1) when the file is missing or not what rbacc generates.
    #[arg(long)]
    pub check: bool,

    /// How to print diagnostics.
    #[arg(long, short, alias = DEPRECATED_FORMAT, value_name = "FORMAT", value_enum, default_value_t = CodeownersFormat::Text)]
    pub output: CodeownersFormat,
}

/// Where the manifests of an access query come from.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// The repository, compiled in memory (`out/` is not read) [default:
    /// the nearest directory, from here up, that holds `rbacc.yaml`].
    #[arg(long, default_value_os_t = discover_repo(), hide_default_value = true)]
    pub repo: PathBuf,

    /// Evaluate this directory of Kubernetes manifests instead of compiling a repository.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["repo", "cluster"])]
    pub manifests: Option<PathBuf>,

    /// The cluster whose manifests to evaluate; needed when the repository has several and
    /// the namespace is on more than one (or there is none).
    #[arg(long, value_name = "CLUSTER", value_hint = clap::ValueHint::Other)]
    pub cluster: Option<String>,

    /// How to print the answer.
    #[arg(long, short, value_name = "FORMAT", value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

/// Who asks: a user name and groups, as kubectl's `--as` and `--as-group`.
#[derive(Debug, Args)]
pub struct UserArgs {
    /// The user to answer for, e.g. `alice@example.com` or `system:serviceaccount:NS:NAME`.
    #[arg(long = "as", value_name = "USER", value_parser = parse_user)]
    pub user: String,

    /// A group of the user (repeatable). `system:authenticated` and a service account's
    /// groups are added as the API server adds them.
    #[arg(long = "as-group", value_name = "GROUP", value_parser = parse_non_empty)]
    pub groups: Vec<String>,
}

/// A request as kubectl writes it: `VERB RESOURCE [NAME] [-n NS]`.
#[derive(Debug, Args)]
pub struct RequestArgs {
    /// The verb: get, list, watch, create, update, patch, delete, deletecollection, ...
    #[arg(value_parser = parse_non_empty)]
    pub verb: String,

    /// The resource as kubectl writes it (`pods`, `pods/exec`, `deployments.apps`), or a URL path.
    #[arg(value_parser = parse_non_empty)]
    pub resource: String,

    /// The name of one object (`resourceNames` in rules).
    #[arg(value_parser = parse_non_empty)]
    pub name: Option<String>,

    /// The namespace of the request; without it, the request is cluster-wide.
    #[arg(long, short, value_name = "NS", value_parser = parse_non_empty)]
    pub namespace: Option<String>,
}

#[derive(Debug, Args)]
pub struct CanIArgs {
    #[command(flatten)]
    pub request: RequestArgs,

    #[command(flatten)]
    pub user: UserArgs,

    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Debug, Args)]
pub struct WhoCanArgs {
    #[command(flatten)]
    pub request: RequestArgs,

    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The object, as KIND/NAME: `rolebinding/payments-admin`, `ns/payments-prod`.
    #[arg(value_parser = parse_non_empty)]
    pub object: String,

    /// The namespace of a namespaced object.
    #[arg(long, short, value_name = "NS", value_parser = parse_non_empty)]
    pub namespace: Option<String>,

    /// The repository, compiled in memory [default: the nearest
    /// directory, from here up, that holds `rbacc.yaml`].
    #[arg(long, default_value_os_t = discover_repo(), hide_default_value = true)]
    pub repo: PathBuf,

    /// How to print the explanation.
    #[arg(long, short, value_name = "FORMAT", value_enum, default_value_t = ExplainFormat::Text)]
    pub output: ExplainFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// For people: the files of out/ that hold the object, its declaration
    /// with the line as written, and a RoleBinding's risk findings.
    Text,
    /// JSON, in the shape docs/output.md documents (`explain`).
    Json,
}

#[derive(Debug, Args)]
pub struct AccessArgs {
    #[command(flatten)]
    pub user: UserArgs,

    /// The namespace; without it, the matrix is for cluster-wide requests.
    #[arg(long, short, value_name = "NS", value_parser = parse_non_empty)]
    pub namespace: Option<String>,

    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// For people: `yes`/`no`, or a table.
    Text,
    /// JSON, in the shape the README documents.
    Json,
}

impl From<OutputFormat> for rbacc::query::Format {
    fn from(format: OutputFormat) -> Self {
        match format {
            OutputFormat::Text => rbacc::query::Format::Text,
            OutputFormat::Json => rbacc::query::Format::Json,
        }
    }
}

impl From<&UserArgs> for rbacc::query::User {
    fn from(args: &UserArgs) -> Self {
        rbacc::query::User {
            name: args.user.clone(),
            groups: args.groups.clone(),
        }
    }
}

impl From<&CanIArgs> for rbacc::query::CanI {
    fn from(args: &CanIArgs) -> Self {
        rbacc::query::CanI {
            request: kubectl_request(&args.request),
            user: (&args.user).into(),
        }
    }
}

impl From<&WhoCanArgs> for rbacc::query::WhoCan {
    fn from(args: &WhoCanArgs) -> Self {
        rbacc::query::WhoCan {
            request: kubectl_request(&args.request),
        }
    }
}

impl From<&AccessArgs> for rbacc::query::AccessQuestion {
    fn from(args: &AccessArgs) -> Self {
        rbacc::query::AccessQuestion {
            user: (&args.user).into(),
            namespace: args.namespace.clone(),
        }
    }
}

/// `VERB RESOURCE [NAME] [-n NS]` as typed.
fn kubectl_request(args: &RequestArgs) -> rbacc::query::KubectlRequest {
    rbacc::query::KubectlRequest {
        verb: args.verb.clone(),
        resource: args.resource.clone(),
        name: args.name.clone(),
        namespace: args.namespace.clone(),
    }
}

fn parse_non_empty(value: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        return Err("must not be empty".to_string());
    }
    Ok(value.to_string())
}

/// A user name as the API server accepts it for impersonation: not empty,
/// and a service-account name is `system:serviceaccount:<namespace>:<name>`.
fn parse_user(value: &str) -> Result<String, String> {
    let value = parse_non_empty(value)?;
    if value.starts_with(rbacc::access::SERVICE_ACCOUNT_PREFIX)
        && rbacc::access::service_account_parts(&value).is_none()
    {
        return Err(format!(
            "a service account is written {}NAMESPACE:NAME",
            rbacc::access::SERVICE_ACCOUNT_PREFIX
        ));
    }
    Ok(value)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// How `build` and `check` print diagnostics (docs/output.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// For people, on stderr: source lines, labels and help.
    #[value(alias = "human")]
    Text,
    /// GitHub Actions annotations (`::error file=…,line=…::…`), on stdout.
    Github,
    /// rbacc's JSON report, on stdout.
    Json,
    /// SARIF 2.1.0 for code scanning, on stdout.
    Sarif,
    /// A GitLab Code Quality report, on stdout.
    Gitlab,
}

impl From<ReportFormat> for rbacc::report::Format {
    fn from(format: ReportFormat) -> Self {
        match format {
            ReportFormat::Text => rbacc::report::Format::Text,
            ReportFormat::Github => rbacc::report::Format::Github,
            ReportFormat::Json => rbacc::report::Format::Json,
            ReportFormat::Sarif => rbacc::report::Format::Sarif,
            ReportFormat::Gitlab => rbacc::report::Format::Gitlab,
        }
    }
}

/// How `codeowners` prints diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CodeownersFormat {
    /// For people, on stderr: source lines, labels and help.
    #[value(alias = "human")]
    Text,
    /// GitHub Actions annotations (`::error file=…,line=…::…`), on stdout.
    Github,
}

impl From<CodeownersFormat> for rbacc::report::Format {
    fn from(format: CodeownersFormat) -> Self {
        match format {
            CodeownersFormat::Text => rbacc::report::Format::Text,
            CodeownersFormat::Github => rbacc::report::Format::Github,
        }
    }
}

/// `rbacc audit` arguments.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The repository, compiled in memory [default: the nearest
    /// directory, from here up, that holds `rbacc.yaml`].
    #[arg(long, default_value_os_t = discover_repo(), hide_default_value = true)]
    pub repo: PathBuf,

    /// How to print the report.
    #[arg(long, short, value_name = "FORMAT", value_enum, default_value_t = PageFormat::Html)]
    pub output: PageFormat,
}

/// How `report` prints the access report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PageFormat {
    /// One self-contained HTML page.
    Html,
    /// The same data as JSON (docs/output.md).
    Json,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The live cluster's objects: a manifest file or a directory of them.
    #[arg(long, value_name = "PATH", value_hint = clap::ValueHint::AnyPath)]
    pub live: PathBuf,

    /// The cluster the dump is of; required when the repository has several.
    #[arg(long, value_name = "CLUSTER", value_hint = clap::ValueHint::Other)]
    pub cluster: Option<String>,

    /// The repository [default: the nearest directory, from here up, that
    /// holds `rbacc.yaml`].
    #[arg(long, default_value_os_t = discover_repo(), hide_default_value = true)]
    pub repo: PathBuf,

    /// How to print the result.
    #[arg(long, short, value_name = "FORMAT", value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

/// `rbacc import` arguments.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A cluster and its manifests, as NAME=PATH; repeat for each cluster.
    #[arg(long = "cluster", value_name = "NAME=PATH", required = true)]
    pub clusters: Vec<String>,

    /// The directory to write the repository into (empty or absent).
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub into: PathBuf,

    /// A namespace label or annotation whose value names its team
    /// [default: teams by who is bound in each namespace].
    #[arg(long, value_name = "KEY")]
    pub team_key: Option<String>,

    /// How to print the report.
    #[arg(long, short, value_name = "FORMAT", value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

/// `rbacc diff` arguments.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The revision to compare against: a branch, tag or commit, as git names it (`origin/main`).
    #[arg(long, value_name = "REV")]
    pub base: String,

    /// The revision to compare [default: the work tree, uncommitted edits included].
    #[arg(long, value_name = "REV")]
    pub head: Option<String>,

    /// The repository: the directory holding `rbacc.yaml`, in a git work
    /// tree [default: the nearest directory, from here up, that holds
    /// `rbacc.yaml`].
    #[arg(long, default_value_os_t = discover_repo(), hide_default_value = true)]
    pub repo: PathBuf,

    /// How to print the report: `markdown` for a pull-request comment, `json` for machines.
    #[arg(long, short, alias = DEPRECATED_FORMAT, value_name = "FORMAT", value_enum, default_value_t = DiffFormat::Text)]
    pub output: DiffFormat,

    /// Exit with 1 when anything changed, as `git diff --exit-code` does.
    #[arg(long)]
    pub exit_code: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// For a terminal.
    Text,
    /// For a pull-request comment: at most 65,536 characters.
    Markdown,
    /// For machines, in the shape README.md documents.
    Json,
}

impl From<DiffFormat> for rbacc::diff::Format {
    fn from(format: DiffFormat) -> rbacc::diff::Format {
        match format {
            DiffFormat::Text => rbacc::diff::Format::Text,
            DiffFormat::Markdown => rbacc::diff::Format::Markdown,
            DiffFormat::Json => rbacc::diff::Format::Json,
        }
    }
}

/// A forge, for the syntax of its CODEOWNERS file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Forge {
    /// GitHub: one line per path, the team's name in a comment above.
    Github,
    /// GitLab: one section per team (`[Team payments]`), so that each
    /// team's approval is asked for on its own.
    Gitlab,
}

impl From<Forge> for rbacc::codeowners::Syntax {
    fn from(forge: Forge) -> rbacc::codeowners::Syntax {
        match forge {
            Forge::Github => rbacc::codeowners::Syntax::Github,
            Forge::Gitlab => rbacc::codeowners::Syntax::Gitlab,
        }
    }
}
