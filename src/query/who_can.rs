//! `rbacc who-can`: every subject that may make one request.
//!
//! **Input**: a [`Target`] and a [`WhoCan`] question.
//!
//! **Output**: one row per subject, binding and role (a table, or JSON);
//! "No subject can …" when there is none.
//!
//! **Invariants**: subjects are listed as the bindings name them (a group
//! is not expanded), sorted and once each per binding and role: the rule
//! that allows is left out, so several rules of one role make one row.

use std::collections::BTreeSet;

use crate::access::{Grant, Request, kubectl_name};

use super::json::{BindingJson, RequestJson, RoleJson, SubjectJson, WhoCanJson, json};
use super::request::resolve;
use super::table::{Cell, Table, object_text};
use super::{Answer, Format, QueryError, Style, Target, WhoCan};

/// `rbacc who-can`: one row per subject, binding and role.
pub fn who_can(target: &Target, question: &WhoCan, style: Style) -> Result<Answer, QueryError> {
    let (request, warnings) = resolve(target, &question.request)?;
    let rows: BTreeSet<(String, String, Option<String>, Grant)> = target
        .manifests
        .who_can(&request)
        .into_iter()
        .map(|(subject, grant)| {
            let grant = Grant {
                rule_index: 0,
                ..grant
            };
            (subject.kind, subject.name, subject.namespace, grant)
        })
        .collect();
    let stdout = match style.format {
        Format::Text if rows.is_empty() => {
            format!("No subject can {}.\n", describe(&request))
        }
        Format::Text => {
            let mut table = Table::new(&["KIND", "NAME", "NAMESPACE", "BINDING", "ROLE"]);
            for (kind, name, namespace, grant) in &rows {
                table.row(vec![
                    Cell::plain(kind),
                    Cell::plain(name),
                    Cell::plain(namespace.as_deref().unwrap_or("-")),
                    Cell::plain(&object_text(&grant.binding_kind, &grant.binding_name)),
                    Cell::plain(&object_text(&grant.role_kind, &grant.role_name)),
                ]);
            }
            table.render()
        }
        Format::Json => json(&WhoCanJson {
            cluster: target.cluster.as_deref(),
            request: RequestJson::of(&request),
            subjects: rows
                .iter()
                .map(|(kind, name, namespace, grant)| SubjectJson {
                    kind,
                    name,
                    namespace: namespace.as_deref(),
                    binding: BindingJson::of(grant),
                    role: RoleJson::of(grant),
                })
                .collect(),
        }),
    };
    Ok(Answer::listing(stdout, warnings))
}

/// The request in words, for "No subject can …".
fn describe(request: &Request) -> String {
    let (what, name) = match request {
        Request::NonResource { verb, path } => return format!("{verb} {path}"),
        Request::Resource {
            api_group,
            resource,
            subresource,
            name,
            ..
        } => (
            kubectl_name(api_group, resource, subresource.as_deref()),
            name,
        ),
    };
    let mut text = format!("{} {what}", request.verb());
    if let Some(name) = name {
        text.push_str(&format!(" named {name}"));
    }
    match request.namespace() {
        Some(namespace) => text.push_str(&format!(" in namespace {namespace}")),
        None => text.push_str(" cluster-wide"),
    }
    text
}
