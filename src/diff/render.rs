//! The report as text, markdown (a pull-request comment) and JSON.
//!
//! Order in every format: summary, access changes (subjects, then roles),
//! warnings, manifest diffs.
//!
//! Every string from the input (names, paths, reasons, settings, generated
//! files) reaches the text and markdown reports through one escaping
//! function per place it lands: [`terminal`] for the text report;
//! [`md_code`], [`md_cell_code`], [`md_text`], [`md_html`] and
//! [`md_fenced`] for the markdown one. Nothing from the input can end a
//! line, open an element or a link, or close the report's own blocks.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use super::access::{
    AccessChanges, Permission, PlaceChange, RoleChange, RoleKind, RoleName, SubjectChange,
};
use super::{ClusterSummary, Counts, Diff, FileChange, Piece, Status, Warning};
use crate::risk::Risk;

/// GitHub's limit on the body of a pull-request comment, in characters.
/// The markdown report stays within it, counted in bytes (never fewer than
/// characters).
pub const MARKDOWN_LIMIT: usize = 65_536;

/// The first line of the markdown report: CI finds its earlier comment by
/// it and updates that comment instead of adding one per push.
pub const MARKER: &str = "<!-- rbacc-diff -->";

/// The verbs in the order people read them; others follow alphabetically.
const VERB_ORDER: &[&str] = &crate::builtin::VERBS_IN_READING_ORDER;

fn verb_rank(verb: &str) -> (usize, &str) {
    (
        VERB_ORDER
            .iter()
            .position(|v| *v == verb)
            .unwrap_or(VERB_ORDER.len()),
        verb,
    )
}

/// A resource as kubectl writes it: `secrets`, `deployments.apps`,
/// `deployments.apps/scale`.
fn resource_name(group: &str, resource: &str) -> String {
    let (resource, sub) = match resource.split_once('/') {
        Some((r, s)) => (r, Some(s)),
        None => (resource, None),
    };
    crate::access::kubectl_name(group, resource, sub)
}

/// One line of a change: verbs on resources.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    verbs: Vec<String>,
    /// With `every`: the catalogue resources left out; else the resources.
    resources: Vec<String>,
    /// "every resource except `resources`".
    every: bool,
    /// Resources outside the catalogue, listed after "every resource …".
    also: Vec<String>,
    /// Why the line is escalation-grade (for gains).
    escalation: BTreeSet<&'static str>,
    size: usize,
}

impl Line {
    fn render(&self, m: Markup) -> String {
        let verbs = self
            .verbs
            .iter()
            .map(|v| (m.text)(v))
            .collect::<Vec<_>>()
            .join(", ");
        let list = |items: &[String]| {
            items
                .iter()
                .map(|i| (m.code)(i))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut text = if self.every {
            if self.resources.is_empty() {
                format!("{verbs} on every resource")
            } else {
                format!("{verbs} on every resource except {}", list(&self.resources))
            }
        } else {
            format!("{verbs} on {}", list(&self.resources))
        };
        if self.every && !self.also.is_empty() {
            let _ = write!(text, ", and on {}", list(&self.also));
        }
        text
    }
}

/// `(group, resource, name)`.
type Target<'a> = (&'a str, &'a str, Option<&'a str>);

/// Groups permissions into lines: resources with the same verbs together,
/// verbs with the same resources together. Whole resources and
/// subresources or named objects are grouped apart, so that a set of whole
/// resources that covers most of the catalogue reads "every resource
/// except …". Lines about every resource come first, then escalation-grade
/// ones, then the larger.
fn lines(perms: &[Permission], catalogue: &BTreeSet<(String, String)>) -> Vec<Line> {
    let whole = |p: &&Permission| p.resource_name.is_none() && !p.resource.contains('/');
    let (plain, other): (Vec<&Permission>, Vec<&Permission>) = perms.iter().partition(whole);
    let mut out = group_lines(&plain, Some(catalogue));
    out.extend(group_lines(&other, None));
    out.sort_by(|a, b| {
        let rank = |l: &Line| -> Vec<usize> { l.verbs.iter().map(|v| verb_rank(v).0).collect() };
        b.every
            .cmp(&a.every)
            .then_with(|| {
                b.escalation
                    .is_empty()
                    .cmp(&a.escalation.is_empty())
                    .reverse()
            })
            .then_with(|| b.size.cmp(&a.size))
            .then_with(|| rank(a).cmp(&rank(b)))
            .then_with(|| a.resources.cmp(&b.resources))
    });
    out
}

/// The lines of one class of permissions; with a catalogue, a line may read
/// "every resource except …".
fn group_lines(perms: &[&Permission], catalogue: Option<&BTreeSet<(String, String)>>) -> Vec<Line> {
    let mut verbs_of: BTreeMap<Target, BTreeSet<&str>> = BTreeMap::new();
    for p in perms {
        verbs_of
            .entry((&p.api_group, &p.resource, p.resource_name.as_deref()))
            .or_default()
            .insert(&p.verb);
    }
    let mut resources_of: BTreeMap<&str, BTreeSet<Target>> = BTreeMap::new();
    for (key, verbs) in &verbs_of {
        for verb in verbs {
            resources_of.entry(verb).or_default().insert(*key);
        }
    }
    let mut groups: BTreeMap<BTreeSet<Target>, Vec<&str>> = BTreeMap::new();
    for (verb, resources) in resources_of {
        groups.entry(resources).or_default().push(verb);
    }
    let show = |(g, r, n): &Target| match n {
        Some(name) => format!("{} {name}", resource_name(g, r)),
        None => resource_name(g, r),
    };
    groups
        .into_iter()
        .map(|(resources, mut verbs)| {
            verbs.sort_by_key(|v| verb_rank(v));
            let escalation: BTreeSet<&'static str> = resources
                .iter()
                .flat_map(|(g, r, n)| {
                    verbs.iter().filter_map(move |v| {
                        Permission {
                            api_group: g.to_string(),
                            resource: r.to_string(),
                            resource_name: n.map(String::from),
                            verb: v.to_string(),
                        }
                        .escalation()
                    })
                })
                .collect();
            let set: BTreeSet<(String, String)> = resources
                .iter()
                .map(|(g, r, _)| (g.to_string(), r.to_string()))
                .collect();
            let every = catalogue.filter(|c| {
                let covered = set.intersection(c).count();
                c.len() >= 8 && covered * 3 >= c.len() * 2
            });
            let (listed, also) = match every {
                Some(catalogue) => (
                    catalogue
                        .difference(&set)
                        .map(|(g, r)| resource_name(g, r))
                        .collect(),
                    resources
                        .iter()
                        .filter(|(g, r, _)| !catalogue.contains(&(g.to_string(), r.to_string())))
                        .map(show)
                        .collect(),
                ),
                None => (resources.iter().map(show).collect(), Vec::new()),
            };
            Line {
                verbs: verbs.iter().map(|v| v.to_string()).collect(),
                resources: listed,
                every: every.is_some(),
                also,
                escalation,
                size: resources.len(),
            }
        })
        .collect()
}

fn subject_title(s: &SubjectChange) -> String {
    match &s.subject.namespace {
        Some(ns) => format!("{} {ns}/{}", s.subject.kind, s.subject.name),
        None => format!("{} {}", s.subject.kind, s.subject.name),
    }
}

fn counts(c: &Counts) -> String {
    format!("+{} ~{} -{}", c.added, c.changed, c.removed)
}

fn files_phrase(n: usize) -> String {
    format!("{n} {}", if n == 1 { "file" } else { "files" })
}

fn files_differ(n: usize) -> String {
    format!(
        "{n} {}",
        if n == 1 {
            "file differs"
        } else {
            "files differ"
        }
    )
}

fn summary_text(s: &ClusterSummary) -> String {
    if s.files.is_zero() {
        return "no change".to_string();
    }
    format!(
        "namespaces {}, bindings {}, roles {}, kubeconfigs {} ({})",
        counts(&s.namespaces),
        counts(&s.bindings),
        counts(&s.roles),
        counts(&s.kubeconfigs),
        files_phrase(s.files.added + s.files.changed + s.files.removed)
    )
}

/// `in prod/a, prod/b, staging/a`.
fn places_text(places: &[(String, String)]) -> String {
    places
        .iter()
        .map(|(c, n)| format!("{c}/{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whom a role change reaches: `in the 2 namespaces that bind it, for 3
/// subjects`.
fn reach_text(r: &RoleChange) -> String {
    let namespaces = match r.namespaces {
        1 => "the 1 namespace that binds it".to_string(),
        n => format!("the {n} namespaces that bind it"),
    };
    let subjects = match r.subjects {
        1 => "1 subject".to_string(),
        n => format!("{n} subjects"),
    };
    format!("in {namespaces}, for {subjects}")
}

fn role_sentence(r: &RoleChange, catalogue: &BTreeSet<(String, String)>, m: Markup) -> String {
    let mut parts = Vec::new();
    for line in lines(&r.gains, catalogue) {
        parts.push(format!("gains {}", line.render(m)));
    }
    for line in lines(&r.losses, catalogue) {
        parts.push(format!("loses {}", line.render(m)));
    }
    let what = match r.status {
        Status::Added => "is added".to_string(),
        Status::Removed => "is removed".to_string(),
        Status::Changed => String::new(),
    };
    let mut text = format!("{} ({})", (m.code)(&r.role), (m.text)(&r.cluster));
    if !what.is_empty() {
        let _ = write!(text, " {what}");
        if !parts.is_empty() {
            text.push(':');
        }
    }
    if !parts.is_empty() {
        let _ = write!(text, " {}", parts.join("; "));
    }
    let _ = write!(text, " {}", reach_text(r));
    text
}

/// A role as the report names it: `deployer`, `db-operator (custom role)`.
fn role_label(role: &RoleName, m: Markup) -> String {
    match role.kind {
        RoleKind::BuiltIn => (m.code)(&role.name),
        kind => format!("{} ({} role)", (m.code)(&role.name), kind.as_str()),
    }
}

fn role_list(roles: &[&RoleName], m: Markup) -> String {
    roles
        .iter()
        .map(|r| role_label(r, m))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// `a, b and c` (`conjunction`: `and`, `or`).
fn joined(items: &[&str], conjunction: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} {conjunction} {last}", rest.join(", ")),
    }
}

/// `(now reads Secrets and creates pods; no longer execs into pods)`, or
/// nothing when no risk changes.
fn risk_note(now: &[Risk], no_longer: &[Risk]) -> String {
    let mut notes = Vec::new();
    if !now.is_empty() {
        let does: Vec<&str> = now.iter().map(|r| r.does()).collect();
        notes.push(format!("now {}", joined(&does, "and")));
    }
    if !no_longer.is_empty() {
        let does: Vec<&str> = no_longer.iter().map(|r| r.does()).collect();
        notes.push(format!("no longer {}", joined(&does, "or")));
    }
    if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join("; "))
    }
}

/// A subject's change in roles: `viewer → deployer (now reads Secrets)`,
/// `gains deployer`, `loses viewer`, or, with the same roles on both
/// sides, `admin changes` (a team role's rules changed).
fn role_move(change: &PlaceChange, m: Markup) -> String {
    let added: Vec<&RoleName> = change
        .after
        .iter()
        .filter(|r| !change.before.contains(r))
        .collect();
    let removed: Vec<&RoleName> = change
        .before
        .iter()
        .filter(|r| !change.after.contains(r))
        .collect();
    let moved = match (removed.is_empty(), added.is_empty()) {
        (false, false) => format!("{} → {}", role_list(&removed, m), role_list(&added, m)),
        (true, false) => format!("gains {}", role_list(&added, m)),
        (false, true) => format!("loses {}", role_list(&removed, m)),
        (true, true) => {
            let same: Vec<&RoleName> = change.after.iter().collect();
            if same.is_empty() {
                "changes".to_string()
            } else {
                format!("{} changes", role_list(&same, m))
            }
        }
    };
    format!("{moved}{}", risk_note(&change.now, &change.no_longer))
}

fn escalation_mark(reasons: &BTreeSet<&'static str>) -> String {
    if reasons.is_empty() {
        String::new()
    } else {
        format!(
            "  ⚠ escalation: {}",
            reasons.iter().copied().collect::<Vec<_>>().join(", ")
        )
    }
}

/// The report for a terminal.
pub fn text(diff: &Diff) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "rbacc diff: {} -> {}",
        terminal(&diff.base.label()),
        terminal(&diff.head.label())
    );
    out.push_str("\nSummary (+ added, ~ changed, - removed)\n");
    let clusters: Vec<Cow<str>> = diff.summary.iter().map(|s| terminal(&s.cluster)).collect();
    let width = clusters
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0);
    for (s, cluster) in diff.summary.iter().zip(&clusters) {
        let _ = writeln!(out, "  {cluster:<width$}  {}", summary_text(s));
    }

    out.push_str("\nAccess changes\n");
    if diff.access.subjects.is_empty() && diff.access.roles.is_empty() {
        out.push_str("  no subject gains or loses access\n");
    }
    for s in &diff.access.subjects {
        let _ = writeln!(out, "  {}", terminal(&subject_title(s)));
        for change in &s.changes {
            let _ = writeln!(out, "    in {}", terminal(&places_text(&change.places)));
            let _ = writeln!(out, "      {}", role_move(change, TERMINAL));
            for line in lines(&change.gains, &diff.access.catalogue) {
                let _ = writeln!(
                    out,
                    "      + {}{}",
                    line.render(TERMINAL),
                    escalation_mark(&line.escalation)
                );
            }
            for line in lines(&change.losses, &diff.access.catalogue) {
                let _ = writeln!(out, "      - {}", line.render(TERMINAL));
            }
        }
    }
    for r in &diff.access.roles {
        let mark: BTreeSet<&'static str> =
            r.gains.iter().filter_map(Permission::escalation).collect();
        let _ = writeln!(
            out,
            "  role {}{}",
            role_sentence(r, &diff.access.catalogue, TERMINAL),
            escalation_mark(&mark)
        );
    }

    out.push_str("\nWarnings\n");
    if diff.warnings.is_empty() {
        out.push_str("  none\n");
    }
    for w in &diff.warnings {
        let _ = writeln!(out, "  ⚠ {}", terminal(&w.message.plain()));
    }

    let _ = writeln!(
        out,
        "\nManifests ({} differ)",
        files_phrase(diff.files.len())
    );
    if diff.files.is_empty() {
        out.push_str("  the manifests of both sides are identical\n");
    }
    for file in &diff.files {
        for line in file.unified().lines() {
            out.push_str(&terminal(line));
            out.push('\n');
        }
    }
    out
}

/// How one format writes the values of an access line: names as code,
/// the rest (verbs, clusters) as text.
#[derive(Clone, Copy)]
struct Markup {
    code: fn(&str) -> String,
    text: fn(&str) -> String,
}

fn terminal_string(s: &str) -> String {
    terminal(s).into_owned()
}

/// The text report: values as they are, control characters escaped.
const TERMINAL: Markup = Markup {
    code: terminal_string,
    text: terminal_string,
};

/// Markdown outside tables.
const MARKDOWN: Markup = Markup {
    code: md_code,
    text: md_text,
};

/// Markdown in a table cell.
const MARKDOWN_CELL: Markup = Markup {
    code: md_cell_code,
    text: md_text,
};

/// `s` with every invisible character as an escape that shows what it is
/// (`\n`, `\u{1b}`, `\u{2028}`): [`crate::text::visible`]. What every other
/// escaping function starts from, and all the text report needs: a value
/// cannot end a line or send a terminal an escape sequence.
fn terminal(s: &str) -> Cow<'_, str> {
    crate::text::visible(s)
}

/// Inline code that shows exactly `s` (its hidden characters as escapes: a
/// code span cannot hold a line break): fenced with a backtick run longer
/// than any inside, padded with a space where the content starts or ends
/// with a backtick, or with a space at both ends (CommonMark strips one).
/// Not for table cells: [`md_cell_code`].
fn md_code(s: &str) -> String {
    let s = terminal(s);
    let fence = "`".repeat(longest_run(&s, '`') + 1);
    if s.is_empty() {
        return format!("{fence} {fence}");
    }
    let spaces = s.starts_with(' ') && s.ends_with(' ') && !s.chars().all(|c| c == ' ');
    if s.starts_with('`') || s.ends_with('`') || spaces {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

/// Inline code in a table cell. GFM splits a row into cells at every `|`
/// before it reads code spans, and only `\|` keeps a pipe in a code span;
/// but GitHub (cmark-gfm) and other renderers disagree on `\\|`, so a
/// value with a `|` becomes a `<code>` element around [`md_text`], which
/// writes the pipe as `&#124;` and reads the same everywhere.
fn md_cell_code(s: &str) -> String {
    if s.contains('|') {
        format!("<code>{}</code>", md_text(s))
    } else {
        md_code(s)
    }
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in s.chars() {
        if ch == c {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// The entity for a character HTML gives a meaning (`|` too: GFM splits
/// table rows on it).
fn entity(c: char) -> Option<&'static str> {
    Some(match c {
        '&' => "&amp;",
        '<' => "&lt;",
        '>' => "&gt;",
        '"' => "&quot;",
        '\'' => "&#39;",
        '|' => "&#124;",
        _ => return None,
    })
}

/// Markdown text that reads as `s` and is nothing else, in a paragraph, a
/// list item or a table cell: hidden characters as escapes, `& < > " ' |`
/// as entities, and every ASCII punctuation character that markdown or
/// GitHub's extensions give a meaning (emphasis, code, links and images,
/// headings, lists, strikethrough, the `:` and `.` of autolinks, math,
/// footnotes) backslash-escaped.
fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in terminal(s).chars() {
        if let Some(e) = entity(ch) {
            out.push_str(e);
        } else if matches!(
            ch,
            '\\' | '`'
                | '*'
                | '_'
                | '{'
                | '}'
                | '['
                | ']'
                | '('
                | ')'
                | '#'
                | '+'
                | '-'
                | '.'
                | '!'
                | '~'
                | ':'
                | '$'
                | '^'
                | '='
        ) {
            out.push('\\');
            out.push(ch);
        } else {
            out.push(ch);
        }
    }
    out
}

/// Text inside the report's own HTML (a `<summary>`), where markdown is
/// not read: hidden characters as escapes, `& < > " ' |` as entities.
fn md_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in terminal(s).chars() {
        match entity(ch) {
            Some(e) => out.push_str(e),
            None => out.push(ch),
        }
    }
    out
}

/// A fenced code block of `body` (lines ending in `\n`): the fence is a
/// backtick run longer than any in the body, so no line of it can close
/// the block (a `~~~` line cannot close a backtick fence), and hidden
/// characters show as escapes, so a lone `\r` cannot start a line either.
fn md_fenced(info: &str, body: &str) -> String {
    let fence = "`".repeat(longest_run(body, '`').max(2) + 1);
    let mut out = format!("{fence}{info}\n");
    for line in body.lines() {
        out.push_str(&terminal(line));
        out.push('\n');
    }
    let _ = writeln!(out, "{fence}");
    out
}

/// A warning's message: rbacc's words as text, names and values as code.
fn md_message(message: &super::Message) -> String {
    message
        .pieces()
        .iter()
        .map(|piece| match piece {
            Piece::Words(s) => md_text(s),
            Piece::Code(s) | Piece::Value(s) => md_code(s),
        })
        .collect()
}

fn md_counts(c: &Counts) -> String {
    if c.is_zero() {
        "·".to_string()
    } else {
        format!("+{} ~{} −{}", c.added, c.changed, c.removed)
    }
}

/// `prod: a, b<br>staging: a`, at most `MAX_PLACES` namespaces per cluster.
fn md_places(places: &[(String, String)]) -> String {
    const MAX_PLACES: usize = 8;
    let mut by_cluster: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (c, n) in places {
        by_cluster.entry(c).or_default().push(n);
    }
    by_cluster
        .into_iter()
        .map(|(c, names)| {
            let mut shown: Vec<String> = names
                .iter()
                .take(MAX_PLACES)
                .map(|n| md_cell_code(n))
                .collect();
            if names.len() > MAX_PLACES {
                shown.push(format!("and {} more", names.len() - MAX_PLACES));
            }
            format!("{}: {}", md_text(c), shown.join(", "))
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

fn md_lines(perms: &[Permission], catalogue: &BTreeSet<(String, String)>, gains: bool) -> String {
    let lines = lines(perms, catalogue);
    if lines.is_empty() {
        return "—".to_string();
    }
    lines
        .iter()
        .map(|l| {
            let mark = if gains && !l.escalation.is_empty() {
                format!(
                    "⚠️ **{}:** ",
                    l.escalation.iter().copied().collect::<Vec<_>>().join(", ")
                )
            } else {
                String::new()
            };
            format!("{mark}{}", l.render(MARKDOWN_CELL))
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

/// The subject cell of a row: `⚠️ User `name`` on its first row, `〃`
/// below.
fn md_who(s: &SubjectChange, first: bool) -> String {
    if !first {
        return "〃".to_string();
    }
    let mark = if s.escalates() { "⚠️ " } else { "" };
    let name = match &s.subject.namespace {
        Some(ns) => format!("{ns}/{}", s.subject.name),
        None => s.subject.name.clone(),
    };
    format!("{mark}{} {}", md_text(&s.subject.kind), md_cell_code(&name))
}

/// Appends `items` to `to` while they fit in `budget` after the `before`
/// characters of the comment that stand ahead of `to`; at the first that
/// does not, a line saying how many `what` are not shown and how to
/// `get_all`. How many were appended, and whether the list was cut.
fn push_within(
    to: &mut String,
    before: usize,
    items: impl ExactSizeIterator<Item = String>,
    budget: usize,
    what: &str,
    get_all: &str,
) -> (usize, bool) {
    let total = items.len();
    for (i, item) in items.enumerate() {
        if before + to.len() + item.len() > budget {
            let _ = writeln!(
                to,
                "\n**{} more {what} are not shown**: {get_all}.",
                total - i
            );
            return (i, true);
        }
        to.push_str(&item);
    }
    (total, false)
}

/// A subject's rows of the roles table: which role it gains or loses
/// where, an escalation-grade change marked.
fn md_role_rows(s: &SubjectChange) -> String {
    let mut out = String::new();
    for (i, change) in s.changes.iter().enumerate() {
        let escalates = change.gains.iter().any(|p| p.escalation().is_some());
        let mark = if escalates { "⚠️ " } else { "" };
        let _ = writeln!(
            out,
            "| {} | {mark}{} | {} |",
            md_who(s, i == 0),
            role_move(change, MARKDOWN_CELL),
            md_places(&change.places)
        );
    }
    out
}

/// A role whose rules change, in roles: `⚠️ Built-in role `viewer` (prod)
/// changes (now reads Secrets) in the 2 namespaces that bind it, for 1
/// subject`.
fn md_role_headline(r: &RoleChange) -> String {
    let mark = if r.gains.iter().any(|p| p.escalation().is_some()) {
        "⚠️ "
    } else {
        ""
    };
    let kind = match r.name.kind {
        RoleKind::BuiltIn => "Built-in role",
        RoleKind::Custom => "Custom role",
        RoleKind::Team => "Team role",
        RoleKind::Existing => "Existing role",
        RoleKind::Kubeconfig => "Kubeconfig role",
    };
    let what = match r.status {
        Status::Added => "is added",
        Status::Removed => "is removed",
        Status::Changed => "changes",
    };
    format!(
        "{mark}{kind} {} ({}) {what}{} {}",
        md_code(&r.name.name),
        md_text(&r.cluster),
        risk_note(&r.now, &r.no_longer),
        reach_text(r)
    )
}

fn md_subject_rows(s: &SubjectChange, catalogue: &BTreeSet<(String, String)>) -> String {
    let mut out = String::new();
    for (i, change) in s.changes.iter().enumerate() {
        let who = md_who(s, i == 0);
        let PlaceChange {
            places,
            gains,
            losses,
            ..
        } = change;
        let _ = writeln!(
            out,
            "| {who} | {} | {} | {} |",
            md_places(places),
            md_lines(gains, catalogue, true),
            md_lines(losses, catalogue, false)
        );
    }
    out
}

/// The report as a pull-request comment of at most [`MARKDOWN_LIMIT`]
/// bytes: summary, access changes and warnings whole when they fit (cut by
/// whole entries when even they do not), then the manifest diffs, per
/// cluster in `<details>`, cut at a whole file with a note on how to get
/// everything. `base` is the base as given on the command line, for that
/// note.
pub fn markdown(diff: &Diff, base: &str) -> String {
    let get_all = format!(
        "run {} locally, or download the JSON report (`rbacc diff --format json`) that CI keeps as an artifact",
        md_code(&format!("rbacc diff --base {base}"))
    );
    // Room kept for the closing note, whatever is cut.
    const RESERVE: usize = 1_024;
    let budget = MARKDOWN_LIMIT - RESERVE - get_all.len();
    let mut out = String::new();
    let _ = writeln!(out, "{MARKER}");
    let _ = writeln!(
        out,
        "### rbacc diff: {} → {}\n",
        md_side(&diff.base),
        md_side(&diff.head)
    );
    if !diff.base.compiled {
        let _ = writeln!(
            out,
            "> [!WARNING]\n> The base does not compile: everything is compared against an empty base.\n"
        );
    }
    out.push_str("| cluster | namespaces | bindings | roles | kubeconfigs | files |\n");
    out.push_str("| --- | --- | --- | --- | --- | --- |\n");
    for s in &diff.summary {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            md_text(&s.cluster),
            md_counts(&s.namespaces),
            md_counts(&s.bindings),
            md_counts(&s.roles),
            md_counts(&s.kubeconfigs),
            md_counts(&s.files)
        );
    }
    out.push_str("\n<sub>+ added, ~ changed, − removed</sub>\n\n");

    let mut cut = false;
    out.push_str("#### Access changes\n\n");
    let access = &diff.access;
    if access.subjects.is_empty() && access.roles.is_empty() {
        out.push_str("No subject gains or loses access.\n\n");
    }
    // The roles table first, then the role changes and warnings; the
    // verb-level detail of the table takes the room they leave, and goes
    // under the table.
    let mut shown_subjects = 0;
    if !access.subjects.is_empty() {
        out.push_str("| subject | change in roles | where |\n| --- | --- | --- |\n");
        let rows = access.subjects.iter().map(md_role_rows);
        (shown_subjects, cut) = push_within(&mut out, 0, rows, budget, "subjects", &get_all);
        out.push('\n');
    }
    let mut rest = String::new();
    if !access.roles.is_empty() && !cut {
        rest.push_str("Roles whose rules change, once for every namespace that binds them:\n\n");
        let items = access
            .roles
            .iter()
            .map(|r| format!("- {}\n", md_role_headline(r)));
        let shown;
        (shown, cut) = push_within(
            &mut rest,
            out.len(),
            items,
            budget,
            "role changes",
            &get_all,
        );
        rest.push('\n');
        let open = "<details><summary>Rules gained and lost, verb by verb</summary>\n\n";
        let close = "</details>\n\n";
        let mut detail = String::new();
        for r in &access.roles[..shown] {
            let item = format!("- Role {}\n", role_sentence(r, &access.catalogue, MARKDOWN));
            if out.len() + rest.len() + open.len() + detail.len() + item.len() + close.len()
                > budget
            {
                break;
            }
            detail.push_str(&item);
        }
        if !detail.is_empty() {
            rest.push_str(open);
            rest.push_str(&detail);
            rest.push('\n');
            rest.push_str(close);
        }
    }

    if !diff.warnings.is_empty() && !cut {
        rest.push_str("#### Warnings\n\n");
        let items = diff
            .warnings
            .iter()
            .map(|w| format!("- ⚠️ {}\n", md_message(&w.message)));
        (_, cut) = push_within(&mut rest, out.len(), items, budget, "warnings", &get_all);
        rest.push('\n');
    }

    if shown_subjects > 0 {
        let open = "<details><summary>Permissions gained and lost, verb by verb</summary>\n\n| subject | where | gains | loses |\n| --- | --- | --- | --- |\n";
        let close = "\n</details>\n\n";
        let mut detail = String::new();
        let mut left_out = 0;
        for s in &access.subjects[..shown_subjects] {
            let rows = md_subject_rows(s, &access.catalogue);
            if left_out > 0
                || out.len() + rest.len() + open.len() + detail.len() + rows.len() + close.len()
                    > budget
            {
                left_out += 1;
                continue;
            }
            detail.push_str(&rows);
        }
        if !detail.is_empty() {
            out.push_str(open);
            out.push_str(&detail);
            if left_out > 0 {
                let _ = writeln!(
                    out,
                    "\nThe detail of {left_out} more {} is not shown: {get_all}.",
                    if left_out == 1 { "subject" } else { "subjects" }
                );
                cut = true;
            }
            out.push_str(close);
        } else {
            cut = true;
        }
    }
    out.push_str(&rest);

    let _ = writeln!(out, "#### Manifests ({})\n", files_differ(diff.files.len()));
    if diff.files.is_empty() {
        out.push_str("The manifests of both sides are identical.\n");
    }
    let mut by_cluster: BTreeMap<&str, Vec<&FileChange>> = BTreeMap::new();
    for f in &diff.files {
        by_cluster.entry(f.cluster()).or_default().push(f);
    }
    let mut shown = 0;
    'clusters: for (cluster, files) in &by_cluster {
        if cut {
            break;
        }
        let mut c = Counts::default();
        for f in files {
            c.add(f.status());
        }
        let open = format!(
            "<details><summary>{}: {} ({})</summary>\n\n",
            md_html(cluster),
            files_phrase(files.len()),
            md_counts(&c)
        );
        let close = "</details>\n\n";
        if out.len() + open.len() + close.len() > budget {
            cut = true;
            break;
        }
        out.push_str(&open);
        for f in files {
            let block = format!("{}\n", md_fenced("diff", &f.unified()));
            if out.len() + block.len() + close.len() > budget {
                out.push_str(close);
                cut = true;
                break 'clusters;
            }
            out.push_str(&block);
            shown += 1;
        }
        out.push_str(close);
    }
    if cut {
        let _ = writeln!(
            out,
            "> [!NOTE]\n> The report is cut to fit GitHub's limit of {MARKDOWN_LIMIT} characters: {} of {} file diffs are shown. For all of it, {get_all}.",
            shown,
            diff.files.len()
        );
    }
    debug_assert!(out.len() <= MARKDOWN_LIMIT);
    out
}

/// The comment when the head does not compile: the marker and heading of
/// the report, a caution, and the head's diagnostics (`report`, the text
/// report) in a code block, cut at a whole line to keep within
/// [`MARKDOWN_LIMIT`].
pub fn head_invalid(
    base_side: &super::SideInfo,
    head_side: &super::SideInfo,
    errors: usize,
    report: &str,
    base: &str,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{MARKER}");
    let _ = writeln!(
        out,
        "### rbacc diff: {} → {}\n",
        md_side(base_side),
        md_side(head_side)
    );
    let _ = writeln!(
        out,
        "> [!CAUTION]\n> The head does not compile ({errors} {}): there is no access or manifest diff until {} fixed. The diagnostics:\n",
        if errors == 1 { "error" } else { "errors" },
        if errors == 1 { "it is" } else { "they are" }
    );
    let note = format!(
        "\nThe diagnostics are cut to fit GitHub's limit of {MARKDOWN_LIMIT} characters: run {} locally for all of them.\n",
        md_code(&format!("rbacc diff --base {base}"))
    );
    let mut body = String::new();
    let mut cut = false;
    for line in report.lines() {
        // The fence grows with the body's backticks: keep room for it.
        let fence = longest_run(&body, '`').max(longest_run(line, '`')).max(2) + 1;
        if out.len() + body.len() + line.len() + 1 + 2 * fence + 16 + note.len() > MARKDOWN_LIMIT {
            cut = true;
            break;
        }
        body.push_str(line);
        body.push('\n');
    }
    out.push_str(&md_fenced("text", &body));
    if cut {
        out.push_str(&note);
    }
    debug_assert!(out.len() <= MARKDOWN_LIMIT);
    out
}

/// `` `main` (abc1234) ``, or `` `abc1234` `` for a side named by its
/// commit id: short ids only.
fn md_side(side: &super::SideInfo) -> String {
    match (side.short_commit(), side.named_by_commit()) {
        (Some(short), false) => format!("{} ({})", md_code(&side.name), md_text(short)),
        (Some(short), true) => md_code(short),
        (None, _) => md_text(&side.name),
    }
}

#[derive(Serialize)]
struct JsonDiff<'a> {
    base: &'a super::SideInfo,
    head: &'a super::SideInfo,
    changed: bool,
    summary: &'a [ClusterSummary],
    access: JsonAccess<'a>,
    warnings: &'a [Warning],
    files: Vec<JsonFile<'a>>,
}

#[derive(Serialize)]
struct JsonAccess<'a> {
    subjects: Vec<JsonSubject<'a>>,
    roles: Vec<JsonRole<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonSubject<'a> {
    kind: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    escalation: bool,
    changes: Vec<JsonChange<'a>>,
}

#[derive(Serialize)]
struct JsonPlace<'a> {
    cluster: &'a str,
    namespace: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonChange<'a> {
    places: Vec<JsonPlace<'a>>,
    roles_before: &'a [RoleName],
    roles_after: &'a [RoleName],
    now: Vec<&'static str>,
    no_longer: Vec<&'static str>,
    gains: Vec<JsonPermission<'a>>,
    losses: Vec<JsonPermission<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonPermission<'a> {
    verb: &'a str,
    api_group: &'a str,
    resource: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    escalation: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonRole<'a> {
    cluster: &'a str,
    role: &'a str,
    name: &'a str,
    kind: RoleKind,
    now: Vec<&'static str>,
    no_longer: Vec<&'static str>,
    status: Status,
    namespaces: usize,
    subjects: usize,
    gains: Vec<JsonPermission<'a>>,
    losses: Vec<JsonPermission<'a>>,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: &'a str,
    status: Status,
    diff: String,
}

fn json_perms(perms: &[Permission], gains: bool) -> Vec<JsonPermission<'_>> {
    perms
        .iter()
        .map(|p| JsonPermission {
            verb: &p.verb,
            api_group: &p.api_group,
            resource: &p.resource,
            resource_name: p.resource_name.as_deref(),
            escalation: if gains { p.escalation() } else { None },
        })
        .collect()
}

fn risk_ids(risks: &[Risk]) -> Vec<&'static str> {
    risks.iter().map(|r| r.id()).collect()
}

fn json_access(access: &AccessChanges) -> JsonAccess<'_> {
    JsonAccess {
        subjects: access
            .subjects
            .iter()
            .map(|s| JsonSubject {
                kind: &s.subject.kind,
                name: &s.subject.name,
                namespace: s.subject.namespace.as_deref(),
                escalation: s.escalates(),
                changes: s
                    .changes
                    .iter()
                    .map(|c| JsonChange {
                        places: c
                            .places
                            .iter()
                            .map(|(cluster, namespace)| JsonPlace { cluster, namespace })
                            .collect(),
                        roles_before: &c.before,
                        roles_after: &c.after,
                        now: risk_ids(&c.now),
                        no_longer: risk_ids(&c.no_longer),
                        gains: json_perms(&c.gains, true),
                        losses: json_perms(&c.losses, false),
                    })
                    .collect(),
            })
            .collect(),
        roles: access
            .roles
            .iter()
            .map(|r| JsonRole {
                cluster: &r.cluster,
                role: &r.role,
                name: &r.name.name,
                kind: r.name.kind,
                now: risk_ids(&r.now),
                no_longer: risk_ids(&r.no_longer),
                status: r.status,
                namespaces: r.namespaces,
                subjects: r.subjects,
                gains: json_perms(&r.gains, true),
                losses: json_perms(&r.losses, false),
            })
            .collect(),
    }
}

/// The report for machines; the shape is documented in README.md.
pub fn json(diff: &Diff) -> String {
    let doc = JsonDiff {
        base: &diff.base,
        head: &diff.head,
        changed: diff.changed(),
        summary: &diff.summary,
        access: json_access(&diff.access),
        warnings: &diff.warnings,
        files: diff
            .files
            .iter()
            .map(|f| JsonFile {
                path: &f.path,
                status: f.status(),
                diff: f.unified(),
            })
            .collect(),
    };
    crate::text::json(&doc)
}

#[cfg(test)]
#[path = "../../tests/it/gfm.rs"]
mod gfm;

/// The escaping functions, read back by a GFM renderer (comrak, a port of
/// GitHub's cmark-gfm) on every short string of the characters that
/// interact: each must read as exactly the string, as one node.
#[cfg(test)]
mod tests {
    use comrak::Arena;
    use comrak::nodes::{AstNode, NodeValue};

    use super::gfm::options;
    use super::*;

    /// Every string of up to `len` characters of `alphabet`.
    fn strings(alphabet: &[char], len: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..len {
            last = last
                .iter()
                .flat_map(|s| {
                    alphabet.iter().map(move |c| {
                        let mut s = s.clone();
                        s.push(*c);
                        s
                    })
                })
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    fn corpus() -> Vec<String> {
        let mut all = strings(&['`', ' ', 'a', '|', '\\', '\n'], 5);
        all.extend(
            [
                "<img src=x onerror=alert(1)>",
                "[a](javascript:b)",
                "![a](b)",
                "# a",
                "***",
                "- a",
                "1. a",
                "> a",
                "www.example.com",
                "https://example.com",
                "~~a~~",
                "$a$",
                "[^1]",
                "&amp; &#60;",
                "</details>",
                "<!--",
                "a\u{2028}b\u{2029}c\u{85}d\re\u{1b}f\u{202e}g",
            ]
            .map(String::from),
        );
        all
    }

    /// The inline nodes of `markdown`'s only leaf block (paragraph or
    /// table cell).
    fn inlines<'a>(root: &'a AstNode<'a>) -> Vec<NodeValue> {
        let leaves: Vec<&AstNode> = root
            .descendants()
            .filter(|n| matches!(n.data().value, NodeValue::Paragraph | NodeValue::TableCell))
            .collect();
        let leaf = leaves.last().expect("a leaf block");
        leaf.children().map(|n| n.data().value.clone()).collect()
    }

    /// The text a run of inline nodes reads as, or `None` when one of them
    /// is anything but text, code or the report's own `<code>` tags.
    fn read(nodes: &[NodeValue]) -> Option<String> {
        let mut out = String::new();
        for node in nodes {
            match node {
                NodeValue::Text(t) => out.push_str(t),
                NodeValue::Code(c) => out.push_str(&c.literal),
                NodeValue::HtmlInline(h) if h == "<code>" || h == "</code>" => {}
                _ => return None,
            }
        }
        Some(out)
    }

    #[test]
    fn code_spans_read_as_written() {
        for s in corpus() {
            let arena = Arena::new();
            let root = comrak::parse_document(&arena, &format!("x {} x", md_code(&s)), &options());
            let nodes = inlines(root);
            assert_eq!(nodes.len(), 3, "{s:?} -> {:?}: {nodes:?}", md_code(&s));
            let NodeValue::Code(code) = &nodes[1] else {
                panic!("{s:?} -> {:?}: {nodes:?}", md_code(&s));
            };
            let expected: &str = if s.is_empty() { " " } else { &terminal(&s) };
            assert_eq!(code.literal, expected, "{s:?} -> {:?}", md_code(&s));
        }
    }

    #[test]
    fn text_reads_as_written() {
        for s in corpus() {
            let arena = Arena::new();
            let root = comrak::parse_document(&arena, &format!("x {} x", md_text(&s)), &options());
            let read = read(&inlines(root));
            assert_eq!(
                read.as_deref(),
                Some(format!("x {} x", terminal(&s)).as_str()),
                "{s:?} -> {:?}",
                md_text(&s)
            );
        }
    }

    #[test]
    fn table_cells_read_as_written() {
        for s in corpus() {
            for cell in [md_cell_code(&s), md_text(&s)] {
                let table = format!("| a | b |\n| --- | --- |\n| x {cell} x | y |\n");
                let arena = Arena::new();
                let root = comrak::parse_document(&arena, &table, &options());
                let cells: Vec<&AstNode> = root
                    .descendants()
                    .filter(|n| matches!(n.data().value, NodeValue::TableCell))
                    .collect();
                assert_eq!(cells.len(), 4, "{s:?} -> {table:?}");
                let nodes: Vec<NodeValue> = cells[2]
                    .children()
                    .map(|n| n.data().value.clone())
                    .collect();
                let expected = if s.is_empty() && cell.starts_with('`') {
                    "x   x".to_string()
                } else {
                    format!("x {} x", terminal(&s))
                };
                assert_eq!(read(&nodes), Some(expected), "{s:?} -> {table:?}");
            }
        }
    }

    #[test]
    fn fenced_blocks_hold_their_lines() {
        for s in corpus() {
            let body = format!("{s}\n~~~\n```\n{s}\n");
            let markdown = format!("{}after\n", md_fenced("diff", &body));
            let arena = Arena::new();
            let root = comrak::parse_document(&arena, &markdown, &options());
            let blocks: Vec<NodeValue> = root.children().map(|n| n.data().value.clone()).collect();
            let [NodeValue::CodeBlock(block), NodeValue::Paragraph] = &blocks[..] else {
                panic!("{s:?} -> {markdown:?}: {blocks:?}");
            };
            let lines: String = body.lines().map(|l| format!("{}\n", terminal(l))).collect();
            assert_eq!(block.literal, lines, "{s:?}");
        }
    }

    #[test]
    fn summaries_hold_no_markup() {
        for s in corpus() {
            let html = md_html(&s);
            assert!(
                !html.contains(['<', '>', '\n', '\r', '|', '"', '\'']),
                "{s:?} -> {html:?}"
            );
        }
    }

    #[test]
    fn the_terminal_sees_no_control_character() {
        for s in corpus() {
            let shown = terminal(&s);
            assert!(
                !shown.chars().any(crate::text::is_invisible),
                "{s:?} -> {shown:?}"
            );
        }
        assert_eq!(terminal("a\u{1b}[2Jb\n"), "a\\u{1b}[2Jb\\n");
        assert_eq!(
            terminal("\u{85}\u{2028}\u{202e}"),
            "\\u{85}\\u{2028}\\u{202e}"
        );
    }
}
