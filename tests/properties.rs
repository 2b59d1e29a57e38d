//! Property tests: generated manifests in every supported style are stamped
//! so that they mean the input plus the stamp and only stamp lines change.
//! The same generator feeds the structure-aware fuzz target (fuzz/).

mod common;

use common::gen::{manifest, Cycle};
use proptest::prelude::*;

fn stamp(input: &str) -> Result<String, String> {
    stamp_checked(input, false)
}

/// `full_check`: verify by parsing whole documents again, never by lines.
fn stamp_checked(input: &str, full_check: bool) -> Result<String, String> {
    let out = common::stamp(input.as_bytes(), full_check, 2)?;
    String::from_utf8(out).map_err(|e| e.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn generated_manifests_are_stamped_faithfully(nums in prop::collection::vec(any::<u32>(), 1..80)) {
        let input = manifest(&mut Cycle { nums: &nums, i: 0 });
        let out = stamp(&input).map_err(|e| TestCaseError::fail(format!("{e}\n{input}")))?;
        common::check_stamp(&input, &out, common::DEFAULT_KINDS, "reloaded-at", common::VALUE);
        // The whole-document check agrees with the line check.
        prop_assert_eq!(stamp_checked(&input, true).map_err(TestCaseError::fail)?, out.clone());
        // Idempotent: stamping the result again changes nothing.
        prop_assert_eq!(stamp(&out).unwrap(), out);
    }

    #[test]
    fn arbitrary_text_never_panics(s in "[ -~\\n\\t{}\\[\\]:#&*!|>'\"-]{0,200}") {
        let _ = stamp(&s);
    }
}
