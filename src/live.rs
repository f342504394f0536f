//! A cluster as manifests: a live dump (`kubectl get … -o json`), a
//! repository of hand-written manifests, or what rbacc compiles for one
//! cluster, read into the objects rbacc manages.
//!
//! One reader for `audit` (live against compiled) and `import` (manifests
//! into declarations, then compiled back and compared): RBAC objects go
//! through the evaluator's loader ([`Manifests`], checked as the API server
//! checks them); every object of a managed kind ([`MANAGED`]) is kept as a
//! value with the fields the API server sets removed ([`clean`]), so that a
//! dump and a compiled output compare field by field. Other kinds are
//! listed, not kept. An object met twice (same kind, namespace and name) is
//! the later one, as `kubectl apply` of both would leave it, and the
//! repetition is recorded.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::access::load::{
    ListType, Object as Document, Rbac, compiled_rbac, json_list, objects_in, read_manifest_texts,
};
use crate::access::{AccessError, Manifests};
use crate::emit::Output;
use crate::json::Canonical;
use crate::layout::OutFile;
use crate::yaml;

/// The command that dumps what `audit` and `import` read from a cluster.
pub const DUMP_COMMAND: &str = "kubectl get namespaces,serviceaccounts,roles,rolebindings,clusterroles,clusterrolebindings,resourcequotas,limitranges,networkpolicies --all-namespaces -o json";

/// The kinds rbacc writes and reads back, with their `apiVersion`.
pub const MANAGED: &[(&str, &str)] = &[
    ("v1", "Namespace"),
    ("v1", "ServiceAccount"),
    ("v1", "ResourceQuota"),
    ("v1", "LimitRange"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
];

/// One object, by kind, namespace (empty for cluster-scoped ones) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectKey {
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    /// `Kind namespace/name` or `Kind name`, control characters escaped.
    pub fn label(&self) -> String {
        let v = |s: &str| crate::text::visible(s).into_owned();
        match self.namespace.as_str() {
            "" => format!("{} {}", v(&self.kind), v(&self.name)),
            ns => format!("{} {}/{}", v(&self.kind), v(ns), v(&self.name)),
        }
    }
}

/// An object of a managed kind, as read, server-set fields removed; kept
/// as its canonical JSON text, so that objects compare as strings and a
/// whole cluster is held in about the size of its JSON.
#[derive(Debug, Clone)]
pub struct Object {
    /// The file it was read from (as given, or the `out/` path).
    pub file: Arc<str>,
    pub json: Canonical,
}

impl Object {
    /// The object as a value.
    pub fn value(&self) -> Value {
        self.json.value()
    }

    /// `metadata.labels`, or nothing.
    pub fn labels(&self) -> BTreeMap<String, String> {
        string_map(self.metadata().as_ref(), "labels")
    }

    /// `metadata.annotations`, or nothing.
    pub fn annotations(&self) -> BTreeMap<String, String> {
        string_map(self.metadata().as_ref(), "annotations")
    }

    /// The value at a top-level field (`spec`, `rules`, …), if present.
    pub fn field(&self, name: &str) -> Option<Value> {
        self.json.field(name)
    }

    fn metadata(&self) -> Option<Value> {
        self.field("metadata")
    }
}

/// The string values of a mapping of `metadata`, or nothing.
pub(crate) fn string_map(metadata: Option<&Value>, field: &str) -> BTreeMap<String, String> {
    metadata
        .and_then(|m| m.get(field))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// An object of a kind rbacc does not manage, listed and left alone.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Skipped {
    #[serde(flatten)]
    pub object: ObjectKey,
    pub api_version: String,
    pub file: String,
}

/// An object met more than once: the last one read is kept.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Duplicate {
    #[serde(flatten)]
    pub object: ObjectKey,
    /// Every file that holds it, in reading order; the last is kept.
    pub files: Vec<String>,
}

/// The objects of one cluster.
#[derive(Debug, Default)]
pub struct Cluster {
    /// The RBAC objects, for the evaluator.
    pub rbac: Manifests,
    /// Every object of a managed kind.
    pub objects: BTreeMap<ObjectKey, Object>,
    pub skipped: Vec<Skipped>,
    pub duplicates: Vec<Duplicate>,
    /// The keys of `objects` in each namespace (`""`: cluster-scoped).
    by_namespace: BTreeMap<String, Vec<ObjectKey>>,
}

impl Cluster {
    /// Reads a file, or every manifest file below a directory (in file-name
    /// order, as [`Manifests::load_dir`] does).
    pub fn load(path: &Path) -> Result<Cluster, AccessError> {
        let texts = read_manifest_texts(path, &yaml::DUMPS)?;
        Cluster::from_texts(texts.iter().map(|(f, t)| (f.as_str(), t.as_str())))
    }

    /// Reads `(file, text)` pairs, in that order.
    pub fn from_texts<'a>(
        texts: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Cluster, AccessError> {
        Cluster::from_contents(
            texts
                .into_iter()
                .map(|(f, t)| (f, Contents::Text(t)))
                .collect(),
        )
    }

    /// Reads each file's objects in parallel, then decodes and cleans every
    /// object in parallel, and adds them in file order: the result does not
    /// depend on scheduling. The error reported is the first in file order
    /// (in a file, one that stops it being read comes first). An object
    /// kept as JSON text (a JSON list's item, a compiled object) is parsed
    /// only when it is read, and its value dropped once it is kept as text.
    fn from_contents(files: Vec<(&str, Contents)>) -> Result<Cluster, AccessError> {
        let pending: Vec<Result<Vec<Pending>, AccessError>> = files
            .par_iter()
            .map(|(file, contents)| contents.pending().map_err(|e| in_file(file, e)))
            .collect();
        let mut all = Vec::new();
        let mut unread = None;
        for ((file, _), pending) in files.iter().zip(pending) {
            let file: Arc<str> = Arc::from(*file);
            match pending {
                Ok(pending) => all.extend(pending.into_iter().map(|p| (file.clone(), p))),
                Err(e) => {
                    unread = Some(e);
                    break;
                }
            }
        }
        let read: Vec<(Arc<str>, Result<Read, AccessError>)> = all
            .into_par_iter()
            .map(|(file, pending)| {
                let read = pending.read(&file).map_err(|e| in_file(&file, e));
                (file, read)
            })
            .collect();
        let mut cluster = Cluster::default();
        for (file, read) in read {
            cluster.add(file, read?);
        }
        if let Some(e) = unread {
            return Err(e);
        }
        cluster.skipped.sort();
        for key in cluster.objects.keys() {
            cluster
                .by_namespace
                .entry(key.namespace.clone())
                .or_default()
                .push(key.clone());
        }
        Ok(cluster)
    }

    fn add(&mut self, file: Arc<str>, read: Read) {
        use std::collections::btree_map::Entry;
        match read {
            Read::Skipped(skipped) => self.skipped.push(skipped),
            Read::Managed { key, json, rbac } => {
                if let Some(rbac) = rbac {
                    self.rbac.insert(*rbac);
                }
                let object = Object { file, json };
                match self.objects.entry(key) {
                    Entry::Vacant(entry) => {
                        entry.insert(object);
                    }
                    Entry::Occupied(mut entry) => {
                        let earlier = std::mem::replace(entry.get_mut(), object);
                        let files = match self
                            .duplicates
                            .binary_search_by(|d| d.object.cmp(entry.key()))
                        {
                            Ok(i) => &mut self.duplicates[i].files,
                            Err(i) => {
                                self.duplicates.insert(
                                    i,
                                    Duplicate {
                                        object: entry.key().clone(),
                                        files: vec![earlier.file.to_string()],
                                    },
                                );
                                &mut self.duplicates[i].files
                            }
                        };
                        files.push(entry.get().file.to_string());
                    }
                }
            }
        }
    }

    /// What rbacc compiled for `cluster`: the files of `out/<cluster>/`
    /// that hold objects ([`OutFile::holds_rbac`]), with the rules rbacc
    /// assumes for existing ClusterRoles (annotated `rbacc.dev/assumed`).
    /// Objects are taken from [`Output::values`] where the emission kept
    /// them, not parsed back: the values of those files are moved out of
    /// `output` (copied where another cluster's file shares them).
    pub fn take_from(output: &mut Output, cluster: &str) -> Result<Cluster, AccessError> {
        let paths: Vec<String> = output
            .paths()
            .filter(|path| {
                OutFile::parse(path)
                    .is_some_and(|file| file.cluster() == cluster && file.holds_rbac())
            })
            .map(String::from)
            .collect();
        let files = paths
            .iter()
            .filter_map(|path| {
                let contents = match (output.values.remove(path), output.files.get(path)) {
                    (Some(values), _) => Contents::Values(values),
                    (None, Some(text)) => Contents::Text(text),
                    (None, None) => return None,
                };
                Some((path.as_str(), contents))
            })
            .collect();
        Cluster::from_contents(files)
    }

    /// The objects of one kind (of every namespace: for cluster-scoped
    /// kinds).
    pub fn of_kind<'a>(
        &'a self,
        kind: &'a str,
    ) -> impl Iterator<Item = (&'a ObjectKey, &'a Object)> + 'a {
        self.objects.iter().filter(move |(k, _)| k.kind == kind)
    }

    /// The objects in one namespace.
    pub fn in_namespace<'a>(
        &'a self,
        namespace: &'a str,
    ) -> impl Iterator<Item = (&'a ObjectKey, &'a Object)> + 'a {
        self.by_namespace
            .get(namespace)
            .into_iter()
            .flatten()
            .filter_map(|k| Some((k, self.objects.get(k)?)))
    }
}

/// One object read, ready to add to a [`Cluster`].
enum Read {
    /// Of a kind rbacc does not manage.
    Skipped(Skipped),
    /// Of a managed kind: cleaned, and decoded when it is RBAC.
    Managed {
        key: ObjectKey,
        json: Canonical,
        rbac: Option<Box<Rbac>>,
    },
}

impl Read {
    /// Reads one object of `file`: checks its name and namespace, decodes
    /// it if it is RBAC, removes what the API server sets.
    fn of(file: &str, document: Document) -> Result<Read, AccessError> {
        let metadata = document.value.get("metadata");
        let text = |field: &str| {
            metadata
                .and_then(|m| m.get(field))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let key = ObjectKey {
            kind: document.kind.clone(),
            namespace: text("namespace"),
            name: text("name"),
        };
        let managed = MANAGED
            .iter()
            .any(|&(v, k)| v == document.api_version && k == document.kind);
        if !managed {
            // A custom resource, an app object, a kind of another version:
            // listed. RBAC of an unserved version is the loader's error
            // (every kind it decodes in the served one is managed).
            document.rbac()?;
            return Ok(Read::Skipped(Skipped {
                object: key,
                api_version: document.api_version,
                file: file.to_string(),
            }));
        }
        if key.name.is_empty() {
            return Err(document.error("metadata.name is required"));
        }
        if namespaced(&key.kind) && key.namespace.is_empty() {
            return Err(document.error(format!(
                "metadata.namespace is required to know where {:?} applies",
                key.name
            )));
        }
        let rbac = document.rbac()?.map(Box::new);
        let mut value = document.value;
        clean(&mut value);
        let json = Canonical::of(&value);
        Ok(Read::Managed { key, json, rbac })
    }

    /// Reads the `index`th object of a compiled file, kept as canonical
    /// text. Emission writes nothing the API server sets (there is nothing
    /// for [`clean`] to remove), so the text is kept as it is, and RBAC is
    /// decoded from it; only a NetworkPolicy, whose server defaults are
    /// filled in as for a dump, or an object that is not as emission
    /// writes it, is read through a value, as [`Read::of`] reads any.
    fn compiled(file: &str, index: usize, text: &Canonical) -> Result<Read, AccessError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Head {
            api_version: String,
            kind: String,
            metadata: Metadata,
        }
        #[derive(Deserialize)]
        struct Metadata {
            name: String,
            namespace: Option<String>,
        }
        let head = text.decode::<Head>().ok().filter(|head| {
            let (name, namespace) = (&head.metadata.name, &head.metadata.namespace);
            head.kind != "NetworkPolicy"
                && MANAGED.contains(&(head.api_version.as_str(), head.kind.as_str()))
                && !name.is_empty()
                && (!namespaced(&head.kind) || namespace.as_deref().is_some_and(|n| !n.is_empty()))
        });
        let Some(head) = head else {
            return Read::of(file, Document::single(index, text.value())?);
        };
        let rbac = compiled_rbac(index, &head.api_version, &head.kind, text)?.map(Box::new);
        Ok(Read::Managed {
            key: ObjectKey {
                kind: head.kind,
                namespace: head.metadata.namespace.unwrap_or_default(),
                name: head.metadata.name,
            },
            json: text.clone(),
            rbac,
        })
    }
}

/// Whether objects of `kind` (a managed kind) live in a namespace.
fn namespaced(kind: &str) -> bool {
    !matches!(kind, "Namespace" | "ClusterRole" | "ClusterRoleBinding")
}

/// An object still to be read.
enum Pending<'a> {
    /// Parsed already (from YAML, or a JSON text read whole).
    Parsed(Document),
    /// The `index`th item of a JSON list, as text.
    Item(Arc<ListType>, usize, &'a str),
    /// The `index`th object of a compiled file, as canonical text.
    Compiled(usize, &'a Canonical),
}

impl Pending<'_> {
    fn read(self, file: &str) -> Result<Read, AccessError> {
        let document = match self {
            Pending::Parsed(document) => document,
            Pending::Item(list, index, text) => list.json_item(index, text)?,
            Pending::Compiled(index, text) => return Read::compiled(file, index, text),
        };
        Read::of(file, document)
    }
}

/// A file's contents: text to parse, or the canonical text of its objects.
enum Contents<'a> {
    Text(&'a str),
    Values(Arc<[Canonical]>),
}

impl Contents<'_> {
    /// The objects, still to be read: a JSON list's items and compiled
    /// objects as text, anything else parsed under [`yaml::DUMPS`].
    fn pending(&self) -> Result<Vec<Pending<'_>>, AccessError> {
        match self {
            Contents::Text(text) => match json_list(text, &yaml::DUMPS).transpose()? {
                Some((list, items)) => {
                    let list = Arc::new(list);
                    Ok(items
                        .into_iter()
                        .enumerate()
                        .map(|(i, item)| Pending::Item(list.clone(), i, item))
                        .collect())
                }
                None => Ok(objects_in(text, &yaml::DUMPS)?
                    .into_iter()
                    .map(Pending::Parsed)
                    .collect()),
            },
            Contents::Values(values) => Ok(values
                .iter()
                .enumerate()
                .map(|(i, text)| Pending::Compiled(i, text))
                .collect()),
        }
    }
}

fn in_file(file: &str, e: AccessError) -> AccessError {
    match e {
        e @ (AccessError::File { .. } | AccessError::Refused { .. } | AccessError::Io { .. }) => e,
        e => AccessError::File {
            path: file.into(),
            source: Box::new(e),
        },
    }
}

/// Server-set metadata fields, never compared.
const SERVER_METADATA: &[&str] = &[
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

/// The label the API server sets on every Namespace.
pub const NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Removes what the API server sets and a dump carries: `status`, the
/// server's metadata fields, the `kubernetes.io/metadata.name` label,
/// `kubectl apply`'s last-applied annotation, a Namespace's `spec`
/// (finalizers), a ServiceAccount's token `secrets`; and fills in what it
/// defaults in a NetworkPolicy (`protocol: TCP`, `policyTypes`), so that
/// written and served objects compare equal.
pub fn clean(value: &mut Value) {
    let Value::Object(map) = value else { return };
    map.remove("status");
    let kind = map.get("kind").and_then(Value::as_str).unwrap_or_default();
    match kind {
        "Namespace" => {
            map.remove("spec");
        }
        "ServiceAccount" => {
            map.remove("secrets");
        }
        "NetworkPolicy" => {
            if let Some(Value::Object(spec)) = map.get_mut("spec") {
                default_network_policy(spec);
            }
        }
        _ => {}
    }
    if let Some(Value::Object(meta)) = map.get_mut("metadata") {
        for field in SERVER_METADATA {
            meta.remove(*field);
        }
        for (field, key) in [
            ("labels", NAME_LABEL),
            (
                "annotations",
                "kubectl.kubernetes.io/last-applied-configuration",
            ),
        ] {
            if let Some(Value::Object(m)) = meta.get_mut(field) {
                m.remove(key);
                if m.is_empty() {
                    meta.remove(field);
                }
            }
        }
    }
}

/// What the API server fills in a NetworkPolicy's spec: `policyTypes`
/// (Ingress, and Egress when there are egress rules), `protocol: TCP` on
/// ports, an empty `podSelector`.
fn default_network_policy(spec: &mut Map<String, Value>) {
    if !spec.contains_key("policyTypes") {
        let egress = spec
            .get("egress")
            .and_then(Value::as_array)
            .is_some_and(|rules| !rules.is_empty());
        let mut types = vec![Value::from("Ingress")];
        if egress {
            types.push(Value::from("Egress"));
        }
        spec.insert("policyTypes".into(), Value::Array(types));
    }
    for direction in ["ingress", "egress"] {
        let Some(Value::Array(rules)) = spec.get_mut(direction) else {
            continue;
        };
        for rule in rules {
            let Some(Value::Array(ports)) = rule.get_mut("ports") else {
                continue;
            };
            for port in ports {
                if let Value::Object(port) = port {
                    port.entry("protocol").or_insert_with(|| Value::from("TCP"));
                }
            }
        }
    }
    spec.entry("podSelector")
        .or_insert_with(|| Value::Object(Map::new()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dump_keeps_managed_kinds_cleaned_and_lists_the_rest() {
        let dump = r#"
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata:
    name: shop
    uid: 1234
    resourceVersion: "99"
    labels: { kubernetes.io/metadata.name: shop, team: web }
    annotations: { kubectl.kubernetes.io/last-applied-configuration: "{}" }
  spec: { finalizers: [kubernetes] }
  status: { phase: Active }
- apiVersion: cert-manager.io/v1
  kind: Certificate
  metadata: { name: tls, namespace: shop }
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: { name: np, namespace: shop }
  spec:
    podSelector: {}
    ingress: [{ ports: [{ port: 80 }] }]
---
apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { team: shop } }
"#;
        let cluster = Cluster::from_texts([("dump.yaml", dump)]).unwrap();
        let key = |kind: &str, ns: &str, name: &str| ObjectKey {
            kind: kind.into(),
            namespace: ns.into(),
            name: name.into(),
        };
        let ns = &cluster.objects[&key("Namespace", "", "shop")];
        assert_eq!(
            ns.value(),
            serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": "shop", "labels": {"team": "shop"}}})
        );
        assert_eq!(cluster.duplicates.len(), 1);
        assert_eq!(cluster.duplicates[0].files, ["dump.yaml", "dump.yaml"]);
        assert_eq!(cluster.skipped.len(), 1);
        assert_eq!(cluster.skipped[0].object, key("Certificate", "shop", "tls"));
        let np = &cluster.objects[&key("NetworkPolicy", "shop", "np")];
        assert_eq!(
            np.field("spec").unwrap(),
            serde_json::json!({"podSelector": {}, "policyTypes": ["Ingress"],
                "ingress": [{"ports": [{"port": 80, "protocol": "TCP"}]}]})
        );
    }

    /// The example organisation, compiled with its objects kept as values.
    fn example_output() -> Output {
        let input = crate::load::Input::from_worktree(
            Path::new(env!("CARGO_MANIFEST_DIR")),
            jiff::civil::date(2026, 11, 23),
        )
        .expect("example org");
        let mut compilation = crate::compile(&input, &crate::Settings::default());
        compilation.emit(&crate::emit::Selection {
            values: true,
            ..crate::emit::Selection::all()
        });
        compilation.output.expect("the example compiles")
    }

    #[test]
    fn objects_kept_as_values_are_the_objects_their_files_hold() {
        let output = example_output();
        assert!(output.values.len() > 10, "{:?}", output.values.keys());
        for (path, values) in &output.values {
            let parsed = Cluster::from_texts([(path.as_str(), output.files[path].as_str())])
                .expect("rbacc's output reads back");
            let kept =
                Cluster::from_contents(vec![(path.as_str(), Contents::Values(values.clone()))])
                    .expect("values read");
            assert!(
                !parsed.objects.is_empty() || !parsed.skipped.is_empty(),
                "{path}"
            );
            let (a, b) = (&parsed.objects, &kept.objects);
            assert_eq!(
                a.keys().collect::<Vec<_>>(),
                b.keys().collect::<Vec<_>>(),
                "{path}"
            );
            for (key, object) in a {
                assert_eq!(object.json, b[key].json, "{path}: {}", key.label());
            }
            assert_eq!(parsed.skipped, kept.skipped, "{path}");
        }
        // Emitted as values only, as `audit` emits, of one cluster or of
        // all: the same objects, with their files.
        let emit = |selection: crate::emit::Selection| {
            let input = crate::load::Input::from_worktree(
                Path::new(env!("CARGO_MANIFEST_DIR")),
                jiff::civil::date(2026, 11, 23),
            )
            .unwrap();
            let mut compilation = crate::compile(&input, &crate::Settings::default());
            compilation.emit(&selection);
            compilation.output.unwrap()
        };
        let values_only = crate::emit::Selection {
            values: true,
            text: false,
            ..crate::emit::Selection::all()
        };
        let mut all_values = emit(values_only.clone());
        assert!(
            all_values
                .values
                .keys()
                .all(|p| !all_values.files.contains_key(p))
        );
        for cluster in ["prod", "staging"] {
            let mut one = emit(crate::emit::Selection {
                clusters: Some([cluster.to_string()].into()),
                ..values_only.clone()
            });
            assert!(
                one.values
                    .keys()
                    .all(|p| p.starts_with(&format!("{cluster}/"))),
                "{:?}",
                one.values.keys()
            );
            let only = Cluster::take_from(&mut one, cluster).unwrap();
            let of_all = Cluster::take_from(&mut all_values, cluster).unwrap();
            let with_text = Cluster::take_from(&mut example_output(), cluster).unwrap();
            let mut text_only = Output::default();
            text_only.files = example_output().files;
            let from_text = Cluster::take_from(&mut text_only, cluster).unwrap();
            assert!(only.objects.len() > 10, "{cluster}");
            for read in [&of_all, &with_text, &from_text] {
                assert_eq!(
                    only.objects.keys().collect::<Vec<_>>(),
                    read.objects.keys().collect::<Vec<_>>()
                );
                for (key, object) in &read.objects {
                    assert_eq!(only.objects[key].json, object.json, "{}", key.label());
                    assert_eq!(only.objects[key].file, object.file);
                }
            }
        }
    }

    #[test]
    fn compiled_objects_read_as_their_values_do() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let fixtures = std::fs::read_dir(root.join("tests/fixtures/ok"))
            .unwrap()
            .map(|e| e.unwrap().path().join("repo"));
        let mut kinds = std::collections::BTreeSet::new();
        let mut outputs = vec![example_output()];
        for repo in fixtures {
            let input =
                crate::load::Input::from_worktree(&repo, jiff::civil::date(2026, 11, 23)).unwrap();
            let mut compilation = crate::compile(&input, &crate::Settings::default());
            compilation.emit(&crate::emit::Selection {
                values: true,
                ..crate::emit::Selection::all()
            });
            outputs.push(compilation.output.expect("an ok fixture compiles"));
        }
        for (path, values) in outputs.iter().flat_map(|o| &o.values) {
            for (i, text) in values.iter().enumerate() {
                let fast = Read::compiled(path, i, text).unwrap();
                let slow = Read::of(path, Document::single(i, text.value()).unwrap()).unwrap();
                match (fast, slow) {
                    (
                        Read::Managed { key, json, rbac },
                        Read::Managed {
                            key: k,
                            json: j,
                            rbac: r,
                        },
                    ) => {
                        assert_eq!((&key, &json), (&k, &j), "{path}");
                        assert_eq!(rbac.is_some(), r.is_some(), "{path}: {}", key.label());
                        kinds.insert(key.kind);
                    }
                    (Read::Skipped(a), Read::Skipped(b)) => assert_eq!(a, b, "{path}"),
                    _ => panic!("{path}: object {i} reads as another kind of thing"),
                }
            }
        }
        // Every kind emission writes is among them.
        for (_, kind) in MANAGED {
            assert!(kinds.contains(*kind), "no {kind} in the outputs");
        }
    }

    #[test]
    fn a_json_dump_reads_as_its_yaml_does() {
        let prod = Cluster::take_from(&mut example_output(), "prod").unwrap();
        let items: Vec<Value> = prod.objects.values().map(Object::value).collect();
        let json = serde_json::to_string_pretty(
            &serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items}),
        )
        .unwrap();
        let read = Cluster::from_texts([("live.json", json.as_str())]).unwrap();
        assert_eq!(read.objects.len(), prod.objects.len());
        for (key, object) in &prod.objects {
            assert_eq!(read.objects[key].json, object.json, "{}", key.label());
        }
        // JSON that does not parse as JSON is read, and reported, as YAML.
        let err = Cluster::from_texts([("bad.json", "{\"kind\": [}")]).unwrap_err();
        assert!(err.to_string().contains("bad.json"), "{err}");
    }

    #[test]
    fn a_json_list_read_item_by_item_is_the_list_read_whole() {
        // The same text as YAML (flow style) takes the reader that parses
        // it whole; as JSON its items are parsed one by one.
        let read = |json: &str| {
            let value: Value = serde_json::from_str(json).unwrap();
            let yaml = serde_saphyr::to_string(&value).unwrap();
            let whole = Cluster::from_texts([("dump", yaml.as_str())]);
            let by_item = Cluster::from_texts([("dump", json)]);
            (whole, by_item)
        };
        let binding = r#"{"metadata": {"name": "b", "namespace": "shop"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "Group", "name": "devs"}]}"#;
        for json in [
            // A typed list's items may leave out their type.
            format!(
                r#"{{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBindingList",
                "items": [{binding}, {binding}]}}"#
            ),
                            r#"{"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": ""},
                "items": [],
                "items": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"},
                "status": {"phase": "Active"}},
                {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": {"name": "b", "namespace": "shop"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"}},
                {"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
                "metadata": {"name": "tls", "namespace": "shop"}}]}"#
            .to_string(),
            r#"{"kind": "List", "apiVersion": "v1", "items": null}"#.to_string(),
        ] {
            let (whole, by_item) = read(&json);
            let (whole, by_item) = (whole.unwrap(), by_item.unwrap());
            assert_eq!(by_item.objects.is_empty(), json.contains("null"), "{json}");
            assert_eq!(
                whole.objects.keys().collect::<Vec<_>>(),
                by_item.objects.keys().collect::<Vec<_>>(),
                "{json}"
            );
            for (key, object) in &whole.objects {
                assert_eq!(object.json, by_item.objects[key].json, "{json}");
            }
            assert_eq!(whole.skipped, by_item.skipped, "{json}");
            assert_eq!(whole.duplicates, by_item.duplicates, "{json}");
            assert_eq!(
                whole.rbac.role_bindings().collect::<Vec<_>>(),
                by_item.rbac.role_bindings().collect::<Vec<_>>(),
                "{json}"
            );
        }
        // An item that is wrong is the same error, at the same item.
        for json in [
            r#"{"kind": "List", "apiVersion": "v1", "items": [{"kind": "Namespace"}]}"#,
            r#"{"kind": "List", "apiVersion": "v1", "items": [{"kind": "List", "apiVersion": "v1"}]}"#,
            r#"{"kind": "List", "apiVersion": "v1", "items": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}, 3]}"#,
            r#"{"kind": "List", "apiVersion": "v1", "items": {"a": 1}}"#,
        ] {
            let (whole, by_item) = read(json);
            assert_eq!(
                whole.unwrap_err().to_string(),
                by_item.unwrap_err().to_string(),
                "{json}"
            );
        }
    }

    #[test]
    fn a_json_list_of_more_items_than_values_allowed_is_refused() {
        let small = yaml::Profile {
            nodes: 3,
            ..yaml::DUMPS
        };
        let list = |n: usize| {
            let items = vec![r#"{"apiVersion": "v1", "kind": "Namespace"}"#; n].join(",");
            format!(r#"{{"apiVersion": "v1", "kind": "List", "items": [{items}]}}"#)
        };
        let three = list(3);
        let read = json_list(&three, &small).expect("a JSON list");
        assert_eq!(read.expect("within the limit").1.len(), 3);
        let four = list(4);
        let err = json_list(&four, &small).expect("a JSON list").unwrap_err();
        let err = err.to_string();
        assert!(err.contains("4 items, more than the 3 values"), "{err}");
        // (A profile of other limits than DUMPS's is named as a manifest file.)
        assert!(
            err.contains("in one manifest file; split it into several files"),
            "{err}"
        );
    }

    #[test]
    fn a_namespaced_object_without_a_namespace_is_an_error() {
        let err = Cluster::from_texts([(
            "a.yaml",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: ci }\n",
        )])
        .unwrap_err();
        assert!(err.to_string().contains("a.yaml"), "{err}");
        assert!(err.to_string().contains("metadata.namespace"), "{err}");
    }
}
