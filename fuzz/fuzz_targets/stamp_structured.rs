//! Generated manifests in every style (block, flow, JSON, comments, CRLF,
//! BOM, block scalars, null and flow annotations): each must be accepted and
//! stamped correctly.
#![no_main]

mod common;

use common::oracle::gen::{manifest, Choices};
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
});
