//! After-sales: cases (returns, refund-only, exchanges, reships) and refunds. Mirrors
//! `ordo_store::aftersales`.

pub mod cases;
pub mod reports;

use ordo_store::aftersales::records::AfterSaleError;

use crate::error::ApiError;

impl From<AfterSaleError> for ApiError {
    fn from(e: AfterSaleError) -> Self {
        match e.code() {
            "not_found" => ApiError::NotFound(e.to_string()),
            "illegal_case_transition" => ApiError::Refused {
                code: "illegal_case_transition",
                message: e.to_string(),
            },
            code => ApiError::Rejected {
                code,
                message: e.to_string(),
            },
        }
    }
}
