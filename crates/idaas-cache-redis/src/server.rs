//! [`RedisServer`]: a throwaway `redis-server` on a loopback ephemeral port,
//! in its own temporary directory, stopped (and its directory removed) on
//! drop. For tests and benches; the binary comes from the Debian package
//! `redis-server` (`.ci/run` installs it).

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where the binary is looked for: `$REDIS_SERVER`, else `redis-server` on `PATH`.
pub const BINARY_ENV: &str = "REDIS_SERVER";

/// A running `redis-server` child process.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    extra: Vec<String>,
}

impl RedisServer {
    /// Starts one with no persistence, on `127.0.0.1` and a free port.
    pub fn start() -> std::io::Result<Self> {
        Self::start_with(&[])
    }

    /// [`start`](Self::start) with extra `redis-server` arguments (e.g.
    /// `["--requirepass", "pw"]`).
    pub fn start_with(extra: &[&str]) -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(format!(
            "idaas-redis-{}-{:x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir)?;
        let mut server = Self {
            child: None,
            port: 0,
            dir,
            extra: extra.iter().map(|s| (*s).to_owned()).collect(),
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
        let mut args = vec![
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
        ];
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
