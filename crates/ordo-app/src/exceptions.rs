//! What a person does to a held order from the exception queue (审单): approve, cancel,
//! re-run the review rules, or hold by hand. One rule for the API and the console.

use chrono::{DateTime, Utc};
use ordo_core::{OrderId, OrderStatus, TenantId};
use serde::Deserialize;

use crate::actions::{ActionError, Done, OrderActions, actor_of};

/// Which exception action.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionAction {
    /// Close its holds; it goes on.
    Approve,
    /// Cancel it and release its stock.
    Cancel,
    /// Run the review rules in force again.
    Rerun,
    /// Hold it by hand.
    Hold,
}

impl ExceptionAction {
    /// All actions.
    pub const ALL: [ExceptionAction; 4] = [Self::Approve, Self::Rerun, Self::Hold, Self::Cancel];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Cancel => "cancel",
            Self::Rerun => "rerun",
            Self::Hold => "hold",
        }
    }

    /// Parses the stable name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

impl OrderActions {
    /// Carries out `action` on one order for `actor_id` (`user:…`, `token:…`).
    pub async fn exception(
        &self,
        tenant: &TenantId,
        id: OrderId,
        action: ExceptionAction,
        actor_id: &str,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Done, ActionError> {
        let actor = actor_of(actor_id);
        let to = match action {
            ExceptionAction::Rerun => return self.rerun(tenant, id, actor_id, now).await,
            ExceptionAction::Approve => {
                // Approving goes back to where the stock says (allocated, or paid).
                let record = self
                    .store()
                    .get_order(tenant, id)
                    .await?
                    .ok_or(ActionError::NotFound(id))?;
                let stock = self.store().get_order_stock(tenant, id).await?;
                let reserved = stock.allocations.iter().any(|a| a.reserved > 0) && stock.shortages.is_empty();
                // Not held: the workflow refuses the move and says why.
                if record.state.status != OrderStatus::OnHold || reserved {
                    OrderStatus::Allocated
                } else {
                    OrderStatus::Paid
                }
            }
            ExceptionAction::Cancel => OrderStatus::Cancelled,
            ExceptionAction::Hold => OrderStatus::OnHold,
        };
        self.transition(tenant, id, to, actor, actor_id, reason, None, now)
            .await
    }
}
