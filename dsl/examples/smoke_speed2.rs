fn t(name: &str, src: &str) {
    let t = std::time::Instant::now();
    let r = runbook_dsl::parse(src);
    let e = t.elapsed();
    println!("{name}: {} bytes {:?} {:.1} MB/s ok={}", src.len(), e, src.len() as f64 / 1e6 / e.as_secs_f64(), r.is_ok());
}
fn main() {
    t("plain", &format!("let x = {}\n", "a".repeat(1_600_000)));
    t("pieces", &format!("let x = f({}1)\n", "a.b(c), ".repeat(200_000)));
    t("spaces", &format!("let x = {}1\n", "a + ".repeat(400_000)));
    t("string", &format!("let x = \"{}\"\n", "a".repeat(1_600_000)));
    t("comments", &"# a comment line that is rather long, like this one\n".repeat(30_000));
    t("lets", &"let abc = 1\n".repeat(150_000));
    t("stmts", &format!("step s \"t\" {{\n{}}}\n", "  run a.b(c)\n".repeat(120_000)));
}
