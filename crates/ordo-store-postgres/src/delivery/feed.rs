//! Waking live-feed readers on every node: a transaction that appends to a tenant's feed
//! also runs `pg_notify('ordo_feed', tenant)` (see `alloc_tx.rs`), which PostgreSQL
//! delivers to every listening session once, and only if, that transaction commits. Each
//! [`PgStore`] keeps at most one `LISTEN` session and fans its notifications out over a
//! broadcast channel.

use std::time::Duration;

use ordo_store::StoreResult;
use sqlx::PgPool;
use sqlx::postgres::{PgListener, PgPoolOptions};
use tokio::sync::{broadcast, oneshot};

use crate::PgStore;
use crate::errors::map;

/// The NOTIFY channel a committed feed append is announced on (payload: the tenant id).
pub(crate) const FEED_CHANNEL: &str = "ordo_feed";

/// Notifications a slow subscriber may fall behind by before it sees `Lagged`.
const CAPACITY: usize = 1024;

/// The listening session of one [`PgStore`] (shared by its clones).
#[derive(Debug)]
pub(crate) struct FeedListener {
    sender: broadcast::Sender<String>,
    /// Its own one-connection pool, so listening never takes a connection queries need,
    /// and closing it ends the listening task.
    pool: PgPool,
    /// Dropped with the last clone of the store, which ends the listening task.
    _stop: oneshot::Sender<()>,
}

impl FeedListener {
    async fn start(main: &PgPool) -> StoreResult<Self> {
        let options = (*main.connect_options()).clone();
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .connect_with(options)
            .await
            .map_err(map)?;
        let mut listener = PgListener::connect_with(&pool).await.map_err(map)?;
        listener.listen(FEED_CHANNEL).await.map_err(map)?;
        let (sender, _) = broadcast::channel(CAPACITY);
        let (stop, mut stopped) = oneshot::channel::<()>();
        let out = sender.clone();
        tokio::spawn(async move {
            loop {
                let next = tokio::select! {
                    _ = &mut stopped => break,
                    next = listener.try_recv() => next,
                };
                // Sending fails only when nobody subscribes right now; keep listening for
                // those who will.
                match next {
                    Ok(Some(notification)) => {
                        let _ = out.send(notification.payload().to_owned());
                    }
                    // The session was lost and reopened: whatever was announced meanwhile
                    // is gone, so tell everyone to look.
                    Ok(None) => {
                        let _ = out.send(String::new());
                    }
                    Err(sqlx::Error::PoolClosed) => break,
                    Err(_) => {
                        // The server is unreachable; try_recv reconnects on the next call.
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        let _ = out.send(String::new());
                    }
                }
            }
        });
        Ok(Self {
            sender,
            pool,
            _stop: stop,
        })
    }

    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }
}

impl PgStore {
    /// Subscribes to feed appends committed by any Ordo node on this database.
    ///
    /// Each message is the id of a tenant whose feed grew; read it with
    /// [`read_feed`](ordo_store::OutboxStore::read_feed) after the last sequence number
    /// seen. An empty string means announcements may have been missed (the listening
    /// session was lost and reopened): every subscriber should read its feed again. So
    /// does a `Lagged` error from the receiver. A message can also name a tenant whose feed
    /// did not change for this store (NOTIFY is per database, and several schemas can
    /// share one), so a message is a hint to read, never the event itself.
    ///
    /// The first call opens one `LISTEN` connection (outside the query pool) that the
    /// store's clones share; it closes with [`PgStore::close`] or the last clone.
    pub async fn listen_feed(&self) -> StoreResult<broadcast::Receiver<String>> {
        let listener = self.feed.get_or_try_init(|| FeedListener::start(&self.pool)).await?;
        Ok(listener.sender.subscribe())
    }
}
