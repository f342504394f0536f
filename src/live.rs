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
use serde::Serialize;
use serde_json::{Map, Value};

use crate::access::load::{Object as Document, Rbac, each_value, objects_in, read_manifest_texts};
use crate::access::{AccessError, Manifests};
use crate::emit::Output;
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

/// An object of a managed kind, as read, server-set fields removed.
#[derive(Debug, Clone)]
pub struct Object {
    /// The file it was read from (as given, or the `out/` path).
    pub file: String,
    pub value: Value,
}

impl Object {
    /// `metadata.labels`, or nothing.
    pub fn labels(&self) -> BTreeMap<String, String> {
        string_map(&self.value, "labels")
    }

    /// `metadata.annotations`, or nothing.
    pub fn annotations(&self) -> BTreeMap<String, String> {
        string_map(&self.value, "annotations")
    }

    /// The value at a top-level field (`spec`, `rules`, …), if present.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.value.get(name)
    }
}

fn string_map(value: &Value, field: &str) -> BTreeMap<String, String> {
    value
        .get("metadata")
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
    /// (in a file, one that stops it being read comes first).
    fn from_contents(mut files: Vec<(&str, Contents)>) -> Result<Cluster, AccessError> {
        let documents: Vec<Result<Vec<Document>, AccessError>> = files
            .par_iter_mut()
            .map(|(file, contents)| contents.objects().map_err(|e| in_file(file, e)))
            .collect();
        let mut all = Vec::new();
        let mut unread = None;
        for ((file, _), documents) in files.iter().zip(documents) {
            match documents {
                Ok(documents) => all.extend(documents.into_iter().map(|d| (*file, d))),
                Err(e) => {
                    unread = Some(e);
                    break;
                }
            }
        }
        let read: Vec<(&str, Result<Read, AccessError>)> = all
            .into_par_iter()
            .map(|(file, d)| (file, Read::of(file, d).map_err(|e| in_file(file, e))))
            .collect();
        let mut cluster = Cluster::default();
        let mut seen: BTreeMap<ObjectKey, Vec<String>> = BTreeMap::new();
        for (file, read) in read {
            cluster.add(file, read?, &mut seen);
        }
        if let Some(e) = unread {
            return Err(e);
        }
        cluster.duplicates = seen
            .into_iter()
            .filter(|(_, files)| files.len() > 1)
            .map(|(object, files)| Duplicate { object, files })
            .collect();
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

    fn add(&mut self, file: &str, read: Read, seen: &mut BTreeMap<ObjectKey, Vec<String>>) {
        match read {
            Read::Skipped(skipped) => self.skipped.push(skipped),
            Read::Managed { key, value, rbac } => {
                if let Some(rbac) = rbac {
                    self.rbac.insert(*rbac);
                }
                seen.entry(key.clone()).or_default().push(file.to_string());
                self.objects.insert(
                    key,
                    Object {
                        file: file.to_string(),
                        value,
                    },
                );
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
        value: Value,
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
        let namespaced = !matches!(
            document.kind.as_str(),
            "Namespace" | "ClusterRole" | "ClusterRoleBinding"
        );
        if namespaced && key.namespace.is_empty() {
            return Err(document.error(format!(
                "metadata.namespace is required to know where {:?} applies",
                key.name
            )));
        }
        let rbac = document.rbac()?.map(Box::new);
        let mut value = document.value;
        clean(&mut value);
        Ok(Read::Managed { key, value, rbac })
    }
}

/// A file's contents: text to parse, or the values of its documents
/// (moved out when no other file shares them, else copied).
enum Contents<'a> {
    Text(&'a str),
    Values(Arc<[Value]>),
}

impl Contents<'_> {
    /// The objects, as they come: parsed from text under [`yaml::DUMPS`],
    /// or the values taken.
    fn objects(&mut self) -> Result<Vec<Document>, AccessError> {
        let mut objects = Vec::new();
        let mut push = |d| {
            objects.push(d);
            Ok(())
        };
        match self {
            Contents::Text(text) => return objects_in(text, &yaml::DUMPS),
            Contents::Values(values) => match Arc::get_mut(values) {
                Some(owned) => {
                    for (i, value) in owned.iter_mut().enumerate() {
                        each_value(i, std::mem::take(value), &mut push)?;
                    }
                }
                None => {
                    for (i, value) in values.iter().enumerate() {
                        each_value(i, value.clone(), &mut push)?;
                    }
                }
            },
        }
        Ok(objects)
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
            ns.value,
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
            &serde_json::json!({"podSelector": {}, "policyTypes": ["Ingress"],
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
                assert_eq!(object.value, b[key].value, "{path}: {}", key.label());
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
                    assert_eq!(only.objects[key].value, object.value, "{}", key.label());
                    assert_eq!(only.objects[key].file, object.file);
                }
            }
        }
    }

    #[test]
    fn a_json_dump_reads_as_its_yaml_does() {
        let prod = Cluster::take_from(&mut example_output(), "prod").unwrap();
        let items: Vec<&Value> = prod.objects.values().map(|o| &o.value).collect();
        let json = serde_json::to_string_pretty(
            &serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items}),
        )
        .unwrap();
        let read = Cluster::from_texts([("live.json", json.as_str())]).unwrap();
        assert_eq!(read.objects.len(), prod.objects.len());
        for (key, object) in &prod.objects {
            assert_eq!(read.objects[key].value, object.value, "{}", key.label());
        }
        // JSON that does not parse as JSON is read, and reported, as YAML.
        let err = Cluster::from_texts([("bad.json", "{\"kind\": [}")]).unwrap_err();
        assert!(err.to_string().contains("bad.json"), "{err}");
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
