//! Webhook subscriptions: an integrator's URL, the feed events it wants, the secret its
//! deliveries are signed with, and how far the tenant's feed has been handed over to it.
//!
//! Deliveries are ordinary outbox messages (topic [`SUBSCRIPTION_TOPIC`], destination the
//! subscription id, payload the event), so attempts, backoff and dead letters work as for
//! every other outside system. A dispatcher reads the feed after a subscription's cursor
//! and hands the matching events over with [`SubscriptionHandover::advance_subscription_cursor`],
//! which moves the cursor and writes the messages in one transaction, and only from the
//! cursor it read: two nodes on one database never hand the same events over twice.

use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use uuid::Uuid;

use crate::StoreError;
use crate::StoreResult;
use crate::columns::{Columns, Record};
use crate::delivery::records::OUTBOX_COLUMNS;
use crate::delivery::records::{NewOutbox, OutboxMessage};
use crate::orders::records::page_limit;
use crate::sql::SqlRun;

/// The outbox topic of subscription deliveries.
pub const SUBSCRIPTION_TOPIC: &str = "subscription";

/// Longest event pattern accepted; event kinds are short dotted names.
pub const MAX_PATTERN_LEN: usize = 100;

/// An integrator's subscription to a tenant's feed events.
#[derive(Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Its id; deliveries name it as their destination.
    pub id: Uuid,
    /// Where deliveries are POSTed (`http` or `https`).
    pub url: String,
    /// Event patterns: an exact kind (`order.created`), a prefix ending in `*`
    /// (`order.*`), or `*` for everything.
    pub events: Vec<String>,
    /// The HMAC-SHA256 key of its deliveries. Stored as given: signing needs it back.
    pub secret: String,
    /// Whether events are still handed over; a deleted subscription is inactive, so its
    /// delivery history stays readable.
    pub active: bool,
    /// What the integrator called it.
    pub description: Option<String>,
    /// The number of the last feed event handed over (0: none yet).
    pub cursor: i64,
    /// Created at.
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret is a credential: it never reaches a log.
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("secret", &"<redacted>")
            .field("active", &self.active)
            .field("description", &self.description)
            .field("cursor", &self.cursor)
            .field("created_at", &self.created_at)
            .finish()
    }
}

impl Subscription {
    /// Whether an event of this kind is for this subscription.
    pub fn wants(&self, kind: &str) -> bool {
        self.events.iter().any(|pattern| pattern_matches(pattern, kind))
    }
}

/// Whether `kind` matches `pattern`: `*` matches everything, `order.*` every kind starting
/// with `order.`, anything else only itself.
pub fn pattern_matches(pattern: &str, kind: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => kind.starts_with(prefix),
        None => pattern == kind,
    }
}

/// Checks an event pattern: lower-case letters, digits, `.`, `_` and `-`, with at most a
/// trailing `*`, and at most [`MAX_PATTERN_LEN`] characters.
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    if pattern.is_empty() {
        return Err("an event pattern may not be empty".into());
    }
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(format!("{pattern:?} is longer than {MAX_PATTERN_LEN} characters"));
    }
    let body = pattern.strip_suffix('*').unwrap_or(pattern);
    if let Some(bad) = body
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')))
    {
        let hint = if bad == '*' {
            " (`*` may only end a pattern)"
        } else {
            ""
        };
        return Err(format!("{pattern:?} contains {bad:?}{hint}"));
    }
    Ok(())
}

/// Subscription operations of a store, written once below for every [`SqlRun`] store.
#[async_trait::async_trait]
pub trait SubscriptionStore: Send + Sync {
    /// Stores a new subscription of a tenant (the tenant must exist); `Conflict` if the
    /// id is taken.
    async fn create_subscription(
        &self,
        tenant: &TenantId,
        subscription: &Subscription,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// A tenant's subscriptions, active and deleted, oldest first.
    async fn list_subscriptions(&self, tenant: &TenantId) -> StoreResult<Vec<Subscription>>;

    /// One subscription of a tenant.
    async fn get_subscription(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<Subscription>>;

    /// Deletes a subscription: it stops receiving events and its pending deliveries are
    /// dropped, but it stays listed with its history. False if the tenant has no active
    /// subscription with this id.
    async fn deactivate_subscription(&self, tenant: &TenantId, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Every active subscription of every tenant, for the dispatcher, as (tenant,
    /// subscription) ordered by tenant then id.
    async fn active_subscriptions(&self) -> StoreResult<Vec<(TenantId, Subscription)>>;

    /// A subscription's deliveries, newest first.
    async fn list_deliveries(&self, tenant: &TenantId, id: Uuid, limit: u32) -> StoreResult<Vec<OutboxMessage>>;
}

/// The hand-over of feed events, which each store tunes (one transaction on SQLite's
/// writer; one multi-row insert on PostgreSQL).
#[async_trait::async_trait]
pub trait SubscriptionHandover: Send + Sync {
    /// Hands feed events over: if the subscription is active and its cursor is `from`,
    /// moves it to `to` and writes `deliveries` to the outbox (due at `now`), in one
    /// transaction. False, with nothing written, if the cursor was not at `from` (another
    /// dispatcher got there first) or the subscription is gone.
    async fn advance_subscription_cursor(
        &self,
        tenant: &TenantId,
        id: Uuid,
        from: i64,
        to: i64,
        deliveries: &[NewOutbox],
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
}

/// What [`Subscription`] reads.
const SUBSCRIPTION_COLUMNS: &str =
    "tenant_id, id, url, events, secret, description, active, dispatched_seq, created_at";

#[async_trait::async_trait]
impl<S: SqlRun> SubscriptionStore for S {
    async fn create_subscription(
        &self,
        tenant: &TenantId,
        subscription: &Subscription,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let s = subscription;
        self.run(
            &format!("INSERT INTO subscriptions ({SUBSCRIPTION_COLUMNS}, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"),
            &[tenant.into(), s.id.into(), (&s.url).into(), s.events.as_slice().into(), (&s.secret).into(), (&s.description).into(), s.active.into(), s.cursor.into(), s.created_at.into(), now.into()],
        )
        .await?;
        Ok(())
    }

    async fn list_subscriptions(&self, tenant: &TenantId) -> StoreResult<Vec<Subscription>> {
        // Ids are UUIDv7: id order is creation order.
        let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE tenant_id = $1 ORDER BY id");
        self.rows(&sql, &[tenant.into()], Subscription::read).await
    }

    async fn get_subscription(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<Subscription>> {
        let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE tenant_id = $1 AND id = $2");
        self.row(&sql, &[tenant.into(), id.into()], Subscription::read).await
    }

    async fn deactivate_subscription(&self, tenant: &TenantId, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
        let sql =
            "UPDATE subscriptions SET active = false, updated_at = $3 WHERE tenant_id = $1 AND id = $2 AND active";
        Ok(self.run(sql, &[tenant.into(), id.into(), now.into()]).await? == 1)
    }

    async fn active_subscriptions(&self) -> StoreResult<Vec<(TenantId, Subscription)>> {
        let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE active ORDER BY tenant_id, id");
        self.rows(&sql, &[], |row| {
            let tenant = TenantId::parse(row.text("tenant_id")?).map_err(StoreError::Other)?;
            Ok((tenant, Subscription::read(row)?))
        })
        .await
    }

    async fn list_deliveries(&self, tenant: &TenantId, id: Uuid, limit: u32) -> StoreResult<Vec<OutboxMessage>> {
        // The topic is written out, not bound, so SQLite can use its partial index.
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE tenant_id = $1 AND topic = '{SUBSCRIPTION_TOPIC}' AND destination = $2 \
             ORDER BY id DESC LIMIT $3"
        );
        self.rows(
            &sql,
            &[tenant.into(), id.to_string().as_str().into(), page_limit(limit).into()],
            OutboxMessage::read,
        )
        .await
    }
}

impl Record for Subscription {
    /// `events` is read as a JSON array of patterns.
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            id: row.id("id")?,
            url: row.text("url")?,
            events: row.texts("events")?,
            secret: row.text("secret")?,
            active: row.flag("active")?,
            description: row.text_opt("description")?,
            cursor: row.int("dispatched_seq")?,
            created_at: row.time("created_at")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_exactly_by_prefix_or_everything() {
        assert!(pattern_matches("*", "stock.low"));
        assert!(pattern_matches("order.*", "order.created"));
        assert!(!pattern_matches("order.*", "stock.low"));
        assert!(!pattern_matches("order.*", "orders.x"));
        assert!(pattern_matches("order.created", "order.created"));
        assert!(!pattern_matches("order.created", "order.created.v2"));
    }

    #[test]
    fn patterns_are_checked() {
        for good in ["*", "order.*", "order.created", "stock.low", "mapping.drift", "a_b-c.*"] {
            assert_eq!(check_pattern(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "Order.created",
            "order.*.x",
            "**",
            "order created",
            &"x".repeat(101),
        ] {
            assert!(check_pattern(bad).is_err(), "{bad}");
        }
    }
}
