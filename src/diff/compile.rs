//! Compiling both revisions, and emitting only what can differ.
//!
//! [`compile`] runs the stages of [`crate::compile`] up to validation and
//! keeps the [`Org`] (and the Flux settings); [`emit_all`] is the emission
//! of [`crate::compile`]. [`outputs`] then emits, on both sides, the files
//! that can differ, instead of the whole of `out/` twice: at 10,000 teams a
//! full emission is ~450 MB of YAML per side, more time and memory than the
//! whole diff may take.
//!
//! This rests on what [`emit`] documents about its layout: a team's files
//! (`<cluster>/teams/<team>/…`, `<cluster>/kubeconfigs/<team>.yaml`,
//! `<cluster>/flux/team-<team>.yaml`) depend only on that team and the
//! org-wide settings (cluster names, `protect_namespaces`, the kubeconfig
//! namespace, the Flux settings) and the team's rendered kubeconfigs; the
//! files of `<cluster>/cluster/` do not depend on the teams; the other files
//! (`<cluster>/kustomization.yaml`, `<cluster>/flux/kustomization.yaml`, …)
//! depend on the settings and on which teams have a shard on which cluster.
//! So a team whose resolved model and kubeconfigs are the same on both
//! sides has the same files on both sides and is not emitted, and the other
//! org-wide files are emitted, from stand-ins of the teams, only when the
//! shards or the settings differ. When the settings differ, every team is
//! emitted, in chunks, and only the files that differ are kept. The tests
//! `the_pipeline_is_compiles` and `matches_full_emission` check all of this
//! against [`crate::compile`].

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;

use crate::diag::Diagnostics;
use crate::emit;
use crate::load::{self, Input};
use crate::model::{Flux, Kubeconfig, Namespace, Org, Team};
use crate::source::Sources;
use crate::validate;

/// One revision, compiled up to the resolved model.
pub struct Compiled {
    pub sources: Sources,
    pub diagnostics: Diagnostics,
    /// The model, when there was no error.
    pub org: Option<Org>,
    /// The Flux settings, when `rbacc.yaml` has them.
    pub flux: Option<Flux>,
    pub timings: Vec<(&'static str, std::time::Duration)>,
}

impl Compiled {
    /// The model and settings emission needs, when it compiled.
    pub fn model(&self) -> Option<Model<'_>> {
        self.org.as_ref().map(|org| Model {
            org,
            flux: self.flux.as_ref(),
        })
    }
}

/// What emission takes.
#[derive(Clone, Copy)]
pub struct Model<'a> {
    pub org: &'a Org,
    pub flux: Option<&'a Flux>,
}

/// The stages of [`crate::compile`] before emission. Pure.
pub fn compile(input: &Input) -> Compiled {
    let mut sources = Sources::default();
    let mut diagnostics = Diagnostics::default();
    let mut timings = Vec::new();
    let start = std::time::Instant::now();
    let parsed = load::parse(input, &mut sources, &mut diagnostics);
    timings.push(("parse", start.elapsed()));
    let start = std::time::Instant::now();
    let org = validate::validate(&sources, &parsed, &mut diagnostics);
    let flux = validate::flux(&parsed, &mut diagnostics);
    let org = org.filter(|_| !diagnostics.has_errors());
    timings.push(("validate", start.elapsed()));
    Compiled {
        sources,
        diagnostics,
        org,
        flux,
        timings,
    }
}

/// The emission stage of [`crate::compile`].
pub fn emit_all(org: &Org, flux: Option<&Flux>) -> Files {
    let mut output = emit::emit(org);
    if let Some(flux) = flux {
        emit::flux(org, flux, &mut output);
    }
    output.files
}

/// Files of `out/` by path, as [`emit::Output`] holds them.
pub type Files = BTreeMap<String, String>;

/// The files of both outputs that may differ: every file of the teams that
/// changed, every `<cluster>/cluster/` file, and the other org-wide files
/// when the shards or settings changed. A path in neither is the same on
/// both sides.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outputs {
    pub base: Files,
    pub head: Files,
}

/// Teams emitted at once when every team must be compared; bounds memory.
const CHUNK: usize = 512;

/// Emits what can differ between `base` (`None`: an empty base) and `head`.
pub fn outputs(base: Option<Model>, head: Model) -> Outputs {
    let Some(base) = base else {
        return Outputs {
            base: Files::new(),
            head: emit_all(head.org, head.flux),
        };
    };
    let same_settings = settings(base) == settings(head);
    let changed = changed_teams(base.org, head.org, same_settings);
    let mut out = Outputs::default();
    let names: Vec<&String> = changed.iter().collect();
    let chunks: Vec<&[&String]> = if names.is_empty() {
        vec![&[]]
    } else {
        names.chunks(CHUNK).collect()
    };
    for (i, chunk) in chunks.into_iter().enumerate() {
        let chunk: BTreeSet<&str> = chunk.iter().map(|n| n.as_str()).collect();
        let (mut b, mut h) = rayon::join(|| emit_teams(base, &chunk), || emit_teams(head, &chunk));
        // The cluster files are the same in every chunk; the other org-wide
        // files list only this chunk's teams: wrong.
        for files in [&mut b, &mut h] {
            files.retain(|path, _| team_of(path).is_some() || (i == 0 && is_cluster_file(path)));
        }
        if !same_settings {
            // Every team is emitted: keep only what differs.
            let same: Vec<String> = b
                .iter()
                .filter(|(path, text)| team_of(path).is_some() && h.get(*path) == Some(text))
                .map(|(path, _)| path.clone())
                .collect();
            for path in same {
                b.remove(&path);
                h.remove(&path);
            }
        }
        out.base.append(&mut b);
        out.head.append(&mut h);
    }
    if !same_settings || shards(base.org) != shards(head.org) {
        let (b, h) = rayon::join(|| org_wide_files(base), || org_wide_files(head));
        out.base.extend(b);
        out.head.extend(h);
    }
    out
}

/// The team a file belongs to, by the layout of `out/`: `<cluster>/teams/<team>/…`,
/// `<cluster>/kubeconfigs/<team>.yaml`, `<cluster>/flux/team-<team>.yaml`.
fn team_of(path: &str) -> Option<&str> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        [_, "teams", team, _, ..] => Some(team),
        [_, "kubeconfigs", file] => file.strip_suffix(".yaml"),
        [_, "flux", file] => file.strip_prefix("team-")?.strip_suffix(".yaml"),
        _ => None,
    }
}

/// What every team's files depend on besides the team (see the module docs).
fn settings(model: Model<'_>) -> (Vec<&str>, bool, Option<&str>, Option<&Flux>) {
    let org = model.org;
    (
        org.clusters.iter().map(|c| c.name.as_str()).collect(),
        org.protect_namespaces,
        org.kubeconfigs.as_ref().map(|k| k.namespace.as_str()),
        model.flux,
    )
}

/// The names of the teams whose files may differ: all of them when the
/// settings differ, else those on one side only or whose resolved model or
/// kubeconfigs differ.
fn changed_teams(base: &Org, head: &Org, same_settings: bool) -> BTreeSet<String> {
    let by_name = |org: &Org| -> BTreeMap<String, usize> {
        org.teams
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i))
            .collect()
    };
    let (b, h) = (by_name(base), by_name(head));
    let names: BTreeSet<String> = b.keys().chain(h.keys()).cloned().collect();
    if !same_settings {
        return names;
    }
    let (base_kubeconfigs, head_kubeconfigs) =
        (kubeconfigs_by_team(base), kubeconfigs_by_team(head));
    names
        .into_par_iter()
        .filter(|name| match (b.get(name), h.get(name)) {
            (Some(&i), Some(&j)) => {
                !same_team(&base.teams[i], &head.teams[j])
                    || base_kubeconfigs.get(name.as_str()) != head_kubeconfigs.get(name.as_str())
            }
            _ => true,
        })
        .collect()
}

/// Whether two resolved teams are equal. The model types have no
/// `PartialEq`; the structs are taken apart without `..`, so a field added
/// to the model does not compile here until it is compared.
fn same_team(a: &Team, b: &Team) -> bool {
    let Team {
        name,
        source,
        description,
        contacts,
        owners,
        members,
        namespaces,
    } = a;
    *name == b.name
        && *source == b.source
        && *description == b.description
        && *contacts == b.contacts
        && *owners == b.owners
        && *members == b.members
        && namespaces.len() == b.namespaces.len()
        && namespaces
            .iter()
            .zip(&b.namespaces)
            .all(|(x, y)| same_namespace(x, y))
}

fn same_namespace(a: &Namespace, b: &Namespace) -> bool {
    let Namespace {
        name,
        clusters,
        pod_security,
        quota,
        limit_range,
        labels,
        service_accounts,
        bindings,
    } = a;
    *name == b.name
        && *clusters == b.clusters
        && *pod_security == b.pod_security
        && *quota == b.quota
        && *limit_range == b.limit_range
        && *labels == b.labels
        && *service_accounts == b.service_accounts
        && *bindings == b.bindings
}

/// Each team's rendered kubeconfigs, by cluster.
fn kubeconfigs_by_team(org: &Org) -> BTreeMap<&str, Vec<(&str, &Kubeconfig)>> {
    let mut out: BTreeMap<&str, Vec<(&str, &Kubeconfig)>> = BTreeMap::new();
    if let Some(k) = &org.kubeconfigs {
        for ((cluster, team), kubeconfig) in &k.rendered {
            out.entry(team.as_str())
                .or_default()
                .push((cluster.as_str(), kubeconfig));
        }
    }
    out
}

/// Emits the teams named in `names`, and the org-wide files.
fn emit_teams(model: Model, names: &BTreeSet<&str>) -> Files {
    let view = View::new(model.org, |team| names.contains(team.name.as_str()));
    emit_all(view.org(), model.flux)
}

/// The clusters each team has a shard on (as `emit` decides it: a namespace
/// on the cluster, or a kubeconfig for it).
fn shards(org: &Org) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut out: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for cluster in &org.clusters {
        out.entry(&cluster.name).or_default();
    }
    for team in &org.teams {
        for ns in &team.namespaces {
            for cluster in &ns.clusters {
                out.entry(cluster.as_str()).or_default().insert(&team.name);
            }
        }
    }
    if let Some(k) = &org.kubeconfigs {
        for (cluster, team) in k.rendered.keys() {
            out.entry(cluster.as_str())
                .or_default()
                .insert(team.as_str());
        }
    }
    out
}

/// The org-wide files but `<cluster>/cluster/` (the kustomizations that
/// list shards, …), emitted from stand-ins of the teams that have the same
/// names, sources and shards but hardly any objects, so that `emit` decides
/// what they list.
fn org_wide_files(model: Model) -> Files {
    let org = model.org;
    let stand_ins: Vec<Team> = org
        .teams
        .iter()
        .map(|team| Team {
            name: team.name.clone(),
            source: team.source.clone(),
            description: None,
            contacts: Vec::new(),
            owners: Vec::new(),
            members: Vec::new(),
            namespaces: team
                .namespaces
                .iter()
                .map(|ns| Namespace {
                    name: ns.name.clone(),
                    clusters: ns.clusters.clone(),
                    pod_security: ns.pod_security,
                    quota: BTreeMap::new(),
                    limit_range: None,
                    labels: BTreeMap::new(),
                    service_accounts: Vec::new(),
                    bindings: Vec::new(),
                })
                .collect(),
        })
        .collect();
    let kubeconfigs = org.kubeconfigs.as_ref().map(|k| crate::model::Kubeconfigs {
        namespace: k.namespace.clone(),
        rendered: k
            .rendered
            .keys()
            .map(|key| {
                let empty = Kubeconfig {
                    text: String::new(),
                    template: String::new(),
                };
                (key.clone(), empty)
            })
            .collect(),
    });
    let view = View::with(org, stand_ins, kubeconfigs, false);
    emit_all(view.org(), model.flux)
        .into_iter()
        .filter(|(path, _)| team_of(path).is_none() && !is_cluster_file(path))
        .collect()
}

/// A file of `<cluster>/cluster/`.
pub fn is_cluster_file(path: &str) -> bool {
    path.split('/').nth(1) == Some("cluster")
}

/// An organisation assembled from another's settings and other teams, for
/// one call of `emit`. `emit` needs an owned `Org`, whose fields are not
/// `Clone`; the settings are small, so they are rebuilt.
struct View {
    org: Org,
}

impl View {
    fn new(org: &Org, keep: impl Fn(&Team) -> bool) -> View {
        let teams: Vec<Team> = org
            .teams
            .iter()
            .filter(|t| keep(t))
            .map(clone_team)
            .collect();
        let names: BTreeSet<&str> = teams.iter().map(|t| t.name.as_str()).collect();
        let kubeconfigs = org.kubeconfigs.as_ref().map(|k| crate::model::Kubeconfigs {
            namespace: k.namespace.clone(),
            rendered: k
                .rendered
                .iter()
                .filter(|((_, team), _)| names.contains(team.as_str()))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect(),
        });
        View::with(org, teams, kubeconfigs, true)
    }

    fn with(
        org: &Org,
        teams: Vec<Team>,
        kubeconfigs: Option<crate::model::Kubeconfigs>,
        roles: bool,
    ) -> View {
        View {
            org: Org {
                owners: org.owners.clone(),
                clusters: org
                    .clusters
                    .iter()
                    .map(|c| crate::model::Cluster {
                        name: c.name.clone(),
                        server: c.server.clone(),
                        certificate_authority_data: c.certificate_authority_data.clone(),
                    })
                    .collect(),
                protect_namespaces: org.protect_namespaces,
                roles: if roles { org.roles.clone() } else { Vec::new() },
                teams,
                kubeconfigs,
                limits: org.limits,
            },
        }
    }

    fn org(&self) -> &Org {
        &self.org
    }
}

fn clone_team(team: &Team) -> Team {
    Team {
        name: team.name.clone(),
        source: team.source.clone(),
        description: team.description.clone(),
        contacts: team.contacts.clone(),
        owners: team.owners.clone(),
        members: team.members.clone(),
        namespaces: team
            .namespaces
            .iter()
            .map(|ns| Namespace {
                name: ns.name.clone(),
                clusters: ns.clusters.clone(),
                pod_security: ns.pod_security,
                quota: ns.quota.clone(),
                limit_range: ns.limit_range.clone(),
                labels: ns.labels.clone(),
                service_accounts: ns.service_accounts.clone(),
                bindings: ns.bindings.clone(),
            })
            .collect(),
    }
}
