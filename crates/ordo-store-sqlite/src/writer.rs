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

use chrono::{DateTime, Utc};
use ordo_core::ingest::{NewEvent, OrderState, Outcome};
use ordo_core::inventory::StockLevel;
use ordo_core::matching::OrderKeys;
use ordo_core::{ChannelId, ExternalOrderId, OrderId, OrderStatus, TenantId};
use ordo_store::flow::{IdempotencyRecord, InboxRow, IngestTx, LockedOrder, order_document, order_from_document};
use ordo_store::inventory::{MovementRecord, SkuKind, StockTx};
use ordo_store::{InboxStatus, StoreError, StoreResult};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use crate::micros;

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
pub(crate) struct WriteTx<'c> {
    conn: &'c mut Connection,
}

pub(crate) fn status(text: &str) -> StoreResult<OrderStatus> {
    OrderStatus::parse(text).ok_or_else(|| StoreError::Other(format!("unknown order status {text:?}")))
}

fn to_json(value: &Option<serde_json::Value>) -> Option<String> {
    value.as_ref().map(|v| v.to_string())
}

impl WriteTx<'_> {
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

impl IngestTx for WriteTx<'_> {
    async fn inbox_status(&mut self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<InboxStatus>> {
        let text = self.query_one(
            "SELECT status FROM inbox WHERE tenant_id = ?1 AND id = ?2",
            params![tenant.as_str(), id],
            |r| r.get::<_, String>(0),
        )?;
        text.map(|t| InboxStatus::parse(&t).ok_or_else(|| StoreError::Other(format!("unknown inbox status {t:?}"))))
            .transpose()
    }

    async fn find_idempotency(&mut self, tenant: &TenantId, key: &str) -> StoreResult<Option<IdempotencyRecord>> {
        let row = self.query_one(
            "SELECT request_hash, order_id, inbox_id, outcome, status, version FROM idempotency_keys \
             WHERE tenant_id = ?1 AND key = ?2",
            params![tenant.as_str(), key],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Uuid>(1)?,
                    r.get::<_, Uuid>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            },
        )?;
        let Some((request_hash, order_id, inbox_id, outcome, order_status, version)) = row else {
            return Ok(None);
        };
        Ok(Some(IdempotencyRecord {
            request_hash,
            order_id: OrderId(order_id),
            inbox_id,
            outcome: Outcome::parse(&outcome)
                .ok_or_else(|| StoreError::Other(format!("unknown outcome {outcome:?}")))?,
            status: status(&order_status)?,
            version,
        }))
    }

    async fn insert_idempotency(
        &mut self,
        tenant: &TenantId,
        key: &str,
        record: &IdempotencyRecord,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let inserted = self.execute(
            "INSERT INTO idempotency_keys (tenant_id, key, request_hash, order_id, inbox_id, outcome, status, version, \
             created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
            params![
                tenant.as_str(),
                key,
                record.request_hash,
                record.order_id.0,
                record.inbox_id,
                record.outcome.as_str(),
                record.status.as_str(),
                record.version,
                micros(now)
            ],
        )?;
        Ok(inserted == 1)
    }

    async fn lock_order(
        &mut self,
        tenant: &TenantId,
        channel: &ChannelId,
        external_id: &ExternalOrderId,
    ) -> StoreResult<Option<LockedOrder>> {
        let row = self.query_one(
            "SELECT id, status, version, last_event_seq, document FROM orders \
             WHERE tenant_id = ?1 AND channel = ?2 AND external_id = ?3",
            params![tenant.as_str(), channel.as_str(), external_id.as_str()],
            |r| {
                Ok((
                    r.get::<_, Uuid>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                ))
            },
        )?;
        let Some((id, order_status, version, last_event_seq, document)) = row else {
            return Ok(None);
        };
        Ok(Some(LockedOrder {
            state: OrderState {
                id: OrderId(id),
                order: order_from_document(&document)?,
                status: status(&order_status)?,
                version,
            },
            last_event_seq,
        }))
    }

    async fn insert_order(
        &mut self,
        tenant: &TenantId,
        state: &OrderState,
        last_event_seq: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let order = &state.order;
        let keys = OrderKeys::of(order);
        let inserted = self.execute(
            "INSERT INTO orders (tenant_id, id, channel, external_id, status, version, last_event_seq, placed_at, \
             buyer_id, buyer_email, buyer_phone, buyer_name, currency, total_minor, document, created_at, updated_at, \
             match_key, fingerprint) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16, ?17, ?18) \
             ON CONFLICT DO NOTHING",
            params![
                tenant.as_str(),
                state.id.0,
                order.channel.as_str(),
                order.external_id.as_str(),
                state.status.as_str(),
                state.version,
                last_event_seq,
                micros(order.placed_at),
                order.buyer.id,
                order.buyer.email,
                order.buyer.phone,
                order.buyer.name,
                order.currency.code(),
                order.totals().total,
                order_document(order),
                micros(now),
                keys.match_key,
                keys.fingerprint
            ],
        )?;
        Ok(inserted == 1)
    }

    async fn update_order(
        &mut self,
        tenant: &TenantId,
        state: &OrderState,
        last_event_seq: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let order = &state.order;
        let keys = OrderKeys::of(order);
        self.execute(
            "UPDATE orders SET status = ?1, version = ?2, last_event_seq = ?3, placed_at = ?4, buyer_id = ?5, \
             buyer_email = ?6, buyer_phone = ?7, buyer_name = ?8, currency = ?9, total_minor = ?10, document = ?11, \
             updated_at = ?12, match_key = ?15, fingerprint = ?16 WHERE tenant_id = ?13 AND id = ?14",
            params![
                state.status.as_str(),
                state.version,
                last_event_seq,
                micros(order.placed_at),
                order.buyer.id,
                order.buyer.email,
                order.buyer.phone,
                order.buyer.name,
                order.currency.code(),
                order.totals().total,
                order_document(order),
                micros(now),
                tenant.as_str(),
                state.id.0,
                keys.match_key,
                keys.fingerprint
            ],
        )?;
        Ok(())
    }

    async fn append_events(
        &mut self,
        tenant: &TenantId,
        order_id: OrderId,
        first_seq: i64,
        events: &[NewEvent],
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        for (offset, event) in events.iter().enumerate() {
            self.execute(
                "INSERT INTO order_events (tenant_id, order_id, seq, kind, at, actor, data) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    tenant.as_str(),
                    order_id.0,
                    first_seq + offset as i64,
                    event.kind.as_str(),
                    micros(now),
                    actor,
                    event.data.to_string()
                ],
            )?;
        }
        Ok(())
    }

    async fn insert_inbox(&mut self, row: &InboxRow<'_>) -> StoreResult<()> {
        let inbox = row.inbox;
        self.execute(
            "INSERT INTO inbox (tenant_id, id, source, channel, external_id, received_at, status, error, order_id, \
             outcome, attempts, replay_of, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11, ?12)",
            params![
                inbox.tenant.as_str(),
                inbox.id,
                inbox.source,
                inbox.channel,
                inbox.external_id,
                micros(inbox.received_at),
                row.status.as_str(),
                to_json(&row.error),
                row.order_id.map(|id| id.0),
                row.outcome,
                row.replay_of,
                inbox.body
            ],
        )?;
        Ok(())
    }

    async fn update_inbox(&mut self, row: &InboxRow<'_>) -> StoreResult<()> {
        self.execute(
            "UPDATE inbox SET status = ?1, error = ?2, order_id = ?3, outcome = ?4, attempts = attempts + 1, \
             channel = COALESCE(?5, channel), external_id = COALESCE(?6, external_id) WHERE tenant_id = ?7 AND id = ?8",
            params![
                row.status.as_str(),
                to_json(&row.error),
                row.order_id.map(|id| id.0),
                row.outcome,
                row.inbox.channel,
                row.inbox.external_id,
                row.inbox.tenant.as_str(),
                row.inbox.id
            ],
        )?;
        Ok(())
    }

    async fn resolve_inbox(&mut self, tenant: &TenantId, id: Uuid, resolved_by: Uuid) -> StoreResult<()> {
        self.execute(
            "UPDATE inbox SET status = 'resolved', resolved_by = ?1 WHERE tenant_id = ?2 AND id = ?3 AND status = 'failed'",
            params![resolved_by, tenant.as_str(), id],
        )?;
        Ok(())
    }
}

impl StockTx for WriteTx<'_> {
    async fn warehouse_exists(&mut self, tenant: &TenantId, code: &str) -> StoreResult<bool> {
        let found = self.query_one(
            "SELECT 1 FROM warehouses WHERE tenant_id = ?1 AND code = ?2",
            params![tenant.as_str(), code],
            |_| Ok(()),
        )?;
        Ok(found.is_some())
    }

    async fn sku_kind(&mut self, tenant: &TenantId, code: &str) -> StoreResult<SkuKind> {
        let bundle = self.query_one(
            "SELECT is_bundle FROM skus WHERE tenant_id = ?1 AND code = ?2",
            params![tenant.as_str(), code],
            |r| r.get::<_, bool>(0),
        )?;
        Ok(match bundle {
            None => SkuKind::Unknown,
            Some(true) => SkuKind::Bundle,
            Some(false) => SkuKind::Stocked,
        })
    }

    async fn lock_level(&mut self, tenant: &TenantId, warehouse: &str, sku: &str) -> StoreResult<Option<StockLevel>> {
        self.query_one(
            "SELECT on_hand, reserved, safety_stock FROM stock_levels WHERE tenant_id = ?1 AND sku = ?2 AND warehouse = ?3",
            params![tenant.as_str(), sku, warehouse],
            |r| Ok(StockLevel { on_hand: r.get(0)?, reserved: r.get(1)?, safety_stock: r.get(2)? }),
        )
    }

    async fn write_level(
        &mut self,
        tenant: &TenantId,
        warehouse: &str,
        sku: &str,
        level: &StockLevel,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.execute(
            "INSERT INTO stock_levels (tenant_id, warehouse, sku, on_hand, reserved, safety_stock, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (tenant_id, sku, warehouse) DO UPDATE SET \
             on_hand = excluded.on_hand, reserved = excluded.reserved, safety_stock = excluded.safety_stock, \
             updated_at = excluded.updated_at",
            params![
                tenant.as_str(),
                warehouse,
                sku,
                level.on_hand,
                level.reserved,
                level.safety_stock,
                micros(now)
            ],
        )?;
        Ok(())
    }

    async fn insert_movement(&mut self, tenant: &TenantId, m: &MovementRecord) -> StoreResult<()> {
        self.execute(
            "INSERT INTO stock_movements (tenant_id, id, warehouse, sku, kind, quantity, on_hand_after, reserved_after, \
             reason, reference, actor, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                tenant.as_str(),
                m.id,
                m.warehouse,
                m.sku,
                m.kind.as_str(),
                m.quantity,
                m.on_hand_after,
                m.reserved_after,
                m.reason,
                m.reference,
                m.actor,
                micros(m.at)
            ],
        )?;
        Ok(())
    }
}
