//! Emission: a validated [`Org`] in, the files of `out/` out.
//!
//! Architecture invariant: this is the only module that knows Kubernetes
//! YAML. Every manifest is built from k8s-openapi types and serialized here;
//! nothing here touches the file system.
//!
//! Where each file goes is [`crate::layout`]'s; every path is built there.
//! `flux/` is not listed in `<cluster>/kustomization.yaml`: it is what Flux
//! applies (through one hand-written Kustomization per cluster, see
//! `deploy/flux/`), not part of the cluster's manifests.
//!
//! A team's shard holds only that team's files, so adding or removing a team
//! never moves another team's files, and each shard stays small enough for
//! kustomize to render in well under a second.

mod flux;
mod objects;
mod serialize;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rayon::prelude::*;

use crate::json::Canonical;
use crate::layout::{self, OutFile};
use crate::model::{ArgoCd, FLUX_CLUSTER_NAME, Flux, Org, Team, flux_team_name};

pub use crate::layout::TeamFiles;
use serialize::Object;
pub use serialize::{GENERATED_MARKER, ObjectId, is_generated};

/// The files of `out/`: path relative to `out/` (`/`-separated) -> contents.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub files: BTreeMap<String, String>,
    /// With [`Selection::objects`]: the files that hold each object, in
    /// path order (one per cluster it is on). What `explain` reads instead
    /// of parsing the files back.
    pub objects: BTreeMap<ObjectId, Vec<String>>,
    /// With [`Selection::objects`]: the source each file that holds objects
    /// names in its header (`teams/x.yaml`, `rbacc.yaml`), by path.
    pub sources: BTreeMap<String, String>,
    /// With [`Selection::values`]: the objects of each file that holds
    /// objects or RBAC (the assumed roles' items), as canonical JSON text,
    /// by path. What `audit`, `import` and `diff` compare instead of parsing
    /// the files back.
    pub values: BTreeMap<String, Arc<[Canonical]>>,
    indexed: bool,
    valued: bool,
    /// Object files as text ([`Selection::text`]).
    texted: bool,
}

impl Output {
    /// The path of every file emitted, as text or as values only, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        let mut paths: Vec<&str> = self
            .files
            .keys()
            .chain(self.values.keys().filter(|p| !self.files.contains_key(*p)))
            .map(String::as_str)
            .collect();
        paths.sort_unstable();
        paths.into_iter()
    }

    /// Adds a file. Validation rules out two objects sharing a path
    /// (`reserved::LAYOUT_NAMES`, DNS names without dots); were one to slip
    /// through, failing loudly beats one file silently replacing another.
    fn add(&mut self, file: &OutFile, contents: String) {
        self.add_holding(file, contents, &[], None);
    }

    /// Adds a file that holds the objects `ids`.
    fn add_holding(
        &mut self,
        file: &OutFile,
        contents: String,
        ids: &[ObjectId],
        source: Option<&str>,
    ) {
        self.index(file, ids, source);
        let previous = self.files.insert(file.to_string(), contents);
        assert!(previous.is_none(), "validation rules out colliding paths");
    }

    /// Records that `file` holds the objects `ids`, generated from
    /// `source`, with [`Selection::objects`].
    fn index(&mut self, file: &OutFile, ids: &[ObjectId], source: Option<&str>) {
        if self.indexed && !ids.is_empty() {
            let path = file.to_string();
            if let Some(source) = source {
                self.sources.insert(path.clone(), source.to_string());
            }
            for id in ids {
                self.objects
                    .entry(id.clone())
                    .or_default()
                    .push(path.clone());
            }
        }
    }

    /// Adds serialized `objects` as `file`.
    fn add_objects(&mut self, file: &OutFile, source: &str, objects: &[Object]) {
        let text = self
            .texted
            .then(|| serialize::objects_file(source, objects));
        let values = self.valued.then(|| serialize::values(objects));
        let ids = match self.indexed {
            true => serialize::ids(objects),
            false => Arc::new([]),
        };
        self.add_emitted(Emitted {
            file: file.clone(),
            source: self.indexed.then(|| source.to_string()),
            text,
            ids,
            values,
        });
    }

    /// Adds a file an emission built: its text, or its values only.
    fn add_emitted(&mut self, emitted: Emitted) {
        if let Some(values) = emitted.values.filter(|_| self.valued) {
            self.values.insert(emitted.file.to_string(), values);
        }
        let source = emitted.source.as_deref();
        match emitted.text {
            Some(text) => self.add_holding(&emitted.file, text, &emitted.ids, source),
            None => self.index(&emitted.file, &emitted.ids, source),
        }
    }

    /// Sorts each object's files by path (emission adds them in any order).
    fn sort_index(&mut self) {
        for paths in self.objects.values_mut() {
            paths.sort();
        }
    }
}

/// Which parts of `out/` an emission builds. Every part depends only on
/// what its doc says, so a part not selected is the same as in a full
/// emission (`rbacc diff` and the queries rely on it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// Which teams' files: their shards, kubeconfigs and Flux
    /// Kustomizations. Each depends on the team, its rendered kubeconfigs
    /// and the settings only.
    pub teams: Teams,
    /// The `<cluster>/cluster/` shards and `<cluster>/flux/cluster.yaml`:
    /// the settings and roles, never the teams.
    pub cluster: bool,
    /// The files that list shards (`<cluster>/kustomization.yaml`,
    /// `<cluster>/flux/kustomization.yaml`): the settings and which teams
    /// have a shard on which cluster.
    pub index: bool,
    /// Flux Kustomizations, when the settings have them.
    pub flux: bool,
    /// Index every object by kind, namespace and name
    /// ([`Output::objects`]).
    pub objects: bool,
    /// Keep every object as a JSON value ([`Output::values`]).
    pub values: bool,
    /// Write the files that hold objects as YAML text ([`Output::files`]).
    /// Without it (and with `values`), such a file is in
    /// [`Output::values`] only: what `audit` reads, at a fraction of the
    /// cost.
    pub text: bool,
    /// Only the files under these clusters' directories (`None`: every
    /// cluster's). A file of a cluster left out is not emitted; the
    /// others are as in a full emission.
    pub clusters: Option<BTreeSet<String>>,
}

/// The teams a [`Selection`] emits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Teams {
    All,
    /// These teams (names that are not teams are ignored).
    Only(BTreeSet<String>),
}

impl Teams {
    fn has(&self, team: &Team) -> bool {
        match self {
            Teams::All => true,
            Teams::Only(names) => names.contains(&team.name),
        }
    }
}

impl Selection {
    /// Every file of `out/`.
    pub fn all() -> Selection {
        Selection {
            teams: Teams::All,
            cluster: true,
            index: true,
            flux: true,
            objects: false,
            values: false,
            text: true,
            clusters: None,
        }
    }

    /// No file: a base to name parts on (`Selection { index: true,
    /// ..Selection::none() }`). Flux Kustomizations of what is named are
    /// in.
    pub fn none() -> Selection {
        Selection {
            teams: Teams::Only(BTreeSet::new()),
            cluster: false,
            index: false,
            flux: true,
            objects: false,
            values: false,
            text: true,
            clusters: None,
        }
    }

    /// Only the files of these teams.
    pub fn teams(names: BTreeSet<String>) -> Selection {
        Selection {
            teams: Teams::Only(names),
            ..Selection::none()
        }
    }

    /// Whether the files of `cluster` are selected.
    fn has_cluster(&self, cluster: &str) -> bool {
        self.clusters.as_ref().is_none_or(|c| c.contains(cluster))
    }

    /// Whether this is every file of `out/`.
    pub fn is_all(&self) -> bool {
        Selection {
            objects: false,
            values: false,
            ..self.clone()
        } == Selection::all()
    }
}

/// Builds the files of `out/` that `selection` names. Teams are emitted in
/// parallel; the result does not depend on scheduling.
pub fn emit(org: &Org, flux: Option<&Flux>, selection: &Selection) -> Output {
    let mut out = Output {
        indexed: selection.objects,
        valued: selection.values,
        texted: selection.text || !selection.values,
        ..Output::default()
    };
    let per_team: Vec<Vec<Emitted>> = org
        .teams
        .par_iter()
        .filter(|team| selection.teams.has(team))
        .map(|team| team_files(org, team, selection))
        .collect();
    for emitted in per_team.into_iter().flatten() {
        out.add_emitted(emitted);
    }
    for cluster in selected_clusters(org, selection) {
        let c = &cluster.name;
        if selection.cluster {
            cluster_shard(org, c, &mut out);
        }
        if selection.index {
            let mut shards = vec![layout::shard_entry(None)];
            for team in org.teams.iter().filter(|t| has_shard(org, t, c)) {
                shards.push(layout::shard_entry(Some(&team.name)));
            }
            let index = OutFile::Index { cluster: c.clone() };
            out.add(&index, serialize::kustomization("rbacc.yaml", &shards));
        }
    }
    if let Some(flux) = flux.filter(|_| selection.flux) {
        flux_files(org, flux, selection, &mut out);
    }
    if let Some(argocd) = org.argocd.as_ref().filter(|_| selection.flux) {
        argocd_files(org, argocd, selection, &mut out);
    }
    out.sort_index();
    out
}

/// The `<cluster>/cluster/` shard: ClusterRoles and the kubeconfig namespace.
fn cluster_shard(org: &Org, c: &str, out: &mut Output) {
    let cluster = || c.to_string();
    let mut cluster_files = Vec::new();
    for role in &org.roles {
        let file = OutFile::ClusterRole {
            cluster: cluster(),
            role: role.name.clone(),
        };
        let object = objects::cluster_role(role);
        out.add_objects(&file, &role.source, &[object]);
        cluster_files.push(file.file_name());
    }
    for binding in org
        .cluster_bindings
        .iter()
        .filter(|b| b.clusters.iter().any(|x| x == c))
    {
        let file = OutFile::ClusterRoleBinding {
            cluster: cluster(),
            binding: binding.name.clone(),
        };
        let object = objects::cluster_role_binding(binding);
        out.add_objects(&file, &binding.source, &[object]);
        cluster_files.push(file.file_name());
    }
    if let Some(kubeconfigs) = &org.kubeconfigs {
        let file = OutFile::KubeconfigNamespace {
            cluster: cluster(),
            namespace: kubeconfigs.namespace.clone(),
        };
        let object = objects::kubeconfig_namespace(org, &kubeconfigs.namespace);
        out.add_objects(&file, "rbacc.yaml", &[object]);
        cluster_files.push(file.file_name());
    }
    if !org.existing_roles.is_empty() {
        let roles: Vec<_> = org
            .existing_roles
            .iter()
            .map(objects::assumed_cluster_role)
            .collect();
        let file = OutFile::AssumedRoles { cluster: cluster() };
        if out.valued {
            let objects: Vec<Object> = roles.iter().cloned().map(Object::new).collect();
            out.values
                .insert(file.to_string(), serialize::values(&objects));
        }
        out.add(&file, serialize::assumed_roles("rbacc.yaml", &roles));
    }
    let index = OutFile::ClusterIndex { cluster: cluster() };
    out.add(
        &index,
        serialize::kustomization("rbacc.yaml", &cluster_files),
    );
}

/// A Flux Kustomization for every selected shard of every cluster, and,
/// with the index, a `kustomization.yaml` listing them, under
/// `<cluster>/flux/`.
fn flux_files(org: &Org, flux: &Flux, selection: &Selection, out: &mut Output) {
    for cluster in selected_clusters(org, selection) {
        let c = &cluster.name;
        let flux_cluster = OutFile::FluxCluster { cluster: c.clone() };
        let mut files = vec![flux_cluster.file_name()];
        if selection.cluster {
            let object = flux::kustomization(
                flux,
                FLUX_CLUSTER_NAME,
                None,
                "rbacc.yaml",
                &layout::cluster_shard(c),
                &[],
            );
            out.add_objects(&flux_cluster, "rbacc.yaml", &[object]);
        }
        for team in org.teams.iter().filter(|t| has_shard(org, t, c)) {
            let file = OutFile::FluxTeam {
                cluster: c.clone(),
                team: team.name.clone(),
            };
            files.push(file.file_name());
            if !selection.teams.has(team) {
                continue;
            }
            // A team's shard may hold its kubeconfig ConfigMap, in a
            // namespace the cluster shard creates: apply that first.
            let object = flux::kustomization(
                flux,
                &flux_team_name(&team.name),
                Some(&team.name),
                &team.source,
                &layout::team_shard(c, &team.name),
                &[FLUX_CLUSTER_NAME],
            );
            out.add_objects(&file, &team.source, &[object]);
        }
        if selection.index {
            let index = OutFile::FluxIndex { cluster: c.clone() };
            out.add(&index, serialize::kustomization("rbacc.yaml", &files));
        }
    }
}

/// An Argo CD AppProject for every selected team with namespaces on each
/// cluster, and, with the index, a `kustomization.yaml` listing them,
/// under `<cluster>/argocd/`.
fn argocd_files(org: &Org, argocd: &ArgoCd, selection: &Selection, out: &mut Output) {
    for cluster in selected_clusters(org, selection) {
        let c = &cluster.name;
        let mut files = Vec::new();
        for team in &org.teams {
            let namespaces: Vec<&str> = team
                .namespaces
                .iter()
                .filter(|ns| ns.clusters.iter().any(|x| x == c))
                .map(|ns| ns.name.as_str())
                .collect();
            if namespaces.is_empty() {
                continue;
            }
            let file = OutFile::ArgoProject {
                cluster: c.clone(),
                team: team.name.clone(),
            };
            files.push(file.file_name());
            if selection.teams.has(team) {
                let object = objects::app_project(argocd, team, c, &namespaces);
                out.add_objects(&file, &team.source, &[object]);
            }
        }
        if selection.index && !files.is_empty() {
            let index = OutFile::ArgoIndex { cluster: c.clone() };
            out.add(&index, serialize::kustomization("rbacc.yaml", &files));
        }
    }
}

/// A file emitted: where, its text, the objects it holds (with
/// [`Selection::objects`]) and their values (with [`Selection::values`]).
struct Emitted {
    file: OutFile,
    /// What a file of objects is generated from (its header's source).
    source: Option<String>,
    /// `None` for a file of objects without [`Selection::text`].
    text: Option<String>,
    ids: Arc<[ObjectId]>,
    values: Option<Arc<[Canonical]>>,
}

impl Emitted {
    /// A file that holds no object.
    fn plain(file: OutFile, text: String) -> Emitted {
        Emitted {
            file,
            source: None,
            text: Some(text),
            ids: Arc::new([]),
            values: None,
        }
    }
}

/// The clusters whose files `selection` names, in the settings' order.
fn selected_clusters<'a>(
    org: &'a Org,
    selection: &'a Selection,
) -> impl Iterator<Item = &'a crate::model::Cluster> + 'a {
    org.clusters
        .iter()
        .filter(|c| selection.has_cluster(&c.name))
}

/// Whether `team` has anything on `cluster`.
fn has_shard(org: &Org, team: &Team, cluster: &str) -> bool {
    team.namespaces
        .iter()
        .any(|ns| ns.clusters.iter().any(|c| c == cluster))
        || org.kubeconfigs.as_ref().is_some_and(|k| {
            k.rendered
                .contains_key(&(cluster.to_string(), team.name.clone()))
        })
}

/// Every file of one team, on every cluster: its shards and kubeconfigs,
/// with what `selection` asks to know of their objects.
fn team_files(org: &Org, team: &Team, selection: &Selection) -> Vec<Emitted> {
    // The files of one set of objects, the same on every cluster.
    let holding = |file: OutFile, source: &str, text: &Option<String>, objects: &Held| Emitted {
        file,
        source: selection.objects.then(|| source.to_string()),
        text: text.clone(),
        ids: objects.0.clone(),
        values: objects.1.clone(),
    };
    let held = |objects: &[Object]| -> Held {
        (
            match selection.objects {
                true => serialize::ids(objects),
                false => Arc::from([]),
            },
            selection.values.then(|| serialize::values(objects)),
        )
    };
    let text_of = |source: &str, objects: &[Object]| {
        (selection.text || !selection.values).then(|| serialize::objects_file(source, objects))
    };
    let mut out = Vec::new();
    // A namespace's manifests are the same on every cluster: serialize once.
    let namespace_files: Vec<(&crate::model::Namespace, Option<String>, Held)> = team
        .namespaces
        .iter()
        .filter(|ns| ns.clusters.iter().any(|c| selection.has_cluster(c)))
        .map(|ns| {
            let objects = objects::namespace_objects(org, team, ns);
            (ns, text_of(&team.source, &objects), held(&objects))
        })
        .collect();
    for cluster in selected_clusters(org, selection).map(|c| c.name.as_str()) {
        if !has_shard(org, team, cluster) {
            continue;
        }
        let (c, t) = (|| cluster.to_string(), || team.name.clone());
        let mut files = Vec::new();
        for (ns, contents, objects) in namespace_files
            .iter()
            .filter(|(ns, _, _)| ns.clusters.iter().any(|c| c == cluster))
        {
            let file = OutFile::Namespace {
                cluster: c(),
                team: t(),
                namespace: ns.name.clone(),
            };
            files.push(file.file_name());
            out.push(holding(file, &team.source, contents, objects));
        }
        let kubeconfig = org.kubeconfigs.as_ref().and_then(|k| {
            let rendered = k.rendered.get(&(cluster.to_string(), team.name.clone()))?;
            Some((k.namespace.as_str(), rendered))
        });
        if let Some((namespace, kubeconfig)) = kubeconfig {
            let source = format!("{} with {}", team.source, kubeconfig.template);
            let objects = objects::kubeconfig_objects(team, namespace, &kubeconfig.text);
            let configmap = OutFile::KubeconfigConfigMap {
                cluster: c(),
                team: t(),
            };
            files.push(configmap.file_name());
            let text = text_of(&source, &objects);
            out.push(holding(configmap, &source, &text, &held(&objects)));
            out.push(Emitted::plain(
                OutFile::Kubeconfig {
                    cluster: c(),
                    team: t(),
                },
                serialize::file(&source, [kubeconfig.text.as_str()]),
            ));
        }
        out.push(Emitted::plain(
            OutFile::TeamIndex {
                cluster: c(),
                team: t(),
            },
            serialize::kustomization(&team.source, &files),
        ));
    }
    out
}

/// What a file's objects are: their ids and values, as the selection asks.
type Held = (Arc<[ObjectId]>, Option<Arc<[Canonical]>>);
