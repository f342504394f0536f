//! No quiet widening: for random organisations, the access each subject has
//! in the compiled manifests (evaluated with Kubernetes RBAC semantics)
//! equals what its declarations grant, and nothing else.

use std::collections::{BTreeMap, BTreeSet};

use rbacc::access::{Manifests, Request, UserInfo};
use rbacc::builtin::{self, RolePolicy};
use rbacc::load::{Input, InputFile};

/// xorshift64*: deterministic, so every failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const ROLES: &[&str] = &["admin", "deployer", "viewer"];
const GROUPS: &[&str] = &["g-ops", "g-dev", "g-audit", "g-all"];
const USERS: &[&str] = &["ann@example.com", "bob@example.com", "cy@example.com"];
const CLUSTERS: &[&str] = &["prod", "staging"];

/// Who a declaration names.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Group(String),
    User(String),
    ServiceAccount(String, String),
}

impl Who {
    fn yaml(whos: &[Who]) -> String {
        let list = |f: fn(&Who) -> Option<String>| {
            whos.iter().filter_map(f).collect::<Vec<_>>().join(", ")
        };
        format!(
            "{{ groups: [{}], users: [{}], serviceAccounts: [{}] }}",
            list(|w| if let Who::Group(g) = w {
                Some(g.clone())
            } else {
                None
            }),
            list(|w| if let Who::User(u) = w {
                Some(u.clone())
            } else {
                None
            }),
            list(|w| if let Who::ServiceAccount(n, s) = w {
                Some(format!("{n}/{s}"))
            } else {
                None
            }),
        )
    }

    fn user(&self) -> UserInfo {
        match self {
            Who::Group(g) => UserInfo::new("someone@example.com", [g.as_str()]),
            Who::User(u) => UserInfo::new(u.as_str(), Vec::<String>::new()),
            Who::ServiceAccount(ns, name) => UserInfo::service_account(ns, name),
        }
    }
}

/// A random organisation, and the roles each subject should hold in each
/// (cluster, namespace).
struct Org {
    input: Input,
    /// Each team role's rules, as indices into [`TEAM_RULES`].
    team_roles: BTreeMap<String, Vec<usize>>,
    expected: BTreeMap<(String, String, Who), BTreeSet<String>>,
    namespaces: Vec<(String, String)>,
    subjects: BTreeSet<Who>,
}

/// The rules a team's own role picks from: each within the built-in
/// `admin`, as a team role must be. `(group, resource, verbs)`.
const TEAM_RULES: &[(&str, &str, &[&str])] = &[
    ("", "secrets", &["get"]),
    ("apps", "deployments", &["create", "delete"]),
    ("", "pods/log", &["get"]),
    ("", "configmaps", &["list"]),
    ("", "pods", &["delete"]),
];

fn random_subjects(rng: &mut Rng, namespaces: &[String]) -> Vec<Who> {
    let mut out = BTreeSet::new();
    for _ in 0..1 + rng.below(3) {
        out.insert(match rng.below(3) {
            0 => Who::Group(rng.pick(GROUPS).to_string()),
            1 => Who::User(rng.pick(USERS).to_string()),
            _ => Who::ServiceAccount(rng.pick(namespaces).clone(), "bot".to_string()),
        });
    }
    out.into_iter().collect()
}

fn random_org(seed: u64) -> Org {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let team_count = 2 + rng.below(4);
    let teams: Vec<String> = (0..team_count).map(|i| format!("t{i}")).collect();
    let all_namespaces: Vec<String> = teams
        .iter()
        .flat_map(|t| [format!("{t}-a"), format!("{t}-b")])
        .collect();
    // Members first, so grants to teams can be resolved.
    let mut members: BTreeMap<&str, BTreeMap<String, Vec<Who>>> = BTreeMap::new();
    let mut team_roles: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for team in &teams {
        let mut roles = BTreeMap::new();
        for role in ROLES {
            if rng.below(3) > 0 {
                roles.insert(role.to_string(), random_subjects(&mut rng, &all_namespaces));
            }
        }
        // Half the teams have a role of their own, of some of the rules.
        if rng.below(2) == 0 {
            let rules: Vec<usize> = (0..TEAM_RULES.len())
                .filter(|_| rng.below(2) == 0)
                .collect();
            if !rules.is_empty() {
                let name = format!("{team}-own");
                roles.insert(name.clone(), random_subjects(&mut rng, &all_namespaces));
                team_roles.insert(name, rules);
            }
        }
        members.insert(team, roles);
    }
    let mut org = Org {
        team_roles: team_roles.clone(),
        input: Input::default(),
        expected: BTreeMap::new(),
        namespaces: Vec::new(),
        subjects: BTreeSet::new(),
    };
    for team in &teams {
        let mut text = format!(
            "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata: {{ name: {team} }}\nspec:\n  members:\n"
        );
        for (role, whos) in &members[team.as_str()] {
            text.push_str(&format!("    {role}: {}\n", Who::yaml(whos)));
        }
        if let Some(rules) = team_roles.get(&format!("{team}-own")) {
            text.push_str(&format!("  roles:\n    - name: {team}-own\n      rules:\n"));
            for &i in rules {
                let (group, resource, verbs) = TEAM_RULES[i];
                text.push_str(&format!(
                    "        - {{ apiGroups: [\"{group}\"], resources: [{resource}], verbs: [{}] }}\n",
                    verbs.join(", ")
                ));
            }
        }
        text.push_str("  namespaces:\n");
        for suffix in ["a", "b"].iter().take(1 + rng.below(2)) {
            let ns = format!("{team}-{suffix}");
            let clusters: Vec<&str> = match rng.below(3) {
                0 => vec!["prod"],
                1 => vec!["staging"],
                _ => CLUSTERS.to_vec(),
            };
            text.push_str(&format!(
                "    - name: {ns}\n      clusters: [{}]\n",
                clusters.join(", ")
            ));
            let mut roles: Vec<(Who, String)> = Vec::new();
            for (role, whos) in &members[team.as_str()] {
                roles.extend(whos.iter().map(|w| (w.clone(), role.to_string())));
            }
            if rng.below(2) == 0 {
                let role = rng.pick(ROLES).to_string();
                text.push_str(&format!(
                    "      serviceAccounts:\n        - {{ name: bot, role: {role} }}\n"
                ));
                roles.push((Who::ServiceAccount(ns.clone(), "bot".into()), role));
            }
            if rng.below(2) == 0 {
                let role = rng.pick(ROLES).to_string();
                let other = rng.pick(&teams).clone();
                let direct = random_subjects(&mut rng, &all_namespaces);
                let yaml = Who::yaml(&direct);
                text.push_str(&format!(
                    "      grants:\n        - {{ role: {role}, teams: [{other}], {} }}\n",
                    &yaml[2..yaml.len() - 2]
                ));
                for whos in members[other.as_str()].values() {
                    roles.extend(whos.iter().map(|w| (w.clone(), role.clone())));
                }
                roles.extend(direct.into_iter().map(|w| (w, role.clone())));
            }
            for cluster in &clusters {
                org.namespaces.push((cluster.to_string(), ns.clone()));
                for (who, role) in &roles {
                    org.expected
                        .entry((cluster.to_string(), ns.clone(), who.clone()))
                        .or_default()
                        .insert(role.clone());
                }
            }
            org.subjects.extend(roles.into_iter().map(|(w, _)| w));
        }
        org.input.teams.push(InputFile {
            path: format!("teams/{team}.yaml"),
            contents: Ok(text.into_bytes()),
        });
    }
    // Subjects no declaration names, and namespaces on the other cluster.
    org.subjects.insert(Who::User("mallory@example.com".into()));
    org.subjects
        .insert(Who::Group("system:authenticated".into()));
    org.subjects
        .insert(Who::ServiceAccount("default".into(), "default".into()));
    let config = "apiVersion: rbacc.dev/v1alpha1\nkind: Config\nspec:\n  clusters:\n    - { name: prod, server: https://prod.example.com }\n    - { name: staging, server: https://staging.example.com }\n  policy:\n    extraResources: [{ apiGroup: argoproj.io, resources: [rollouts] }]\n";
    org.input.config = Some(InputFile {
        path: "rbacc.yaml".into(),
        contents: Ok(config.as_bytes().to_vec()),
    });
    org
}

/// The requests checked: every verb on a spread of resources, subresources
/// included.
const REQUESTS: &[(&str, &str)] = &[
    ("get", "secrets"),
    ("list", "secrets"),
    ("create", "pods"),
    ("delete", "pods"),
    ("create", "pods/exec"),
    ("get", "pods/log"),
    ("create", "pods/portforward"),
    ("create", "deployments.apps"),
    ("delete", "deployments.apps"),
    ("update", "deployments.apps/scale"),
    ("list", "configmaps"),
    ("create", "rolebindings.rbac.authorization.k8s.io"),
    ("update", "roles.rbac.authorization.k8s.io"),
    ("delete", "resourcequotas"),
    ("patch", "rollouts.argoproj.io"),
    ("create", "serviceaccounts/token"),
    ("impersonate", "serviceaccounts"),
    ("escalate", "roles.rbac.authorization.k8s.io"),
];

/// Whether role `role`, as rbacc defines it, allows the request: read off
/// the role's rule list directly, independent of the evaluator's matching.
fn role_allows(role: &str, verb: &str, resource: &str) -> bool {
    let policy = RolePolicy {
        extra_resources: vec![("argoproj.io".into(), "rollouts".into())],
        ..RolePolicy::default()
    };
    let (res, sub) = resource
        .split_once('/')
        .map_or((resource, None), |(r, s)| (r, Some(s)));
    let (plural, group) = res.split_once('.').unwrap_or((res, ""));
    let combined = sub.map_or(plural.to_string(), |s| format!("{plural}/{s}"));
    builtin::rules(role, &policy).iter().any(|rule| {
        rule.api_groups.iter().any(|g| g == group)
            && rule.resources.contains(&combined)
            && rule.verbs.iter().any(|v| v == verb)
    })
}

/// Whether a team role of `rules` allows the request, read off the rules.
fn team_role_allows(rules: &[usize], verb: &str, resource: &str) -> bool {
    let (res, sub) = resource
        .split_once('/')
        .map_or((resource, None), |(r, s)| (r, Some(s)));
    let (plural, group) = res.split_once('.').unwrap_or((res, ""));
    let combined = sub.map_or(plural.to_string(), |s| format!("{plural}/{s}"));
    rules.iter().any(|&i| {
        let (g, r, verbs) = TEAM_RULES[i];
        g == group && r == combined && verbs.contains(&verb)
    })
}

#[test]
fn evaluated_access_equals_declared_access() {
    let mut checked = 0;
    let mut allowed = 0;
    let mut by_team_roles = 0;
    for seed in 0..40 {
        let org = random_org(seed);
        let compilation = rbacc::build(&org.input);
        let output = compilation.output.unwrap_or_else(|| {
            panic!(
                "seed {seed}: random organisation must compile: {:?}",
                compilation
                    .diagnostics
                    .iter()
                    .map(|d| &d.message)
                    .collect::<Vec<_>>()
            )
        });
        for cluster in CLUSTERS {
            let mut manifests = Manifests::default();
            for (path, text) in &output.files {
                let in_cluster = path.strip_prefix(&format!("{cluster}/"));
                if in_cluster.is_some_and(|p| {
                    !p.starts_with("kubeconfigs/") && !p.ends_with("kustomization.yaml")
                }) {
                    manifests.extend(Manifests::from_yaml(text).expect("emitted manifests parse"));
                }
            }
            assert_eq!(
                manifests.cluster_role_bindings().count(),
                0,
                "rbacc never binds cluster-wide"
            );
            let namespaces: BTreeSet<&str> =
                org.namespaces.iter().map(|(_, ns)| ns.as_str()).collect();
            for who in &org.subjects {
                let user = who.user();
                for (verb, resource) in REQUESTS {
                    let cluster_wide = Request::parse_resource(verb, resource, None);
                    assert!(
                        !manifests.allows(&user, &cluster_wide),
                        "seed {seed}: {who:?} may {verb} {resource} cluster-wide"
                    );
                    for ns in &namespaces {
                        let roles =
                            org.expected
                                .get(&(cluster.to_string(), ns.to_string(), who.clone()));
                        let expected = roles.is_some_and(|roles| {
                            roles.iter().any(|r| match org.team_roles.get(r) {
                                Some(rules) => team_role_allows(rules, verb, resource),
                                None => role_allows(r, verb, resource),
                            })
                        });
                        by_team_roles += usize::from(roles.is_some_and(|roles| {
                            roles.iter().any(|r| {
                                org.team_roles
                                    .get(r)
                                    .is_some_and(|rules| team_role_allows(rules, verb, resource))
                            })
                        }));
                        let request = Request::parse_resource(verb, resource, Some(ns));
                        let actual = manifests.allows(&user, &request);
                        assert_eq!(
                            actual, expected,
                            "seed {seed}, cluster {cluster}: {who:?} {verb} {resource} in {ns}: declared roles {roles:?}"
                        );
                        checked += 1;
                        allowed += usize::from(actual);
                    }
                }
            }
        }
    }
    assert!(
        by_team_roles > 50,
        "team roles are exercised: {by_team_roles} requests"
    );
    assert!(
        allowed > 1000 && checked - allowed > 1000,
        "the cases exercise both answers: {allowed} of {checked} allowed"
    );
}
