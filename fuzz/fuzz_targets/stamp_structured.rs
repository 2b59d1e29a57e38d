//! Generated manifests in every style (block, flow, JSON, comments, CRLF,
//! BOM, block scalars, null and flow annotations): each must be accepted and
//! stamped correctly, with a time and, made to read a ConfigMap, with a
//! config hash and per-source keys.
#![no_main]

mod common;

use std::sync::OnceLock;

use common::oracle::gen::{manifest, Choices};
use common::oracle::per_source::{judge_generated, with_sources, APP};
use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

struct FromFuzzer<'a, 'b>(&'a mut Unstructured<'b>);

impl Choices for FromFuzzer<'_, '_> {
    fn pick(&mut self, n: u32) -> u32 {
        self.0.int_in_range(0..=n - 1).unwrap_or(0)
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let input = manifest(&mut FromFuzzer(&mut u));
    let out = common::stamp(input.as_bytes())
        .unwrap_or_else(|| panic!("a generated manifest was refused:\n{input}"));
    common::judge(input.as_bytes(), &out);

    // The ConfigMap's digest, from sha256sum once.
    static DIGEST: OnceLock<String> = OnceLock::new();
    let app = DIGEST.get_or_init(|| common::oracle::digest_outside(APP, None));
    let with = with_sources(&input);
    let opts = reload_stamp::Options::config_hash().per_source(true);
    let out = reload_stamp::stamp_bytes(with.as_bytes(), &opts)
        .unwrap_or_else(|e| panic!("refused in config-hash mode: {e}\n{with}"));
    let output = out.output.unwrap_or_else(|| with.clone());
    judge_generated(&with, &output, app);
    let again = reload_stamp::stamp_bytes(output.as_bytes(), &opts).expect("output refused");
    assert_eq!(again.output, None, "a second run changed it");
});
