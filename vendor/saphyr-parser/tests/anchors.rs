use saphyr_parser::Parser;

/// FORK (change 10): an alias never resolves to an anchor of an earlier
/// document, also when the events are pulled one by one.
#[test]
fn anchors_are_per_document() {
    for yaml in ["a: &x 1\n---\nb: *x\n", "&x a\n...\n*x\n"] {
        let err = Parser::new_from_str(yaml)
            .collect::<Result<Vec<_>, _>>()
            .unwrap_err();
        assert_eq!(
            err.info(),
            "while parsing node, found unknown anchor",
            "{yaml:?}"
        );
    }
    let ok: Result<Vec<_>, _> = Parser::new_from_str("a: &x 1\nb: *x\n").collect();
    assert!(ok.is_ok());
}
