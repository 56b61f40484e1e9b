#[path = "../tests/common/mod.rs"]
mod common;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let src = std::fs::read_to_string(path).unwrap();
    let rb = match runbook_dsl::parse(&src) {
        Ok(rb) => rb,
        Err(e) => { println!("{:?}", miette::Report::new(e).with_source_code(src)); return }
    };
    let checked = runbook_dsl::check(&rb, &common::table());
    for e in checked.errors {
        println!("{:?}", miette::Report::new(e).with_source_code(src.clone()));
    }
    if let Some(c) = checked.runbook { println!("OK {} {:?}", c.hash, c.fingerprints); }
}
