//! placeholder, replaced by the guard benchmark
fn main() {}
