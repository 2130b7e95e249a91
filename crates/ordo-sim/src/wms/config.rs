//! What a warehouse simulator is started with: which API it speaks, the credentials and
//! callback secret it uses, how long each warehouse step takes, its carriers and the
//! faults it starts with.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::WmsSimError;
use super::input::valid_url;

/// Which warehouse API the simulator speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WmsKind {
    /// Ordo's generic JSON warehouse: `POST /fulfilments`, callbacks at every step.
    #[default]
    Generic,
    /// ShipBob's Developer API `2026-01`: `POST /2026-01/order`, `order.shipped` webhooks.
    #[serde(rename = "shipbob")]
    ShipBob,
}

/// Everything [`super::WmsSimulator::start`] needs. [`Default`] gives a generic warehouse
/// with steps short enough for tests.
#[derive(Clone, Debug)]
pub struct WmsSimConfig {
    /// The API to speak.
    pub kind: WmsKind,
    /// The bearer token every warehouse request must carry.
    pub token: String,
    /// The HMAC-SHA256 key callbacks are signed with (`X-Ordo-Signature`).
    pub secret: String,
    /// Where callbacks go when a request names no `callback_url` (the only target in
    /// ShipBob mode, where webhooks are subscribed per account, not per order).
    pub callback_url: Option<String>,
    /// From receipt to `accepted`.
    pub accept_delay: Duration,
    /// From `accepted` to `picked`.
    pub pick_delay: Duration,
    /// From `picked` to `packed`.
    pub pack_delay: Duration,
    /// From `packed` to `shipped` (or `short_shipped`).
    pub ship_delay: Duration,
    /// Carriers parcels leave with. A request's own carrier is used when it is one of
    /// these; otherwise they take turns (with none configured, the request's carrier,
    /// else SF). Tracking numbers follow each carrier's format.
    pub carriers: Vec<String>,
    /// Share of fulfilments, 0 to 1, that ship with at least one unit missing.
    pub short_ship_rate: f64,
    /// Share of submits, 0 to 1, answered `503`.
    pub fail_rate: f64,
    /// Added to every warehouse request before it is answered.
    pub latency: Duration,
    /// Seed of every generated tracking number and short-ship decision.
    pub seed: u64,
}

impl Default for WmsSimConfig {
    fn default() -> Self {
        WmsSimConfig {
            kind: WmsKind::Generic,
            token: "wms-token".into(),
            secret: "wms-secret".into(),
            callback_url: None,
            accept_delay: Duration::from_millis(50),
            pick_delay: Duration::from_millis(100),
            pack_delay: Duration::from_millis(100),
            ship_delay: Duration::from_millis(200),
            carriers: vec!["SF".into(), "UPS".into()],
            short_ship_rate: 0.0,
            fail_rate: 0.0,
            latency: Duration::ZERO,
            seed: 1,
        }
    }
}

impl WmsSimConfig {
    /// The defaults for the given API; ShipBob ships with US carriers.
    pub fn new(kind: WmsKind) -> Self {
        let carriers = match kind {
            WmsKind::Generic => vec!["SF".into(), "UPS".into()],
            WmsKind::ShipBob => vec!["USPS".into(), "UPS".into(), "FedEx".into()],
        };
        WmsSimConfig {
            kind,
            carriers,
            ..WmsSimConfig::default()
        }
    }

    /// The longest a fulfilment takes from receipt to shipping.
    pub(crate) fn total_delay(&self) -> Duration {
        self.accept_delay + self.pick_delay + self.pack_delay + self.ship_delay
    }

    pub(crate) fn validate(&self) -> Result<(), WmsSimError> {
        let invalid = |why: &str| Err(WmsSimError::InvalidConfig(why.to_owned()));
        if self.token.trim().is_empty() {
            return invalid("token must not be empty");
        }
        if self.secret.is_empty() {
            return invalid("secret must not be empty");
        }
        if let Some(url) = &self.callback_url
            && !valid_url(url)
        {
            return invalid("callback_url must be an http(s) URL");
        }
        for rate in [self.short_ship_rate, self.fail_rate] {
            if !(0.0..=1.0).contains(&rate) {
                return invalid("rates must be between 0 and 1");
            }
        }
        if self.carriers.iter().any(|c| c.trim().is_empty()) {
            return invalid("carriers must be non-empty names");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_numbers_are_refused() {
        assert!(WmsSimConfig::default().validate().is_ok());
        assert!(WmsSimConfig::new(WmsKind::ShipBob).validate().is_ok());
        let bad_rate = WmsSimConfig {
            fail_rate: f64::NAN,
            ..WmsSimConfig::default()
        };
        assert!(bad_rate.validate().is_err());
        let bad_url = WmsSimConfig {
            callback_url: Some("nowhere".into()),
            ..WmsSimConfig::default()
        };
        assert!(bad_url.validate().is_err());
    }
}
