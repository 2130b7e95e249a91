//! Inventory rules: stock levels, the movements that change them, bundles, and what each
//! channel may sell.
//!
//! A [`StockLevel`] only ever changes by applying a [`Movement`] through [`apply`], which
//! refuses any movement that would sell what is not there. The stores run the same checks
//! as conditional updates, so the rule holds under concurrency; this module is the
//! reference the simulation tests compare them with.

use serde::{Deserialize, Serialize};

/// Stock of one SKU in one warehouse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StockLevel {
    /// Units physically in the warehouse.
    pub on_hand: i64,
    /// Units promised to open orders.
    pub reserved: i64,
    /// Units kept back from sale.
    pub safety_stock: i64,
}

impl StockLevel {
    /// Units that can still be promised: `on_hand − reserved − safety_stock`, never below
    /// zero. (A count can find fewer units than are reserved; that shows as
    /// [`StockLevel::shortfall`], not as negative availability.)
    pub fn available(&self) -> i64 {
        (self.on_hand - self.reserved - self.safety_stock).max(0)
    }

    /// Reserved units that are not on hand (after a stock count found less).
    pub fn shortfall(&self) -> i64 {
        (self.reserved - self.on_hand).max(0)
    }
}

/// What kind of change a movement is. The string form is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// Goods arrived: on hand up.
    Receipt,
    /// A count or correction: on hand up or down.
    Adjustment,
    /// Promised to an order: reserved up.
    Reservation,
    /// A promise withdrawn (cancel, timeout, line removed): reserved down.
    Release,
    /// Left the warehouse: on hand and reserved down.
    Shipment,
    /// Came back and restocked: on hand up.
    Return,
    /// Came back damaged and written off: recorded, never on hand.
    WriteOff,
    /// Came back and kept apart for a decision: recorded, not on hand until restocked.
    Quarantine,
}

impl MovementKind {
    /// All kinds.
    pub const ALL: [MovementKind; 8] = [
        Self::Receipt,
        Self::Adjustment,
        Self::Reservation,
        Self::Release,
        Self::Shipment,
        Self::Return,
        Self::WriteOff,
        Self::Quarantine,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Receipt => "receipt",
            Self::Adjustment => "adjustment",
            Self::Reservation => "reservation",
            Self::Release => "release",
            Self::Shipment => "shipment",
            Self::Return => "return",
            Self::WriteOff => "write_off",
            Self::Quarantine => "quarantine",
        }
    }

    /// Parses the stable name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// How a movement of `quantity` changes (on hand, reserved).
    pub fn deltas(self, quantity: i64) -> (i64, i64) {
        match self {
            Self::Receipt | Self::Return | Self::Adjustment => (quantity, 0),
            Self::Reservation => (0, quantity),
            Self::Release => (0, -quantity),
            Self::Shipment => (-quantity, -quantity),
            Self::WriteOff | Self::Quarantine => (0, 0),
        }
    }
}

/// A change to one stock level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Movement {
    /// Kind.
    pub kind: MovementKind,
    /// Units; positive except for adjustments, which may be negative.
    pub quantity: i64,
}

/// Why a movement was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    /// Not enough available to reserve.
    #[error("only {available} available, {requested} requested")]
    InsufficientStock {
        /// Units available.
        available: i64,
        /// Units asked for.
        requested: i64,
    },
    /// Releasing or shipping more than is reserved.
    #[error("only {reserved} reserved, {requested} requested")]
    NotReserved {
        /// Units reserved.
        reserved: i64,
        /// Units asked for.
        requested: i64,
    },
    /// An adjustment would make on hand negative.
    #[error("on hand would become {0}")]
    NegativeOnHand(i64),
    /// A quantity that must be positive was not.
    #[error("quantity must be positive (got {0})")]
    NonPositive(i64),
}

/// Applies a movement, or says why it cannot be applied.
pub fn apply(level: StockLevel, movement: Movement) -> Result<StockLevel, InventoryError> {
    let Movement { kind, quantity } = movement;
    if kind != MovementKind::Adjustment && quantity <= 0 {
        return Err(InventoryError::NonPositive(quantity));
    }
    match kind {
        MovementKind::Reservation if level.available() < quantity => {
            return Err(InventoryError::InsufficientStock {
                available: level.available(),
                requested: quantity,
            });
        }
        MovementKind::Release | MovementKind::Shipment if level.reserved < quantity => {
            return Err(InventoryError::NotReserved {
                reserved: level.reserved,
                requested: quantity,
            });
        }
        _ => {}
    }
    let (on_hand_delta, reserved_delta) = kind.deltas(quantity);
    let next = StockLevel {
        on_hand: level.on_hand + on_hand_delta,
        reserved: level.reserved + reserved_delta,
        safety_stock: level.safety_stock,
    };
    if next.on_hand < 0 {
        return Err(InventoryError::NegativeOnHand(next.on_hand));
    }
    Ok(next)
}

/// One component of a bundle: `quantity` units of `sku` per bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Component {
    /// Component SKU code.
    pub sku: String,
    /// Units per bundle, at least 1.
    pub quantity: i64,
}

/// Bundles sellable from component availability: the minimum over components of
/// `available ÷ units per bundle`. A bundle with no components is not sellable.
pub fn bundle_available(components: &[(i64, i64)]) -> i64 {
    components
        .iter()
        .map(|(available, per_bundle)| available / (*per_bundle).max(1))
        .min()
        .unwrap_or(0)
}

/// How a channel turns warehouse availability into what it may sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelPolicy {
    /// Share of the available stock offered, in per mille (1000 = all of it).
    pub ratio_permille: i64,
    /// Units held back from this channel.
    pub buffer: i64,
}

impl Default for ChannelPolicy {
    fn default() -> Self {
        Self {
            ratio_permille: 1000,
            buffer: 0,
        }
    }
}

/// A per-SKU rule that replaces or caps the computed quantity on one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "mode", content = "quantity", rename_all = "snake_case")]
pub enum SkuOverride {
    /// Offer exactly this many (still never more than is available).
    Fixed(i64),
    /// Offer at most this many.
    Cap(i64),
}

/// What a channel may sell of a SKU: `⌊available × ratio⌋ − buffer`, floored at 0, then
/// the override. `available` is the sum over the warehouses serving the channel. A fixed
/// quantity never exceeds what is available: promising stock that is not there is
/// overselling by another name.
pub fn channel_sellable(available: i64, policy: ChannelPolicy, sku_override: Option<SkuOverride>) -> i64 {
    let computed = (available.max(0) * policy.ratio_permille.clamp(0, 1000) / 1000 - policy.buffer).max(0);
    match sku_override {
        None => computed,
        Some(SkuOverride::Fixed(quantity)) => quantity.clamp(0, available.max(0)),
        Some(SkuOverride::Cap(cap)) => computed.min(cap.max(0)),
    }
}

/// Whether available stock is low: below a fixed threshold, or below `days` days of the
/// average daily sales.
pub fn is_low_stock(available: i64, threshold: Option<i64>, average_daily_sales: f64, days: u32) -> bool {
    let below_threshold = threshold.is_some_and(|t| available < t);
    let forecast = average_daily_sales * f64::from(days);
    let below_forecast = average_daily_sales > 0.0 && (available as f64) < forecast;
    below_threshold || below_forecast
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn level(on_hand: i64, reserved: i64, safety_stock: i64) -> StockLevel {
        StockLevel {
            on_hand,
            reserved,
            safety_stock,
        }
    }

    #[test]
    fn available_subtracts_reserved_and_safety_stock_and_never_goes_negative() {
        assert_eq!(level(10, 3, 2).available(), 5);
        assert_eq!(level(3, 5, 0).available(), 0);
        assert_eq!(level(3, 5, 0).shortfall(), 2);
    }

    #[test]
    fn the_last_unit_can_be_reserved_once() {
        let one_left = level(1, 0, 0);
        let reserved = apply(
            one_left,
            Movement {
                kind: MovementKind::Reservation,
                quantity: 1,
            },
        )
        .unwrap();
        assert_eq!(
            apply(
                reserved,
                Movement {
                    kind: MovementKind::Reservation,
                    quantity: 1
                }
            ),
            Err(InventoryError::InsufficientStock {
                available: 0,
                requested: 1
            })
        );
    }

    #[test]
    fn safety_stock_is_not_sold() {
        let r = apply(
            level(5, 0, 5),
            Movement {
                kind: MovementKind::Reservation,
                quantity: 1,
            },
        );
        assert!(matches!(r, Err(InventoryError::InsufficientStock { .. })));
    }

    #[test]
    fn shipments_consume_reservations_and_stock() {
        let shipped = apply(
            level(5, 2, 0),
            Movement {
                kind: MovementKind::Shipment,
                quantity: 2,
            },
        )
        .unwrap();
        assert_eq!(shipped, level(3, 0, 0));
        assert!(
            apply(
                level(5, 1, 0),
                Movement {
                    kind: MovementKind::Shipment,
                    quantity: 2
                }
            )
            .is_err()
        );
    }

    #[test]
    fn adjustments_cannot_make_stock_negative() {
        assert_eq!(
            apply(
                level(2, 0, 0),
                Movement {
                    kind: MovementKind::Adjustment,
                    quantity: -3
                }
            ),
            Err(InventoryError::NegativeOnHand(-1))
        );
    }

    #[test]
    fn bundles_are_limited_by_their_scarcest_component() {
        assert_eq!(bundle_available(&[(10, 2), (3, 1)]), 3);
        assert_eq!(bundle_available(&[(10, 2), (30, 1)]), 5);
        assert_eq!(bundle_available(&[]), 0);
    }

    #[test]
    fn channel_quantities_follow_ratio_buffer_and_overrides() {
        let half_minus_two = ChannelPolicy {
            ratio_permille: 500,
            buffer: 2,
        };
        assert_eq!(channel_sellable(100, half_minus_two, None), 48);
        assert_eq!(channel_sellable(3, half_minus_two, None), 0);
        assert_eq!(channel_sellable(100, half_minus_two, Some(SkuOverride::Cap(10))), 10);
        assert_eq!(channel_sellable(100, half_minus_two, Some(SkuOverride::Fixed(70))), 70);
        assert_eq!(channel_sellable(5, half_minus_two, Some(SkuOverride::Fixed(70))), 5);
    }

    #[test]
    fn low_stock_uses_the_threshold_or_the_forecast() {
        assert!(is_low_stock(4, Some(5), 0.0, 3));
        assert!(!is_low_stock(5, Some(5), 0.0, 3));
        assert!(is_low_stock(10, None, 4.0, 3));
        assert!(!is_low_stock(12, None, 4.0, 3));
    }

    proptest! {
        #[test]
        fn no_sequence_of_movements_breaks_the_invariants(
            ops in prop::collection::vec((0usize..6, -5i64..20), 1..200),
            safety in 0i64..5,
        ) {
            let mut current = level(0, 0, safety);
            let (mut received, mut adjusted, mut shipped, mut returned) = (0, 0, 0, 0);
            for (kind, quantity) in ops {
                let kind = MovementKind::ALL[kind];
                if let Ok(next) = apply(current, Movement { kind, quantity }) {
                    match kind {
                        MovementKind::Receipt => received += quantity,
                        MovementKind::Adjustment => adjusted += quantity,
                        MovementKind::Shipment => shipped += quantity,
                        MovementKind::Return => returned += quantity,
                        _ => {}
                    }
                    current = next;
                }
                prop_assert!(current.on_hand >= 0);
                prop_assert!(current.reserved >= 0);
                prop_assert!(current.available() >= 0);
                prop_assert_eq!(current.on_hand, received + adjusted - shipped + returned);
            }
        }
    }
}
