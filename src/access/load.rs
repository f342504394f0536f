//! Reading manifests: YAML streams and directories into [`Manifests`].
//!
//! Every RBAC object is checked the way the API server would check it before
//! storing it, as far as evaluation depends on it (names, namespaces, role
//! references, subjects, rule shapes, aggregation selectors), so that an
//! object the cluster would reject is an error here rather than a silent
//! grant or denial.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use rayon::prelude::*;
use serde_json::{Map, Value};

use super::{Manifests, RBAC_GROUP, rules};
use crate::files::{self, Refused};
use crate::json::Canonical;
use crate::yaml::{self, Stopped, YamlError};

/// The `apiVersion` of the RBAC objects read.
const RBAC_API_VERSION: &str = "rbac.authorization.k8s.io/v1";

/// Why manifests could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The text is not YAML rbacc reads (a syntax error, a tag, a merge key)
    /// or breaks a limit of [`yaml::MANIFESTS`]: where, what, and how to
    /// fix it.
    #[error("{0}")]
    Yaml(#[from] YamlError),
    /// A document is not a manifest, or an RBAC object the API server would
    /// reject.
    #[error("document {document}{}: {kind}: {message}", item_suffix(.item))]
    Manifest {
        /// The index of the document in the stream, from 0, counting only
        /// non-empty documents.
        document: usize,
        /// The index in `items` when the object is in a `kind: List`.
        item: Option<usize>,
        /// The document's `kind`, or `(no kind)`.
        kind: String,
        /// What is wrong.
        message: String,
    },
    /// An error in one file of a directory.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The error in it.
        #[source]
        source: Box<AccessError>,
    },
    /// A file that is not read: larger than [`yaml::MANIFESTS`] allows, or
    /// not a regular file.
    #[error("{}", refused_message(path, why, profile))]
    Refused {
        /// The file.
        path: PathBuf,
        /// Why it is not read.
        why: Refused,
        /// The limits it was read under.
        profile: &'static yaml::Profile,
    },
    /// A file or directory could not be read.
    #[error("reading {}: {source}", path.display())]
    Io {
        /// What was read.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

fn refused_message(path: &Path, why: &Refused, profile: &yaml::Profile) -> String {
    let message = why.message(&path.display().to_string());
    match why {
        Refused::TooLarge { .. } => format!(
            "{message}, the most rbacc reads in one {}; {}",
            profile.file(),
            profile.split()
        ),
        _ => message,
    }
}

fn item_suffix(item: &Option<usize>) -> String {
    item.map(|i| format!(", item {i}")).unwrap_or_default()
}

/// Where a document sits in the stream, for errors.
#[derive(Clone, Copy)]
struct Position {
    document: usize,
    item: Option<usize>,
}

impl Position {
    fn error(self, kind: &str, message: impl Into<String>) -> AccessError {
        AccessError::Manifest {
            document: self.document,
            item: self.item,
            kind: kind.to_string(),
            message: message.into(),
        }
    }
}

impl Manifests {
    /// Reads a multi-document YAML stream (documents separated by `---`,
    /// comments allowed), one document at a time, under the limits of
    /// [`yaml::MANIFESTS`] (any number of documents, each of at most a
    /// million values). RBAC objects (`Role`, `ClusterRole`, `RoleBinding`,
    /// `ClusterRoleBinding` of `rbac.authorization.k8s.io/v1`) are kept,
    /// `kind: List` (and the typed RBAC lists such as `RoleBindingList`) are
    /// expanded, every other kind is skipped. Empty documents are skipped.
    ///
    /// Errors: invalid YAML, a YAML tag or merge key, a broken limit; a
    /// document that is not a mapping or has no string `kind` and
    /// `apiVersion`; an RBAC kind in another version of the
    /// RBAC group (`v1beta1`); a nested list; an RBAC object that does not
    /// decode or that the API server would reject (see the module docs).
    /// An object with the same kind, namespace and name as an earlier one
    /// replaces it.
    pub fn from_yaml(text: &str) -> Result<Manifests, AccessError> {
        let mut manifests = Manifests::default();
        each_object_in(text, &yaml::MANIFESTS, &mut |object| {
            manifests.add_object(object).map(|_| ())
        })?;
        Ok(manifests)
    }

    /// The RBAC objects among `values`, one object each (no lists), as
    /// [`Manifests::from_yaml`] reads them from text: what `diff` reads of
    /// the objects emission kept as values.
    pub fn from_values<'a>(
        values: impl IntoIterator<Item = &'a Value>,
    ) -> Result<Manifests, AccessError> {
        let mut manifests = Manifests::default();
        for (document, value) in values.into_iter().enumerate() {
            manifests.add_value(document, value)?;
        }
        Ok(manifests)
    }

    /// As [`Manifests::from_values`], of objects kept as canonical text
    /// ([`crate::emit::Output::values`]).
    pub fn from_canonical<'a>(
        texts: impl IntoIterator<Item = &'a Canonical>,
    ) -> Result<Manifests, AccessError> {
        let mut manifests = Manifests::default();
        for (document, text) in texts.into_iter().enumerate() {
            manifests.add_value(document, &text.value())?;
        }
        Ok(manifests)
    }

    fn add_value(&mut self, document: usize, value: &Value) -> Result<(), AccessError> {
        let position = Position {
            document,
            item: None,
        };
        let (api_version, kind) = type_of(value).map_err(|m| position.error("(no kind)", m))?;
        if let Some(rbac) = rbac_of(&api_version, &kind, Source::Value(value), position)? {
            self.insert(rbac);
        }
        Ok(())
    }

    /// Reads every `*.yaml`, `*.yml` and `*.json` file below `dir`, in file-name order
    /// (depth first), with [`Manifests::from_yaml`]; a file over the 64 MiB
    /// of [`yaml::MANIFESTS`] is refused without being read whole. Files named
    /// `kustomization.yaml` or `kustomization.yml` and directories named
    /// `kubeconfigs` are skipped, as are symbolic links (not followed).
    /// Errors in a file are wrapped in [`AccessError::File`]; the error
    /// reported is the first in that order. Files are parsed in parallel;
    /// the result does not depend on scheduling.
    pub fn load_dir(dir: &Path) -> Result<Manifests, AccessError> {
        let (paths, walk_error) = manifest_files(dir);
        let parsed: Vec<Result<Manifests, AccessError>> =
            paths.par_iter().map(|path| load_file(path)).collect();
        let mut manifests = Manifests::default();
        for file in parsed {
            manifests.extend(file?);
        }
        match walk_error {
            Some(e) => Err(e),
            None => Ok(manifests),
        }
    }

    /// Adds one object that is not a list, checked as the API server
    /// checks it; skips kinds that are not RBAC. Whether it was added.
    pub(crate) fn add_object(&mut self, object: Object) -> Result<bool, AccessError> {
        let rbac = object.rbac()?;
        let added = rbac.is_some();
        if let Some(rbac) = rbac {
            self.insert(rbac);
        }
        Ok(added)
    }

    /// Adds an RBAC object already decoded and checked; one with the same
    /// kind, namespace and name is replaced.
    pub(crate) fn insert(&mut self, rbac: Rbac) {
        match rbac {
            Rbac::Role(key, role) => {
                self.roles.insert(key, role);
            }
            Rbac::ClusterRole(name, role) => {
                self.cluster_roles.insert(name, role);
                self.aggregated.take();
            }
            Rbac::RoleBinding(key, binding) => {
                self.role_bindings.insert(key, binding);
            }
            Rbac::ClusterRoleBinding(name, binding) => {
                self.cluster_role_bindings.insert(name, binding);
            }
        }
    }
}

/// An RBAC object decoded and checked, with its namespace and name: what
/// [`Manifests::insert`] stores. Decoding needs nothing but the object, so
/// readers decode in parallel and insert in order.
pub(crate) enum Rbac {
    Role((String, String), Role),
    ClusterRole(String, ClusterRole),
    RoleBinding((String, String), RoleBinding),
    ClusterRoleBinding(String, ClusterRoleBinding),
}

/// One object of a manifest stream, a list's items taken apart.
pub(crate) struct Object {
    pub value: Value,
    pub api_version: String,
    pub kind: String,
    position: Position,
}

impl Object {
    /// The `index`th value of a stream, which is one object (not a list).
    pub(crate) fn single(index: usize, value: Value) -> Result<Object, AccessError> {
        let position = Position {
            document: index,
            item: None,
        };
        let (api_version, kind) = type_of(&value).map_err(|m| position.error("(no kind)", m))?;
        if is_list(&api_version, &kind) {
            return Err(position.error(&kind, "a list where one object was expected"));
        }
        Ok(Object {
            value,
            api_version,
            kind,
            position,
        })
    }

    /// An error about this object.
    pub(crate) fn error(&self, message: impl Into<String>) -> AccessError {
        self.position.error(&self.kind, message)
    }

    /// The object decoded and checked as the API server checks it, when it
    /// is RBAC (`None` for other kinds, and for the same kinds in another
    /// group). Decoded from the value as it is, server fields and all: a
    /// label the evaluator selects on stays.
    pub(crate) fn rbac(&self) -> Result<Option<Rbac>, AccessError> {
        rbac_of(
            &self.api_version,
            &self.kind,
            Source::Value(&self.value),
            self.position,
        )
    }
}

/// An object of a compiled file, kept as canonical text, decoded and
/// checked as [`Object::rbac`] does, without building a value: what
/// `live` reads of the objects emission kept.
pub(crate) fn compiled_rbac(
    index: usize,
    api_version: &str,
    kind: &str,
    text: &Canonical,
) -> Result<Option<Rbac>, AccessError> {
    let position = Position {
        document: index,
        item: None,
    };
    rbac_of(api_version, kind, Source::Text(text.as_str()), position)
}

/// What an object is decoded from.
#[derive(Clone, Copy)]
enum Source<'a> {
    Value(&'a Value),
    Text(&'a str),
}

impl Source<'_> {
    fn decode<T: serde::de::DeserializeOwned>(self) -> Result<T, String> {
        match self {
            Source::Value(value) => T::deserialize(value).map_err(|e| e.to_string()),
            Source::Text(text) => serde_json::from_str(text).map_err(|e| e.to_string()),
        }
    }
}

/// The object of `source`, of `api_version` and `kind`, decoded and
/// checked as the API server checks it when it is RBAC: [`Object::rbac`].
fn rbac_of(
    api_version: &str,
    kind: &str,
    source: Source,
    position: Position,
) -> Result<Option<Rbac>, AccessError> {
    if !matches!(
        kind,
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding"
    ) {
        return Ok(None);
    }
    let fail = |message: String| position.error(kind, message);
    if api_version != RBAC_API_VERSION {
        if api_version.starts_with("rbac.authorization.k8s.io/") {
            return Err(fail(format!(
                "apiVersion {api_version} is not served; use {RBAC_API_VERSION}"
            )));
        }
        // The same kind in another group (a custom resource): not RBAC.
        return Ok(None);
    }
    Ok(Some(match kind {
        "Role" => {
            let role: Role = source.decode().map_err(fail)?;
            let key = namespaced_key(&role.metadata).map_err(fail)?;
            check_rules(role.rules.as_deref(), true).map_err(fail)?;
            Rbac::Role(key, role)
        }
        "ClusterRole" => {
            let role: ClusterRole = source.decode().map_err(fail)?;
            let name = name_of(&role.metadata).map_err(fail)?;
            check_rules(role.rules.as_deref(), false).map_err(fail)?;
            check_aggregation(&role).map_err(fail)?;
            Rbac::ClusterRole(name, role)
        }
        "RoleBinding" => {
            let binding: RoleBinding = source.decode().map_err(fail)?;
            let key = namespaced_key(&binding.metadata).map_err(fail)?;
            check_role_ref(&binding.role_ref, &["Role", "ClusterRole"]).map_err(fail)?;
            check_subjects(binding.subjects.as_deref(), true).map_err(fail)?;
            Rbac::RoleBinding(key, binding)
        }
        _ => {
            let binding: ClusterRoleBinding = source.decode().map_err(fail)?;
            let name = name_of(&binding.metadata).map_err(fail)?;
            check_role_ref(&binding.role_ref, &["ClusterRole"]).map_err(fail)?;
            check_subjects(binding.subjects.as_deref(), false).map_err(fail)?;
            Rbac::ClusterRoleBinding(name, binding)
        }
    }))
}

/// Reads a multi-document stream under `profile`, handing every object to
/// `each`: documents in order, the items of a `kind: List` (and of the
/// typed RBAC lists) in order.
pub(crate) fn each_object_in(
    text: &str,
    profile: &yaml::Profile,
    each: &mut (dyn FnMut(Object) -> Result<(), AccessError> + Send),
) -> Result<(), AccessError> {
    // `kubectl get -o json` writes one JSON object, which is YAML too but
    // reads many times faster as JSON. Anything else, or JSON that does not
    // parse, takes the YAML reader and its diagnostics.
    if text.trim_start().starts_with('{')
        && let Ok(value) = serde_json::from_str::<Value>(text)
    {
        return each_value(0, value, each);
    }
    yaml::each_document(text, profile, |doc| {
        let position = Position {
            document: doc.index,
            item: None,
        };
        each_object(doc.value, position, each)
    })
    .map(|_| ())
    .map_err(|stopped| match stopped {
        Stopped::Yaml(e) => AccessError::Yaml(e),
        Stopped::By(e) => e,
    })
}

/// Below this size a text is parsed whole, on one thread.
const PIECES_FROM_BYTES: usize = 4 * 1024 * 1024;

/// How long each piece of a large YAML list is, in bytes: enough pieces
/// for every core, each long enough that starting a parse costs nothing.
const PIECE_BYTES: usize = 1024 * 1024;

/// Every object of a text, as [`each_object_in`] hands them. A large
/// `kind: List` in YAML, as `kubectl get -o yaml` prints a cluster, is cut
/// at its items ([`yaml::list_pieces`]) and the pieces are parsed in
/// parallel; any text that does not cut so, or a piece that does not parse
/// alone, is parsed whole, with the whole text's diagnostics. The limits of
/// `profile` then bound each piece, and the file as a whole by its size.
pub(crate) fn objects_in(text: &str, profile: &yaml::Profile) -> Result<Vec<Object>, AccessError> {
    let mut objects = Vec::new();
    let mut push = |object| {
        objects.push(object);
        Ok(())
    };
    let pieces = (text.len() >= PIECES_FROM_BYTES && !text.trim_start().starts_with('{'))
        .then(|| list_in_pieces(text, profile, PIECE_BYTES))
        .flatten();
    match pieces {
        Some(list) => each_value(0, list, &mut push)?,
        None => each_object_in(text, profile, &mut push)?,
    }
    Ok(objects)
}

/// A YAML `kind: List` parsed in pieces, in parallel, then put together;
/// `None` when it does not cut into pieces or one does not parse alone.
fn list_in_pieces(text: &str, profile: &yaml::Profile, piece_bytes: usize) -> Option<Value> {
    if text.len() > profile.file_bytes {
        return None;
    }
    let pieces = yaml::list_pieces(text, piece_bytes)?;
    let (envelope, items) = rayon::join(
        || yaml::documents(&pieces.envelope, profile).ok(),
        || {
            pieces
                .items
                .par_iter()
                .map(
                    |piece| match yaml::documents(piece, profile).ok()?.as_mut_slice() {
                        [
                            yaml::Document {
                                value: Value::Array(items),
                                ..
                            },
                        ] => Some(std::mem::take(items)),
                        _ => None,
                    },
                )
                .collect::<Option<Vec<Vec<Value>>>>()
        },
    );
    let Some(
        [
            yaml::Document {
                value: Value::Object(mut list),
                ..
            },
        ],
    ) = envelope.map(<[_; 1]>::try_from).and_then(Result::ok)
    else {
        return None;
    };
    if list.contains_key("items") {
        return None;
    }
    list.insert("items".into(), Value::Array(items?.concat()));
    Some(Value::Object(list))
}

/// The `index`th document of a stream, already read: its objects, as
/// [`each_object_in`] hands them.
pub(crate) fn each_value(
    index: usize,
    value: Value,
    each: &mut (dyn FnMut(Object) -> Result<(), AccessError> + Send),
) -> Result<(), AccessError> {
    let position = Position {
        document: index,
        item: None,
    };
    each_object(value, position, each)
}

/// One document's objects: itself, or a list's items.
fn each_object(
    value: Value,
    position: Position,
    each: &mut (dyn FnMut(Object) -> Result<(), AccessError> + Send),
) -> Result<(), AccessError> {
    let (api_version, kind) = type_of(&value).map_err(|m| position.error("(no kind)", m))?;
    if !is_list(&api_version, &kind) {
        return each(Object {
            value,
            api_version,
            kind,
            position,
        });
    }
    let Value::Object(mut map) = value else {
        return Err(position.error(&kind, "not a mapping"));
    };
    let items = match map.remove("items") {
        Some(Value::Array(items)) => items,
        Some(Value::Null) | None => Vec::new(),
        Some(_) => return Err(position.error(&kind, "`items` is not a list")),
    };
    let list = ListType {
        api_version,
        kind,
        document: position.document,
    };
    for (i, item) in items.into_iter().enumerate() {
        each(list.item(i, item)?)?;
    }
    Ok(())
}

/// The type of a list whose items are read one by one.
#[derive(Debug)]
pub(crate) struct ListType {
    api_version: String,
    kind: String,
    document: usize,
}

impl ListType {
    /// The `index`th item of the list.
    pub(crate) fn item(&self, index: usize, mut item: Value) -> Result<Object, AccessError> {
        let position = Position {
            document: self.document,
            item: Some(index),
        };
        // Items of a typed list may leave out their type.
        if let (Some(element), Value::Object(fields)) = (items_kind(&self.kind), &mut item) {
            fields
                .entry("kind")
                .or_insert_with(|| Value::String(element.to_string()));
            fields
                .entry("apiVersion")
                .or_insert_with(|| Value::String(self.api_version.clone()));
        }
        let (item_version, item_kind) =
            type_of(&item).map_err(|m| position.error("(no kind)", m))?;
        if is_list(&item_version, &item_kind) {
            return Err(position.error(&item_kind, "a list inside a list is not supported"));
        }
        Ok(Object {
            value: item,
            api_version: item_version,
            kind: item_kind,
            position,
        })
    }

    /// The `index`th item, from its JSON text.
    pub(crate) fn json_item(&self, index: usize, text: &str) -> Result<Object, AccessError> {
        let value = serde_json::from_str(text).map_err(|e| {
            Position {
                document: self.document,
                item: Some(index),
            }
            .error("(no kind)", e.to_string())
        })?;
        self.item(index, value)
    }
}

/// A JSON list (`kubectl get -o json`) with its items still text: each is
/// parsed when it is read, so a whole cluster is never held as values.
/// `None` for any text that is not one JSON list with an array of items:
/// [`each_object_in`] reads those whole, with its diagnostics. A list of
/// more items than `profile` allows values is refused, as the YAML reader
/// refuses it: each item is at least one value.
pub(crate) fn json_list<'a>(
    text: &'a str,
    profile: &yaml::Profile,
) -> Option<Result<(ListType, Vec<&'a str>), AccessError>> {
    use serde_json::value::RawValue;
    if !text.trim_start().starts_with('{') {
        return None;
    }
    // The same mapping a value would be: the last of repeated keys wins.
    let mut fields: BTreeMap<String, &RawValue> = serde_json::from_str(text).ok()?;
    let items = fields.remove("items")?;
    let envelope: Map<String, Value> = fields
        .into_iter()
        .map(|(k, v)| Some((k, serde_json::from_str(v.get()).ok()?)))
        .collect::<Option<_>>()?;
    let (api_version, kind) = type_of(&Value::Object(envelope)).ok()?;
    if !is_list(&api_version, &kind) {
        return None;
    }
    let items: Vec<&RawValue> = serde_json::from_str(items.get()).ok()?;
    if items.len() > profile.nodes {
        let message = format!(
            "{} items, more than the {} values rbacc reads in one {}; {}",
            items.len(),
            profile.nodes,
            profile.file(),
            profile.split()
        );
        return Some(Err(Position {
            document: 0,
            item: None,
        }
        .error(&kind, message)));
    }
    let list = ListType {
        api_version,
        kind,
        document: 0,
    };
    Some(Ok((list, items.into_iter().map(RawValue::get).collect())))
}

/// The manifest files below `dir`, in file-name order (depth first):
/// `*.yaml`, `*.yml` and `*.json` (`kubectl get -o json`), not
/// `kustomization.yaml`, nothing under a `kubeconfigs` directory, no
/// symbolic links; with the error that stopped the walk, if one did.
fn manifest_files(dir: &Path) -> (Vec<PathBuf>, Option<AccessError>) {
    let walk = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            !(e.depth() > 0 && e.file_type().is_dir() && e.file_name() == "kubeconfigs")
        });
    let mut paths = Vec::new();
    for entry in walk {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let path = e.path().unwrap_or(dir).to_path_buf();
                let source = e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("file system loop"));
                return (paths, Some(AccessError::Io { path, source }));
            }
        };
        let path = entry.path();
        let is_manifest = path
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml" || ext == "json");
        let is_kustomization = matches!(
            entry.file_name().to_str(),
            Some("kustomization.yaml" | "kustomization.yml")
        );
        if entry.file_type().is_file() && is_manifest && !is_kustomization {
            paths.push(entry.into_path());
        }
    }
    (paths, None)
}

/// One file of [`Manifests::load_dir`], read within [`yaml::MANIFESTS`].
fn load_file(path: &Path) -> Result<Manifests, AccessError> {
    let text = read_manifest_file(path, &yaml::MANIFESTS)?;
    Manifests::from_yaml(&text).map_err(|e| AccessError::File {
        path: path.to_path_buf(),
        source: Box::new(e),
    })
}

/// The texts of a manifest file, or of every manifest file below a
/// directory ([`yaml_files`]), with their paths, in that order; read in
/// parallel.
pub(crate) fn read_manifest_texts(
    path: &Path,
    profile: &'static yaml::Profile,
) -> Result<Vec<(String, String)>, AccessError> {
    let paths = if path.is_dir() {
        let (paths, error) = manifest_files(path);
        if let Some(error) = error {
            return Err(error);
        }
        paths
    } else {
        vec![path.to_path_buf()]
    };
    paths
        .par_iter()
        .map(|p| Ok((p.display().to_string(), read_manifest_file(p, profile)?)))
        .collect()
}

/// A manifest file's text, read within the file size of `profile`.
fn read_manifest_file(path: &Path, profile: &'static yaml::Profile) -> Result<String, AccessError> {
    let io = |source| AccessError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = match files::read_limited(path, profile.file_bytes as u64) {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(why)) => {
            return Err(AccessError::Refused {
                path: path.to_path_buf(),
                why,
                profile,
            });
        }
        Err(e) => return Err(io(e)),
    };
    String::from_utf8(bytes).map_err(|_| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the file is not UTF-8 text",
        ))
    })
}

/// The `apiVersion` and `kind` of a document.
fn type_of(value: &Value) -> Result<(String, String), String> {
    let Value::Object(map) = value else {
        return Err("the document is not a mapping".to_string());
    };
    let field = |key: &str| match map.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(_) => Err(format!("`{key}` is not a non-empty string")),
        None => Err(format!("`{key}` is missing")),
    };
    let kind = field("kind")?;
    let api_version = field("apiVersion")?;
    Ok((api_version, kind))
}

/// Whether the type is a list whose `items` are to be expanded.
fn is_list(api_version: &str, kind: &str) -> bool {
    kind == "List"
        || (api_version == RBAC_API_VERSION && items_kind(kind).is_some())
        || (api_version == crate::model::raw::API_VERSION && kind == ASSUMED_ROLES_KIND)
}

/// The kind of the list of ClusterRoles rbacc assumes exist in a cluster
/// (`out/<cluster>/assumed-roles.yaml`): a kind no API server serves, so
/// that applying the file by mistake fails instead of replacing the
/// cluster's own roles.
pub const ASSUMED_ROLES_KIND: &str = "AssumedClusterRoleList";

/// The element kind of a typed RBAC list.
fn items_kind(kind: &str) -> Option<&'static str> {
    match kind {
        "RoleList" => Some("Role"),
        "ClusterRoleList" => Some("ClusterRole"),
        "RoleBindingList" => Some("RoleBinding"),
        "ClusterRoleBindingList" => Some("ClusterRoleBinding"),
        _ => None,
    }
}

fn name_of(meta: &ObjectMeta) -> Result<String, String> {
    match meta.name.as_deref() {
        Some(name) if !name.is_empty() => Ok(name.to_string()),
        _ => Err("metadata.name is required".to_string()),
    }
}

/// The namespace and name of a namespaced object. The namespace is
/// required: without it, which namespace the object lands in depends on the
/// client applying it.
fn namespaced_key(meta: &ObjectMeta) -> Result<(String, String), String> {
    let name = name_of(meta)?;
    match meta.namespace.as_deref() {
        Some(namespace) if !namespace.is_empty() => Ok((namespace.to_string(), name)),
        _ => Err(format!(
            "metadata.namespace is required to know where {name:?} applies"
        )),
    }
}

/// `ValidatePolicyRule`: verbs required; a non-resource rule has only URLs
/// and verbs and is not in a Role; a resource rule has groups and resources.
fn check_rules(rules: Option<&[PolicyRule]>, namespaced: bool) -> Result<(), String> {
    let present = |list: &Option<Vec<String>>| list.as_ref().is_some_and(|l| !l.is_empty());
    for (i, rule) in rules.unwrap_or(&[]).iter().enumerate() {
        if rule.verbs.is_empty() {
            return Err(format!("rules[{i}]: verbs must contain at least one value"));
        }
        if present(&rule.non_resource_urls) {
            if namespaced {
                return Err(format!(
                    "rules[{i}]: namespaced rules cannot apply to non-resource URLs"
                ));
            }
            if present(&rule.api_groups)
                || present(&rule.resources)
                || present(&rule.resource_names)
            {
                return Err(format!(
                    "rules[{i}]: rules cannot apply to both regular resources and non-resource URLs"
                ));
            }
        } else {
            if !present(&rule.api_groups) {
                return Err(format!(
                    "rules[{i}]: resource rules must supply at least one api group (\"\" is the core group)"
                ));
            }
            if !present(&rule.resources) {
                return Err(format!(
                    "rules[{i}]: resource rules must supply at least one resource"
                ));
            }
        }
    }
    Ok(())
}

/// `ValidateClusterRole`: an aggregation rule has at least one valid selector.
fn check_aggregation(role: &ClusterRole) -> Result<(), String> {
    let Some(rule) = &role.aggregation_rule else {
        return Ok(());
    };
    let selectors = rule.cluster_role_selectors.as_deref().unwrap_or(&[]);
    if selectors.is_empty() {
        return Err(
            "aggregationRule.clusterRoleSelectors: at least one selector is required".to_string(),
        );
    }
    for (i, selector) in selectors.iter().enumerate() {
        rules::check_selector(selector)
            .map_err(|m| format!("aggregationRule.clusterRoleSelectors[{i}]: {m}"))?;
    }
    Ok(())
}

/// `ValidateRoleBinding`: the reference names a role of an allowed kind in
/// the RBAC group (an empty group defaults to it).
fn check_role_ref(role_ref: &RoleRef, kinds: &[&str]) -> Result<(), String> {
    let group = role_ref.api_group.as_deref().unwrap_or("");
    if !group.is_empty() && group != RBAC_GROUP {
        return Err(format!(
            "roleRef.apiGroup {group:?} is not supported; use {RBAC_GROUP}"
        ));
    }
    if !kinds.contains(&role_ref.kind.as_str()) {
        return Err(format!(
            "roleRef.kind {:?} is not supported; use {}",
            role_ref.kind,
            kinds.join(" or ")
        ));
    }
    if role_ref.name.is_empty() {
        return Err("roleRef.name is required".to_string());
    }
    Ok(())
}

/// `ValidateRoleBindingSubject`: a name; a known kind; the RBAC group for
/// users and groups (empty defaults to it), no group for service accounts;
/// a namespace for a service account of a ClusterRoleBinding.
fn check_subjects(subjects: Option<&[Subject]>, namespaced: bool) -> Result<(), String> {
    for (i, subject) in subjects.unwrap_or(&[]).iter().enumerate() {
        if subject.name.is_empty() {
            return Err(format!("subjects[{i}]: name is required"));
        }
        let group = subject.api_group.as_deref().unwrap_or("");
        match subject.kind.as_str() {
            "ServiceAccount" => {
                if !group.is_empty() {
                    return Err(format!(
                        "subjects[{i}]: apiGroup {group:?} is not supported for a ServiceAccount; use \"\""
                    ));
                }
                if !namespaced && subject.namespace.as_deref().unwrap_or("").is_empty() {
                    return Err(format!(
                        "subjects[{i}]: namespace is required for a ServiceAccount of a ClusterRoleBinding"
                    ));
                }
            }
            "User" | "Group" => {
                if !group.is_empty() && group != RBAC_GROUP {
                    return Err(format!(
                        "subjects[{i}]: apiGroup {group:?} is not supported for a {}; use {RBAC_GROUP}",
                        subject.kind
                    ));
                }
            }
            other => {
                return Err(format!(
                    "subjects[{i}]: kind {other:?} is not supported; use User, Group or ServiceAccount"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a reader hands over, comparable.
    fn read(objects: Vec<Object>) -> Vec<(String, Option<usize>, Value)> {
        objects
            .into_iter()
            .map(|o| (o.kind, o.position.item, o.value))
            .collect()
    }

    /// The objects of `text` read whole, on one thread.
    fn whole(text: &str) -> Vec<(String, Option<usize>, Value)> {
        let mut objects = Vec::new();
        each_object_in(text, &yaml::DUMPS, &mut |o| {
            objects.push(o);
            Ok(())
        })
        .expect("reads");
        read(objects)
    }

    /// The objects of `text` read in pieces of about `piece_bytes`.
    fn in_pieces(text: &str, piece_bytes: usize) -> Option<Vec<(String, Option<usize>, Value)>> {
        let list = list_in_pieces(text, &yaml::DUMPS, piece_bytes)?;
        let mut objects = Vec::new();
        each_value(0, list, &mut |o| {
            objects.push(o);
            Ok(())
        })
        .expect("reads");
        Some(read(objects))
    }

    const DUMP: &str = "apiVersion: v1
items:
- apiVersion: v1
  kind: Namespace
  metadata:
    annotations:
      note: |
        - not an item
        items:
      quoted: \"two
        lines\"
    name: a
# a comment at the margin

- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata:
    name: b
    namespace: a
  roleRef:
    apiGroup: rbac.authorization.k8s.io
    kind: ClusterRole
    name: view
  subjects:
  - kind: Group
    name: g
-   apiVersion: v1
    kind: ServiceAccount
    metadata: {name: c, namespace: a}
kind: List
metadata:
  resourceVersion: \"\"
";

    /// Read in pieces, as small as one item each or as large as the whole,
    /// a dump gives what it gives read whole.
    #[test]
    fn a_list_read_in_pieces_is_the_list_read_whole() {
        let crlf = DUMP.replace('\n', "\r\n");
        let typed = DUMP
            .replace("kind: List", "kind: RoleBindingList")
            .replace("  kind: RoleBinding\n", "");
        for text in [DUMP, crlf.as_str()] {
            let want = whole(text);
            assert_eq!(want.len(), 3);
            for piece_bytes in [1, 200, 1 << 20] {
                assert_eq!(
                    in_pieces(text, piece_bytes),
                    Some(want.clone()),
                    "{piece_bytes}"
                );
            }
        }
        let pieces = yaml::list_pieces(&typed, 1).expect("cuts");
        assert_eq!(pieces.items.len(), 3);
        assert_eq!(in_pieces(&typed, 1), Some(whole(&typed)));
    }

    /// What does not cut into pieces that parse alone is read whole.
    #[test]
    fn what_does_not_cut_into_pieces_is_read_whole() {
        let anchored = DUMP
            .replace("    name: a\n", "    name: &n a\n")
            .replace("    name: b\n", "    name: *n\n");
        assert!(yaml::list_pieces(&anchored, 1).is_some());
        assert_eq!(in_pieces(&anchored, 1), None, "an alias to another item");
        assert_eq!(whole(&anchored)[1].2["metadata"]["name"], "a");
        for text in [
            format!("---\n{DUMP}"),
            format!("{DUMP}---\nkind: List\napiVersion: v1\n"),
            "apiVersion: v1\nitems: []\nkind: List\n".to_string(),
            "apiVersion: v1\nitems:\n  - kind: Namespace\nkind: List\n".to_string(),
            "kind: Namespace\napiVersion: v1\nmetadata: {name: x}\n".to_string(),
        ] {
            assert_eq!(yaml::list_pieces(&text, 1), None, "{text}");
        }
    }
}
