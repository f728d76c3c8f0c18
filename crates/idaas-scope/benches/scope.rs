//! One check against 10 and 100 scopes, compiled (`ScopeSet::allows`) and
//! uncompiled (`has_access` over the strings), in the same run. Figures go to
//! `target/bench/scope.json`.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::Criterion;
use idaas_scope::{ScopeSet, has_access};

/// `n` realistic scopes: many resources, a few wildcards, the checked one last.
fn scopes(n: usize) -> Vec<String> {
    let mut out: Vec<String> = (0..n - 2)
        .map(|i| match i % 4 {
            0 => format!("service{i}.items:read"),
            1 => format!("service{i}:*"),
            2 => format!("service{i}.admin:**"),
            _ => format!("service{i}.items.detail:write"),
        })
        .collect();
    out.push("*:list".to_owned());
    out.push("projects.tasks:**".to_owned());
    out
}

fn target_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        return dir.into();
    }
    // <target>/release/deps/scope-<hash>
    let exe = std::env::current_exe().expect("bench executable path");
    exe.ancestors().nth(3).expect("target dir").to_owned()
}

fn mean_ns(target: &std::path::Path, id: &str) -> Option<f64> {
    let path = target.join("criterion").join(id).join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["mean"]["point_estimate"].as_f64()
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let mut group = c.benchmark_group("scope");
    for n in [10, 100] {
        let list = scopes(n);
        let set = ScopeSet::new(&list);
        // the granting scope is the last one: the worst case for a linear scan
        assert!(set.allows("read", "projects.tasks.comments"));
        assert!(has_access(&list, "read", "projects.tasks.comments"));
        group.bench_function(format!("compiled_{n}"), |b| {
            b.iter(|| set.allows(black_box("read"), black_box("projects.tasks.comments")))
        });
        group.bench_function(format!("uncompiled_{n}"), |b| {
            b.iter(|| {
                has_access(
                    black_box(&list),
                    black_box("read"),
                    black_box("projects.tasks.comments"),
                )
            })
        });
    }
    group.finish();
    c.final_summary();

    let target = target_dir();
    let mut figures = serde_json::Map::new();
    for n in [10, 100] {
        let compiled = mean_ns(&target, &format!("scope/compiled_{n}"));
        let uncompiled = mean_ns(&target, &format!("scope/uncompiled_{n}"));
        if let (Some(c), Some(u)) = (compiled, uncompiled) {
            figures.insert(
                format!("{n}_scopes"),
                serde_json::json!({
                    "compiled_ns": c,
                    "uncompiled_ns": u,
                    "uncompiled_over_compiled": u / c,
                }),
            );
        }
    }
    if figures.is_empty() {
        eprintln!("no criterion estimates found under {}", target.display());
        return;
    }
    let out = target.join("bench");
    std::fs::create_dir_all(&out).expect("create target/bench");
    let json = serde_json::to_string_pretty(&serde_json::Value::Object(figures)).unwrap();
    std::fs::write(out.join("scope.json"), &json).expect("write scope.json");
    println!("{json}");
}
