#[path = "../tests/common/mod.rs"]
mod common;
fn main() {
    let mut src = String::from("param ns: string = \"prod\"\nlet app = kube::deployment(ns, \"web\")\n");
    for i in 0..10_000 {
        src.push_str(&format!(
            "step s{i} \"Step {i}\" timeout 5m {{\n  let before = app.replicas()\n  undo app.scale(before)\n  run app.scale({i})\n  expect app.rollout_complete() within 5m every 5s\n}}\n"
        ));
    }
    let t = std::time::Instant::now();
    let rb = runbook_dsl::parse(&src).unwrap();
    let tp = t.elapsed();
    let table = common::table();
    let t2 = std::time::Instant::now();
    let checked = runbook_dsl::check(&rb, &table);
    let tc = t2.elapsed();
    let mb = src.len() as f64 / 1e6;
    println!("{} bytes; parse {:?} ({:.1} MB/s); check {:?} ({:.1} MB/s); errors {}", src.len(), tp, mb / tp.as_secs_f64(), tc, mb/tc.as_secs_f64(), checked.errors.len());
}
