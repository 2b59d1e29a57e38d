//! Arbitrary bytes: never a panic; an accepted input is stamped correctly.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(out) = common::stamp(data) {
        common::judge(data, &out);
    }
});
