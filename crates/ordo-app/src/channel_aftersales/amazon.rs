//! Amazon's FBA customer returns report (`GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA`),
//! read from its documented layout: tab-separated, one header row, one row per returned
//! unit group — `return-date`, `order-id`, `sku`, `asin`, `fnsku`, `product-name`,
//! `quantity`, `fulfillment-center-id`, `detailed-disposition`, `reason`, `status`,
//! `license-plate-number`, `customer-comments`. Columns are found by name, so Amazon adding
//! or moving one changes nothing here.
//!
//! Amazon's fulfilment centre has already counted the goods, so each row comes with what
//! became of them: `SELLABLE` goes back on the shelf; every unsellable disposition
//! (`DAMAGED`, `CUSTOMER_DAMAGED`, `DEFECTIVE`, `CARRIER_DAMAGED`, `EXPIRED`, …) stays
//! apart as unfulfillable stock until it is removed, which is Ordo's quarantine. A row per
//! order becomes one return case keyed by the order and the report's licence plates.

use chrono::{DateTime, Utc};
use ordo_core::aftersale::{CaseKind, CaseStatus, Disposition};
use serde::Serialize;

use super::{AfterSaleParseError, ChannelReturn, ChannelReturnLine};

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FbaReturn {
    /// When Amazon received it.
    pub returned_at: Option<DateTime<Utc>>,
    /// The Amazon order id (as Ordo keys Amazon orders).
    pub order_id: String,
    /// The seller's SKU.
    pub sku: String,
    /// Units.
    pub quantity: i64,
    /// The fulfilment centre that received it.
    pub fulfillment_center: Option<String>,
    /// Amazon's word verbatim (`SELLABLE`, `CUSTOMER_DAMAGED`, …).
    pub detailed_disposition: String,
    /// In Ordo's terms.
    pub disposition: Disposition,
    /// The buyer's reason code verbatim.
    pub reason: Option<String>,
    /// Amazon's status verbatim (`Unit returned to inventory`, `Reimbursed`, …).
    pub status: Option<String>,
    /// The licence plate of the returned package.
    pub license_plate: Option<String>,
}

const REQUIRED: [&str; 4] = ["order-id", "sku", "quantity", "detailed-disposition"];

fn error(code: &'static str, path: String, message: impl Into<String>) -> AfterSaleParseError {
    AfterSaleParseError {
        code,
        path,
        message: message.into(),
    }
}

/// Reads the report; an error names the row (`row 3.quantity`, counting the header as
/// row 1) or the missing column (`header.order-id`).
pub fn fba_returns_report(text: &str) -> Result<Vec<FbaReturn>, AfterSaleParseError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .flexible(true)
        .quoting(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| error("invalid_shape", "header".into(), e.to_string()))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    for name in REQUIRED {
        if column(name).is_none() {
            return Err(error(
                "missing_field",
                format!("header.{name}"),
                "the report has no such column",
            ));
        }
    }
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let row = index + 2;
        let record = record.map_err(|e| error("invalid_shape", format!("row {row}"), e.to_string()))?;
        let cell = |name: &str| {
            column(name)
                .and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let required =
            |name: &str| cell(name).ok_or_else(|| error("missing_field", format!("row {row}.{name}"), "is empty"));
        let quantity_text = required("quantity")?;
        let quantity = quantity_text.parse::<i64>().ok().filter(|q| *q > 0).ok_or_else(|| {
            error(
                "invalid_quantity",
                format!("row {row}.quantity"),
                format!("{quantity_text:?} is not a positive whole number"),
            )
        })?;
        let detailed = required("detailed-disposition")?;
        let returned_at = match cell("return-date") {
            None => None,
            Some(text) => Some(
                DateTime::parse_from_rfc3339(&text)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| {
                        error(
                            "invalid_time",
                            format!("row {row}.return-date"),
                            format!("{text:?} is not an ISO 8601 time"),
                        )
                    })?,
            ),
        };
        rows.push(FbaReturn {
            returned_at,
            order_id: required("order-id")?,
            sku: required("sku")?,
            quantity,
            fulfillment_center: cell("fulfillment-center-id"),
            disposition: disposition(&detailed),
            detailed_disposition: detailed,
            reason: cell("reason"),
            status: cell("status"),
            license_plate: cell("license-plate-number"),
        });
    }
    Ok(rows)
}

/// Amazon's detailed disposition in Ordo's terms: sellable goods are restocked, anything
/// else is kept apart.
fn disposition(detailed: &str) -> Disposition {
    if detailed.eq_ignore_ascii_case("SELLABLE") {
        Disposition::Restock
    } else {
        Disposition::Quarantine
    }
}

/// The report's rows as one return case per order (already received by Amazon), in the
/// order the orders first appear.
pub fn cases(rows: &[FbaReturn]) -> Vec<ChannelReturn> {
    let mut out: Vec<ChannelReturn> = Vec::new();
    let mut plates: Vec<Vec<String>> = Vec::new();
    for row in rows {
        let at = match out
            .iter()
            .position(|c| c.external_order_id.as_deref() == Some(row.order_id.as_str()))
        {
            Some(at) => at,
            None => {
                out.push(ChannelReturn {
                    channel_case_id: String::new(),
                    external_order_id: Some(row.order_id.clone()),
                    channel_status: row.status.clone().unwrap_or_else(|| "returned".into()),
                    status: CaseStatus::Received,
                    kind: CaseKind::ReturnRefund,
                    lines: Vec::new(),
                    decline_reason: None,
                    decline_note: None,
                });
                plates.push(Vec::new());
                out.len() - 1
            }
        };
        out[at].lines.push(ChannelReturnLine {
            line_id: None,
            sku: Some(row.sku.clone()),
            quantity: row.quantity,
            reason: row.reason.clone(),
        });
        plates[at].extend(row.license_plate.clone());
    }
    for (case, plates) in out.iter_mut().zip(plates) {
        let order = case.external_order_id.clone().unwrap_or_default();
        case.channel_case_id = if plates.is_empty() {
            format!("fba-return:{order}")
        } else {
            format!("fba-return:{order}:{}", plates.join("+"))
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Laid out as Amazon documents the report (written from its documentation, not a
    /// downloaded file).
    const REPORT: &str = "return-date\torder-id\tsku\tasin\tfnsku\tproduct-name\tquantity\tfulfillment-center-id\tdetailed-disposition\treason\tstatus\tlicense-plate-number\tcustomer-comments\n\
2026-11-20T08:12:44+00:00\t114-8350399-6961644\tTEE-RED-M\tB0TEE00001\tX0TEE00001\tTee red M\t1\tPHX7\tSELLABLE\tTOO_SMALL\tUnit returned to inventory\tLPNRR123456789\t\n\
2026-11-20T08:12:44+00:00\t114-8350399-6961644\tMUG-01\tB0MUG00001\tX0MUG00001\tMug\t2\tPHX7\tCUSTOMER_DAMAGED\tDAMAGED_BY_CUSTOMER\tUnit returned to inventory\tLPNRR123456790\tchipped\n\
2026-11-21T10:00:00+00:00\t302-8169108-2164038\tMUG-01\tB0MUG00001\tX0MUG00001\tMug\t1\tONT8\tDEFECTIVE\tDEFECTIVE\tReimbursed\t\t\n";

    #[test]
    fn every_row_is_read_with_its_disposition() {
        let rows = fba_returns_report(REPORT).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!((rows[0].disposition, rows[0].quantity), (Disposition::Restock, 1));
        assert_eq!((rows[1].disposition, rows[1].quantity), (Disposition::Quarantine, 2));
        assert_eq!(rows[1].detailed_disposition, "CUSTOMER_DAMAGED");
        assert_eq!(rows[2].status.as_deref(), Some("Reimbursed"));
        assert_eq!(rows[2].license_plate, None);
        let cases = cases(&rows);
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].lines.len(), 2);
        assert_eq!(
            cases[0].channel_case_id,
            "fba-return:114-8350399-6961644:LPNRR123456789+LPNRR123456790"
        );
        assert_eq!(cases[1].channel_case_id, "fba-return:302-8169108-2164038");
        assert_eq!(cases[1].status, CaseStatus::Received);
    }

    #[test]
    fn a_missing_column_or_a_bad_cell_is_named() {
        let err = fba_returns_report("return-date\tsku\tquantity\tdetailed-disposition\n").unwrap_err();
        assert_eq!((err.code, err.path.as_str()), ("missing_field", "header.order-id"));
        let bad = REPORT.replace("\t2\tPHX7", "\t2.5\tPHX7");
        let err = fba_returns_report(&bad).unwrap_err();
        assert_eq!((err.code, err.path.as_str()), ("invalid_quantity", "row 3.quantity"));
        let bad = REPORT.replace("2026-11-21T10:00:00+00:00", "21/11/2026");
        let err = fba_returns_report(&bad).unwrap_err();
        assert_eq!((err.code, err.path.as_str()), ("invalid_time", "row 4.return-date"));
    }
}
