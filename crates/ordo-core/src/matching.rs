//! Keys that find orders belonging together: the same buyer shipping to the same address
//! (candidates to merge into one shipment) and, on top of that, the same goods for the same
//! amount (a likely duplicate, e.g. a buyer who paid twice or one order imported from two
//! channels).
//!
//! Keys are digests of normalised text, so they are compact, indexable and carry no
//! personal data. Normalisation folds what differs between channels for the same person
//! and place: case, white space, punctuation, full-width characters and phone formatting.
//! It never guesses: two orders with no phone, e-mail or recipient name in common get
//! different keys.

use sha2::{Digest, Sha256};

use crate::order::{Order, OrderStatus};

/// The keys stored with each order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderKeys {
    /// Buyer + destination.
    pub match_key: String,
    /// Buyer + destination + SKUs and quantities + total.
    pub fingerprint: String,
}

impl OrderKeys {
    /// The keys of an order.
    pub fn of(order: &Order) -> Self {
        let person = buyer_identity(order);
        let match_key = match &order.shipping_address {
            Some(address) => {
                let place = [
                    Some(address.country.as_str()),
                    address.province.as_deref(),
                    address.city.as_deref(),
                    address.district.as_deref(),
                    Some(address.line1.as_str()),
                    address.line2.as_deref(),
                    address.postal_code.as_deref(),
                ]
                .map(|part| part.map(fold).unwrap_or_default())
                .join("|");
                digest(&format!("{person}#{place}"))
            }
            // With no destination there is nothing to ship together: a key of its own.
            None => digest(&format!("unaddressed#{}#{}", order.channel, order.external_id)),
        };
        // Duplicates are still found by buyer and goods when the address is withheld.
        let duplicate_base = match &order.shipping_address {
            Some(_) => match_key.clone(),
            None => format!("{person}#-"),
        };
        let mut goods: Vec<String> = order
            .lines
            .iter()
            .map(|l| format!("{}x{}", fold(l.sku.as_str()), l.quantity.get()))
            .collect();
        goods.sort();
        let fingerprint = digest(&format!(
            "{duplicate_base}#{}#{}{}",
            goods.join(","),
            order.currency.code(),
            order.totals().total
        ));
        Self { match_key, fingerprint }
    }
}

/// Whether an order may still be merged with others into one shipment: paid, and not yet
/// released to a warehouse.
pub fn mergeable(status: OrderStatus) -> bool {
    matches!(status, OrderStatus::Paid | OrderStatus::Allocated | OrderStatus::OnHold)
}

/// Who the buyer is, across channels: a phone beats an e-mail beats the recipient's name,
/// because channels mask or omit e-mails (marketplaces) far more often than phones.
fn buyer_identity(order: &Order) -> String {
    let phone = order
        .shipping_address
        .as_ref()
        .and_then(|a| a.phone.as_deref())
        .or(order.buyer.phone.as_deref())
        .map(phone_digits)
        .filter(|d| d.len() >= 6);
    if let Some(phone) = phone {
        return format!("tel:{phone}");
    }
    if let Some(email) = order.buyer.email.as_deref().filter(|e| e.contains('@')) {
        return format!("mail:{}", fold(email));
    }
    let name = order.shipping_address.as_ref().map(|a| a.name.as_str());
    let name = name.filter(|n| !n.trim().is_empty()).or(order.buyer.name.as_deref());
    format!("name:{}", fold(name.unwrap_or_default()))
}

/// The national part of a phone number: its digits, without a leading country code for
/// the numbers channels send both ways (+86 138… and 138…; +1 and 10-digit US numbers).
fn phone_digits(phone: &str) -> String {
    let digits: String = phone.chars().map(half_width).filter(char::is_ascii_digit).collect();
    match digits.len() {
        13 if digits.starts_with("86") => digits[2..].to_owned(),
        11 if digits.starts_with('1') && phone.trim_start().starts_with("+1") => digits[1..].to_owned(),
        _ => digits,
    }
}

/// Lower case, full-width folded to ASCII, white space and punctuation dropped.
fn fold(text: &str) -> String {
    text.chars()
        .map(half_width)
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Full-width ASCII variants (U+FF01–U+FF5E, common in Chinese input) to ASCII.
fn half_width(c: char) -> char {
    match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    }
}

fn digest(text: &str) -> String {
    let hash = Sha256::digest(text.as_bytes());
    hash[..16].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::OrderInput;

    fn order(channel: &str, id: &str, phone: &str, line1: &str, sku: &str) -> Order {
        let input: OrderInput = serde_json::from_value(serde_json::json!({
            "channel": channel, "external_id": id, "placed_at": "2026-11-22T10:00:00+08:00",
            "currency": "CNY", "financial_status": "paid",
            "shipping_address": {"name": "王小明", "phone": phone, "country": "CN",
                "province": "广东省", "city": "深圳市", "line1": line1},
            "lines": [{"sku": sku, "quantity": 2, "unit_price": "10.00"}]
        }))
        .unwrap();
        input.validate().unwrap()
    }

    #[test]
    fn the_same_buyer_and_place_match_across_channels_and_formatting() {
        let a = OrderKeys::of(&order("taobao", "1", "+86 138-0013-8000", "南山区科技园１号", "A"));
        let b = OrderKeys::of(&order("jd", "2", "13800138000", "南山区 科技园 1号", "A"));
        assert_eq!(a.match_key, b.match_key);
        assert_eq!(a.fingerprint, b.fingerprint, "same goods and amount: likely duplicate");
        let c = OrderKeys::of(&order("jd", "3", "13800138000", "南山区科技园1号", "B"));
        assert_eq!(a.match_key, c.match_key, "same buyer and place: merge candidate");
        assert_ne!(a.fingerprint, c.fingerprint, "other goods: not a duplicate");
        let d = OrderKeys::of(&order("jd", "4", "13900139000", "南山区科技园1号", "A"));
        assert_ne!(a.match_key, d.match_key, "another phone is another buyer");
    }

    #[test]
    fn only_paid_orders_not_yet_released_may_merge() {
        assert!(mergeable(OrderStatus::Allocated));
        assert!(!mergeable(OrderStatus::PendingPayment));
        assert!(!mergeable(OrderStatus::SentToWarehouse));
        assert!(!mergeable(OrderStatus::Cancelled));
    }
}
