//! Flux Kustomizations, one per shard, for `spec.gitops.flux`.
//!
//! k8s-openapi has no Flux types: these are small serde structs whose fields
//! are declared in alphabetical order (after `apiVersion` and `kind`), as
//! k8s-openapi serializes, so the output is sorted like every other file.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use crate::model::Flux;

use super::objects::meta;
use super::serialize::Object;

const API_VERSION: &str = "kustomize.toolkit.fluxcd.io/v1";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Kustomization {
    api_version: &'static str,
    kind: &'static str,
    metadata: ObjectMeta,
    spec: Spec,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Spec {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<Reference>,
    interval: String,
    path: String,
    prune: bool,
    source_ref: SourceRef,
}

#[derive(Serialize)]
struct Reference {
    name: String,
}

#[derive(Serialize)]
struct SourceRef {
    kind: &'static str,
    name: String,
}

/// The Kustomization that applies one shard, `out/<shard>` in the
/// repository, after the Kustomizations named in `depends_on`.
pub fn kustomization(
    flux: &Flux,
    name: &str,
    team: Option<&str>,
    source: &str,
    shard: &str,
    depends_on: &[&str],
) -> Object {
    let kustomization = Kustomization {
        api_version: API_VERSION,
        kind: "Kustomization",
        metadata: meta(name, Some(&flux.namespace), team, source),
        spec: Spec {
            depends_on: depends_on
                .iter()
                .map(|name| Reference {
                    name: name.to_string(),
                })
                .collect(),
            interval: flux.interval.clone(),
            path: format!("./out/{shard}"),
            // Namespaces carry `kustomize.toolkit.fluxcd.io/prune: disabled`
            // (with `protectNamespaces`), so pruning never deletes one.
            prune: true,
            source_ref: SourceRef {
                kind: "GitRepository",
                name: flux.source_ref.clone(),
            },
        },
    };
    Object::named("Kustomization", Some(&flux.namespace), name, kustomization)
}
