//! Group commit: many arrivals, one transaction, one fsync.
//!
//! Each writer task takes whatever has queued up (at most `max_batch`), applies it in one
//! store transaction, and only then answers every caller. Under light load a batch is one
//! item and latency is one commit; under heavy load batches grow and throughput follows,
//! without a timer that would add latency.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use ordo_store::{IngestItem, IngestResult, Store, StoreError};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::feed::FeedHub;

/// Pipeline limits.
#[derive(Debug, Clone, Copy)]
pub struct PipelineConfig {
    /// Most arrivals in one transaction. 256 keeps a transaction's lock time to a few
    /// milliseconds on SQLite, well inside the 20 ms latency budget.
    pub max_batch: usize,
    /// Arrivals waiting for a writer. When full, callers wait (their request timeout
    /// bounds how long): about one second of peak load.
    pub queue_capacity: usize,
    /// Writer tasks; `None` asks the store how many it can use.
    pub writers: Option<usize>,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            max_batch: 256,
            queue_capacity: 16_384,
            writers: None,
        }
    }
}

/// Why an arrival was not applied. Nothing was committed for it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IngestError {
    /// The store is unreachable or kept failing; the caller should retry later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The pipeline is shutting down.
    #[error("shutting down")]
    ShuttingDown,
    /// A bug or corrupt data.
    #[error("internal error: {0}")]
    Internal(String),
}

type Reply = oneshot::Sender<Result<IngestResult, IngestError>>;

struct Job {
    item: IngestItem,
    reply: Reply,
}

/// A handle to submit arrivals; cheap to clone.
#[derive(Clone)]
pub struct Pipeline {
    sender: mpsc::Sender<Job>,
}

/// Completes when the writers have committed everything queued and stopped.
pub struct WritersHandle {
    finished: oneshot::Receiver<()>,
}

impl WritersHandle {
    /// Waits for the writers to finish.
    pub async fn join(self) {
        let _ = self.finished.await;
    }
}

/// Transient failures are retried this many times before a batch is split up.
const RETRIES: u32 = 3;

impl Pipeline {
    /// Starts the writer tasks on a thread of their own. They stop when every `Pipeline`
    /// handle is dropped, after finishing what is queued.
    ///
    /// Why a thread: a writer awaits the database several times per batch. On the API's
    /// runtime each of those wake-ups would queue behind every in-flight HTTP request, and
    /// the one SQLite writer would spend most of a batch waiting to be polled. On its own
    /// runtime it is polled at once.
    ///
    /// After every commit the feed hub is bumped, so live-stream subscribers read at once.
    pub fn start(store: Arc<dyn Store>, config: PipelineConfig, feed: FeedHub) -> (Self, WritersHandle) {
        let (sender, receiver) = mpsc::channel(config.queue_capacity.max(1));
        let receiver = Arc::new(Mutex::new(receiver));
        let writers = config.writers.unwrap_or_else(|| store.parallel_writers()).max(1);
        let max_batch = config.max_batch.max(1);
        metrics::gauge!("ordo_ingest_writers").set(writers as f64);
        let (done, finished) = oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
        let spawned = std::thread::Builder::new().name("ordo-writer".into()).spawn(move || {
            let Ok(runtime) = runtime else {
                tracing::error!("cannot build the writer runtime");
                return;
            };
            runtime.block_on(async move {
                let tasks: Vec<_> = (0..writers)
                    .map(|_| tokio::spawn(writer(store.clone(), receiver.clone(), max_batch, feed.clone())))
                    .collect();
                for task in tasks {
                    let _ = task.await;
                }
            });
            let _ = done.send(());
        });
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the writer thread");
        }
        (Self { sender }, WritersHandle { finished })
    }

    /// Applies one arrival; returns once it is committed (or certainly not).
    pub async fn submit(&self, item: IngestItem) -> Result<IngestResult, IngestError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Job { item, reply })
            .await
            .map_err(|_| IngestError::ShuttingDown)?;
        answer
            .await
            .map_err(|_| IngestError::Internal("writer stopped before answering".into()))?
    }
}

async fn writer(store: Arc<dyn Store>, receiver: Arc<Mutex<mpsc::Receiver<Job>>>, max_batch: usize, feed: FeedHub) {
    let mut jobs = Vec::with_capacity(max_batch);
    loop {
        {
            let mut receiver = receiver.lock().await;
            if receiver.recv_many(&mut jobs, max_batch).await == 0 {
                return;
            }
        }
        metrics::histogram!("ordo_ingest_batch_size").record(jobs.len() as f64);
        let started = Instant::now();
        let (items, replies): (Vec<_>, Vec<_>) = jobs.drain(..).map(|job| (job.item, job.reply)).unzip();
        let items: Arc<[IngestItem]> = items.into();
        match apply_with_retries(store.as_ref(), &items).await {
            Ok(results) => {
                feed.bump();
                answer_all(replies, results);
            }
            Err(error) if items.len() > 1 => {
                // Something in the batch fails: apply items alone so one bad item cannot
                // take its neighbours down with it.
                tracing::warn!(%error, batch = items.len(), "batch failed; applying items one by one");
                for (item, reply) in items.iter().zip(replies) {
                    let single: Arc<[IngestItem]> = Arc::new([item.clone()]);
                    let result = apply_with_retries(store.as_ref(), &single).await;
                    feed.bump();
                    let _ = reply.send(result.map(|mut r| r.remove(0)).map_err(to_ingest_error));
                }
            }
            Err(error) => {
                for reply in replies {
                    let _ = reply.send(Err(to_ingest_error(error.clone())));
                }
            }
        }
        metrics::histogram!("ordo_ingest_batch_seconds").record(started.elapsed().as_secs_f64());
    }
}

fn answer_all(replies: Vec<Reply>, results: Vec<IngestResult>) {
    for (reply, result) in replies.into_iter().zip(results) {
        metrics::counter!("ordo_ingest_total", "result" => result_label(&result)).increment(1);
        // A caller that gave up (timeout) no longer listens; its arrival is committed anyway
        // and a retry will be recognised as a duplicate.
        let _ = reply.send(Ok(result));
    }
}

fn result_label(result: &IngestResult) -> &'static str {
    match result {
        IngestResult::Applied { outcome, .. } => outcome.as_str(),
        IngestResult::FailedKept { .. } => "failed",
        IngestResult::IdempotencyKeyReused { .. } => "idempotency_key_reused",
        IngestResult::NotReplayable { .. } => "not_replayable",
    }
}

async fn apply_with_retries(store: &dyn Store, items: &Arc<[IngestItem]>) -> Result<Vec<IngestResult>, StoreError> {
    let mut attempt = 0;
    loop {
        match store.ingest_batch(items.clone(), Utc::now()).await {
            Err(StoreError::Retryable(reason)) if attempt < RETRIES => {
                attempt += 1;
                metrics::counter!("ordo_ingest_retries_total").increment(1);
                tracing::debug!(%reason, attempt, "transient store conflict; retrying");
                tokio::time::sleep(Duration::from_millis(2 << attempt)).await;
            }
            other => return other,
        }
    }
}

fn to_ingest_error(error: StoreError) -> IngestError {
    match error {
        StoreError::Unavailable(m) | StoreError::Retryable(m) => IngestError::Unavailable(m),
        other => IngestError::Internal(other.to_string()),
    }
}
