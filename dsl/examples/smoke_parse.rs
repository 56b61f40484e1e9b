fn main() {
    let path = std::env::args().nth(1).unwrap();
    let src = std::fs::read_to_string(path).unwrap();
    match runbook_dsl::parse(&src) {
        Ok(rb) => println!("{}", serde_json::to_string_pretty(&rb.shape()).unwrap()),
        Err(e) => println!("{:?}", miette::Report::new(e).with_source_code(src)),
    }
}
