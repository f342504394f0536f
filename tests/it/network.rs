//! NetworkPolicies beyond the corpus: where `explain` says they come from,
//! and that the order they are written in does not change the output.

use crate::support::{Repo, fixtures, read_tree};

fn case() -> Repo {
    Repo::copy_of(&fixtures().join("ok/network-policies/repo"))
}

#[test]
fn explain_names_the_declaration_of_each_network_policy() {
    let repo = case();
    repo.rbacc(&["build"]).expect_code(0);
    repo.rbacc(&["explain", "netpol/from-sre", "-n", "shop-prod"])
        .expect_code(0)
        .stdout_has("written to  out/prod/teams/shop/shop-prod.yaml")
        .stdout_has(
            "from        teams/shop.yaml:13:11: NetworkPolicy `from-sre` of namespace `shop-prod`",
        );
    // The platform's policies are in every team namespace, from rbacc.yaml.
    repo.rbacc(&["explain", "networkpolicy/allow-same-namespace", "-n", "sre-tools"])
        .expect_code(0)
        .stdout_has("written to  out/prod/teams/sre/sre-tools.yaml")
        .stdout_has("from        rbacc.yaml:8:7: NetworkPolicy `allow-same-namespace` of rbacc.yaml, in every team namespace");
    repo.rbacc(&["explain", "netpol/from-sre", "-n", "sre-tools"])
        .expect_code(1)
        .stderr_is("error: rbacc generates no NetworkPolicy `from-sre` in namespace `sre-tools`\n");
}

/// The policies, rules and peers of a namespace written in another order
/// compile to the same bytes, but for the order of rules, which is kept:
/// here only the policies and the peers of one list are swapped.
#[test]
fn policies_written_in_another_order_compile_to_the_same_output() {
    let forward = case();
    let reverse = case();
    let team = reverse.path().join("teams/shop.yaml");
    let text = std::fs::read_to_string(&team).expect("read team");
    let from_sre = text.find("        - name: from-sre").expect("from-sre");
    let public = text
        .find("        - name: public-checkout")
        .expect("public-checkout");
    let swapped = format!(
        "{}{}{}",
        &text[..from_sre],
        &text[public
            ..text
                .find("        - name: egress-payments-api")
                .expect("egress")],
        &text[from_sre..public],
    ) + &text[text
        .find("        - name: egress-payments-api")
        .expect("egress")..];
    let swapped = swapped.replace("[{ teams: [sre, shop] }]", "[{ teams: [shop, sre] }]");
    assert_ne!(swapped, text);
    std::fs::write(&team, swapped).expect("write team");
    forward.rbacc(&["build"]).expect_code(0);
    reverse.rbacc(&["build"]).expect_code(0);
    assert_eq!(read_tree(&forward.out()), read_tree(&reverse.out()));
}
