//! [`RedisServer`]: a throwaway `redis-server` on a loopback ephemeral port,
//! in its own temporary directory, stopped (and its directory removed) on
//! drop; [`RedisSentinel`] (a primary, a replica and a Sentinel) and
//! [`RedisCluster`] (three primaries) built from them. For tests and
//! benches; the binaries come from the Debian package `redis-server` (and
//! its dependency `redis-tools` for `redis-cli`; `.ci/run` installs them).

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where the binary is looked for: `$REDIS_SERVER`, else `redis-server` on `PATH`.
pub const BINARY_ENV: &str = "REDIS_SERVER";
/// Where `redis-cli` is looked for: `$REDIS_CLI`, else on `PATH`.
pub const CLI_ENV: &str = "REDIS_CLI";
/// The service name the [`RedisSentinel`] monitors.
pub const SENTINEL_SERVICE: &str = "fleet-primary";

/// A running `redis-server` child process.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    extra: Vec<String>,
    /// A Sentinel: `redis-server <dir>/sentinel.conf --sentinel`, monitoring this port.
    sentinel_of: Option<u16>,
}

impl RedisServer {
    /// Starts one with no persistence, on `127.0.0.1` and a free port.
    pub fn start() -> std::io::Result<Self> {
        Self::start_with(&[])
    }

    /// [`start`](Self::start) with extra `redis-server` arguments (e.g.
    /// `["--requirepass", "pw"]`).
    pub fn start_with(extra: &[&str]) -> std::io::Result<Self> {
        let dir = temp_dir()?;
        let mut server = Self {
            child: None,
            port: 0,
            dir,
            extra: extra.iter().map(|s| (*s).to_owned()).collect(),
            sentinel_of: None,
        };
        let mut last = None;
        for _ in 0..5 {
            server.port = free_port()?;
            match server.spawn() {
                Ok(()) => return Ok(server),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("redis-server did not start")))
    }

    fn spawn(&mut self) -> std::io::Result<()> {
        let binary = std::env::var(BINARY_ENV).unwrap_or_else(|_| "redis-server".into());
        let port = self.port.to_string();
        let dir = self.dir.display().to_string();
        let conf = self.dir.join("sentinel.conf").display().to_string();
        if let Some(primary) = self.sentinel_of {
            // a Sentinel rewrites its configuration file: written afresh each start
            std::fs::write(
                &conf,
                format!(
                    "port {port}\nbind 127.0.0.1\ndir {dir}\n\
                     sentinel monitor {SENTINEL_SERVICE} 127.0.0.1 {primary} 1\n\
                     sentinel down-after-milliseconds {SENTINEL_SERVICE} 500\n\
                     sentinel failover-timeout {SENTINEL_SERVICE} 2000\n"
                ),
            )?;
        }
        let mut args = match self.sentinel_of {
            Some(_) => vec![conf.as_str(), "--sentinel", "--loglevel", "warning"],
            None => vec![
                "--bind",
                "127.0.0.1",
                "--port",
                &port,
                "--dir",
                &dir,
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ],
        };
        args.extend(self.extra.iter().map(String::as_str));
        let mut child = Command::new(&binary)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("cannot run {binary} ({e}): install the redis-server package or set {BINARY_ENV}"),
                )
            })?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait()? {
                return Err(std::io::Error::other(format!(
                    "redis-server exited at start ({status}); port {} taken?",
                    self.port
                )));
            }
            if TcpStream::connect_timeout(&self.addr(), Duration::from_millis(100)).is_ok() {
                self.child = Some(child);
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        Err(std::io::Error::other(
            "redis-server did not listen within 10 s",
        ))
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills it (as a crash would: no goodbye to clients).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port (empty: nothing was persisted).
    pub fn restart(&mut self) -> std::io::Result<()> {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.spawn() {
                Ok(()) => return Ok(()),
                // the port may linger a moment
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100))
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// A primary, its replica and one Sentinel monitoring them (quorum 1,
/// down after 500 ms): kill the primary and the replica is promoted within
/// a few seconds.
#[derive(Debug)]
pub struct RedisSentinel {
    /// The primary at start.
    pub primary: RedisServer,
    /// Its replica.
    pub replica: RedisServer,
    /// The Sentinel.
    pub sentinel: RedisServer,
}

impl RedisSentinel {
    /// Starts the three, and waits until the Sentinel sees the replica.
    pub fn start() -> std::io::Result<Self> {
        let primary = RedisServer::start()?;
        let port = primary.port.to_string();
        let replica = RedisServer::start_with(&["--replicaof", "127.0.0.1", &port])?;
        let mut sentinel = RedisServer {
            child: None,
            port: 0,
            dir: temp_dir()?,
            extra: Vec::new(),
            sentinel_of: Some(primary.port),
        };
        let mut last = None;
        for _ in 0..5 {
            sentinel.port = free_port()?;
            match sentinel.spawn() {
                Ok(()) => {
                    last = None;
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        if let Some(e) = last {
            return Err(e);
        }
        let this = Self {
            primary,
            replica,
            sentinel,
        };
        let replicas = format!("SENTINEL REPLICAS {SENTINEL_SERVICE}");
        wait_until(
            Duration::from_secs(15),
            "the Sentinel to see the replica",
            || cli(this.sentinel.port, &replicas).is_ok_and(|out| out.contains("slave")),
        )?;
        Ok(this)
    }

    /// `redis+sentinel://127.0.0.1:<sentinel port>/fleet-primary`.
    pub fn url(&self) -> String {
        format!(
            "redis+sentinel://127.0.0.1:{}/{SENTINEL_SERVICE}",
            self.sentinel.port
        )
    }

    /// Waits until every write so far reached the replica (`WAIT 1`).
    pub fn sync_replica(&self) -> std::io::Result<()> {
        let acked = cli(self.primary.port, "WAIT 1 5000")?;
        match acked.trim() {
            "1" => Ok(()),
            other => Err(std::io::Error::other(format!(
                "the replica acknowledged {other:?}, not 1"
            ))),
        }
    }

    /// Kills the primary, then waits until the Sentinel names the replica.
    pub fn fail_over(&mut self) -> std::io::Result<()> {
        self.primary.stop();
        let replica = self.replica.port.to_string();
        let ask = format!("SENTINEL GET-MASTER-ADDR-BY-NAME {SENTINEL_SERVICE}");
        wait_until(
            Duration::from_secs(30),
            "the Sentinel to promote the replica",
            || {
                cli(self.sentinel.port, &ask)
                    .is_ok_and(|out| out.lines().any(|l| l.trim() == replica))
            },
        )
    }
}

/// Three primaries forming a Redis Cluster (every slot assigned).
#[derive(Debug)]
pub struct RedisCluster {
    /// The nodes.
    pub nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts three nodes and joins them (`redis-cli --cluster create`),
    /// then waits for `cluster_state:ok` on each.
    pub fn start() -> std::io::Result<Self> {
        let nodes = (0..3)
            .map(|_| {
                RedisServer::start_with(&[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    "2000",
                ])
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        let mut args = vec!["--cluster".to_owned(), "create".to_owned()];
        args.extend(nodes.iter().map(|n| format!("127.0.0.1:{}", n.port)));
        args.push("--cluster-yes".into());
        let out = Command::new(cli_binary())
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .map_err(cli_missing)?;
        if !out.status.success() {
            return Err(std::io::Error::other(format!(
                "redis-cli --cluster create failed: {}",
                String::from_utf8_lossy(&out.stdout)
            )));
        }
        let this = Self { nodes };
        for node in &this.nodes {
            wait_until(Duration::from_secs(15), "cluster_state:ok", || {
                cli(node.port, "CLUSTER INFO").is_ok_and(|out| out.contains("cluster_state:ok"))
            })?;
        }
        Ok(this)
    }

    /// `redis+cluster://127.0.0.1:<p1>,127.0.0.1:<p2>,…`.
    pub fn url(&self) -> String {
        let seeds: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        format!("redis+cluster://{}", seeds.join(","))
    }
}

fn cli_binary() -> String {
    std::env::var(CLI_ENV).unwrap_or_else(|_| "redis-cli".into())
}

fn cli_missing(e: std::io::Error) -> std::io::Error {
    std::io::Error::new(
        e.kind(),
        format!("cannot run redis-cli ({e}): install redis-tools or set {CLI_ENV}"),
    )
}

/// `redis-cli -p port <command words>`: its stdout.
fn cli(port: u16, command: &str) -> std::io::Result<String> {
    let out = Command::new(cli_binary())
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(command.split_whitespace())
        .stdin(Stdio::null())
        .output()
        .map_err(cli_missing)?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn wait_until(limit: Duration, what: &str, mut ready: impl FnMut() -> bool) -> std::io::Result<()> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if ready() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(std::io::Error::other(format!(
        "waited {limit:?} for {what}"
    )))
}

fn temp_dir() -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "idaas-redis-{}-{:x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}
