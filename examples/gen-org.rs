//! Generates a synthetic organisation for benchmarks: N teams, each with a
//! realistic mix of members, 1–5 namespaces (3 on average) across two
//! clusters, grants to other teams, service accounts and quotas.
//! Deterministic: the same `--teams` and `--seed` give the same files.
//!
//! ```sh
//! cargo run --release --example gen-org -- --teams 1000 --seed 1 /tmp/org-1k
//! ```

use std::fmt::Write as _;
use std::path::PathBuf;

/// xorshift64*: small, fast, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const ENVIRONMENTS: &[&str] = &["prod", "staging", "dev", "qa", "sandbox"];

fn main() {
    let mut teams = 1000u64;
    let mut seed = 1u64;
    let mut dir = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--teams" => teams = args.next().and_then(|v| v.parse().ok()).expect("--teams N"),
            "--seed" => seed = args.next().and_then(|v| v.parse().ok()).expect("--seed N"),
            other => dir = Some(PathBuf::from(other)),
        }
    }
    let dir = dir.expect("usage: gen-org [--teams N] [--seed N] DIR");
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    std::fs::create_dir_all(dir.join("teams")).expect("create teams/");
    std::fs::write(dir.join("rbacc.yaml"), CONFIG).expect("write rbacc.yaml");
    let name = |i: u64| format!("team{i:05}");
    for i in 0..teams {
        let team = name(i);
        let mut out = String::new();
        writeln!(
            out,
            "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata:\n  name: {team}"
        )
        .unwrap();
        writeln!(
            out,
            "  description: Synthetic team {i}\n  contacts: [{team}@example.com]\nspec:\n  members:"
        )
        .unwrap();
        writeln!(out, "    admin: {{ groups: [{team}-leads] }}").unwrap();
        let devs = 1 + rng.below(3);
        let groups: Vec<String> = (0..devs).map(|g| format!("{team}-devs-{g}")).collect();
        writeln!(out, "    deployer: {{ groups: [{}] }}", groups.join(", ")).unwrap();
        let viewers = rng.below(4);
        if viewers > 0 {
            let users: Vec<String> = (0..viewers)
                .map(|u| format!("viewer{u}.{team}@example.com"))
                .collect();
            writeln!(out, "    viewer: {{ users: [{}] }}", users.join(", ")).unwrap();
        }
        writeln!(out, "  namespaces:").unwrap();
        // 1..=5 namespaces, weighted to an average of 3.
        let count = [1, 2, 2, 3, 3, 3, 4, 4, 5, 3][rng.below(10) as usize];
        for env in &ENVIRONMENTS[..count] {
            writeln!(out, "    - name: {team}-{env}").unwrap();
            match rng.below(3) {
                0 => writeln!(out, "      clusters: [prod]").unwrap(),
                1 => writeln!(out, "      clusters: [staging]").unwrap(),
                _ => {}
            }
            if rng.chance(50) {
                writeln!(
                    out,
                    "      quota: {{ requests.cpu: \"{}\", pods: \"{}\" }}",
                    2 + rng.below(30),
                    20 + rng.below(200)
                )
                .unwrap();
            }
            if rng.chance(30) {
                writeln!(
                    out,
                    "      serviceAccounts:\n        - {{ name: ci, role: deployer }}"
                )
                .unwrap();
            }
            if rng.chance(20) && teams > 1 {
                let other = (i + 1 + rng.below(teams - 1)) % teams;
                writeln!(
                    out,
                    "      grants:\n        - {{ role: viewer, teams: [{}], groups: [auditors] }}",
                    name(other)
                )
                .unwrap();
            }
        }
        std::fs::write(dir.join("teams").join(format!("{team}.yaml")), out).expect("write team");
    }
}

const CONFIG: &str = "apiVersion: rbacc.dev/v1alpha1
kind: Config
spec:
  clusters:
    - name: prod
      server: https://kubeapi.prod.example.com
    - name: staging
      server: https://kubeapi.staging.example.com
  policy:
    extraResources:
      - { apiGroup: argoproj.io, resources: [rollouts] }
    # Accepted, so builds are warning-free (and recorded); the analysis
    # still runs over every binding.
    risks: { secrets: allow, pods-exec: allow }
  defaults:
    podSecurity: baseline
    quota: { requests.cpu: \"4\", requests.memory: 8Gi, pods: \"50\" }
    limitRange: { defaultRequest: { cpu: 100m, memory: 128Mi }, default: { cpu: 500m, memory: 512Mi } }
  kubeconfig:
    template: oidc-kubelogin
    oidc: { issuerUrl: https://idp.example.com/realms/eng, clientId: kubernetes, extraScopes: [groups] }
";
