//! One team file's bytes, compiled with a fixed valid config and a fixed
//! valid second team (so grants across teams and duplicates are reachable).

#![no_main]

use libfuzzer_sys::fuzz_target;
use rbacc::load::Input;
use rbacc_fuzz::{CONFIG, CONFIG_CLUSTERS, compile_and_check, file, sre, team_path};

fuzz_target!(|data: &[u8]| {
    let fuzzed = file(&team_path(data), data);
    let input = Input {
        config: Some(file("rbacc.yaml", CONFIG.as_bytes())),
        teams: vec![fuzzed.clone(), sre()],
        templates: Vec::new(),
        ignored: Vec::new(),
        today: Some(rbacc_fuzz::TODAY),
        codeowners: Vec::new(),
    };
    let first = compile_and_check(&input, CONFIG_CLUSTERS);
    if let Some(output) = &first.output {
        rbacc_fuzz::assert_no_credentials(&output.files);
        // Input order does not matter: the same files, the other way round,
        // give the same bytes.
        let reversed = Input {
            teams: vec![sre(), fuzzed],
            ..input
        };
        let second = rbacc::build(&reversed);
        assert!(
            second.output.as_ref() == Some(output),
            "output depends on the order of the team files"
        );
    }
});
