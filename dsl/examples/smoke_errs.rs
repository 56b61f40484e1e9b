fn main() {
    let src = std::fs::read_to_string("/tmp/errs.txt").unwrap();
    for case in src.split("---\n") {
        match runbook_dsl::parse(case) {
            Ok(_) => println!("OK\n{case}"),
            Err(e) => println!("{:?}", miette::Report::new(e).with_source_code(case.to_string())),
        }
    }
}
