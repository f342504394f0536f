//! Unit tests: the shortcuts of the diff against the slow, obvious way.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::access::{Manifests, Request, SubjectRef, UserInfo};
use crate::load::{Input, InputFile};

use super::compile::{self, Files};
use super::{Diff, Found, Revision, SideInfo};

/// The example organisation of this repository.
fn example() -> Input {
    Input::from_worktree(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        jiff::civil::date(2026, 11, 23),
    )
    .expect("example org")
}

fn file_mut<'a>(input: &'a mut Input, path: &str) -> &'a mut Vec<u8> {
    let file = if path == "rbacc.yaml" {
        input.config.as_mut()
    } else {
        input
            .teams
            .iter_mut()
            .chain(input.templates.iter_mut())
            .find(|f| f.path == path)
    };
    file.and_then(|f| f.contents.as_mut().ok())
        .unwrap_or_else(|| panic!("no {path}"))
}

/// Replaces `from` with `to` in one file.
fn edit(input: &Input, path: &str, from: &str, to: &str) -> Input {
    let mut out = input.clone();
    let bytes = file_mut(&mut out, path);
    let text = String::from_utf8(bytes.clone()).expect("utf-8");
    assert!(text.contains(from), "{path} has no {from:?}");
    *bytes = text.replacen(from, to, 1).into_bytes();
    out
}

fn with_team(input: &Input, path: &str, text: &str) -> Input {
    let mut out = input.clone();
    out.teams.retain(|f| f.path != path);
    out.teams.push(InputFile {
        path: path.to_string(),
        contents: Ok(text.as_bytes().to_vec()),
    });
    out
}

fn without_team(input: &Input, path: &str) -> Input {
    let mut out = input.clone();
    out.teams.retain(|f| f.path != path);
    out
}

const NEW_TEAM: &str = "apiVersion: rbacc.dev/v1alpha1
kind: Team
metadata:
  name: search
spec:
  members:
    admin: { groups: [search-leads] }
    viewer: { users: [auditor@example.com] }
  namespaces:
    - name: search-prod
      clusters: [prod]
      grants:
        - { role: deployer, teams: [payments] }
";

/// Pairs of (base, head) that exercise every path of `compile::outputs`.
fn cases() -> Vec<(&'static str, Input, Input)> {
    let base = example();
    vec![
        ("same", base.clone(), base.clone()),
        (
            "member moved",
            base.clone(),
            edit(
                &edit(
                    &base,
                    "teams/payments.yaml",
                    "deployer: { groups: [payments-devs] }",
                    "deployer: { groups: [payments-devs], users: [auditor@example.com] }",
                ),
                "teams/payments.yaml",
                "    viewer:   { users: [auditor@example.com] }\n",
                "",
            ),
        ),
        (
            "team added",
            base.clone(),
            with_team(&base, "teams/search.yaml", NEW_TEAM),
        ),
        (
            "team removed",
            base.clone(),
            without_team(
                &edit(
                    &base,
                    "teams/web/storefront.yaml",
                    "      grants:\n        - { role: viewer, teams: [payments] }\n",
                    "",
                ),
                "teams/payments.yaml",
            ),
        ),
        (
            "policy",
            base.clone(),
            edit(
                &base,
                "rbacc.yaml",
                "viewers: { secrets: false",
                "viewers: { secrets: true",
            ),
        ),
        (
            "unprotected",
            base.clone(),
            edit(
                &base,
                "rbacc.yaml",
                "protectNamespaces: true",
                "protectNamespaces: false",
            ),
        ),
        (
            "template",
            base.clone(),
            edit(
                &base,
                "rbacc.yaml",
                "    - name: staging\n      server: https://kubeapi.staging.example.com\n",
                "    - name: staging\n      server: https://kubeapi.staging.example.com\n      kubeconfig: { template: in-cluster }\n",
            ),
        ),
        (
            "template file",
            base.clone(),
            edit(
                &base,
                "templates/oidc-kubelogin.yaml.j2",
                "      server: {{ cluster.server }}\n",
                "      server: {{ cluster.server }}\n      tls-server-name: {{ cluster.name }}\n",
            ),
        ),
        (
            "flux settings",
            base.clone(),
            edit(&base, "rbacc.yaml", "interval: 10m", "interval: 5m"),
        ),
        (
            "grant to a changed team",
            base.clone(),
            edit(
                &base,
                "teams/sre.yaml",
                "admin: { groups: [sre-oncall] }",
                "admin: { groups: [sre-oncall, sre-leads] }",
            ),
        ),
    ]
}

fn full(input: &Input) -> Files {
    crate::build(input).output.expect("compiles").files
}

/// `input` resolved as `diff` resolves a side, rendering the kubeconfigs
/// `render` names.
fn resolved(input: &Input, render: &crate::validate::Render) -> crate::Resolved {
    super::compile_side(input, render)
        .resolved
        .expect("compiles")
}

/// The parts a [`Selection`] names divide `out/`: each team, the cluster
/// shards and the index files, emitted on their own, are the full emission
/// with nothing missing, nothing twice and nothing different. `outputs`
/// rests on it.
#[test]
fn selections_divide_the_output() {
    use crate::emit::Selection;
    for (name, _, input) in cases() {
        let side = resolved(&input, &crate::validate::Render::Full);
        let emit = |selection: &Selection| {
            crate::emit::emit(&side.org, side.flux.as_ref(), selection).files
        };
        let none = Selection::none();
        let mut parts = vec![
            emit(&Selection {
                cluster: true,
                ..none.clone()
            }),
            emit(&Selection {
                index: true,
                ..none.clone()
            }),
        ];
        for team in &side.org.teams {
            parts.push(emit(&Selection::teams([team.name.clone()].into())));
        }
        let mut union = Files::new();
        for part in parts {
            for (path, text) in part {
                assert!(
                    union.insert(path.clone(), text).is_none(),
                    "{name}: {path} twice"
                );
            }
        }
        assert_eq!(union, full(&input), "{name}");
        assert!(
            emit(&none).is_empty(),
            "{name}: an empty selection emits nothing"
        );
    }
}

/// Each cluster emitted on its own is the full emission's files under
/// that cluster's directory, byte for byte; together they are all of it.
/// `audit` rests on it.
#[test]
fn clusters_divide_the_output() {
    use crate::emit::Selection;
    for (name, _, input) in cases() {
        let side = resolved(&input, &crate::validate::Render::Full);
        let full = full(&input);
        let mut union = Files::new();
        for cluster in &side.org.clusters {
            let selection = Selection {
                clusters: Some([cluster.name.clone()].into()),
                ..Selection::all()
            };
            let files = crate::emit::emit(&side.org, side.flux.as_ref(), &selection).files;
            let prefix = format!("{}/", cluster.name);
            let expected: Files = full
                .iter()
                .filter(|(path, _)| path.starts_with(&prefix))
                .map(|(p, t)| (p.clone(), t.clone()))
                .collect();
            assert!(!files.is_empty(), "{name}: {}", cluster.name);
            assert_eq!(files, expected, "{name}: {}", cluster.name);
            union.extend(files);
        }
        assert_eq!(union, full, "{name}");
    }
}

/// A kubeconfig is rendered on both sides when its team file, `rbacc.yaml`
/// or a template differs, and only then.
#[test]
fn diff_renders_the_kubeconfigs_of_changed_teams_only() {
    use crate::validate::Render;
    let cases: BTreeMap<&str, (Input, Input)> =
        cases().into_iter().map(|(n, b, h)| (n, (b, h))).collect();
    let render = |name: &str| super::rendered(Some(&cases[name].0), Some(&cases[name].1));
    assert_eq!(render("same"), Render::Files(BTreeSet::new()));
    assert_eq!(
        render("member moved"),
        Render::Files(["teams/payments.yaml".to_string()].into())
    );
    assert_eq!(
        render("team added"),
        Render::Files(["teams/search.yaml".to_string()].into())
    );
    for name in ["policy", "template", "template file", "flux settings"] {
        assert_eq!(render(name), Render::Full, "{name}");
    }
    assert_eq!(super::rendered(None, Some(&example())), Render::Full);
}

#[test]
fn matches_full_emission() {
    for (name, base, head) in cases() {
        let (b, h) = (full(&base), full(&head));
        let differ: BTreeSet<&String> = b
            .keys()
            .chain(h.keys())
            .filter(|p| b.get(*p) != h.get(*p))
            .collect();
        // Each side renders the kubeconfigs `diff` has it render.
        let render = super::rendered(Some(&base), Some(&head));
        let (bc, hc) = (resolved(&base, &render), resolved(&head, &render));
        let outputs = compile::outputs(Some(&bc), &hc);
        let (ob, oh) = (&outputs.base.files, &outputs.head.files);
        let got: BTreeSet<&String> = ob
            .keys()
            .chain(oh.keys())
            .filter(|p| ob.get(*p) != oh.get(*p))
            .collect();
        assert_eq!(got, differ, "{name}: files that differ");
        for path in differ {
            assert_eq!(ob.get(path), b.get(path), "{name}: base {path}");
            assert_eq!(oh.get(path), h.get(path), "{name}: head {path}");
        }
        // Each file that holds objects has them read, each that holds RBAC
        // its RBAC objects, and they are what its text holds.
        for side in [&outputs.base, &outputs.head] {
            let holding = |rbac: bool| -> BTreeSet<&String> {
                side.files
                    .keys()
                    .filter(|p| {
                        crate::layout::OutFile::parse(p).is_some_and(|f| {
                            if rbac {
                                f.holds_rbac()
                            } else {
                                f.holds_objects()
                            }
                        })
                    })
                    .collect()
            };
            assert_eq!(
                side.objects.keys().collect::<BTreeSet<_>>(),
                holding(false),
                "{name}"
            );
            assert_eq!(
                side.rbac.keys().collect::<BTreeSet<_>>(),
                holding(true),
                "{name}"
            );
            for (path, rbac) in &side.rbac {
                let read = rbac.as_ref().expect("rbacc's output decodes");
                let parsed = Manifests::from_yaml(&side.files[path]).expect("and parses");
                let same = read.roles().eq(parsed.roles())
                    && read.cluster_roles().eq(parsed.cluster_roles())
                    && read.role_bindings().eq(parsed.role_bindings())
                    && read
                        .cluster_role_bindings()
                        .eq(parsed.cluster_role_bindings());
                assert!(same, "{name}: {path}: the values decode as the text parses");
            }
        }
        // Whatever else is there is what the full emission has, but the
        // kubeconfigs `diff` did not render: those of a team whose file is
        // the same on both sides (and so are they), emitted because what
        // other teams give it changed.
        let unrendered = |path: &str| {
            let team = match crate::layout::OutFile::parse(path) {
                Some(crate::layout::OutFile::Kubeconfig { team, .. })
                | Some(crate::layout::OutFile::KubeconfigConfigMap { team, .. }) => team,
                _ => return false,
            };
            let source = hc
                .org
                .teams
                .iter()
                .chain(&bc.org.teams)
                .find(|t| t.name == team);
            let source = &source.expect("a team of either side").source;
            matches!(&render, crate::validate::Render::Files(f) if !f.contains(source))
        };
        for (side, full) in [(ob, &b), (oh, &h)] {
            for (path, text) in side {
                if unrendered(path) {
                    assert_eq!(ob.get(path), oh.get(path), "{name}: {path}");
                    continue;
                }
                assert_eq!(full.get(path), Some(text), "{name}: {path}");
            }
        }
    }
}

fn run(base: &Input, head: &Input) -> Diff {
    let info = |name: &str| SideInfo {
        name: name.to_string(),
        commit: None,
        compiled: false,
        errors: 0,
    };
    let found = super::diff(
        Revision {
            info: info("base"),
            input: Some(base.clone()),
        },
        Revision {
            info: info("head"),
            input: Some(head.clone()),
        },
        &mut Vec::new(),
    )
    .expect("diff");
    match found {
        Found::Diff(diff) => *diff,
        Found::HeadInvalid(c) => panic!("head invalid: {:?}", c.compilation.diagnostics),
    }
}

/// The RBAC objects of one cluster of a full output.
fn manifests(files: &Files, cluster: &str) -> Manifests {
    let mut m = Manifests::default();
    for (path, text) in files {
        if path.starts_with(&format!("{cluster}/"))
            && !path.ends_with("kustomization.yaml")
            && !path.contains("/kubeconfigs/")
        {
            m.extend(Manifests::from_yaml(text).expect("reads"));
        }
    }
    m
}

/// Every subject of every RoleBinding, with its namespace.
fn subjects(m: &Manifests) -> BTreeSet<(String, SubjectRef)> {
    let mut out = BTreeSet::new();
    for b in m.role_bindings() {
        let ns = b.metadata.namespace.clone().unwrap_or_default();
        for s in b.subjects.iter().flatten() {
            let namespace = (s.kind == "ServiceAccount")
                .then(|| s.namespace.clone().unwrap_or_else(|| ns.clone()));
            out.insert((
                ns.clone(),
                SubjectRef {
                    kind: s.kind.clone(),
                    name: s.name.clone(),
                    namespace,
                },
            ));
        }
    }
    out
}

/// A user the evaluator matches to exactly this subject.
fn user_of(s: &SubjectRef) -> UserInfo {
    match s.kind.as_str() {
        "User" => UserInfo {
            name: s.name.clone(),
            groups: Vec::new(),
        },
        "Group" => UserInfo {
            name: "nobody-in-particular".to_string(),
            groups: vec![s.name.clone()],
        },
        _ => UserInfo {
            name: format!(
                "system:serviceaccount:{}:{}",
                s.namespace.as_deref().unwrap_or_default(),
                s.name
            ),
            groups: Vec::new(),
        },
    }
}

/// Every request the rules of the manifests name.
fn requests(ms: &[&Manifests]) -> BTreeSet<super::Permission> {
    let mut out = BTreeSet::new();
    for m in ms {
        let rules = m
            .cluster_roles()
            .flat_map(|r| r.rules.iter().flatten())
            .chain(m.roles().flat_map(|r| r.rules.iter().flatten()));
        for rule in rules {
            out.extend(super::Permission::of_rule(rule));
        }
    }
    out
}

fn request(p: &super::Permission, namespace: &str) -> Request {
    let mut r = Request::parse_resource(
        &p.verb,
        &match p.api_group.as_str() {
            "" => p.resource.clone(),
            g => match p.resource.split_once('/') {
                Some((r, s)) => format!("{r}.{g}/{s}"),
                None => format!("{}.{g}", p.resource),
            },
        },
        Some(namespace),
    );
    if let Some(name) = &p.resource_name {
        r = r.with_name(name);
    }
    r
}

/// Gains and losses per subject, cluster and namespace.
type Expected =
    BTreeMap<(SubjectRef, String, String), (Vec<super::Permission>, Vec<super::Permission>)>;

/// The diff's access section equals asking the evaluator about every
/// subject, namespace and request of the full outputs, one by one, except
/// for ClusterRole changes, which are reported per role.
#[test]
fn access_matches_the_evaluator() {
    for (name, base, head) in cases() {
        let diff = run(&base, &head);
        let (b, h) = (full(&base), full(&head));
        let mut expected: Expected = BTreeMap::new();
        for cluster in ["prod", "staging"] {
            let (bm, hm) = (manifests(&b, cluster), manifests(&h, cluster));
            let roles_changed = bm.cluster_roles().chain(hm.cluster_roles()).any(|r| {
                let n = r.metadata.name.as_deref().unwrap_or_default();
                bm.effective_rules("ClusterRole", None, n)
                    != hm.effective_rules("ClusterRole", None, n)
            });
            let all = requests(&[&bm, &hm]);
            let who: BTreeSet<(String, SubjectRef)> =
                subjects(&bm).into_iter().chain(subjects(&hm)).collect();
            for (ns, subject) in who {
                let user = user_of(&subject);
                let mut gains = Vec::new();
                let mut losses = Vec::new();
                for p in &all {
                    let r = request(p, &ns);
                    match (bm.allows(&user, &r), hm.allows(&user, &r)) {
                        (false, true) => gains.push(p.clone()),
                        (true, false) => losses.push(p.clone()),
                        _ => {}
                    }
                }
                if !gains.is_empty() || !losses.is_empty() {
                    expected.insert((subject, cluster.to_string(), ns), (gains, losses));
                }
            }
            if roles_changed {
                // Per-role reports replace per-namespace ones: only check
                // that the role changes are reported.
                assert!(
                    diff.access.roles.iter().any(|r| r.cluster == cluster),
                    "{name}: {cluster}: role change not reported"
                );
                expected.retain(|(_, c, _), _| c != cluster);
            }
        }
        let mut got = BTreeMap::new();
        for s in &diff.access.subjects {
            for change in &s.changes {
                for (cluster, ns) in &change.places {
                    if diff.access.roles.iter().any(|r| &r.cluster == cluster) {
                        continue;
                    }
                    got.insert(
                        (s.subject.clone(), cluster.clone(), ns.clone()),
                        (change.gains.to_vec(), change.losses.to_vec()),
                    );
                }
            }
        }
        // Requests for one object by name are implied by the same request
        // for any name; the diff asks only about the names of roles bound
        // to the subject, the brute force about every name.
        let implied = |list: &Vec<super::Permission>| -> Vec<super::Permission> {
            list.iter()
                .filter(|p| {
                    p.resource_name.is_none()
                        || !list.contains(&super::Permission {
                            resource_name: None,
                            ..(*p).clone()
                        })
                })
                .cloned()
                .collect()
        };
        let normal = |m: Expected| {
            m.into_iter()
                .map(|(k, (g, l))| (k, (implied(&g), implied(&l))))
                .collect::<BTreeMap<_, _>>()
        };
        let (got, expected) = (normal(got), normal(expected));
        let brief = |m: &Expected| {
            m.iter()
                .map(|((s, c, n), (g, l))| {
                    format!(
                        "{} {} in {c}/{n}: +{} -{}",
                        s.kind,
                        s.name,
                        g.len(),
                        l.len()
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(brief(&got), brief(&expected), "{name}");
        assert!(
            got == expected,
            "{name}: the same subjects, but other permissions"
        );
    }
}

#[test]
fn escalation_grades() {
    let p = |verb: &str, group: &str, resource: &str| super::Permission {
        api_group: group.to_string(),
        resource: resource.to_string(),
        resource_name: None,
        verb: verb.to_string(),
    };
    assert_eq!(p("get", "", "secrets").escalation(), Some("Secrets"));
    assert_eq!(
        p("create", "", "pods/exec").escalation(),
        Some("pods/exec, attach, port-forward")
    );
    assert_eq!(p("get", "", "pods/log").escalation(), None);
    assert_eq!(
        p("patch", "rbac.authorization.k8s.io", "rolebindings").escalation(),
        Some("RBAC write")
    );
    assert_eq!(
        p("get", "rbac.authorization.k8s.io", "rolebindings").escalation(),
        None
    );
    assert_eq!(p("*", "apps", "deployments").escalation(), Some("wildcard"));
    assert_eq!(p("get", "apps", "*").escalation(), Some("wildcard"));
    assert_eq!(p("update", "apps", "deployments").escalation(), None);
}

/// The index `explain` reads (`Selection::objects`) lists exactly the
/// objects the emitted files hold, each with every file that holds it.
#[test]
fn the_object_index_is_what_the_files_hold() {
    use crate::emit::{ObjectId, Selection};
    for (name, _, input) in cases() {
        let side = resolved(&input, &crate::validate::Render::Full);
        let selection = Selection {
            objects: true,
            ..Selection::all()
        };
        let output = crate::emit::emit(&side.org, side.flux.as_ref(), &selection);
        let mut parsed: BTreeMap<(String, Option<String>, String), Vec<String>> = BTreeMap::new();
        for (path, text) in &output.files {
            let documents = crate::yaml::documents(text, &crate::yaml::MANIFESTS).expect("reads");
            for doc in documents {
                let (kind, meta) = (&doc.value["kind"], &doc.value["metadata"]);
                let Some(object) = meta["name"].as_str() else {
                    continue; // a kustomization
                };
                let key = (
                    kind.as_str().unwrap().to_string(),
                    meta["namespace"].as_str().map(String::from),
                    object.to_string(),
                );
                parsed.entry(key).or_default().push(path.clone());
            }
        }
        let indexed: BTreeMap<(String, Option<String>, String), Vec<String>> = output
            .objects
            .iter()
            .map(
                |(
                    ObjectId {
                        kind,
                        namespace,
                        name,
                    },
                    paths,
                )| {
                    (
                        (kind.to_string(), namespace.clone(), name.clone()),
                        paths.clone(),
                    )
                },
            )
            .collect();
        assert!(!indexed.is_empty(), "{name}");
        assert_eq!(indexed, parsed, "{name}");
    }
}
