//! `rbacc access`: the resources × verbs matrix for one user, then the
//! bindings through which the user gets anything.
//!
//! **Input**: a [`Target`] and an [`AccessQuestion`].
//!
//! **Output**: a table per part (`yes`/`no` cells, `✔`/`✖` in colour on a
//! terminal), or JSON.
//!
//! **Invariants**: every cell is the evaluator's answer to the request
//! `can-i` would build for that verb and row ([`Manifests::allows`]); the
//! rows are the catalogue's (sorted by kubectl name) and the columns
//! [`MATRIX_VERBS`], so the matrix has the same shape for every user.

use crate::access::{Manifests, Request, UserBinding, UserInfo, kubectl_name};

use super::catalogue::Catalogue;
use super::json::{
    AccessJson, BindingJson, ResourceJson, RoleJson, UserBindingJson, UserJson, json,
};
use super::request::check_namespace;
use super::table::{Cell, GREEN, RED, Table, object_text};
use super::{AccessQuestion, Answer, Format, MATRIX_VERBS, QueryError, Style, Target};

/// `rbacc access`: the resources × verbs matrix for one user, then the
/// bindings through which the user gets anything.
pub fn access(
    target: &Target,
    question: &AccessQuestion,
    style: Style,
) -> Result<Answer, QueryError> {
    let mut warnings = target.warnings.clone();
    let namespace = question.namespace.as_deref();
    if let Some(namespace) = namespace {
        check_namespace(namespace, target, &mut warnings);
    }
    let user = question.user.info();
    let catalogue = Catalogue::new(&target.manifests);
    let rows: Vec<Row> = catalogue
        .rows(namespace)
        .into_iter()
        .map(|(group, resource, subresource)| {
            let mut allowed = [false; MATRIX_VERBS.len()];
            for (verb, cell) in MATRIX_VERBS.iter().zip(allowed.iter_mut()) {
                let request = Request::Resource {
                    verb: verb.to_string(),
                    api_group: group.clone(),
                    resource: resource.clone(),
                    subresource: subresource.clone(),
                    namespace: namespace.map(String::from),
                    name: None,
                };
                *cell = target.manifests.allows(&user, &request);
            }
            Row {
                name: kubectl_name(&group, &resource, subresource.as_deref()),
                group,
                resource,
                subresource,
                allowed,
            }
        })
        .collect();
    let bindings = target.manifests.bindings_of(&user, namespace);
    let stdout = match style.format {
        Format::Text => access_text(target, &user, namespace, &rows, &bindings, style),
        Format::Json => json(&AccessJson {
            cluster: target.cluster.as_deref(),
            namespace,
            user: UserJson::of(&user),
            verbs: MATRIX_VERBS.to_vec(),
            resources: rows
                .iter()
                .map(|row| ResourceJson {
                    name: &row.name,
                    api_group: &row.group,
                    resource: &row.resource,
                    subresource: row.subresource.as_deref(),
                    verbs: MATRIX_VERBS
                        .iter()
                        .zip(row.allowed)
                        .map(|(verb, allowed)| (*verb, allowed))
                        .collect(),
                })
                .collect(),
            bindings: bindings
                .iter()
                .map(|b| UserBindingJson {
                    binding: BindingJson {
                        kind: &b.binding_kind,
                        namespace: b.binding_namespace.as_deref(),
                        name: &b.binding_name,
                    },
                    role: RoleJson {
                        kind: &b.role_kind,
                        name: &b.role_name,
                    },
                    role_found: role_found(&target.manifests, b),
                })
                .collect(),
        }),
    };
    Ok(Answer::listing(stdout, warnings))
}

/// One row of the matrix: a resource and the verbs allowed on it.
struct Row {
    name: String,
    group: String,
    resource: String,
    subresource: Option<String>,
    allowed: [bool; MATRIX_VERBS.len()],
}

fn access_text(
    target: &Target,
    user: &UserInfo,
    namespace: Option<&str>,
    rows: &[Row],
    bindings: &[UserBinding],
    style: Style,
) -> String {
    let mut header = vec!["NAME".to_string()];
    header.extend(MATRIX_VERBS.iter().map(|v| v.to_uppercase()));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut table = Table::new(&header);
    for row in rows {
        let mut cells = vec![Cell::plain(&row.name)];
        cells.extend(
            row.allowed
                .iter()
                .map(|&allowed| match (style.fancy, allowed) {
                    (true, true) => Cell::colored("✔", GREEN),
                    (true, false) => Cell::colored("✖", RED),
                    (false, true) => Cell::plain("yes"),
                    (false, false) => Cell::plain("no"),
                }),
        );
        table.row(cells);
    }
    let mut text = table.render();
    text.push('\n');
    let place = match namespace {
        Some(namespace) => format!("in namespace {namespace}"),
        None => "in any namespace or cluster-wide".to_string(),
    };
    if bindings.is_empty() {
        text.push_str(&format!("No binding names {} {place}.\n", user.name));
        return text;
    }
    let mut table = Table::new(&["BINDING", "NAMESPACE", "ROLE"]);
    for b in bindings {
        let mut role = object_text(&b.role_kind, &b.role_name);
        if !role_found(&target.manifests, b) {
            role.push_str(" (not found: grants nothing)");
        }
        table.row(vec![
            Cell::plain(&object_text(&b.binding_kind, &b.binding_name)),
            Cell::plain(b.binding_namespace.as_deref().unwrap_or("-")),
            Cell::plain(&role),
        ]);
    }
    text.push_str(&table.render());
    text
}

/// Whether the role a binding names is among the manifests.
fn role_found(manifests: &Manifests, b: &UserBinding) -> bool {
    match b.role_kind.as_str() {
        "Role" => manifests.roles().any(|r| {
            r.metadata.namespace == b.binding_namespace
                && r.metadata.name.as_deref() == Some(b.role_name.as_str())
        }),
        _ => manifests
            .cluster_roles()
            .any(|r| r.metadata.name.as_deref() == Some(b.role_name.as_str())),
    }
}
