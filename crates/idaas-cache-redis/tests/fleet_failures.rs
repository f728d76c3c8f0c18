//! What Redis failing does to the fleet: nothing a caller sees. Several
//! fleet members in one process (each its own connection and in-process
//! cache), one `redis-server`, the emulator counting token requests.

mod support;

use std::time::{Duration, Instant};

use idaas_cache_redis::server::RedisServer;
use idaas_cache_redis::{CacheKey, CounterSnapshot};
use support::{CLIENT_ID, Member, Setup, drive};

fn setup(redis: &str, token_endpoint: &str) -> Setup {
    Setup {
        redis_url: redis.to_owned(),
        token_endpoint: token_endpoint.to_owned(),
        key: [42; 32],
        lease: Duration::from_secs(2),
        idp_delay: Duration::ZERO,
    }
}

fn snapshots(members: &[Member]) -> Vec<CounterSnapshot> {
    members.iter().map(|m| m.counters().snapshot()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_mid_run_costs_nothing_and_sharing_resumes_after_restart() {
    let lifetime = Duration::from_secs(4);
    let mut redis = RedisServer::start().unwrap();
    let emulator = support::emulator(lifetime).await;
    let s = setup(&redis.url(), &emulator.token_endpoint());
    let members: Vec<Member> = (0..4).map(|_| Member::new(&s)).collect();

    // shared: one request per token for all four
    let (errors, seen) = drive(&members, 16, lifetime).await;
    assert_eq!(errors, 0);
    assert_eq!(emulator.token_requests(CLIENT_ID), seen.len() as u64);

    // Redis dies: every member goes on alone, no caller sees it
    redis.stop();
    let before = snapshots(&members);
    let outage = lifetime * 2;
    let (errors, _) = drive(&members, 16, outage).await;
    assert_eq!(errors, 0, "no caller error during the outage");
    let during = snapshots(&members);
    // a member refreshes at most once per refresh-ahead cycle (≥ 1/3 of a
    // 3–4 s lifetime, less jitter ≤ 0.4 s: ≥ 0.9 s), as without the fleet tier
    let most = 1 + (outage.as_millis() / 900) as u64;
    for (b, d) in before.iter().zip(&during) {
        let asked = d.idp_requests - b.idp_requests;
        assert!(
            (1..=most).contains(&asked),
            "{asked} requests in the outage (≤ {most})"
        );
        assert!(d.l2_errors > b.l2_errors, "the outage was noticed");
    }
    assert!(members.iter().all(|m| !m.fleet.is_available()));

    // Redis is back (empty): the members find it again and share again
    redis.restart().unwrap();
    let (errors, _) = drive(&members, 16, lifetime * 2).await;
    assert_eq!(errors, 0);
    let after = snapshots(&members);
    assert!(members.iter().all(|m| m.fleet.is_available()));
    let shared_after: u64 = after.iter().map(|c| c.l2_hits).sum::<u64>()
        - during.iter().map(|c| c.l2_hits).sum::<u64>();
    assert!(shared_after >= 1, "sharing resumed: {after:?}");
    // a cold process joining now takes the shared token: no request of its own
    let cold = Member::new(&s);
    let requests = emulator.token_requests(CLIENT_ID);
    cold.token().await.unwrap();
    let c = cold.counters().snapshot();
    assert_eq!((c.l2_hits, c.idp_requests), (1, 0), "{c:?}");
    assert_eq!(emulator.token_requests(CLIENT_ID), requests);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_auth_is_an_outage_not_an_error() {
    let redis = RedisServer::start_with(&["--requirepass", "right-password"]).unwrap();
    let emulator = support::emulator(Duration::from_secs(60)).await;
    let s = setup(&redis.url(), &emulator.token_endpoint());
    let members: Vec<Member> = (0..3).map(|_| Member::new(&s)).collect();
    let (errors, seen) = drive(&members, 8, Duration::from_millis(600)).await;
    assert_eq!(errors, 0);
    // each asked once, as without the fleet tier
    assert_eq!(emulator.token_requests(CLIENT_ID), 3);
    assert_eq!(seen.len(), 3);
    for c in snapshots(&members) {
        assert_eq!(c.idp_requests, 1);
        assert!(c.l2_errors >= 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_redis_adds_at_most_the_get_timeout() {
    let redis = RedisServer::start_with(&["--enable-debug-command", "yes"]).unwrap();
    let emulator = support::emulator(Duration::from_secs(60)).await;
    let s = setup(&redis.url(), &emulator.token_endpoint());
    let member = Member::new(&s);
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    // the server stops answering anyone for 3 s
    let stall = tokio::spawn(async move {
        let _: redis::RedisResult<String> = redis::cmd("DEBUG")
            .arg("SLEEP")
            .arg(3)
            .query_async(&mut conn)
            .await;
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    member
        .token()
        .await
        .expect("a token despite the stalled Redis");
    let took = started.elapsed();
    // 50 ms for the GET, then the emulator; far less than the 3 s stall
    assert!(took < Duration::from_millis(1_500), "took {took:?}");
    let c = member.counters().snapshot();
    assert_eq!((c.idp_requests, c.l2_hits), (1, 0));
    assert!(c.l2_errors >= 1);
    stall.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_sealed_under_another_key_is_ignored() {
    let redis = RedisServer::start().unwrap();
    let emulator = support::emulator(Duration::from_secs(60)).await;
    let s = setup(&redis.url(), &emulator.token_endpoint());
    let first = Member::new(&s);
    let genuine = first.token().await.unwrap();
    // let the share land
    let name = first.tier.entry_name().to_owned();
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let mut sealed: Option<Vec<u8>> = None;
    for _ in 0..100 {
        sealed = redis::cmd("GET")
            .arg(&name)
            .query_async(&mut conn)
            .await
            .unwrap();
        if sealed.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let sealed = sealed.expect("the entry was shared");
    // an attacker with Redis access but another key re-seals a token under the name
    let ours = CacheKey::from_bytes(&s.key);
    let plain = ours.open(&name, &sealed).expect("opens under our key");
    let forged = String::from_utf8(plain.clone())
        .unwrap()
        .replace(&genuine, "forged-token");
    let theirs = CacheKey::from_bytes(&[7; 32]);
    let _: () = redis::cmd("SET")
        .arg(&name)
        .arg(theirs.seal(&name, forged.as_bytes()))
        .query_async(&mut conn)
        .await
        .unwrap();
    // a process joining now ignores it (never hands it out) and asks the IdP
    let second = Member::new(&s);
    let token = second.token().await.unwrap();
    assert_ne!(token, "forged-token");
    assert_ne!(token, genuine, "a new token from the IdP");
    let c = second.counters().snapshot();
    assert_eq!((c.l2_hits, c.idp_requests), (0, 1), "{c:?}");
    assert_eq!(emulator.token_requests(CLIENT_ID), 2);
    // and an entry of ours copied to another name does not open there either
    assert!(ours.open("idaas:tc:other", &sealed).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_takeover_at_the_end_of_a_wait_is_waited_for() {
    let redis = RedisServer::start().unwrap();
    let emulator = support::emulator(Duration::from_secs(60)).await;
    let s = Setup {
        lease: Duration::from_millis(600),
        idp_delay: Duration::from_millis(300),
        ..setup(&redis.url(), &emulator.token_endpoint())
    };
    let (a, b) = (Member::new(&s), Member::new(&s));
    // a holder that died just after taking the lock: it expires in one lease,
    // when the first waiter's own lease of waiting runs out too
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("SET")
        .arg(format!("{}:lock", a.tier.entry_name()))
        .arg("a-dead-holder")
        .arg("PX")
        .arg(600)
        .query_async(&mut conn)
        .await
        .unwrap();
    let first = tokio::spawn(async move { (a.token().await.unwrap(), a.counters().snapshot()) });
    tokio::time::sleep(Duration::from_millis(40)).await;
    let second = tokio::spawn(async move { (b.token().await.unwrap(), b.counters().snapshot()) });
    let (t1, c1) = first.await.unwrap();
    let (t2, c2) = second.await.unwrap();
    // one took the lock over when it expired and asked (300 ms); the other's
    // lease of waiting ran out meanwhile, yet it waited for the new holder
    assert_eq!(emulator.token_requests(CLIENT_ID), 1, "{c1:?} {c2:?}");
    assert_eq!(t1, t2);
    assert_eq!(c1.idp_requests + c2.idp_requests, 1);
    assert_eq!(c1.l2_hits + c2.l2_hits, 1);
    assert_eq!((c1.lock_waits, c2.lock_waits), (1, 1));
}
