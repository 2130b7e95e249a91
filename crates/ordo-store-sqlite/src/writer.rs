//! The write path: one SQLite connection, driven synchronously on a blocking thread.
//!
//! Why not the async driver used for reads: it runs each statement on a thread of its own
//! and the caller waits for a reply per statement. Under full CPU load every such reply
//! waits for a scheduler time slice, and a batch of a few statements spent most of its
//! time waiting. Here a whole transaction (dozens of orders, hundreds of statements) runs
//! on one thread with cached prepared statements, without a single hand-off.
//!
//! The [`IngestTx`] and [`StockTx`] methods below are `async` only because the shared flow
//! is; none of them ever waits, so the flow is polled to completion in place on the
//! writer thread.

use std::path::Path;
use std::time::Duration;

use ordo_core::OrderStatus;
use ordo_store::{StoreError, StoreResult};
use rusqlite::{Connection, OptionalExtension};

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// The one write connection, owned by a thread of its own, and the checkpointer.
#[derive(Clone)]
pub(crate) struct Writer {
    jobs: std::sync::mpsc::Sender<Job>,
    /// Dropped with the last handle, which stops the checkpointer.
    _checkpointer: std::sync::mpsc::Sender<()>,
}

/// How often the checkpointer copies committed WAL pages into the database file. Often
/// enough that the WAL stays a few megabytes under full load.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(25);

/// Every this many passive checkpoints, one RESTART checkpoint. SQLite starts the WAL
/// over only when a checkpoint has caught up with the last commit as the writer begins;
/// under continuous load a passive checkpoint never quite does, and the WAL (and every
/// page lookup in it) would grow without bound. RESTART copies the short tail the passive
/// ones left, holding the writer off for those few milliseconds, about once a second.
const PASSIVE_CHECKPOINTS_PER_RESTART: u32 = 160;

/// Maps a rusqlite error into the port's terms.
pub(crate) fn map_rusqlite(error: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode as C;
    match error.sqlite_error_code() {
        Some(C::DatabaseBusy | C::DatabaseLocked) => StoreError::Retryable(error.to_string()),
        Some(C::ConstraintViolation) => StoreError::Conflict(error.to_string()),
        Some(C::CannotOpen | C::DiskFull | C::SystemIoFailure) => StoreError::Unavailable(error.to_string()),
        _ => StoreError::Other(error.to_string()),
    }
}

/// Asks the OS to run the calling thread ahead of ordinary ones. This thread is the one
/// serial step of ingestion: when it waits for a time slice, every request waits. On the
/// 2-core benchmark it cut p99 by about a fifth. Needs
/// CAP_SYS_NICE (or root); without it the thread keeps the default priority.
fn raise_thread_priority() {
    // SAFETY: plain syscalls on the calling thread, with no pointers.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, -10);
    }
}

impl Writer {
    /// Opens the write connection with the store's durability settings and starts its
    /// thread. The thread ends when the last `Writer` handle is dropped.
    pub(crate) fn open(path: &Path, busy_timeout: Duration) -> StoreResult<Self> {
        let mut conn = Connection::open(path).map_err(map_rusqlite)?;
        conn.busy_timeout(busy_timeout).map_err(map_rusqlite)?;
        // FULL: a commit that returned is on disk. The statement journal lives in memory:
        // it is rebuilt per statement and never needs to survive a crash.
        // Auto-checkpoint is off here: copying WAL pages into the database file (and
        // syncing it) took a quarter of the writer's time. The checkpointer thread does it
        // instead, on another connection, while the writer goes on writing.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
             PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -65536;",
        )
        .map_err(map_rusqlite)?;
        let checkpointer = start_checkpointer(path, busy_timeout)?;
        conn.set_prepared_statement_cache_capacity(64);
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("ordo-sqlite-writer".into())
            .spawn(move || {
                raise_thread_priority();
                while let Ok(job) = queue.recv() {
                    job(&mut conn);
                }
            })
            .map_err(|e| StoreError::Other(format!("cannot start the SQLite writer thread: {e}")))?;
        Ok(Self {
            jobs,
            _checkpointer: checkpointer,
        })
    }

    /// Runs `work` inside one `BEGIN IMMEDIATE` transaction on the writer thread and
    /// commits if it returns `Ok`; rolls back otherwise.
    pub(crate) async fn transaction<R, F>(&self, work: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&mut WriteTx<'_>) -> StoreResult<R> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let queued = std::time::Instant::now();
        let job: Job = Box::new(move |conn: &mut Connection| {
            let started = std::time::Instant::now();
            metrics::histogram!("ordo_sqlite_writer_wait_seconds").record((started - queued).as_secs_f64());
            let result = run_transaction(conn, work);
            metrics::histogram!("ordo_sqlite_transaction_seconds").record(started.elapsed().as_secs_f64());
            let _ = reply.send(result);
        });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::Unavailable("the SQLite writer thread has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Other("the SQLite writer dropped a transaction".into()))?
    }
}

/// Starts the checkpointer thread; it stops when the returned sender is dropped.
fn start_checkpointer(path: &Path, busy_timeout: Duration) -> StoreResult<std::sync::mpsc::Sender<()>> {
    let conn = Connection::open(path).map_err(map_rusqlite)?;
    conn.busy_timeout(busy_timeout).map_err(map_rusqlite)?;
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("ordo-sqlite-checkpoint".into())
        .spawn(move || {
            let mut round = 0_u32;
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_INTERVAL) {
                round = round.wrapping_add(1);
                // PASSIVE never blocks the writer or readers; what it cannot copy now it
                // copies next time.
                let mode = if round.is_multiple_of(PASSIVE_CHECKPOINTS_PER_RESTART) {
                    "RESTART"
                } else {
                    "PASSIVE"
                };
                if let Err(error) = conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(())) {
                    tracing::warn!(%error, mode, "WAL checkpoint failed; will retry");
                }
            }
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        })
        .map_err(|e| StoreError::Other(format!("cannot start the SQLite checkpoint thread: {e}")))?;
    Ok(stop)
}

fn run_transaction<R>(conn: &mut Connection, work: impl FnOnce(&mut WriteTx<'_>) -> StoreResult<R>) -> StoreResult<R> {
    conn.execute_batch("BEGIN IMMEDIATE").map_err(map_rusqlite)?;
    let result = work(&mut WriteTx { conn: &mut *conn });
    let outcome = match result {
        Ok(value) => conn.execute_batch("COMMIT").map(|()| value).map_err(map_rusqlite),
        Err(error) => Err(error),
    };
    if outcome.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    outcome
}

/// Drives a future that never waits (see the module doc) to completion, on the calling
/// thread. A future that does wait is a bug, reported as an error rather than a hang.
pub(crate) fn run_to_completion<T>(future: impl std::future::Future<Output = StoreResult<T>>) -> StoreResult<T> {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(result) => result,
        std::task::Poll::Pending => Err(StoreError::Other("a SQLite write step tried to wait".into())),
    }
}

/// An open write transaction.
pub struct WriteTx<'c> {
    conn: &'c mut Connection,
}

pub(crate) fn status(text: &str) -> StoreResult<OrderStatus> {
    OrderStatus::parse(text).ok_or_else(|| StoreError::Other(format!("unknown order status {text:?}")))
}

pub(crate) fn to_json(value: &Option<serde_json::Value>) -> Option<String> {
    value.as_ref().map(|v| v.to_string())
}

impl WriteTx<'_> {
    /// A cached statement.
    pub(crate) fn prepare(&mut self, sql: &str) -> StoreResult<rusqlite::CachedStatement<'_>> {
        self.conn.prepare_cached(sql).map_err(map_rusqlite)
    }

    /// Runs one cached statement.
    pub(crate) fn execute(&mut self, sql: &str, params: impl rusqlite::Params) -> StoreResult<usize> {
        self.conn
            .prepare_cached(sql)
            .and_then(|mut s| s.execute(params))
            .map_err(map_rusqlite)
    }

    /// Runs one cached query for at most one row.
    pub(crate) fn query_one<T>(
        &mut self,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> StoreResult<Option<T>> {
        self.conn
            .prepare_cached(sql)
            .and_then(|mut s| s.query_row(params, map).optional())
            .map_err(map_rusqlite)
    }

    /// Runs one cached query for every row.
    pub(crate) fn query_all<T>(
        &mut self,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> StoreResult<Vec<T>> {
        self.conn
            .prepare_cached(sql)
            .and_then(|mut s| s.query_map(params, map)?.collect())
            .map_err(map_rusqlite)
    }
}
