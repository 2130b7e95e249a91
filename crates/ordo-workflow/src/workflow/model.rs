//! The vocabulary of a workflow: actors, guards, actions, transitions, the facts guards
//! look at, why a move is refused, and the record of a move that happened.

use chrono::{DateTime, Utc};
use ordo_core::OrderStatus;
use ordo_core::order::FinancialStatus;
use serde::{Deserialize, Serialize};

wire_enum!(
    /// Who asks for a move.
    Actor {
        /// A sales-channel or warehouse connector reporting what happened outside.
        Connector = "connector",
        /// A person using the console or API.
        User = "user",
        /// A review rule.
        Rule = "rule",
        /// Ordo itself: timers, automatic allocation.
        System = "system",
    }
);

wire_enum!(
    /// A condition that must hold before a move. The catalogue is fixed so that a typo in
    /// a workflow file is an error at load time, not a guard that silently never passes.
    Guard {
        /// The financial status is `paid` or `partially_paid`.
        Paid = "paid",
        /// Stock for every line is reserved.
        StockReserved = "stock_reserved",
        /// No review hold is open.
        Reviewed = "reviewed",
        /// No line is short of stock.
        NoShortage = "no_shortage",
        /// The shipping address is complete enough to ship to.
        AddressComplete = "address_complete",
        /// A tracking number is recorded.
        HasTracking = "has_tracking",
    }
);

wire_enum!(
    /// What a move does besides changing the status. The workflow only names them; the
    /// store runs them in the transaction that records the move (`ordo-app` `actions`),
    /// so each happens exactly when the move does, and what goes out (feed, outbox) goes
    /// at least once.
    Action {
        /// Reserve stock for what the order does not hold yet.
        Reserve = "reserve",
        /// Release every unit the order holds or waits for.
        Release = "release",
        /// Reserve as `reserve` does; sourcing chooses the warehouses.
        Route = "route",
        /// Send the allocated order (with no open hold) to its warehouses: one `wms.fulfil`
        /// request to each that takes requests from Ordo; a warehouse served outside Ordo
        /// is sent nothing.
        PushToWarehouse = "push_to_warehouse",
        /// Record the shipment and deduct shipped stock. A move to `shipped` does this
        /// whether it names it or not.
        Ship = "ship",
        /// Put returned goods back into stock; a move to `returned` restocks only when
        /// it names this.
        Restock = "restock",
        /// Give the buyer's money back: after the move, a refund of what is left of the
        /// payment is recorded (an after-sale record of its own; the channel's when a
        /// connector took the move).
        Refund = "refund",
        /// Tell the buyer: a `customer.notification` feed event (and so to webhook
        /// subscribers) with the new status as `template`, the transition and the
        /// parcels; a shipment's is the `shipped` notice. A move to `delivered` whose
        /// every parcel the carrier already reported delivered adds none.
        Notify = "notify",
        /// Report the new status back to the sales channel through the outbox: a
        /// shipment's tracking (`channel.tracking`), a cancellation (`channel.cancel`),
        /// any other status (`channel.status`).
        WriteBack = "write_back",
    }
);

wire_enum!(
    /// Whether a move needs a written reason.
    ReasonPolicy {
        /// A reason may be given.
        Optional = "optional",
        /// Every actor must give one.
        Required = "required",
        /// People must say why; connectors, rules and the system carry their own cause
        /// (the channel's event, the rule's name, the timer).
        RequiredForUsers = "required_for_users",
    }
);

impl ReasonPolicy {
    /// True when `actor` must give a reason.
    pub fn requires(self, actor: Actor) -> bool {
        match self {
            Self::Optional => false,
            Self::Required => true,
            Self::RequiredForUsers => actor == Actor::User,
        }
    }
}

/// The facts guards look at, gathered by the caller for one order at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardContext<'a> {
    /// Who asks for the move.
    pub actor: Actor,
    /// The order's payment state.
    pub financial_status: FinancialStatus,
    /// Stock for every line is reserved.
    pub stock_reserved: bool,
    /// Some line is short of stock.
    pub shortage: bool,
    /// A review hold is open.
    pub open_review_hold: bool,
    /// The address is complete enough to ship to.
    pub address_complete: bool,
    /// A tracking number is recorded.
    pub has_tracking: bool,
    /// Why the move is made, when the actor says.
    pub reason: Option<&'a str>,
}

impl GuardContext<'_> {
    /// A context in which every guard passes, for `actor`; tests and simulations change
    /// the one fact they are about.
    pub fn all_clear(actor: Actor) -> Self {
        Self {
            actor,
            financial_status: FinancialStatus::Paid,
            stock_reserved: true,
            shortage: false,
            open_review_hold: false,
            address_complete: true,
            has_tracking: true,
            reason: None,
        }
    }
}

impl Guard {
    /// `Ok` when the guard holds, else a sentence saying what is missing.
    pub fn evaluate(self, ctx: &GuardContext<'_>) -> Result<(), String> {
        let fails = |message: &str| Err(message.to_owned());
        match self {
            Self::Paid => match ctx.financial_status {
                FinancialStatus::Paid | FinancialStatus::PartiallyPaid => Ok(()),
                other => Err(format!(
                    "the order is not paid (financial status is {}; needs paid or partially_paid)",
                    other.as_str()
                )),
            },
            Self::StockReserved if !ctx.stock_reserved => fails("stock is not reserved for every line"),
            Self::Reviewed if ctx.open_review_hold => fails("a review hold is still open"),
            Self::NoShortage if ctx.shortage => fails("some line is short of stock"),
            Self::AddressComplete if !ctx.address_complete => fails("the shipping address is incomplete"),
            Self::HasTracking if !ctx.has_tracking => fails("no tracking number is recorded"),
            _ => Ok(()),
        }
    }
}

/// One named move between states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// Unique name, e.g. `allocate`.
    pub name: String,
    /// States it may start from; never empty, never containing `to`.
    pub from: Vec<OrderStatus>,
    /// The state it leads to.
    pub to: OrderStatus,
    /// Who may make it; never empty.
    pub by: Vec<Actor>,
    /// Checked in order before the move.
    pub guards: Vec<Guard>,
    /// Run with the move, in order.
    pub actions: Vec<Action>,
    /// Whether a reason must be given.
    pub reason: ReasonPolicy,
    /// What the move means, for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Transition {
    /// The record of this transition made now, for the order's event log.
    pub fn record(
        &self,
        from: OrderStatus,
        actor: Actor,
        actor_id: impl Into<String>,
        reason: Option<&str>,
        at: DateTime<Utc>,
    ) -> TransitionRecord {
        TransitionRecord {
            from,
            to: self.to,
            transition: self.name.clone(),
            actor,
            actor_id: actor_id.into(),
            reason: reason.map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned),
            at,
        }
    }
}

/// A move that happened: the data of a status-change event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionRecord {
    /// State before.
    pub from: OrderStatus,
    /// State after.
    pub to: OrderStatus,
    /// Name of the transition.
    pub transition: String,
    /// Kind of actor.
    pub actor: Actor,
    /// Which one: a user id, a connector code, a rule name, a timer name.
    pub actor_id: String,
    /// Why, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When it happened.
    pub at: DateTime<Utc>,
}

impl TransitionRecord {
    /// The JSON stored as the event's data.
    pub fn to_json(&self) -> serde_json::Value {
        // Every field serialises to plain JSON, so this cannot fail.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// Why a move was refused. Each variant has a stable [`TransitionError::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The workflow has no such move.
    #[error(
        "cannot move from {} to {}; from {} an order can move to: {}",
        from.as_str(), to.as_str(), from.as_str(), names(allowed.iter().map(|s| s.as_str()))
    )]
    Illegal {
        /// Current state.
        from: OrderStatus,
        /// Requested state.
        to: OrderStatus,
        /// States reachable in one step from `from`.
        allowed: Vec<OrderStatus>,
    },
    /// A guard does not hold.
    #[error("{transition}: {message}")]
    Guard {
        /// The transition asked for.
        transition: String,
        /// The guard that failed.
        guard: Guard,
        /// What is missing.
        message: String,
    },
    /// The actor may not make this move.
    #[error("{transition} cannot be done by {actor}; allowed: {}", names(allowed.iter().map(|a| a.as_str())))]
    Actor {
        /// The transition asked for.
        transition: String,
        /// Who asked.
        actor: Actor,
        /// Who may.
        allowed: Vec<Actor>,
    },
    /// The move needs a reason and none was given.
    #[error("{transition} needs a reason")]
    ReasonRequired {
        /// The transition asked for.
        transition: String,
    },
}

impl TransitionError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Illegal { .. } => "illegal_transition",
            Self::Guard { .. } => "guard_failed",
            Self::Actor { .. } => "actor_not_allowed",
            Self::ReasonRequired { .. } => "reason_required",
        }
    }
}

fn names<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let list: Vec<&str> = items.collect();
    if list.is_empty() {
        return "nothing (no move leaves this state)".to_owned();
    }
    list.join(", ")
}
