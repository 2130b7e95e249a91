//! A PostgreSQL of the test's own, in a temporary directory on a free port: started,
//! killed with `kill -9` and restarted on the same data, and stopped when dropped.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::server::free_port;

/// The newest PostgreSQL server installed under `/usr/lib/postgresql/<version>/bin`.
fn postgres_bin() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let major = name.split('.').next()?.parse().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("postgres").is_file()).then_some((major, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, bin)| bin)
        .expect("this test needs a PostgreSQL server: no initdb and postgres under /usr/lib/postgresql/*/bin")
}

fn id(args: &[&str]) -> u32 {
    let output = Command::new("id").args(args).output().expect("running id");
    assert!(output.status.success(), "id {args:?} failed");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("id prints a number")
}

/// PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user
/// (uid, gid). They are started with that uid directly rather than through `runuser`, so
/// the child process is the postmaster itself and killing the child kills the postmaster.
fn server_owner() -> Option<(u32, u32)> {
    (id(&["-u"]) == 0).then(|| (id(&["-u", "postgres"]), id(&["-g", "postgres"])))
}

/// A PostgreSQL program, with no `PG*` variable of the caller's environment steering it.
fn pg_command(program: &Path, owner: Option<(u32, u32)>, dir: &Path) -> Command {
    let mut command = Command::new(program);
    command.current_dir(dir);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PG") {
            command.env_remove(name);
        }
    }
    if let Some((uid, gid)) = owner {
        command.uid(uid).gid(gid);
    }
    command
}

/// A private PostgreSQL on 127.0.0.1; stopped when dropped, so nothing is left running.
pub struct Postgres {
    bin: PathBuf,
    /// Holds the data directory, the socket and the server's log.
    dir: PathBuf,
    port: u16,
    owner: Option<(u32, u32)>,
    postmaster: Option<Child>,
}

impl Postgres {
    pub fn init(dir: &Path) -> Self {
        let bin = postgres_bin();
        let owner = server_owner();
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir, Some(uid), Some(gid)).expect("handing the directory to postgres");
        }
        // --no-sync: only the server process is killed here, never the machine, so the
        // initial files need not reach the disk.
        let output = pg_command(&bin.join("initdb"), owner, dir)
            .args([
                "-D",
                "data",
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .output()
            .expect("running initdb");
        assert!(
            output.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Self {
            bin,
            dir: dir.to_owned(),
            port: free_port(),
            owner,
            postmaster: None,
        }
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the postmaster and waits until it accepts connections (after a crash, until
    /// its recovery is done). Right after a `kill -9` the old server's backends may hold
    /// its shared memory for a moment and a new postmaster exits at once: it is started
    /// again until one stays up.
    pub async fn start(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let log_path = self.dir.join("postgres.log");
        loop {
            let log = File::options().create(true).append(true).open(&log_path).unwrap();
            let mut child = pg_command(&self.bin.join("postgres"), self.owner, &self.dir)
                .args(["-D", "data", "-p", &self.port.to_string()])
                .args([
                    "-k",
                    &self.dir.display().to_string(),
                    "-c",
                    "listen_addresses=127.0.0.1",
                ])
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("starting postgres");
            loop {
                if self.accepting() {
                    self.postmaster = Some(child);
                    return;
                }
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "PostgreSQL did not start within 20 s; its log:\n{}",
                        std::fs::read_to_string(&log_path).unwrap_or_default()
                    );
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert!(
                Instant::now() < deadline,
                "PostgreSQL kept exiting at start; its log:\n{}",
                std::fs::read_to_string(&log_path).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn accepting(&self) -> bool {
        pg_command(&self.bin.join("pg_isready"), None, &self.dir)
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-q",
                "-t",
                "1",
            ])
            .status()
            .is_ok_and(|status| status.success())
    }

    /// SIGKILL to the postmaster: no shutdown checkpoint, nothing flushed on the way out.
    pub fn kill_dash_9(&mut self) {
        let mut postmaster = self.postmaster.take().expect("postgres is running");
        postmaster.kill().unwrap();
        postmaster.wait().unwrap();
    }

    /// Runs one query with `psql`, apart from Ordo; rows come back as `|`-separated fields.
    pub fn query(&self, sql: &str) -> Vec<Vec<String>> {
        let output = pg_command(&self.bin.join("psql"), None, &self.dir)
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                "postgres",
            ])
            .args(["-X", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .expect("running psql");
        assert!(
            output.status.success(),
            "psql failed on {sql}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .filter(|line| !line.is_empty())
            .map(|line| line.split('|').map(str::to_owned).collect())
            .collect()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(mut postmaster) = self.postmaster.take() {
            // A fast shutdown takes the backends down with the postmaster; SIGKILL if it
            // does not finish in time.
            let _ = Command::new("kill")
                .args(["-INT", &postmaster.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(postmaster.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = postmaster.kill();
            let _ = postmaster.wait();
        }
    }
}
