//! What people, rules and connectors do to one order after it arrived, checked against
//! the workflow in force: each request is a move from the order's status to another,
//! allowed only if the workflow has that transition for this actor and its guards pass.
//! The store then carries it out in one transaction (stock, status, event, outbox), with
//! the actions the transition names (see [`effects_of`]).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use ordo_core::allocation::{OrderStock, StockPolicy};
use ordo_core::{OrderId, OrderStatus, TenantId};
use ordo_store::OrderAction;
use ordo_store::fulfilment::push::PushTargets;
use ordo_store::workflow::effects::{Effect, Effects};
use ordo_store::{OrderRequest, OrderRequestError, Shipment, Store, StoreError};
use ordo_workflow::{Action, Actor, Guard, GuardContext, Transition, TransitionError};

use crate::policies::Policies;

/// Why an action was refused.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// No such order.
    #[error("order {0} not found")]
    NotFound(OrderId),
    /// The workflow does not allow it: `code` is `illegal_transition`, `guard_failed`,
    /// `actor_not_allowed` or `reason_required`.
    #[error("{message}")]
    Workflow {
        /// Stable code.
        code: &'static str,
        /// Names what is allowed.
        message: String,
    },
    /// The stock does not allow it.
    #[error("{0}")]
    Stock(String),
    /// The request itself is wrong (e.g. an edit that does not validate).
    #[error("{message}")]
    Invalid {
        /// Stable code.
        code: &'static str,
        /// What was wrong and where.
        message: String,
        /// Per-field problems.
        details: Vec<ordo_core::FieldError>,
    },
    /// Store trouble.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An order after an action.
#[derive(Debug, Clone)]
pub struct Done {
    /// Status afterwards.
    pub status: OrderStatus,
    /// Version afterwards.
    pub version: i64,
    /// What it holds afterwards.
    pub stock: OrderStock,
    /// The workflow transition taken.
    pub transition: String,
}

/// Order actions under each tenant's workflow, rules and stock policy in force.
#[derive(Clone)]
pub struct OrderActions {
    store: Arc<dyn Store>,
    policies: Policies,
    push: PushTargets,
}

impl OrderActions {
    /// Actions over a store; `push_to_warehouse` sends nothing until [`Self::with_push`].
    pub fn new(store: Arc<dyn Store>, policies: Policies) -> Self {
        Self {
            store,
            policies,
            push: PushTargets::default(),
        }
    }

    /// The warehouses that take fulfilment requests (live), for transitions that name
    /// `push_to_warehouse`.
    pub fn with_push(mut self, push: PushTargets) -> Self {
        self.push = push;
        self
    }

    /// The policies in force.
    pub fn policies(&self) -> &Policies {
        &self.policies
    }

    fn stock(&self, tenant: &TenantId) -> StockPolicy {
        self.policies.for_tenant(tenant).inventory.stock()
    }

    /// The statuses an order passes through on `tenant`'s workflow's shortest way from
    /// `from` to `to` (`to` last); `None` when the workflow has no way. Warehouses and
    /// carriers report where an order is, not each move, and may skip some.
    pub fn steps(&self, tenant: &TenantId, from: OrderStatus, to: OrderStatus) -> Option<Vec<OrderStatus>> {
        let workflow = self.policies.for_tenant(tenant).workflow.clone();
        workflow.path(from, to).map(|path| path.iter().map(|t| t.to).collect())
    }

    /// How `tenant`'s after-sale cases move, and its restocking fee.
    pub fn aftersales(&self, tenant: &TenantId) -> crate::policies::kinds::AfterSalePolicy {
        self.policies.for_tenant(tenant).aftersales.clone()
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Moves an order to `to`, as the workflow allows for this actor. A shipment carries
    /// the tracking of a move to `shipped`.
    #[allow(clippy::too_many_arguments)]
    pub async fn transition(
        &self,
        tenant: &TenantId,
        id: OrderId,
        to: OrderStatus,
        actor: Actor,
        actor_id: &str,
        reason: Option<String>,
        shipment: Option<Shipment>,
        now: DateTime<Utc>,
    ) -> Result<Done, ActionError> {
        let record = self
            .store
            .get_order(tenant, id)
            .await?
            .ok_or(ActionError::NotFound(id))?;
        let from = record.state.status;
        let stock = self.store.get_order_stock(tenant, id).await?;
        let holds = self.store.order_holds(tenant, id).await?;
        let order = &record.state.order;
        let address = order.destination();
        let ctx = GuardContext {
            actor,
            financial_status: order.financial_status,
            stock_reserved: stock.allocations.iter().any(|a| a.reserved > 0),
            shortage: !stock.shortages.is_empty(),
            // Leaving on_hold closes the holds, so they do not stand in the way of it.
            open_review_hold: from != OrderStatus::OnHold && holds.iter().any(|h| h.closed_at.is_none()),
            // Nothing to ship needs no address.
            address_complete: !order.ships() || (!address.line1.trim().is_empty() && !address.country.is_empty()),
            has_tracking: shipment.as_ref().is_some_and(|s| s.tracking_number.is_some()),
            reason: reason.as_deref(),
        };
        let workflow = self.policies.for_tenant(tenant).workflow.clone();
        let transition = workflow.check(from, to, &ctx).map_err(workflow_error)?;
        let name = transition.name.clone();
        let effects = effects_of(transition, self.push.clone());
        let request = match to {
            OrderStatus::Shipped => Some(OrderRequest::Ship(shipment.unwrap_or_default())),
            OrderStatus::Cancelled => Some(OrderRequest::Cancel {
                reason: reason.clone().unwrap_or_else(|| format!("cancelled by {actor_id}")),
            }),
            OrderStatus::Returned if transition.actions.contains(&Action::Restock) => Some(OrderRequest::Return(None)),
            OrderStatus::Allocated if from != OrderStatus::OnHold && transition.actions.contains(&Action::Reserve) => {
                Some(OrderRequest::Retry)
            }
            _ => None,
        };
        let refunds = transition.actions.contains(&Action::Refund);
        if let Some(request) = request {
            let request = OrderRequest::Workflow {
                request: Box::new(request),
                effects,
            };
            let done = self.request(tenant, id, &request, actor_id, name, now).await?;
            if refunds {
                self.refund_rest(tenant, id, actor, actor_id, now).await?;
            }
            return Ok(done);
        }
        let action = match (from, to) {
            (_, OrderStatus::OnHold) => OrderAction::Hold {
                note: reason.unwrap_or_else(|| "held by hand".into()),
            },
            (OrderStatus::OnHold, _) => OrderAction::Release {
                resolution: "approved".into(),
                note: reason,
            },
            _ => OrderAction::Move {
                transition: name.clone(),
                to,
                from: transition.from.clone(),
                reason,
                require_no_holds: transition.guards.contains(&Guard::Reviewed),
            },
        };
        let action = OrderAction::Workflow {
            action: Box::new(action),
            effects,
        };
        let done = self.act(tenant, id, &action, actor_id, name, now).await?;
        if refunds {
            self.refund_rest(tenant, id, actor, actor_id, now).await?;
        }
        Ok(done)
    }

    /// The `refund` action: records a refund of what is left of the payment, after the
    /// move (a refund is an after-sale record of its own, idempotent in effect: nothing
    /// is left to refund the second time). A connector's move reports money the channel
    /// already gave back; a person's or Ordo's is Ordo's own refund.
    async fn refund_rest(
        &self,
        tenant: &TenantId,
        id: OrderId,
        actor: Actor,
        actor_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ActionError> {
        let record = self
            .store
            .get_order(tenant, id)
            .await?
            .ok_or(ActionError::NotFound(id))?;
        let refunds = self.store.order_refunds(tenant, id).await?;
        let left = crate::aftersales::payment(&record.state.order, &refunds).net;
        if left <= 0 {
            return Ok(());
        }
        let new = ordo_store::aftersales::records::NewRefund {
            order_id: id,
            case_id: None,
            channel_refund_id: None,
            units: Default::default(),
            shipping: 0,
            amount: Some(left),
            restocking_fee_permille: 0,
            source: if actor == Actor::Connector { "channel" } else { "ordo" }.into(),
            stated_amount: None,
            note: Some("the workflow's refund action".into()),
        };
        let flow = self.aftersales(tenant).flow();
        self.store
            .record_refund(tenant, &new, &flow, actor_id, now)
            .await?
            .map(|_| ())
            .map_err(|e| ActionError::Invalid {
                code: e.code(),
                message: e.to_string(),
                details: Vec::new(),
            })
    }

    /// Runs the review rules in force on a held (or paid, or allocated) order again.
    pub async fn rerun(
        &self,
        tenant: &TenantId,
        id: OrderId,
        actor_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Done, ActionError> {
        let reviewer = self.policies.for_tenant(tenant).reviewer.clone();
        self.act(
            tenant,
            id,
            &OrderAction::Review(reviewer),
            actor_id,
            "review".into(),
            now,
        )
        .await
    }

    /// Applies an edit (the whole corrected order), then runs the rules again if it is held.
    pub async fn edit(
        &self,
        tenant: &TenantId,
        id: OrderId,
        order: ordo_core::Order,
        changes: serde_json::Value,
        actor_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Done, ActionError> {
        let action = OrderAction::Edit {
            order: Box::new(order),
            changes,
        };
        let done = self.act(tenant, id, &action, actor_id, "edit".into(), now).await?;
        if done.status == OrderStatus::OnHold {
            return self.rerun(tenant, id, actor_id, now).await;
        }
        Ok(done)
    }

    /// Re-reviews orders whose deferred review is due; returns how many were looked at.
    pub async fn release_due(&self, tenant: &TenantId, now: DateTime<Utc>, limit: u32) -> Result<usize, StoreError> {
        let due = self.store.due_reviews(tenant, now, limit).await?;
        for id in &due {
            match self.rerun(tenant, *id, "rule:review", now).await {
                Ok(_) | Err(ActionError::Workflow { .. } | ActionError::NotFound(_)) => {}
                Err(ActionError::Store(e)) => return Err(e),
                Err(other) => tracing::warn!(order = %id, error = %other, "deferred review failed"),
            }
        }
        Ok(due.len())
    }

    /// A warehouse shipped short: what shipped leaves, the short units are written off
    /// there and the rest is reserved again elsewhere and sent on, or waits on hold.
    pub async fn ship_short(
        &self,
        tenant: &TenantId,
        id: OrderId,
        request: &OrderRequest,
        actor_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Done, ActionError> {
        self.request(tenant, id, request, actor_id, "ship_short".into(), now)
            .await
    }

    async fn request(
        &self,
        tenant: &TenantId,
        id: OrderId,
        request: &OrderRequest,
        actor_id: &str,
        transition: String,
        now: DateTime<Utc>,
    ) -> Result<Done, ActionError> {
        match self
            .store
            .order_request(tenant, id, request, self.stock(tenant), actor_id, now)
            .await?
        {
            Ok(outcome) => Ok(Done {
                status: outcome.status,
                version: outcome.version,
                stock: outcome.stock,
                transition,
            }),
            Err(e) => Err(refused(id, e)),
        }
    }

    async fn act(
        &self,
        tenant: &TenantId,
        id: OrderId,
        action: &OrderAction,
        actor_id: &str,
        transition: String,
        now: DateTime<Utc>,
    ) -> Result<Done, ActionError> {
        match self
            .store
            .order_action(tenant, id, action, self.stock(tenant), actor_id, now)
            .await?
        {
            Ok(outcome) => Ok(Done {
                status: outcome.status,
                version: outcome.version,
                stock: self.store.get_order_stock(tenant, id).await?,
                transition,
            }),
            Err(e) => Err(refused(id, e)),
        }
    }
}

/// What the store runs of a transition's actions, in their order. `ship` and `restock`
/// are the moves to `shipped` and `returned` themselves (the request that records the
/// shipment or the returned goods), and a cancellation always releases what the order
/// holds; `route` reserves as `reserve` does (sourcing chooses the warehouses). `refund`
/// is no store effect: it records a refund of what is left after the move
/// (`OrderActions::transition`).
pub fn effects_of(transition: &Transition, push: PushTargets) -> Effects {
    let run = transition
        .actions
        .iter()
        .filter_map(|action| match action {
            Action::Reserve | Action::Route => Some(Effect::Reserve),
            Action::Release => Some(Effect::Release),
            Action::PushToWarehouse => Some(Effect::PushToWarehouse),
            Action::Notify => Some(Effect::Notify),
            Action::WriteBack => Some(Effect::WriteBack),
            Action::Ship | Action::Restock | Action::Refund => None,
        })
        .fold(Vec::new(), |mut run, effect| {
            if !run.contains(&effect) {
                run.push(effect);
            }
            run
        });
    Effects {
        transition: transition.name.clone(),
        run,
        push,
    }
}

fn refused(id: OrderId, error: OrderRequestError) -> ActionError {
    match error {
        OrderRequestError::NotFound => ActionError::NotFound(id),
        e @ OrderRequestError::IllegalState { .. } => ActionError::Workflow {
            code: "illegal_transition",
            message: e.to_string(),
        },
        OrderRequestError::Plan(e) => ActionError::Stock(e.to_string()),
    }
}

fn workflow_error(error: TransitionError) -> ActionError {
    ActionError::Workflow {
        code: error.code(),
        message: error.to_string(),
    }
}

/// The workflow actor of a principal's actor id (`token:…` is a user, `connector:…` a
/// connector, `rule:…` a rule, anything else the system).
pub fn actor_of(actor_id: &str) -> Actor {
    match actor_id.split(':').next() {
        Some("token" | "user") => Actor::User,
        Some("connector" | "webhook" | "warehouse") => Actor::Connector,
        Some("rule") => Actor::Rule,
        _ => Actor::System,
    }
}

/// Every few seconds, re-reviews every tenant's orders whose deferred review is due
/// (e.g. `paid_for`, `review_window`), until `stop`.
pub fn spawn_due_reviews(
    actions: OrderActions,
    cluster: crate::cluster::Cluster,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    // Deferrals are minutes long; looking every five seconds keeps the delay small
    // without a query per order.
    const EVERY: std::time::Duration = std::time::Duration::from_secs(5);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(EVERY) => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
            if !cluster.lead("due-reviews").await {
                continue;
            }
            let tenants = match actions.store.list_tenants().await {
                Ok(t) => t,
                Err(error) => {
                    tracing::warn!(%error, "due reviews: cannot list tenants");
                    continue;
                }
            };
            for tenant in tenants {
                if let Err(error) = actions.release_due(&tenant.id, Utc::now(), 200).await {
                    tracing::warn!(%error, tenant = %tenant.id, "due reviews failed");
                }
            }
        }
    })
}
