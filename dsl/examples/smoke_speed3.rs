fn main() {
    let src = "let abc = 1\n".repeat(150_000);
    let t = std::time::Instant::now();
    let r = runbook_dsl::parse(&src);
    println!("{:?} {}", t.elapsed(), r.is_ok());
}
