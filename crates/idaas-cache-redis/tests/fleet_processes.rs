//! The fleet as real processes: this test binary re-runs itself as child
//! processes (the `child` entry point below, only active with `FLEET_ROLE`
//! set), each one process of the fleet with its own in-process cache and
//! Redis connection, all against one `redis-server` and one emulator that
//! counts token requests.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use idaas_cache_redis::server::RedisServer;
use support::{CLIENT_ID, Member, SCOPE, SECRET, Setup};

const RESULT: &str = "FLEET-RESULT ";

/// One fleet at a time: the machine has few cores.
static ONE_FLEET: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn env_u64(name: &str) -> u64 {
    std::env::var(name).unwrap().parse().unwrap()
}

/// Not a test: the body of a child process (returns at once otherwise).
#[test]
fn child() {
    if std::env::var("FLEET_ROLE").is_err() {
        return;
    }
    let setup = Setup {
        redis_url: std::env::var("FLEET_REDIS").unwrap(),
        token_endpoint: std::env::var("FLEET_TOKEN_ENDPOINT").unwrap(),
        key: [42; 32],
        lease: Duration::from_millis(env_u64("FLEET_LEASE_MS")),
        idp_delay: Duration::from_millis(env_u64("FLEET_IDP_DELAY_MS")),
    };
    let tasks = env_u64("FLEET_TASKS");
    let start_at = env_u64("FLEET_START_AT_MS");
    let run = Duration::from_millis(env_u64("FLEET_RUN_MS"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let member = Member::new(&setup);
        tokio::time::sleep(Duration::from_millis(start_at.saturating_sub(unix_ms()))).await;
        let end = Instant::now() + run;
        let workers: Vec<_> = (0..tasks)
            .map(|_| {
                let member = member.clone();
                tokio::spawn(async move {
                    let (mut seen, mut errors) = (BTreeSet::new(), 0u64);
                    while Instant::now() < end {
                        match member.token().await {
                            Ok(token) => {
                                seen.insert(fingerprint(&token));
                            }
                            Err(e) => {
                                eprintln!("caller error: {e}");
                                errors += 1;
                            }
                        }
                        tokio::time::sleep(Duration::from_millis(25)).await;
                    }
                    (seen, errors)
                })
            })
            .collect();
        let (mut seen, mut errors) = (BTreeSet::new(), 0);
        for w in workers {
            let (s, e) = w.await.unwrap();
            seen.extend(s);
            errors += e;
        }
        let c = member.counters().snapshot();
        println!(
            "{RESULT}{}",
            serde_json::json!({
                "errors": errors,
                "tokens": seen,
                "l1_hits": c.l1_hits, "l2_hits": c.l2_hits, "idp_requests": c.idp_requests,
                "lock_waits": c.lock_waits, "l2_errors": c.l2_errors,
            })
        );
    });
}

fn fingerprint(token: &str) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    d.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

struct Spawn<'a> {
    redis: &'a str,
    token_endpoint: &'a str,
    tasks: u64,
    start_at: u64,
    run: Duration,
    lease: Duration,
    idp_delay: Duration,
}

fn spawn(s: &Spawn<'_>) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads", "1"])
        .env("FLEET_ROLE", "member")
        .env("FLEET_REDIS", s.redis)
        .env("FLEET_TOKEN_ENDPOINT", s.token_endpoint)
        .env("FLEET_TASKS", s.tasks.to_string())
        .env("FLEET_START_AT_MS", s.start_at.to_string())
        .env("FLEET_RUN_MS", s.run.as_millis().to_string())
        .env("FLEET_LEASE_MS", s.lease.as_millis().to_string())
        .env("FLEET_IDP_DELAY_MS", s.idp_delay.as_millis().to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// A child's report.
fn report(child: Child) -> serde_json::Value {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "a fleet process failed: {:?}",
        out.status
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text
        .lines()
        .find_map(|l| l.split_once(RESULT).map(|(_, json)| json))
        .unwrap_or_else(|| panic!("no result from a fleet process:\n{text}"));
    serde_json::from_str(line).unwrap()
}

fn sum(reports: &[serde_json::Value], field: &str) -> u64 {
    reports.iter().map(|r| r[field].as_u64().unwrap()).sum()
}

fn tokens(reports: &[serde_json::Value]) -> BTreeSet<String> {
    reports
        .iter()
        .flat_map(|r| r["tokens"].as_array().unwrap().clone())
        .map(|t| t.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_processes_make_one_token_request_per_lifetime() {
    let _one = ONE_FLEET.lock().await;
    let lifetime = Duration::from_secs(5);
    let redis = RedisServer::start().unwrap();
    let emulator = support::emulator(lifetime).await;
    let endpoint = emulator.token_endpoint();
    let spawn_all = Spawn {
        redis: &redis.url(),
        token_endpoint: &endpoint,
        tasks: 64,
        start_at: unix_ms() + 2_000,
        run: lifetime * 3,
        lease: Duration::from_secs(4),
        idp_delay: Duration::ZERO,
    };
    let children: Vec<Child> = (0..16).map(|_| spawn(&spawn_all)).collect();
    let reports: Vec<_> = children.into_iter().map(report).collect();

    let requests = emulator.token_requests(CLIENT_ID);
    let seen = tokens(&reports);
    assert_eq!(sum(&reports, "errors"), 0, "no caller saw an error");
    // every token was requested once for the whole fleet, and every request's
    // token was used: one request per token lifetime
    assert_eq!(requests, seen.len() as u64, "{reports:#?}");
    assert_eq!(sum(&reports, "idp_requests"), requests);
    // three lifetimes: the first token, then a refresh from the default
    // prefetch point on, L/2 less a jitter of up to L/10 (docs/cache.md);
    // whole-second expiry times make a 5 s token live 4–5 s, so a refresh
    // every 1.5–2.5 s: at most 1 + 15 / 1.5 = 11, far below one per process
    assert!(
        (3..=11).contains(&requests),
        "{requests} requests in 3 lifetimes"
    );
    assert!(sum(&reports, "l2_hits") >= 15, "the other processes shared");
    assert!(sum(&reports, "l1_hits") > 16 * 64, "most calls are L1 hits");
    assert_eq!(sum(&reports, "l2_errors"), 0);

    // nothing in Redis names the client or scope or holds a token in clear
    let dump = support::dump(&redis.url()).await;
    let (_, last) = dump
        .iter()
        .find(|(k, _)| !k.ends_with(":lock"))
        .expect("the shared entry");
    assert!(!last.is_empty());
    let mut clear = vec![
        CLIENT_ID,
        SECRET,
        SCOPE,
        "api.fleet.example",
        "read:fleet-scope",
    ];
    clear.push("eyJ"); // any JWT (the emulator's tokens) starts so
    support::assert_nothing_in_clear(&dump, &clear);
    let kinds: BTreeMap<bool, usize> = dump.iter().fold(BTreeMap::new(), |mut m, (k, _)| {
        *m.entry(k.starts_with(idaas_cache_redis::KEY_PREFIX))
            .or_default() += 1;
        m
    });
    assert_eq!(kinds.get(&false), None, "only our prefix: {kinds:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_lock_holder_is_replaced_after_its_lease() {
    let _one = ONE_FLEET.lock().await;
    let redis = RedisServer::start().unwrap();
    let emulator = support::emulator(Duration::from_secs(60)).await;
    let endpoint = emulator.token_endpoint();
    let lease = Duration::from_millis(1_500);
    let url = redis.url();
    // the holder: takes the lock, then hangs in its IdP request
    let mut holder = spawn(&Spawn {
        redis: &url,
        token_endpoint: &endpoint,
        tasks: 1,
        start_at: 0,
        run: Duration::from_secs(60),
        lease,
        idp_delay: Duration::from_secs(60),
    });
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let locks: Vec<String> = redis::cmd("KEYS")
            .arg("idaas:tc:*:lock")
            .query_async(&mut conn)
            .await
            .unwrap();
        if !locks.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "the holder never took the lock");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // the others arrive while it holds the lock; then it dies mid-fetch
    let others: Vec<Child> = (0..4)
        .map(|_| {
            spawn(&Spawn {
                redis: &url,
                token_endpoint: &endpoint,
                tasks: 8,
                start_at: 0,
                run: Duration::from_secs(4),
                lease,
                idp_delay: Duration::ZERO,
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    holder.kill().unwrap();
    holder.wait().unwrap();
    let reports: Vec<_> = others.into_iter().map(report).collect();
    assert_eq!(sum(&reports, "errors"), 0);
    let requests = emulator.token_requests(CLIENT_ID);
    assert!(
        (1..=2).contains(&requests),
        "{requests} requests in the lifetime"
    );
    assert_eq!(tokens(&reports).len(), 1, "one token for all: {reports:#?}");
    assert!(sum(&reports, "lock_waits") >= 4, "they waited for the lock");
}
