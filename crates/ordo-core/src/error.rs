//! Domain errors. Every validation failure names the field it is about, with a JSON-path
//! style location (`lines[1].unit_price`) and a stable machine-readable code.

use serde::Serialize;

/// One problem with one field of an inbound payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// Where the problem is, e.g. `shipping_address.country` or `lines[0].quantity`.
    pub field: String,
    /// Stable code, e.g. `required`, `invalid_money`, `too_long`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// All problems found in one payload. Validation does not stop at the first problem, so a
/// client can fix everything in one round trip.
#[derive(Debug, Clone, PartialEq, Eq, Default, thiserror::Error)]
#[error("{}", summary(.0))]
pub struct ValidationErrors(pub Vec<FieldError>);

fn summary(errors: &[FieldError]) -> String {
    match errors {
        [] => "no errors".to_owned(),
        [only] => format!("{}: {}", only.field, only.message),
        [first, rest @ ..] => format!("{}: {} (and {} more)", first.field, first.message, rest.len()),
    }
}

impl ValidationErrors {
    /// Records a problem.
    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// True when no problem was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Returns `Ok(value)` when no problem was recorded.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, Self> {
        if self.0.is_empty() { Ok(value()) } else { Err(self) }
    }
}
