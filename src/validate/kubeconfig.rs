//! Kubeconfigs: rendering the templates for every team and cluster, and
//! checking what they produce.
//!
//! Templates are minijinja, sandboxed (no file system, no environment),
//! with undefined values as errors and a fuel limit. Every interpolated value
//! is written as a JSON string, which is valid YAML, so nothing a team file
//! holds (`:`, quotes, newlines, `{{`) can change the structure of the
//! output. Each rendered kubeconfig is parsed back and checked before it is
//! accepted.

use std::collections::BTreeMap;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use rayon::prelude::*;
use serde::Serialize;

use crate::decode::backticked;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::load::Template;
use crate::model::raw;
use crate::model::{Cluster, Kubeconfig, Kubeconfigs, Team};
use crate::source::{FileId, Sources, Sp, Span};
use crate::yaml;
use serde_json::Value;

use super::{dns_label_problem, invalid_name, suggestion};

/// The namespace of the per-team ConfigMaps, unless `kubeconfig.namespace`
/// says otherwise.
pub const DEFAULT_NAMESPACE: &str = "rbacc-kubeconfigs";

/// Whether [`check`] renders the kubeconfigs, or only records which team
/// gets one on which cluster (what their RBAC objects need).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Render {
    Full,
    NamesOnly,
    /// Renders those of the teams declared in these files (paths as the
    /// sources name them), names only for the rest: what `rbacc diff`
    /// compares when the settings and templates are the same on both sides.
    Files(std::collections::BTreeSet<String>),
}

impl Render {
    /// Whether `team`'s kubeconfigs are rendered.
    fn renders(&self, team: &Team) -> bool {
        match self {
            Render::Full => true,
            Render::NamesOnly => false,
            Render::Files(files) => files.contains(&team.source),
        }
    }
}

/// Most template instructions one render may run.
const FUEL: u64 = 200_000;

/// Most bytes one rendered kubeconfig may hold. Real ones are a few KiB; the
/// limit stops a template (or team values it prints) from making megabytes
/// of output with a handful of instructions.
const MAX_RENDERED: usize = 256 * 1024;

/// Templates shipped with rbacc, used when `templates/` has no file of the
/// same name.
pub(crate) const BUILT_IN: &[(&str, &str)] = &[
    (
        "in-cluster",
        include_str!("../../templates/in-cluster.yaml.j2"),
    ),
    (
        "oidc-kubelogin",
        include_str!("../../templates/oidc-kubelogin.yaml.j2"),
    ),
    ("pinniped", include_str!("../../templates/pinniped.yaml.j2")),
];

/// Settings the shipped templates need, as `(section, field)`.
fn required_settings(template: &str) -> &'static [(&'static str, &'static str)] {
    match template {
        "oidc-kubelogin" => &[("oidc", "issuerUrl"), ("oidc", "clientId")],
        "pinniped" => &[
            ("oidc", "issuerUrl"),
            ("oidc", "clientId"),
            ("pinniped", "conciergeEndpoint"),
            ("pinniped", "authenticatorName"),
        ],
        _ => &[],
    }
}

/// Fields a kubeconfig must never carry a value in.
const SECRET_FIELDS: &[&str] = &[
    "token",
    "password",
    "client-key-data",
    "client-certificate-data",
];

/// The settings in force for one cluster.
struct Effective<'a> {
    template: &'a Sp<String>,
    oidc: Option<&'a raw::Oidc>,
    pinniped: Option<&'a raw::Pinniped>,
    /// The section that chose the template, for "missing setting" labels.
    section: Span,
}

pub fn check(
    sources: &Sources,
    config: &raw::Config,
    templates: &[Template],
    clusters: &[Cluster],
    teams: &[Team],
    mode: &Render,
    diags: &mut Diagnostics,
) -> Option<Kubeconfigs> {
    let wide = config.kubeconfig.as_ref();
    let any = wide.is_some() || config.clusters.iter().any(|c| c.kubeconfig.is_some());
    if !any {
        return None;
    }
    let namespace = check_namespace(wide.and_then(|k| k.namespace.as_ref()), teams, diags)?;

    // Which template, with which settings, on which cluster.
    let mut effective: BTreeMap<&str, Effective> = BTreeMap::new();
    for raw_cluster in &config.clusters {
        let own = raw_cluster.kubeconfig.as_ref();
        let Some(template) = own
            .and_then(|k| k.template.as_ref())
            .or(wide.and_then(|k| k.template.as_ref()))
        else {
            if let Some(section) = own.or(wide) {
                diags.push(
                    Diagnostic::error(
                        Code::MissingField,
                        section.span,
                        format!(
                            "no kubeconfig template for cluster `{}`",
                            raw_cluster.name.value
                        ),
                    )
                    .label("`template` is missing")
                    .help(format!(
                        "name one of {}",
                        backticked(&template_names(templates, sources))
                    )),
                );
            }
            continue;
        };
        let section = if own.is_some_and(|k| k.template.is_some()) {
            own
        } else {
            wide
        };
        effective.insert(
            &raw_cluster.name.value,
            Effective {
                template,
                oidc: own
                    .and_then(|k| k.oidc.as_ref())
                    .or(wide.and_then(|k| k.oidc.as_ref())),
                pinniped: own
                    .and_then(|k| k.pinniped.as_ref())
                    .or(wide.and_then(|k| k.pinniped.as_ref())),
                section: section.map_or(template.span, |k| k.span),
            },
        );
    }

    // Compile every template in use once.
    let mut env = environment();
    let mut sources_of: BTreeMap<String, (String, Option<FileId>)> = BTreeMap::new();
    for e in effective.values() {
        let name = &e.template.value;
        if sources_of.contains_key(name) {
            continue;
        }
        let (label, text, file) = match templates.iter().find(|t| &t.name == name) {
            Some(t) => (
                sources.path(t.file).to_string(),
                sources.get(t.file).text.to_string(),
                Some(t.file),
            ),
            None => match BUILT_IN.iter().find(|(n, _)| n == name) {
                Some((n, text)) => (format!("built-in:{n}"), text.to_string(), None),
                None => {
                    let names = template_names(templates, sources);
                    let help = suggestion(name, names.iter().copied()).unwrap_or_else(|| {
                        format!(
                            "templates are {}, or a file `templates/<name>.yaml.j2`",
                            backticked(&names)
                        )
                    });
                    diags.push(
                        Diagnostic::error(
                            Code::UnknownTemplate,
                            e.template.span,
                            format!("unknown kubeconfig template `{name}`"),
                        )
                        .label("no such template")
                        .help(help),
                    );
                    continue;
                }
            },
        };
        if let Err(err) = env.add_template_owned(name.clone(), text) {
            diags.push(template_diagnostic(&err, file, e.template.span, name));
            continue;
        }
        sources_of.insert(name.clone(), (label, file));
    }
    for e in effective.values() {
        check_settings(e, diags);
    }
    if diags.has_errors() {
        return None;
    }

    let mut rendered = BTreeMap::new();
    for cluster in clusters {
        let Some(e) = effective.get(cluster.name.as_str()) else {
            continue;
        };
        let name = e.template.value.as_str();
        let (Some((label, file)), Ok(template)) = (sources_of.get(name), env.get_template(name))
        else {
            continue;
        };
        // The structure each shape of team gets from this template, from a
        // neutral team's values (computed once per shape).
        let neutral: std::sync::Mutex<BTreeMap<Shape, Result<Value, String>>> = Default::default();
        // Render in parallel; report only the first failure (in team order)
        // of a template, which usually fails the same way for every team.
        let results: Vec<Option<Result<(String, String), Diagnostic>>> = teams
            .par_iter()
            .map(|team| {
                let namespaces: Vec<&str> = team
                    .namespaces
                    .iter()
                    .filter(|ns| ns.clusters.contains(&cluster.name))
                    .map(|ns| ns.name.as_str())
                    .collect();
                if namespaces.is_empty() {
                    return None;
                }
                if !mode.renders(team) {
                    return Some(Ok((team.name.clone(), String::new())));
                }
                let context = context(cluster, team_context(team), &namespaces, e);
                let text = match render(&template, &context) {
                    Ok(text) => text,
                    Err(err) => return Some(Err(template_diagnostic(&err, *file, e.template.span, name))),
                };
                let checked = verify(&text).and_then(|root| {
                    let shape = Shape::of(team, namespaces.len());
                    let expected = neutral
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .entry(shape)
                        .or_insert_with(|| neutral_structure(&template, cluster, shape, e))
                        .clone();
                    same_structure(&root, expected)
                });
                if let Err(problem) = checked {
                    let span = file.map_or(e.template.span, |f| locate(sources, f, &problem));
                    return Some(Err(Diagnostic::error(
                        Code::InvalidKubeconfig,
                        span,
                        format!(
                            "template `{name}` renders an invalid kubeconfig for team `{}` on cluster `{}`: {}",
                            team.name, cluster.name, problem.message
                        ),
                    )
                    .label("rendered from here")
                    .with_secondary(e.template.span, "template chosen here")
                    .help(problem.help)));
                }
                Some(Ok((team.name.clone(), text)))
            })
            .collect();
        for result in results.into_iter().flatten() {
            match result {
                Ok((team, text)) => {
                    rendered.insert(
                        (cluster.name.clone(), team),
                        Kubeconfig {
                            text,
                            template: label.clone(),
                        },
                    );
                }
                Err(diagnostic) => {
                    diags.push(diagnostic);
                    break;
                }
            }
        }
    }
    if diags.has_errors() {
        return None;
    }
    Some(Kubeconfigs {
        namespace,
        rendered,
    })
}

/// Renders `template` into at most [`MAX_RENDERED`] bytes.
fn render(template: &minijinja::Template, context: &Context) -> Result<String, minijinja::Error> {
    let mut out = Bounded(Vec::new());
    template
        .render_captured_to(minijinja::value::Serde(context), &mut out)
        .map_err(|err| {
            if out.0.len() >= MAX_RENDERED {
                minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!(
                        "the rendered kubeconfig would be larger than {} KiB",
                        MAX_RENDERED / 1024
                    ),
                )
            } else {
                err
            }
        })?;
    // Auto-escaping JSON keeps every value valid UTF-8; the template text
    // itself is a `&str`.
    String::from_utf8(out.0).map_err(|_| {
        minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            "the rendered kubeconfig is not UTF-8",
        )
    })
}

/// Refuses to print a value larger than [`MAX_RENDERED`] (string bytes plus
/// items), before formatting it: a lazily repeated sequence costs no fuel
/// until it is printed, and printing formats it whole.
fn check_printable(value: &minijinja::Value) -> Result<(), minijinja::Error> {
    fn walk(value: &minijinja::Value, budget: &mut usize) -> bool {
        use minijinja::value::ValueKind;
        let cost = value.as_str().map_or(1, str::len);
        let Some(left) = budget.checked_sub(cost) else {
            return false;
        };
        *budget = left;
        match value.kind() {
            ValueKind::Seq | ValueKind::Iterable => match value.try_iter() {
                Ok(items) => {
                    for item in items {
                        if !walk(&item, budget) {
                            return false;
                        }
                    }
                    true
                }
                Err(_) => true,
            },
            ValueKind::Map => match value.try_iter() {
                Ok(keys) => {
                    for key in keys {
                        let item = value.get_item(&key).unwrap_or_default();
                        if !walk(&key, budget) || !walk(&item, budget) {
                            return false;
                        }
                    }
                    true
                }
                Err(_) => true,
            },
            _ => true,
        }
    }
    let mut budget = MAX_RENDERED;
    if walk(value, &mut budget) {
        Ok(())
    } else {
        Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!(
                "a value printed by the template is larger than {} KiB",
                MAX_RENDERED / 1024
            ),
        ))
    }
}

/// A writer that refuses to grow past [`MAX_RENDERED`] bytes.
struct Bounded(Vec<u8>);

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > MAX_RENDERED {
            self.0.resize(MAX_RENDERED, 0);
            return Err(std::io::Error::other("rendered kubeconfig too large"));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Every `{{ value }}` becomes a JSON string: valid YAML whatever it holds.
    env.set_auto_escape_callback(|_| AutoEscape::Json);
    let mut syntax = minijinja::syntax::SyntaxConfig::builder();
    syntax.keep_trailing_newline(true);
    env.set_syntax(syntax.build().expect("the default delimiters are valid"));
    env.set_fuel(Some(FUEL));
    env.set_formatter(|out, state, value| {
        check_printable(value)?;
        out.write_str(&printed(value, state.auto_escape())?)
            .map_err(minijinja::Error::from)
    });
    env.set_recursion_limit(64);
    env.add_filter("join", join);
    env
}

/// The longest separator `join` takes.
const MAX_JOINER: usize = 1024;

/// minijinja's `join`, with a separator that is a string of at most
/// [`MAX_JOINER`] bytes: any other value would be turned into a string
/// first, and then repeated between every item, before fuel counts it.
fn join(
    state: &mut minijinja::State,
    value: &minijinja::Value,
    joiner: Option<minijinja::Value>,
    attribute: Option<&str>,
    kwargs: minijinja::value::Kwargs,
) -> Result<minijinja::Value, minijinja::Error> {
    let plain = |v: &minijinja::Value| v.as_str().is_some_and(|s| s.len() <= MAX_JOINER);
    let named: Option<minijinja::Value> = kwargs.get("d")?;
    if let Some(joiner) = joiner.as_ref().or(named.as_ref())
        && !plain(joiner)
    {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("`join` takes a string of at most {MAX_JOINER} bytes to join with"),
        ));
    }
    let joiner = joiner.or(named);
    let joiner = match &joiner {
        Some(j) => Some(minijinja::value::StringInput::new(state, j)?),
        None => None,
    };
    let attribute: Option<String> = match attribute {
        Some(a) => Some(a.to_string()),
        None => kwargs.get("attribute")?,
    };
    kwargs.assert_all_used()?;
    minijinja::filters::join(
        state,
        value,
        joiner,
        attribute.as_deref(),
        minijinja::value::Kwargs::from_iter(std::iter::empty::<(&str, minijinja::Value)>()),
    )
}

/// What `{{ value }}` prints: JSON (as the auto-escaping the environment
/// sets), with every character YAML or kubectl takes for a line break
/// (NEL, U+2028, U+2029, which JSON leaves raw) and every other invisible
/// one written as a `\u` escape. So a team value stays inside its string
/// even in a comment or a plain scalar, and `{{ x|safe }}` or
/// `{% autoescape false %}` cannot print a line break either.
fn printed(value: &minijinja::Value, escape: &AutoEscape) -> Result<String, minijinja::Error> {
    let text = if value.is_safe() || *escape != AutoEscape::Json {
        value.to_string()
    } else {
        serde_json::to_string(value).map_err(|e| {
            minijinja::Error::new(
                minijinja::ErrorKind::BadSerialization,
                format!("a value cannot be printed as JSON: {e}"),
            )
        })?
    };
    if !text.chars().any(crate::text::is_invisible) {
        return Ok(text);
    }
    let mut out = String::with_capacity(text.len() + 12);
    for c in text.chars() {
        if crate::text::is_invisible(c) {
            // Every invisible character is in the Basic Multilingual Plane.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

fn template_names<'a>(templates: &'a [Template], _sources: &Sources) -> Vec<&'a str> {
    let mut names: Vec<&str> = templates
        .iter()
        .map(|t| t.name.as_str())
        .chain(BUILT_IN.iter().map(|(n, _)| *n))
        .collect();
    names.sort();
    names.dedup();
    names
}

fn check_namespace(
    namespace: Option<&Sp<String>>,
    teams: &[Team],
    diags: &mut Diagnostics,
) -> Option<String> {
    let Some(ns) = namespace else {
        return Some(DEFAULT_NAMESPACE.to_string());
    };
    if let Some(problem) = dns_label_problem(&ns.value) {
        diags.push(invalid_name(ns, "namespace name", &problem));
        return None;
    }
    if let Some(team) = teams
        .iter()
        .find(|t| t.namespaces.iter().any(|n| n.name == ns.value))
    {
        diags.push(
            Diagnostic::error(
                Code::DuplicateNamespace,
                ns.span,
                format!(
                    "namespace `{}` is also declared by team `{}`",
                    ns.value, team.name
                ),
            )
            .label("the kubeconfig namespace must be rbacc's own")
            .help(format!("declared in {}", team.source)),
        );
        return None;
    }
    Some(ns.value.clone())
}

fn check_settings(e: &Effective, diags: &mut Diagnostics) {
    let value = |section: &str, field: &str| -> Option<&Sp<String>> {
        match (section, field) {
            ("oidc", "issuerUrl") => e.oidc?.issuer_url.as_ref(),
            ("oidc", "clientId") => e.oidc?.client_id.as_ref(),
            ("pinniped", "conciergeEndpoint") => e.pinniped?.concierge_endpoint.as_ref(),
            ("pinniped", "authenticatorName") => e.pinniped?.authenticator_name.as_ref(),
            _ => None,
        }
    };
    for (section, field) in required_settings(&e.template.value) {
        match value(section, field) {
            None => diags.push(
                Diagnostic::error(
                    Code::MissingField,
                    e.template.span,
                    format!("template `{}` needs `{section}.{field}`", e.template.value),
                )
                .label(format!("`{section}.{field}` is not set"))
                .with_secondary(e.section, "in this kubeconfig section")
                .help(format!(
                    "add `{section}: {{ {field}: … }}` beside `template`"
                )),
            ),
            Some(v) if field.ends_with("Url") || field.ends_with("Endpoint") => {
                if !v.value.starts_with("https://") {
                    diags.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            v.span,
                            format!("`{}` is not an https URL", v.value),
                        )
                        .label("expected `https://…`"),
                    );
                }
            }
            Some(_) => {}
        }
    }
}

fn template_diagnostic(
    err: &minijinja::Error,
    file: Option<FileId>,
    chosen: Span,
    name: &str,
) -> Diagnostic {
    let message = format!(
        "template `{name}`: {}",
        err.detail().unwrap_or(&err.kind().to_string())
    );
    let span = match (file, err.range()) {
        (Some(f), Some(range)) => Span::new(f, range.start, range.len()),
        (Some(f), None) => Span::file_start(f),
        (None, _) => chosen,
    };
    let mut d = Diagnostic::error(Code::TemplateError, span, message).label(err.kind().to_string());
    if file.is_some() {
        d = d.with_secondary(chosen, "template chosen here");
    }
    let too_big = err.kind() == minijinja::ErrorKind::OutOfFuel
        || err.detail().is_some_and(|d| d.contains("larger than"));
    if too_big {
        return d.help(format!(
            "a render may take {FUEL} steps (loop iterations, and bytes or items it builds) and print {} KiB; a kubeconfig needs far less",
            MAX_RENDERED / 1024
        ));
    }
    d.help("the template context holds `cluster`, `team`, `namespaces`, `contexts`, `currentContext`, `user` and `auth`; see the README")
}

/// What is wrong with a rendered kubeconfig, and a word to find in the
/// template near the cause.
struct Problem {
    message: String,
    near: Option<String>,
    help: &'static str,
}

fn problem(message: impl Into<String>, near: Option<&str>) -> Problem {
    Problem {
        message: message.into(),
        near: near.map(String::from),
        help: "a kubeconfig is `apiVersion: v1`, `kind: Config`, with contexts naming clusters and users it defines",
    }
}

/// The span of the first line of the template that mentions `near`.
fn locate(sources: &Sources, file: FileId, problem: &Problem) -> Span {
    let text = &sources.get(file).text;
    problem
        .near
        .as_ref()
        .and_then(|word| {
            text.find(word.as_str())
                .map(|i| Span::new(file, i, word.len()))
        })
        .unwrap_or(Span::file_start(file))
}

/// What decides the structure a template may give a team: how many
/// namespaces and contacts it has, and whether it has a description.
/// Everything else a team supplies is a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Shape {
    namespaces: usize,
    contacts: usize,
    description: bool,
}

impl Shape {
    fn of(team: &Team, namespaces: usize) -> Shape {
        Shape {
            namespaces,
            contacts: team.contacts.len(),
            description: team.description.is_some(),
        }
    }
}

/// The structure ([`structure`]) of what `template` renders for a team of
/// `shape` whose every value is neutral; an error when that fails, which
/// the team's own render then reports.
fn neutral_structure(
    template: &minijinja::Template,
    cluster: &Cluster,
    shape: Shape,
    e: &Effective,
) -> Result<Value, String> {
    let contacts = vec!["contact".to_string(); shape.contacts];
    let names: Vec<String> = (1..=shape.namespaces)
        .map(|i| format!("neutral-{i}"))
        .collect();
    let namespaces: Vec<&str> = names.iter().map(String::as_str).collect();
    let team = TeamContext {
        name: "neutral",
        description: shape.description.then_some("description"),
        contacts: &contacts,
    };
    let text =
        render(template, &context(cluster, team, &namespaces, e)).map_err(|e| e.to_string())?;
    let root = verify(&text).map_err(|p| p.message)?;
    Ok(structure(&root))
}

/// A kubeconfig's structure: every mapping's keys and every list's length,
/// with scalars replaced by their type, except what decides who runs what
/// (each exec plugin's `command`) and which context is current (its
/// position among the contexts).
fn structure(root: &Value) -> Value {
    fn walk(value: &Value, key: Option<&str>) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), walk(v, Some(k))))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(|v| walk(v, None)).collect()),
            Value::String(s) if key == Some("command") => Value::String(s.clone()),
            Value::String(_) => Value::String("string".into()),
            Value::Number(_) => Value::String("number".into()),
            Value::Bool(b) => Value::Bool(*b),
            Value::Null => Value::Null,
        }
    }
    let mut shape = walk(root, None);
    if let Some(current) = root["current-context"].as_str() {
        let position = root["contexts"]
            .as_array()
            .and_then(|contexts| contexts.iter().position(|c| c["name"] == current));
        shape["current-context"] = serde_json::json!(position);
    }
    shape
}

/// Refuses a kubeconfig whose [`structure`] differs from the neutral
/// team's: the difference can only come from a team value.
fn same_structure(root: &Value, expected: Result<Value, String>) -> Result<(), Problem> {
    let Ok(expected) = expected else {
        // The neutral render failed where the team's did not: the template
        // depends on the team's values for its structure.
        return Err(Problem {
            help: "a template must give every team the same structure: print team values, never branch on them",
            ..problem("it does not render for a team with other values", None)
        });
    };
    let actual = structure(root);
    match first_difference(&actual, &expected, String::new()) {
        None => Ok(()),
        Some(path) => Err(Problem {
            help: "a team value changed the kubeconfig's structure (users, exec commands, clusters, contexts, current-context); a template must print team values, never branch on them",
            ..problem(
                format!("its structure differs from a neutral team's at `{path}`"),
                None,
            )
        }),
    }
}

/// The path of the first place where `a` and `b` differ.
fn first_difference(a: &Value, b: &Value, path: String) -> Option<String> {
    let at = |path: &str| {
        if path.is_empty() {
            ".".to_string()
        } else {
            path.to_string()
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => first_difference(p, q, format!("{path}.{k}")),
                _ => Some(format!("{path}.{k}")),
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some(at(&path)),
    }
}

/// Checks a rendered kubeconfig: YAML, `apiVersion: v1`, `kind: Config`,
/// consistent references, no credentials. Returns it parsed.
fn verify(text: &str) -> Result<Value, Problem> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        reject_unsupported_tags: true,
        with_snippet: false,
        budget: serde_saphyr::budget! { max_depth: yaml::MAX_DEPTH, max_documents: 1 },
    };
    let root: Value = serde_saphyr::from_str_with_options(text, options)
        .map_err(|e| problem(format!("not valid YAML ({})", e.without_snippet()), None))?;
    if let Some(field) = find_secret(&root) {
        return Err(Problem {
            help: "kubeconfigs carry no credentials: use an exec plugin or `tokenFile`",
            ..problem(
                format!("it sets `{field}`, which would hold a credential"),
                Some(&format!("{field}:")),
            )
        });
    }
    if root["apiVersion"] != "v1" {
        return Err(problem("`apiVersion` is not `v1`", Some("apiVersion")));
    }
    if root["kind"] != "Config" {
        return Err(problem("`kind` is not `Config`", Some("kind")));
    }
    let names = |key: &str| -> Vec<&str> {
        root[key].as_array().map_or(Vec::new(), |items| {
            items.iter().filter_map(|i| i["name"].as_str()).collect()
        })
    };
    let (clusters, users, contexts) = (names("clusters"), names("users"), names("contexts"));
    if contexts.is_empty() {
        return Err(problem("it has no contexts", Some("contexts")));
    }
    for item in root["contexts"].as_array().into_iter().flatten() {
        let context = &item["context"];
        if !context.is_object() {
            return Err(problem(
                "a context has no `context` mapping",
                Some("contexts"),
            ));
        }
        let cluster = context["cluster"].as_str().unwrap_or_default();
        if !clusters.contains(&cluster) {
            return Err(problem(
                format!("a context names cluster `{cluster}`, which is not defined"),
                Some("cluster:"),
            ));
        }
        let user = context["user"].as_str().unwrap_or_default();
        if !users.contains(&user) {
            return Err(problem(
                format!("a context names user `{user}`, which is not defined"),
                Some("user:"),
            ));
        }
    }
    if let Some(current) = root["current-context"].as_str()
        && !contexts.contains(&current)
    {
        return Err(problem(
            format!("`current-context` is `{current}`, which is not a context"),
            Some("current-context"),
        ));
    }
    Ok(root)
}

/// The first credential field with a value, anywhere in the tree.
fn find_secret(value: &Value) -> Option<&'static str> {
    match value {
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let empty = v.is_null() || v.as_str().is_some_and(str::is_empty);
            SECRET_FIELDS
                .iter()
                .find(|f| **f == k && !empty)
                .copied()
                .or_else(|| find_secret(v))
        }),
        Value::Array(items) => items.iter().find_map(find_secret),
        _ => None,
    }
}

/// The template context: the same for every template.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Context<'a> {
    cluster: ClusterContext<'a>,
    team: TeamContext<'a>,
    namespaces: &'a [&'a str],
    contexts: Vec<ContextEntry>,
    current_context: String,
    user: String,
    auth: Auth,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ClusterContext<'a> {
    name: &'a str,
    server: &'a str,
    certificate_authority_data: Option<&'a str>,
}

#[derive(Serialize)]
struct TeamContext<'a> {
    name: &'a str,
    description: Option<&'a str>,
    contacts: &'a [String],
}

#[derive(Serialize)]
struct ContextEntry {
    name: String,
    namespace: String,
}

#[derive(Serialize)]
struct Auth {
    oidc: Option<OidcContext>,
    pinniped: Option<PinnipedContext>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OidcContext {
    issuer_url: Option<String>,
    client_id: Option<String>,
    extra_scopes: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PinnipedContext {
    concierge_endpoint: Option<String>,
    authenticator_name: Option<String>,
    authenticator_type: String,
}

fn team_context(team: &Team) -> TeamContext<'_> {
    TeamContext {
        name: &team.name,
        description: team.description.as_deref(),
        contacts: &team.contacts,
    }
}

fn context<'a>(
    cluster: &'a Cluster,
    team: TeamContext<'a>,
    namespaces: &'a [&'a str],
    e: &Effective,
) -> Context<'a> {
    let value = |v: &Option<Sp<String>>| v.as_ref().map(|s| s.value.clone());
    let contexts: Vec<ContextEntry> = namespaces
        .iter()
        .map(|ns| ContextEntry {
            name: format!("{}-{ns}", cluster.name),
            namespace: ns.to_string(),
        })
        .collect();
    Context {
        current_context: contexts[0].name.clone(),
        contexts,
        cluster: ClusterContext {
            name: &cluster.name,
            server: &cluster.server,
            certificate_authority_data: cluster.certificate_authority_data.as_deref(),
        },
        user: format!("{}@{}", team.name, cluster.name),
        team,
        namespaces,
        auth: Auth {
            oidc: e.oidc.map(|o| OidcContext {
                issuer_url: value(&o.issuer_url),
                client_id: value(&o.client_id),
                extra_scopes: o.extra_scopes.iter().map(|s| s.value.clone()).collect(),
            }),
            pinniped: e.pinniped.map(|p| PinnipedContext {
                concierge_endpoint: value(&p.concierge_endpoint),
                authenticator_name: value(&p.authenticator_name),
                authenticator_type: value(&p.authenticator_type)
                    .unwrap_or_else(|| "jwt".to_string()),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::environment;

    fn render(template: &str) -> Result<String, String> {
        let env = environment();
        env.render_str(template, minijinja::context! { items => ["a", "b"] })
            .map_err(|e| e.to_string())
    }

    #[test]
    fn join_takes_short_string_separators_as_minijinja_does() {
        assert_eq!(render("{{ items | join(', ') | safe }}").unwrap(), "a, b");
        assert_eq!(render("{{ items | join(d='-') | safe }}").unwrap(), "a-b");
        assert_eq!(render("{{ items | join | safe }}").unwrap(), "ab");
        assert_eq!(
            render("{{ [{'n': 'x'}, {'n': 'y'}] | join('+', attribute='n') | safe }}").unwrap(),
            "x+y"
        );
    }

    #[test]
    fn join_refuses_a_separator_that_is_not_a_short_string() {
        for template in [
            "{{ items | join('% ' | list * 10000) }}",
            "{{ items | join(d=[1, 2]) }}",
            "{{ items | join('x' * 2000) }}",
        ] {
            let error = render(template).expect_err(template);
            assert!(
                error.contains("`join` takes a string"),
                "{template}: {error}"
            );
        }
    }
}
