//! Carriers and tracking numbers: each carrier's number format and tracking page, and the
//! seeded hash that makes every generated number and every short-ship decision
//! reproducible from the simulator's seed and the fulfilment's sequence number.

/// A well-mixed 64-bit value from a seed and a counter (SplitMix64's finaliser), so the
/// same seed gives the same tracking numbers and short shipments on every run without a
/// generator shared between tasks.
pub(crate) fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A uniform value in `[0, 1)` from [`mix`].
pub(crate) fn unit(seed: u64, n: u64) -> f64 {
    // The top 53 bits fill an f64 mantissa exactly.
    (mix(seed, n) >> 11) as f64 / (1u64 << 53) as f64
}

/// The carriers whose number formats the simulator knows; any other name gets a generic
/// format under its own prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Known {
    Sf,
    Ups,
    Usps,
    FedEx,
    Dhl,
    Yto,
    Zto,
    Jd,
    Other,
}

fn known(carrier: &str) -> Known {
    let code: String = carrier
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase();
    match code.as_str() {
        "SF" | "SFEXPRESS" | "SHUNFENG" => Known::Sf,
        "UPS" => Known::Ups,
        "USPS" => Known::Usps,
        "FEDEX" => Known::FedEx,
        "DHL" | "DHLEXPRESS" => Known::Dhl,
        "YTO" | "YTOEXPRESS" => Known::Yto,
        "ZTO" | "ZTOEXPRESS" => Known::Zto,
        "JD" | "JDL" | "JDLOGISTICS" => Known::Jd,
        _ => Known::Other,
    }
}

/// `count` decimal digits drawn from `seed` and `n`.
fn digits(seed: u64, n: u64, count: usize) -> String {
    (0..count)
        .map(|i| char::from(b'0' + (mix(seed, n.wrapping_mul(31).wrapping_add(i as u64)) % 10) as u8))
        .collect()
}

/// UPS's check digit over the 15 characters after `1Z`: letters count as
/// `(ASCII - 63) mod 10`, odd positions once, even positions twice.
fn ups_check_digit(body: &str) -> char {
    let sum: u32 = body
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let value = if b.is_ascii_digit() {
                u32::from(b - b'0')
            } else {
                (u32::from(b) - 63) % 10
            };
            if i % 2 == 1 { value * 2 } else { value }
        })
        .sum();
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

/// The USPS (GS1) mod-10 check digit: from the right, weights 3 and 1 alternate.
fn usps_check_digit(body: &str) -> char {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

/// A tracking number in the carrier's own format: SF `SF` + 13 digits, UPS `1Z` + 16
/// characters with a valid check digit, USPS 22 digits from `9400` with a valid check
/// digit, FedEx 12 digits, DHL 10 digits, YTO `YT` + 13 digits, ZTO 14 digits from `7`,
/// JD `JD` + 13 digits, any other carrier its first four letters and 12 digits.
pub(crate) fn tracking_number(carrier: &str, seed: u64, n: u64) -> String {
    match known(carrier) {
        Known::Sf => format!("SF{}", digits(seed, n, 13)),
        Known::Ups => {
            let shipper: String = (0..6)
                .map(|i| char::from(b'A' + (mix(seed ^ 0x0075_7073, n * 8 + i) % 26) as u8))
                .collect();
            let body = format!("{shipper}03{}", digits(seed, n, 7));
            let check = ups_check_digit(&body);
            format!("1Z{body}{check}")
        }
        Known::Usps => {
            let body = format!("9400{}", digits(seed, n, 17));
            let check = usps_check_digit(&body);
            format!("{body}{check}")
        }
        Known::FedEx => digits(seed, n, 12),
        Known::Dhl => digits(seed, n, 10),
        Known::Yto => format!("YT{}", digits(seed, n, 13)),
        Known::Zto => format!("7{}", digits(seed, n, 13)),
        Known::Jd => format!("JD{}", digits(seed, n, 13)),
        Known::Other => {
            let prefix: String = carrier
                .chars()
                .filter(|c| c.is_ascii_alphabetic())
                .take(4)
                .collect::<String>()
                .to_ascii_uppercase();
            let prefix = if prefix.is_empty() { "TRK".to_owned() } else { prefix };
            format!("{prefix}{}", digits(seed, n, 12))
        }
    }
}

/// The carrier's public tracking page for a number.
pub(crate) fn tracking_url(carrier: &str, number: &str) -> String {
    match known(carrier) {
        Known::Sf => format!("https://www.sf-express.com/chn/en/waybill/waybill-detail/{number}"),
        Known::Ups => format!("https://www.ups.com/track?tracknum={number}"),
        Known::Usps => format!("https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"),
        Known::FedEx => format!("https://www.fedex.com/fedextrack/?trknbr={number}"),
        Known::Dhl => format!("https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}"),
        Known::Yto => format!("https://www.yto.net.cn/track?number={number}"),
        Known::Zto => format!("https://www.zto.com/express/expressCheck.html?txtBill={number}"),
        Known::Jd => format!("https://www.jdl.com/orderSearch/?waybillCodes={number}"),
        Known::Other => format!("https://tracking.example.com/{number}"),
    }
}

/// The configured carrier matching the requested one (case and punctuation ignored), or
/// else one of the configured carriers chosen by the fulfilment's sequence number, or
/// else the requested one as given.
pub(crate) fn choose_carrier(configured: &[String], requested: Option<&str>, n: u64) -> String {
    let normalise = |s: &str| -> String { s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>() };
    if let Some(requested) = requested.filter(|r| !r.trim().is_empty()) {
        let wanted = normalise(requested).to_ascii_uppercase();
        if let Some(found) = configured.iter().find(|c| normalise(c).to_ascii_uppercase() == wanted) {
            return found.clone();
        }
        if configured.is_empty() {
            return requested.to_owned();
        }
    }
    match configured.len() {
        0 => "SF".to_owned(),
        len => configured[(n % len as u64) as usize].clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ups_check_digit_matches_a_published_number() {
        // ShipBob's tracking example carries the well-known UPS sample 1Z999AA10123456784.
        assert_eq!(ups_check_digit("999AA1012345678"), '4');
    }

    #[test]
    fn usps_check_digit_is_the_gs1_mod_10_digit() {
        // USPS IMpb numbers use the GS1 check digit; EAN-13 4006381333931 is GS1's own example.
        assert_eq!(usps_check_digit("400638133393"), '1');
    }

    #[test]
    fn numbers_follow_each_carriers_format_and_repeat_with_the_seed() {
        let sf = tracking_number("SF Express", 7, 1);
        assert!(sf.starts_with("SF") && sf.len() == 15 && sf[2..].bytes().all(|b| b.is_ascii_digit()));
        let ups = tracking_number("ups", 7, 1);
        assert!(ups.starts_with("1Z") && ups.len() == 18);
        assert_eq!(ups.chars().last(), Some(ups_check_digit(&ups[2..17])));
        assert_eq!(tracking_number("USPS", 7, 1).len(), 22);
        assert_eq!(tracking_number("FedEx", 7, 1).len(), 12);
        assert!(tracking_number("Acme Freight", 7, 1).starts_with("ACME"));
        assert_eq!(tracking_number("SF", 7, 1), sf);
        assert_ne!(tracking_number("SF", 7, 2), sf);
        assert_ne!(tracking_number("SF", 8, 1), sf);
    }

    #[test]
    fn the_requested_carrier_wins_when_configured() {
        let configured = vec!["SF".to_owned(), "UPS".to_owned()];
        assert_eq!(choose_carrier(&configured, Some("ups"), 0), "UPS");
        assert_eq!(choose_carrier(&configured, Some("DHL"), 1), "UPS");
        assert_eq!(choose_carrier(&configured, None, 2), "SF");
        assert_eq!(choose_carrier(&[], Some("DHL"), 2), "DHL");
    }
}
