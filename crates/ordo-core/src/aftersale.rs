//! After-sales: what happens to an order once it is sold. Three things are kept apart, as
//! every platform does: the **return** (goods coming back, counted per unit with what was
//! done with each), the **refund** (money, which needs no return: refund-only, shipping
//! refunds) and the **exchange** or **reship** (a new shipment out, its own order).
//!
//! A case moves through [`CaseStatus`] by [`CaseAction`]s, each allowed from a set of
//! states by [`CaseFlow`]; the channel's own status is kept verbatim beside Ordo's. Stock
//! moves only on receipt, per unit and per [`Disposition`]; a channel's "restock" flag is
//! advice. Refund amounts Ordo decides are computed by [`refund::quote`].

pub mod refund;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Generates a snake_case string enum with `as_str`, `parse` and `ALL`.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant,)+ }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stable name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            /// Parses the stable name.
            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum! {
    /// What the buyer asked for.
    CaseKind {
        /// Money back, nothing comes back (仅退款, a shipping refund, a goodwill credit).
        RefundOnly = "refund_only",
        /// Goods come back, then money goes back (退货退款).
        ReturnRefund = "return_refund",
        /// Goods come back and other goods go out (换货).
        Exchange = "exchange",
        /// Goods go out again, nothing comes back (补寄: lost or damaged in transit).
        Reship = "reship",
    }
}

impl CaseKind {
    /// Whether goods are expected back.
    pub fn takes_goods_back(self) -> bool {
        matches!(self, Self::ReturnRefund | Self::Exchange)
    }
}

named_enum! {
    /// Ordo's normalised state of a case.
    CaseStatus {
        /// Asked for, not decided.
        Requested = "requested",
        /// Agreed; nothing comes back (refund-only, reship) or not yet on its way.
        Approved = "approved",
        /// Refused.
        Declined = "declined",
        /// Agreed; the goods are expected back (a label or tracking may be attached).
        AwaitingReturn = "awaiting_return",
        /// Some of the goods came back.
        PartlyReceived = "partly_received",
        /// Every unit asked for is accounted for (received or declared missing).
        Received = "received",
        /// Checked after receipt (the second approval of the Chinese platforms).
        Inspected = "inspected",
        /// Money went back.
        Refunded = "refunded",
        /// Done.
        Closed = "closed",
        /// Withdrawn by the buyer or the merchant before anything came back.
        Cancelled = "cancelled",
    }
}

named_enum! {
    /// What can be done to a case.
    CaseAction {
        /// Agree.
        Approve = "approve",
        /// Refuse.
        Decline = "decline",
        /// Withdraw (only before the first receipt).
        Cancel = "cancel",
        /// Attach a return label or the buyer's tracking.
        AttachReturn = "attach_return",
        /// Count goods that came back.
        Receive = "receive",
        /// Record the inspection.
        Inspect = "inspect",
        /// Pay money back.
        Refund = "refund",
        /// Finish.
        Close = "close",
        /// Open a finished case again.
        Reopen = "reopen",
    }
}

named_enum! {
    /// What was done with a unit that came back, or did not.
    Disposition {
        /// Back on the shelf: on hand goes up in the named warehouse.
        Restock = "restock",
        /// Kept apart for a decision; not sellable.
        Quarantine = "quarantine",
        /// Damaged or unsellable: recorded as a write-off, never restocked.
        WriteOff = "write_off",
        /// Expected and not in the parcel.
        Missing = "missing",
    }
}

/// One SKU of a case and how many of its units are where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseLine {
    /// SKU code.
    pub sku: String,
    /// The order line's channel id, when it has one.
    #[serde(default)]
    pub line_id: Option<String>,
    /// Units asked for.
    pub quantity: i64,
    /// Units that came back (restocked + quarantined + written off).
    #[serde(default)]
    pub received: i64,
    /// Units put back in stock.
    #[serde(default)]
    pub restocked: i64,
    /// Units kept apart.
    #[serde(default)]
    pub quarantined: i64,
    /// Units written off.
    #[serde(default)]
    pub written_off: i64,
    /// Units that never arrived.
    #[serde(default)]
    pub missing: i64,
}

impl CaseLine {
    /// A line asking for `quantity` units.
    pub fn new(sku: impl Into<String>, line_id: Option<String>, quantity: i64) -> Self {
        Self {
            sku: sku.into(),
            line_id,
            quantity,
            received: 0,
            restocked: 0,
            quarantined: 0,
            written_off: 0,
            missing: 0,
        }
    }

    /// Units not yet accounted for.
    pub fn outstanding(&self) -> i64 {
        self.quantity - self.received - self.missing
    }
}

/// Units counted on receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    /// SKU code.
    pub sku: String,
    /// Units.
    pub quantity: i64,
    /// What was done with them.
    pub disposition: Disposition,
    /// Where they were restocked or quarantined; the warehouse they shipped from when
    /// absent.
    #[serde(default)]
    pub warehouse: Option<String>,
}

/// Why an after-sale request is refused. Each has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    /// The action is not allowed in the case's state.
    #[error("cannot {action} a case that is {status}; allowed from: {}", allowed.join(", "))]
    IllegalTransition {
        /// The action.
        action: CaseAction,
        /// The state.
        status: CaseStatus,
        /// The states it is allowed from.
        allowed: Vec<&'static str>,
    },
    /// A line names a SKU the order (or the case) does not have.
    #[error("lines[{index}]: {sku:?} is not on the {on}")]
    UnknownSku {
        /// Index in the request.
        index: usize,
        /// The SKU.
        sku: String,
        /// "order" or "case".
        on: &'static str,
    },
    /// A quantity is not positive.
    #[error("lines[{index}].quantity: must be at least 1 (got {quantity})")]
    BadQuantity {
        /// Index in the request.
        index: usize,
        /// What was given.
        quantity: i64,
    },
    /// More units than the order or the case allows.
    #[error("lines[{index}]: {requested} units of {sku:?} but only {allowed} {what}")]
    TooMany {
        /// Index in the request.
        index: usize,
        /// The SKU.
        sku: String,
        /// Units asked.
        requested: i64,
        /// Units allowed.
        allowed: i64,
        /// What limits them.
        what: &'static str,
    },
    /// A case with no lines, where lines are needed.
    #[error("lines: a {0} case needs at least one line")]
    NoLines(CaseKind),
    /// An exchange without what goes out.
    #[error("exchange_lines: an exchange needs at least one line to send")]
    NoExchangeLines,
    /// A refund larger than what is left of the payment.
    #[error("refund of {requested} exceeds the {refundable} left of what was paid")]
    ExceedsPaid {
        /// Amount asked.
        requested: i64,
        /// Amount left.
        refundable: i64,
    },
    /// A negative or zero refund.
    #[error("amount: a refund must be positive (got {0})")]
    BadAmount(i64),
}

impl CaseError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::IllegalTransition { .. } => "illegal_case_transition",
            Self::UnknownSku { .. } => "unknown_sku",
            Self::BadQuantity { .. } => "invalid_quantity",
            Self::TooMany { .. } => "quantity_exceeded",
            Self::NoLines(_) | Self::NoExchangeLines => "lines_required",
            Self::ExceedsPaid { .. } => "refund_exceeds_paid",
            Self::BadAmount(_) => "invalid_amount",
        }
    }
}

/// One allowed move: an action, the states it is taken from, and where it leads. Without
/// `to`, the action's own state: approval waits for goods or not, a receipt is partial or
/// whole, the others lead where their names say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseTransition {
    /// The action.
    pub action: CaseAction,
    /// States it may be taken from.
    pub from: Vec<CaseStatus>,
    /// The state it leads to; absent when the case decides.
    #[serde(default)]
    pub to: Option<CaseStatus>,
}

/// The after-sale state machine in force: which action is allowed from which state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFlow {
    /// Allowed moves.
    pub transitions: Vec<CaseTransition>,
}

impl Default for CaseFlow {
    fn default() -> Self {
        use CaseAction as A;
        use CaseStatus as S;
        let t = |action, from: &[CaseStatus], to| CaseTransition {
            action,
            from: from.to_vec(),
            to,
        };
        Self {
            transitions: vec![
                t(A::Approve, &[S::Requested], None),
                t(A::Decline, &[S::Requested, S::Inspected], Some(S::Declined)),
                t(
                    A::Cancel,
                    &[S::Requested, S::Approved, S::AwaitingReturn],
                    Some(S::Cancelled),
                ),
                t(
                    A::AttachReturn,
                    &[S::Approved, S::AwaitingReturn],
                    Some(S::AwaitingReturn),
                ),
                t(
                    A::Receive,
                    &[S::Approved, S::AwaitingReturn, S::PartlyReceived, S::Requested],
                    None,
                ),
                t(A::Inspect, &[S::PartlyReceived, S::Received], Some(S::Inspected)),
                t(
                    A::Refund,
                    &[
                        S::Requested,
                        S::Approved,
                        S::AwaitingReturn,
                        S::PartlyReceived,
                        S::Received,
                        S::Inspected,
                        S::Refunded,
                    ],
                    Some(S::Refunded),
                ),
                t(
                    A::Close,
                    &[
                        S::Approved,
                        S::Declined,
                        S::PartlyReceived,
                        S::Received,
                        S::Inspected,
                        S::Refunded,
                        S::Cancelled,
                    ],
                    Some(S::Closed),
                ),
                t(
                    A::Reopen,
                    &[S::Declined, S::Closed, S::Cancelled, S::Refunded],
                    Some(S::Requested),
                ),
            ],
        }
    }
}

impl CaseFlow {
    /// Where `action` leads from `status` for a case of `kind` with `lines`, or why not.
    pub fn next(
        &self,
        kind: CaseKind,
        status: CaseStatus,
        action: CaseAction,
        lines: &[CaseLine],
    ) -> Result<CaseStatus, CaseError> {
        let allowed: Vec<&CaseTransition> = self.transitions.iter().filter(|t| t.action == action).collect();
        let Some(transition) = allowed.iter().find(|t| t.from.contains(&status)) else {
            let mut from: Vec<&'static str> = allowed.iter().flat_map(|t| t.from.iter().map(|s| s.as_str())).collect();
            from.sort_unstable();
            from.dedup();
            return Err(CaseError::IllegalTransition {
                action,
                status,
                allowed: from,
            });
        };
        if let Some(to) = transition.to {
            return Ok(to);
        }
        Ok(match action {
            CaseAction::Approve if kind.takes_goods_back() => CaseStatus::AwaitingReturn,
            CaseAction::Approve => CaseStatus::Approved,
            CaseAction::Receive if lines.iter().all(|l| l.outstanding() <= 0) => CaseStatus::Received,
            CaseAction::Receive => CaseStatus::PartlyReceived,
            CaseAction::Decline => CaseStatus::Declined,
            CaseAction::Cancel => CaseStatus::Cancelled,
            CaseAction::AttachReturn => CaseStatus::AwaitingReturn,
            CaseAction::Inspect => CaseStatus::Inspected,
            CaseAction::Refund => CaseStatus::Refunded,
            CaseAction::Close => CaseStatus::Closed,
            CaseAction::Reopen => CaseStatus::Requested,
        })
    }

    /// Whether the action may be taken now (for showing only the buttons that work).
    pub fn allows(&self, status: CaseStatus, action: CaseAction) -> bool {
        self.transitions
            .iter()
            .any(|t| t.action == action && t.from.contains(&status))
    }
}

/// Checks the lines of a new case against what the order can still give back:
/// `available` is SKU → units (sold, or shipped for goods coming back) not yet in another
/// case. Lines of one SKU are merged.
pub fn new_lines(
    kind: CaseKind,
    requested: &[(String, i64)],
    available: &BTreeMap<String, i64>,
    line_ids: &BTreeMap<String, String>,
) -> Result<Vec<CaseLine>, CaseError> {
    if requested.is_empty() && kind != CaseKind::RefundOnly {
        return Err(CaseError::NoLines(kind));
    }
    let mut merged: Vec<CaseLine> = Vec::new();
    for (index, (sku, quantity)) in requested.iter().enumerate() {
        if *quantity < 1 {
            return Err(CaseError::BadQuantity {
                index,
                quantity: *quantity,
            });
        }
        let Some(can) = available.get(sku) else {
            return Err(CaseError::UnknownSku {
                index,
                sku: sku.clone(),
                on: "order",
            });
        };
        let already = merged.iter().find(|l| &l.sku == sku).map_or(0, |l| l.quantity);
        if already + quantity > *can {
            return Err(CaseError::TooMany {
                index,
                sku: sku.clone(),
                requested: already + quantity,
                allowed: *can,
                what: if kind.takes_goods_back() {
                    "shipped and not already returned"
                } else {
                    "sold and not already in a case"
                },
            });
        }
        match merged.iter_mut().find(|l| &l.sku == sku) {
            Some(line) => line.quantity += quantity,
            None => merged.push(CaseLine::new(sku.clone(), line_ids.get(sku).cloned(), *quantity)),
        }
    }
    Ok(merged)
}

/// Counts receipts onto a case's lines; refuses a SKU not on the case and more units than
/// are outstanding. Returns the lines afterwards.
pub fn receive(lines: &[CaseLine], receipts: &[Receipt]) -> Result<Vec<CaseLine>, CaseError> {
    let mut out = lines.to_vec();
    for (index, r) in receipts.iter().enumerate() {
        if r.quantity < 1 {
            return Err(CaseError::BadQuantity {
                index,
                quantity: r.quantity,
            });
        }
        let Some(line) = out.iter_mut().find(|l| l.sku == r.sku) else {
            return Err(CaseError::UnknownSku {
                index,
                sku: r.sku.clone(),
                on: "case",
            });
        };
        if r.quantity > line.outstanding() {
            return Err(CaseError::TooMany {
                index,
                sku: r.sku.clone(),
                requested: r.quantity,
                allowed: line.outstanding(),
                what: "still expected on the case",
            });
        }
        match r.disposition {
            Disposition::Restock => line.restocked += r.quantity,
            Disposition::Quarantine => line.quarantined += r.quantity,
            Disposition::WriteOff => line.written_off += r.quantity,
            Disposition::Missing => line.missing += r.quantity,
        }
        if r.disposition != Disposition::Missing {
            line.received += r.quantity;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
