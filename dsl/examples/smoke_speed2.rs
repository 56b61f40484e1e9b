fn main() {
    let case = std::env::args().nth(1).unwrap_or_default();
    let src = match case.as_str() {
        "plain" => format!("let x = {}\n", "a".repeat(1_600_000)),
        "pieces" => format!("let x = f({}1)\n", "a.b(c), ".repeat(200_000)),
        "spaces" => format!("let x = {}1\n", "a + ".repeat(400_000)),
        "lets" => "let abc = 1\n".repeat(150_000),
        "stmts" => format!("step s \"t\" {{\n{}}}\n", "  run a.b(c)\n".repeat(120_000)),
        _ => {
            let mut src = String::from("param ns: string = \"prod\"\nlet app = kube::deployment(ns, \"web\")\n");
            for i in 0..10_000 {
                src.push_str(&format!("step s{i} \"Step {i}\" timeout 5m {{\n  let before = app.replicas()\n  undo app.scale(before)\n  run app.scale({i})\n  expect app.rollout_complete() within 5m every 5s\n}}\n"));
            }
            src
        }
    };
    let r = runbook_dsl::parse(&src);
    println!("{case} {} {}", src.len(), r.is_ok());
}
