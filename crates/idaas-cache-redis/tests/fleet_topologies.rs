//! The fleet tier on a Sentinel-managed primary (through a failover) and on
//! a Redis Cluster: the same sharing as on one server, and a failover costs
//! callers nothing. Real `redis-server` processes on loopback.

mod support;

use std::time::{Duration, Instant};

use idaas_cache_redis::server::{RedisCluster, RedisSentinel};
use support::{CLIENT_ID, Member, Setup, drive};

fn setup(url: String, token_endpoint: String) -> Setup {
    Setup {
        redis_url: url,
        token_endpoint,
        key: [9; 32],
        lease: Duration::from_secs(2),
        idp_delay: Duration::from_millis(50),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sentinel_primary_is_shared_and_found_again_after_a_failover() {
    let mut redis = RedisSentinel::start().unwrap();
    let emulator = support::emulator(Duration::from_secs(60)).await;
    let s = setup(redis.url(), emulator.token_endpoint());
    let members: Vec<Member> = (0..4).map(|_| Member::new(&s)).collect();
    let (errors, seen) = drive(&members, 8, Duration::from_millis(300)).await;
    assert_eq!(errors, 0);
    assert_eq!(seen.len(), 1, "one token for the fleet");
    assert_eq!(emulator.token_requests(CLIENT_ID), 1);
    let shared: u64 = members
        .iter()
        .map(|m| m.counters().snapshot().l2_hits)
        .sum();
    assert!(shared >= 1, "the others took the shared entry");

    // the primary dies; the Sentinel promotes the replica
    redis.sync_replica().unwrap();
    let failover = async {
        tokio::task::spawn_blocking(move || {
            redis.fail_over().unwrap();
            redis
        })
        .await
        .unwrap()
    };
    // meanwhile processes keep starting: each asks Redis (the dead primary,
    // then the Sentinel) and none of their callers sees an error
    let joining = async {
        let end = Instant::now() + Duration::from_secs(2);
        let mut errors = 0;
        while Instant::now() < end {
            let cold = Member::new(&s);
            errors += u64::from(cold.token().await.is_err());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        errors
    };
    let (redis, (errors, _), joining_errors) = tokio::join!(
        failover,
        drive(&members, 8, Duration::from_secs(2)),
        joining
    );
    assert_eq!(errors + joining_errors, 0, "no caller saw the failover");

    // the members' own tokens were never refreshed: one request for them all
    let member_requests: u64 = members
        .iter()
        .map(|m| m.counters().snapshot().idp_requests)
        .sum();
    assert_eq!(member_requests, 1);

    // a member that knew the old primary finds the new one (its probe asks
    // the Sentinel again) and takes the replicated entry (the attempts that
    // still found Redis down are counted as requests: they are not made here)
    let member = &members[0];
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let fetched = member
            .tier
            .fetch(|| async { Err::<idaas_core::token::Credential, _>("the IdP was asked") })
            .await;
        match fetched {
            Ok(credential) => {
                assert!(seen.contains(credential.access_token.expose_secret()));
                break;
            }
            Err(_) => {
                assert!(
                    Instant::now() < deadline,
                    "the member never found the new primary"
                );
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }

    // a process started now finds the new primary through the Sentinel and
    // the entry replicated to it: no request of its own
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let cold = Member::new(&s);
        let token = cold.token().await.unwrap();
        let c = cold.counters().snapshot();
        if c.l2_hits == 1 {
            assert_eq!(c.idp_requests, 0, "{c:?}");
            assert!(seen.contains(&token));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no process found the shared entry on the new primary: {c:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    drop(redis);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_shares_one_request_between_processes() {
    let cluster = RedisCluster::start().unwrap();
    let emulator = support::emulator(Duration::from_secs(60)).await;
    let s = setup(cluster.url(), emulator.token_endpoint());
    let members: Vec<Member> = (0..4).map(|_| Member::new(&s)).collect();
    let (errors, seen) = drive(&members, 16, Duration::from_millis(500)).await;
    assert_eq!(errors, 0);
    assert_eq!(seen.len(), 1, "one token for the fleet");
    assert_eq!(emulator.token_requests(CLIENT_ID), 1);
    let c: Vec<_> = members.iter().map(|m| m.counters().snapshot()).collect();
    assert_eq!(c.iter().map(|c| c.idp_requests).sum::<u64>(), 1, "{c:?}");
    assert_eq!(c.iter().map(|c| c.l2_hits).sum::<u64>(), 3, "{c:?}");
    assert!(c.iter().all(|c| c.l2_errors == 0), "{c:?}");
    // a cold process joins: the shared entry, wherever its slot lives
    let cold = Member::new(&s);
    assert!(seen.contains(&cold.token().await.unwrap()));
    assert_eq!(cold.counters().snapshot().l2_hits, 1);
    assert_eq!(emulator.token_requests(CLIENT_ID), 1);
}
