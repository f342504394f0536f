//! `rbacc.yaml`'s bytes, compiled with a fixed valid team that needs
//! nothing of the config but one cluster.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rbacc::diag::Diagnostics;
use rbacc::load::Input;
use rbacc::source::Sources;
use rbacc_fuzz::{compile_and_check, file, platform};

fuzz_target!(|data: &[u8]| {
    let input = Input {
        config: Some(file("rbacc.yaml", data)),
        teams: vec![platform()],
        templates: Vec::new(),
        ignored: Vec::new(),
        today: Some(rbacc_fuzz::TODAY),
        codeowners: Vec::new(),
    };
    // The clusters the fuzzed config declares, as written: every output
    // path must lie below one of them.
    let parsed = rbacc::load::parse(&input, &mut Sources::default(), &mut Diagnostics::default());
    let clusters: Vec<&str> = parsed
        .config
        .clusters
        .iter()
        .map(|c| c.name.value.as_str())
        .collect();
    let compilation = compile_and_check(&input, &clusters);
    if let Some(output) = &compilation.output {
        rbacc_fuzz::assert_no_credentials(&output.files);
    }
});
