//! JSON answers: the shapes README.md documents ("Access queries").
//!
//! **Input**: what a command found (the user, the request, grants, subjects,
//! the matrix), borrowed.
//!
//! **Output**: pretty-printed JSON ending in a newline.
//!
//! **Invariants**: fields are only ever added, never renamed or removed;
//! every key is in a fixed order (struct fields, and the matrix's verbs in
//! column order), so the same answer is the same bytes.

use k8s_openapi::api::rbac::v1::PolicyRule;
use serde::Serialize;

use crate::access::{Grant, Request, UserInfo};

/// `value` as pretty JSON and a newline, invisible characters escaped.
pub(super) fn json<T: Serialize>(value: &T) -> String {
    crate::text::json(value)
}

#[derive(Serialize)]
pub(super) struct UserJson<'a> {
    name: &'a str,
    /// Every group, the implicit ones included.
    groups: &'a [String],
}

impl UserJson<'_> {
    pub(super) fn of(user: &UserInfo) -> UserJson<'_> {
        UserJson {
            name: &user.name,
            groups: &user.groups,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RequestJson<'a> {
    verb: &'a str,
    api_group: Option<&'a str>,
    resource: Option<&'a str>,
    subresource: Option<&'a str>,
    name: Option<&'a str>,
    namespace: Option<&'a str>,
    #[serde(rename = "nonResourceURL")]
    non_resource_url: Option<&'a str>,
}

impl RequestJson<'_> {
    pub(super) fn of(request: &Request) -> RequestJson<'_> {
        let none = RequestJson {
            verb: request.verb(),
            api_group: None,
            resource: None,
            subresource: None,
            name: None,
            namespace: None,
            non_resource_url: None,
        };
        match request {
            Request::Resource {
                api_group,
                resource,
                subresource,
                namespace,
                name,
                ..
            } => RequestJson {
                api_group: Some(api_group),
                resource: Some(resource),
                subresource: subresource.as_deref(),
                name: name.as_deref(),
                namespace: namespace.as_deref(),
                ..none
            },
            Request::NonResource { path, .. } => RequestJson {
                non_resource_url: Some(path),
                ..none
            },
        }
    }
}

#[derive(Serialize)]
pub(super) struct BindingJson<'a> {
    pub(super) kind: &'a str,
    pub(super) namespace: Option<&'a str>,
    pub(super) name: &'a str,
}

impl BindingJson<'_> {
    /// The binding of a grant.
    pub(super) fn of(grant: &Grant) -> BindingJson<'_> {
        BindingJson {
            kind: &grant.binding_kind,
            namespace: grant.binding_namespace.as_deref(),
            name: &grant.binding_name,
        }
    }
}

#[derive(Serialize)]
pub(super) struct RoleJson<'a> {
    pub(super) kind: &'a str,
    pub(super) name: &'a str,
}

impl RoleJson<'_> {
    /// The role a grant's binding names.
    pub(super) fn of(grant: &Grant) -> RoleJson<'_> {
        RoleJson {
            kind: &grant.role_kind,
            name: &grant.role_name,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GrantJson<'a> {
    binding: BindingJson<'a>,
    role: RoleJson<'a>,
    rule_index: usize,
    rule: Option<&'a PolicyRule>,
}

impl<'a> GrantJson<'a> {
    /// A grant, with the rule that allows (`None` should it be gone).
    pub(super) fn of(grant: &'a Grant, rule: Option<&'a PolicyRule>) -> GrantJson<'a> {
        GrantJson {
            binding: BindingJson::of(grant),
            role: RoleJson::of(grant),
            rule_index: grant.rule_index,
            rule,
        }
    }
}

#[derive(Serialize)]
pub(super) struct CanIJson<'a> {
    pub(super) allowed: bool,
    pub(super) cluster: Option<&'a str>,
    pub(super) user: UserJson<'a>,
    pub(super) request: RequestJson<'a>,
    pub(super) grants: Vec<GrantJson<'a>>,
}

#[derive(Serialize)]
pub(super) struct SubjectJson<'a> {
    pub(super) kind: &'a str,
    pub(super) name: &'a str,
    pub(super) namespace: Option<&'a str>,
    pub(super) binding: BindingJson<'a>,
    pub(super) role: RoleJson<'a>,
}

#[derive(Serialize)]
pub(super) struct WhoCanJson<'a> {
    pub(super) cluster: Option<&'a str>,
    pub(super) request: RequestJson<'a>,
    pub(super) subjects: Vec<SubjectJson<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ResourceJson<'a> {
    pub(super) name: &'a str,
    pub(super) api_group: &'a str,
    pub(super) resource: &'a str,
    pub(super) subresource: Option<&'a str>,
    /// Verb -> allowed, in the matrix's column order.
    #[serde(serialize_with = "ordered_map")]
    pub(super) verbs: Vec<(&'static str, bool)>,
}

fn ordered_map<S: serde::Serializer>(
    pairs: &[(&'static str, bool)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(pairs.len()))?;
    for (key, value) in pairs {
        map.serialize_entry(key, value)?;
    }
    map.end()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UserBindingJson<'a> {
    pub(super) binding: BindingJson<'a>,
    pub(super) role: RoleJson<'a>,
    /// Whether the referenced role exists (a missing one grants nothing).
    pub(super) role_found: bool,
}

#[derive(Serialize)]
pub(super) struct AccessJson<'a> {
    pub(super) cluster: Option<&'a str>,
    pub(super) namespace: Option<&'a str>,
    pub(super) user: UserJson<'a>,
    pub(super) verbs: Vec<&'static str>,
    pub(super) resources: Vec<ResourceJson<'a>>,
    pub(super) bindings: Vec<UserBindingJson<'a>>,
}
