//! After-sale records a connector polled (Taobao refunds, Douyin and Pinduoduo
//! after-sales), taken in through [`crate::connectors::StoreSink`]: each record is kept in
//! the inbox before anything is done with it, read by [`crate::channel_aftersales`], and
//! applied under the tenant's after-sale flow by [`channel_aftersales::apply::apply`].
//!
//! The inbox entry is written first as `failed` with the code `aftersale_pending` (so a
//! crash between keeping and applying leaves it visible and replayable), then rewritten
//! as `processed` (outcome `noted`) once applied, or as `failed` with why: the record did
//! not read (its code and JSON path), its order is not stored (`order_unknown`), or a rule
//! refused it. Only a store that cannot keep it stops the connector's after-sale cursor.
//!
//! Polls re-read the overlap of their windows; a record byte for byte equal to one
//! already applied is not kept again. Applying twice would change nothing either: refunds
//! are recorded once per channel refund id, cases found by the channel's case id.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use chrono::Utc;
use ordo_connect::SinkError;
use ordo_core::TenantId;
use ordo_store::{InboxWrite, IngestItem, NewInbox, Store};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::channel_aftersales::apply::{ApplyError, apply};
use crate::channel_aftersales::{self, ChannelAfterSale};
use crate::service::IngestService;

/// The inbox source of polled after-sale records: `connector-aftersale:{platform}`.
pub const SOURCE_PREFIX: &str = "connector-aftersale:";

/// Records remembered per sink.
const SEEN_CAPACITY: usize = 50_000;

/// A record's digest.
type Digest = [u8; 32];

/// Digests of records recently applied, bounded: the set, and the order they came in.
#[derive(Default)]
pub struct AfterSalesSeen {
    inner: Mutex<(HashSet<Digest>, VecDeque<Digest>)>,
}

impl AfterSalesSeen {
    fn contains(&self, digest: &[u8; 32]) -> bool {
        self.inner.lock().expect("seen records lock").0.contains(digest)
    }

    fn insert(&self, digest: [u8; 32]) {
        let mut guard = self.inner.lock().expect("seen records lock");
        let (set, order) = &mut *guard;
        if set.insert(digest) {
            order.push_back(digest);
            if order.len() > SEEN_CAPACITY
                && let Some(old) = order.pop_front()
            {
                set.remove(&old);
            }
        }
    }
}

/// The order a record names, for the inbox entry.
fn order_of(event: &ChannelAfterSale) -> Option<String> {
    match event {
        ChannelAfterSale::Case { case, .. } => case.external_order_id.clone(),
        ChannelAfterSale::Refund(refund) => Some(refund.external_order_id.clone()),
        ChannelAfterSale::Return(ret) => ret.external_order_id.clone(),
        _ => None,
    }
}

/// Keeps, reads and applies one after-sale record `platform`'s list gave for `channel`.
pub async fn take(
    service: &IngestService,
    store: &dyn Store,
    tenant: &TenantId,
    seen: &AfterSalesSeen,
    channel: &str,
    platform: &str,
    payload: Value,
) -> Result<(), SinkError> {
    let body = serde_json::to_vec(&payload).map_err(|e| SinkError::new(e.to_string()))?;
    let digest: [u8; 32] = {
        use sha2::Digest;
        let mut hash = sha2::Sha256::new();
        hash.update(platform.as_bytes());
        hash.update([0]);
        hash.update(&body);
        hash.finalize().into()
    };
    if seen.contains(&digest) {
        metrics::counter!("ordo_channel_aftersale_rereads_skipped_total", "channel" => channel.to_owned()).increment(1);
        return Ok(());
    }
    let parsed = channel_aftersales::parse(platform, "aftersale", &payload);
    let external_id = parsed.as_ref().ok().and_then(|e| e.as_ref()).and_then(order_of);
    let inbox = |write| NewInbox {
        id: Uuid::now_v7(),
        tenant: tenant.clone(),
        source: format!("{SOURCE_PREFIX}{platform}"),
        received_at: Utc::now(),
        body: body.clone(),
        channel: Some(channel.to_owned()),
        external_id: external_id.clone(),
        write,
    };
    let keep = |item| async { service.keep(item).await.map_err(|e| SinkError::new(e.to_string())) };
    let event = match parsed {
        Ok(Some(event)) => event,
        other => {
            let error = match other {
                Err(error) => json!({
                    "code": error.code, "message": error.message, "details": { "path": error.path },
                }),
                _ => {
                    json!({ "code": "not_after_sale", "message": format!("{platform} has no after-sale record reader") })
                }
            };
            keep(IngestItem::Failed {
                inbox: inbox(InboxWrite::Insert),
                error,
            })
            .await?;
            return Ok(());
        }
    };
    // Kept before it is applied: a failure from here on is visible and replayable.
    let mut entry = inbox(InboxWrite::Insert);
    let pending = json!({ "code": "aftersale_pending", "message": "kept; not applied yet" });
    keep(IngestItem::Failed {
        inbox: entry.clone(),
        error: pending,
    })
    .await?;
    entry.write = InboxWrite::Reprocess;

    let flow = service.aftersale_flow(tenant);
    let outcome = apply(store, tenant, channel, &event, &flow, Utc::now()).await;
    let error = match outcome {
        Ok(applied) => {
            tracing::debug!(channel, ?applied, "after-sale record applied");
            keep(IngestItem::Noted { inbox: entry }).await?;
            seen.insert(digest);
            return Ok(());
        }
        Err(ApplyError::OrderUnknown { channel, external_id }) => json!({
            "code": "order_unknown",
            "message": format!("no {channel} order {external_id} is stored yet"),
        }),
        Err(ApplyError::Refused(e)) => json!({ "code": "aftersale_refused", "message": e.to_string() }),
        Err(ApplyError::Store(e)) => {
            return Err(SinkError::new(e.to_string()));
        }
    };
    tracing::warn!(channel, %error, "after-sale record kept, not applied");
    keep(IngestItem::Failed { inbox: entry, error }).await?;
    Ok(())
}
