//! A kubeconfig template's text (`templates/fuzz.yaml.j2`), selected by a
//! fixed valid config for both clusters and rendered for two fixed teams.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rbacc::load::Input;
use rbacc_fuzz::{CONFIG, CONFIG_CLUSTERS, compile_and_check, file, sre, web};

fuzz_target!(|data: &[u8]| {
    let config = CONFIG.replace("template: oidc-kubelogin", "template: fuzz");
    let input = Input {
        config: Some(file("rbacc.yaml", config.as_bytes())),
        teams: vec![sre(), web()],
        templates: vec![file("templates/fuzz.yaml.j2", data)],
        ignored: Vec::new(),
        today: Some(rbacc_fuzz::TODAY),
        codeowners: Vec::new(),
    };
    let compilation = compile_and_check(&input, CONFIG_CLUSTERS);
    if let Some(output) = &compilation.output {
        rbacc_fuzz::assert_no_credentials(&output.files);
    }
});
