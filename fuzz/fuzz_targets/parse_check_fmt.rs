//! Parse, check and format arbitrary bytes: no panic, no stack overflow, no
//! hang (libFuzzer's -timeout), every diagnostic span inside the input, and
//! whatever formats re-parses and formats to the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runbook_dsl::fmt::format_source;
use runbook_dsl::{parse, Checker, SignatureTable};

fuzz_target!(|data: &[u8]| {
    // The CLI rejects invalid UTF-8 before the parser sees it.
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let table = SignatureTable::new(Vec::new());
    match parse(src) {
        Ok(rb) => {
            for e in Checker::new(&table).check(&rb).errors {
                let span = e.span();
                assert!(span.start <= span.end && span.end <= src.len());
            }
        }
        Err(e) => {
            let span = e.span();
            assert!(span.start <= span.end && span.end <= src.len());
        }
    }
    if let Ok(formatted) = format_source(src) {
        assert!(parse(&formatted).is_ok(), "formatted text does not parse");
        let again = format_source(&formatted).expect("formatted text formats");
        assert_eq!(again, formatted, "formatting is not idempotent");
    }
});
