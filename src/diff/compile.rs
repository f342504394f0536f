//! Emitting, for both revisions, only what can differ.
//!
//! Both revisions are compiled by [`crate::pipeline`]; [`outputs`] then
//! emits, on both sides, the files that can differ, instead of the whole of
//! `out/` twice: at 10,000 teams a full emission is ~450 MB of YAML per
//! side, more time and memory than the whole diff may take.
//!
//! This rests on what [`emit::Selection`] documents about each part of
//! `out/`: a team's files depend only on that team, its rendered
//! kubeconfigs and the settings (cluster names, `protect_namespaces`, the
//! kubeconfig namespace, the Flux settings); the cluster shards do not
//! depend on the teams; the index files depend on the settings and on
//! which teams have a shard on which cluster. So a team whose resolved
//! model and kubeconfigs are the same on both sides has the same files on
//! both sides and is not emitted, and the index files are emitted only when
//! the shards or the settings differ. When the settings differ, every team
//! is emitted, in chunks, and only the files that differ are kept. The test
//! `matches_full_emission` checks this against a full emission.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;

use super::changes::Objects;
use crate::Resolved;
use crate::access::Manifests;
use crate::emit::{self, Selection};
use crate::layout::OutFile;
use crate::model::{Kubeconfig, Org};

/// Files of `out/` by path, as [`emit::Output`] holds them.
pub type Files = BTreeMap<String, String>;

/// The files of both outputs that may differ: every file of the teams that
/// changed, every cluster shard, and the index files when the shards or
/// settings changed. A path in neither is the same on both sides.
#[derive(Debug, Default)]
pub struct Outputs {
    pub base: Side,
    pub head: Side,
}

/// One side's files that may differ, with what the summary and the access
/// changes read of their objects: taken from the values emission kept
/// ([`Selection::values`]), which are then dropped, never from the text.
#[derive(Debug, Default)]
pub struct Side {
    pub files: Files,
    /// Of each file that holds objects: its objects by key.
    pub(super) objects: BTreeMap<String, Objects>,
    /// Of each file that holds RBAC: its RBAC objects, or why they do not
    /// decode.
    pub(super) rbac: BTreeMap<String, Decoded>,
}

/// A file's RBAC objects, or why they do not decode.
pub(crate) type Decoded = Result<Manifests, String>;

impl Side {
    /// What the diff reads of an emission.
    fn of(output: emit::Output) -> Side {
        let read: Vec<(String, Option<Objects>, Option<Decoded>)> = output
            .values
            .into_par_iter()
            .map(|(path, values)| {
                let file = OutFile::parse(&path);
                let objects = file
                    .as_ref()
                    .is_some_and(|f| f.holds_objects())
                    .then(|| super::changes::objects(&values));
                let rbac = file
                    .is_some_and(|f| f.holds_rbac())
                    .then(|| Manifests::from_canonical(values.iter()).map_err(|e| e.to_string()));
                (path, objects, rbac)
            })
            .collect();
        let mut side = Side {
            files: output.files,
            ..Side::default()
        };
        for (path, objects, rbac) in read {
            if let Some(rbac) = rbac {
                side.rbac.insert(path.clone(), rbac);
            }
            if let Some(objects) = objects {
                side.objects.insert(path, objects);
            }
        }
        side
    }

    fn append(&mut self, mut other: Side) {
        self.files.append(&mut other.files);
        self.objects.append(&mut other.objects);
        self.rbac.append(&mut other.rbac);
    }
}

/// Teams emitted at once when every team must be compared; bounds memory.
const CHUNK: usize = 512;

/// Emits `selection` of one side, text and values.
fn emit(side: &Resolved, selection: &Selection) -> emit::Output {
    let selection = Selection {
        values: true,
        ..selection.clone()
    };
    emit::emit(&side.org, side.flux.as_ref(), &selection)
}

/// Emits what can differ between `base` (`None`: an empty base) and `head`.
pub fn outputs(base: Option<&Resolved>, head: &Resolved) -> Outputs {
    let Some(base) = base else {
        return Outputs {
            base: Side::default(),
            head: Side::of(emit(head, &Selection::all())),
        };
    };
    let same_settings = settings(base) == settings(head);
    let changed = changed_teams(&base.org, &head.org, same_settings);
    let mut out = Outputs::default();
    let names: Vec<&String> = changed.iter().collect();
    let chunks: Vec<&[&String]> = if names.is_empty() {
        vec![&[]]
    } else {
        names.chunks(CHUNK).collect()
    };
    for (i, chunk) in chunks.into_iter().enumerate() {
        let selection = Selection {
            // The cluster shards are the same in every chunk.
            cluster: i == 0,
            ..Selection::teams(chunk.iter().map(|n| n.to_string()).collect())
        };
        let (mut b, mut h) = rayon::join(|| emit(base, &selection), || emit(head, &selection));
        if !same_settings {
            // Every team is emitted: keep only what differs.
            let same: Vec<String> = b
                .files
                .iter()
                .filter(|(path, text)| {
                    emit::TeamFiles::of(path).is_some() && h.files.get(*path) == Some(text)
                })
                .map(|(path, _)| path.clone())
                .collect();
            for path in same {
                for side in [&mut b, &mut h] {
                    side.files.remove(&path);
                    side.values.remove(&path);
                }
            }
        }
        let (b, h) = rayon::join(|| Side::of(b), || Side::of(h));
        out.base.append(b);
        out.head.append(h);
    }
    if !same_settings || shards(&base.org) != shards(&head.org) {
        let index = Selection {
            index: true,
            ..Selection::none()
        };
        let (b, h) = rayon::join(|| emit(base, &index), || emit(head, &index));
        out.base.append(Side::of(b));
        out.head.append(Side::of(h));
    }
    out
}

/// What every team's files depend on besides the team (see the module docs).
fn settings(side: &Resolved) -> (Vec<&str>, bool, Option<&str>, Option<&crate::model::Flux>) {
    let org = &side.org;
    (
        org.clusters.iter().map(|c| c.name.as_str()).collect(),
        org.protect_namespaces,
        org.kubeconfigs.as_ref().map(|k| k.namespace.as_str()),
        side.flux.as_ref(),
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
                base.teams[i] != head.teams[j]
                    || base_kubeconfigs.get(name.as_str()) != head_kubeconfigs.get(name.as_str())
            }
            _ => true,
        })
        .collect()
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
