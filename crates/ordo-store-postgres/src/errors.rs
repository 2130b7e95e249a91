//! Turning sqlx errors into the port's [`StoreError`], so no driver type leaks out.
//!
//! The split matters to callers: `Retryable` means "run the same transaction again now",
//! `Unavailable` means "the database is unreachable or overloaded, back off", and anything
//! else is not fixed by retrying.

use ordo_store::StoreError;

/// What kind of failure a PostgreSQL SQLSTATE names, as far as the port cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Deadlock or serialisation failure: the transaction lost a race and may be rerun.
    Retryable,
    /// The server cannot serve right now (shutting down, out of connections, cancelled).
    Unavailable,
    /// A unique constraint.
    UniqueViolation,
    /// A foreign key.
    ForeignKeyViolation,
    /// Anything else.
    Other,
}

/// Classifies a SQLSTATE code.
pub(crate) fn classify(code: &str) -> Class {
    match code {
        // deadlock_detected, serialization_failure, lock_not_available (lock_timeout).
        "40P01" | "40001" | "55P03" => Class::Retryable,
        "23505" => Class::UniqueViolation,
        "23503" => Class::ForeignKeyViolation,
        // Class 08 is connection exceptions; 53 is insufficient resources (too many
        // connections, disk full); 57P0x is operator intervention (shutdown, restart);
        // 57014 is a statement cancelled, e.g. by statement_timeout under load.
        _ if code.starts_with("08") || code.starts_with("53") || code.starts_with("57P") => Class::Unavailable,
        "57014" => Class::Unavailable,
        _ => Class::Other,
    }
}

/// Maps any sqlx error to a [`StoreError`]. Foreign key violations come out as `Conflict`;
/// operations that refer to a row check it first where the caller needs `NotFound`.
pub(crate) fn map(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            let message = format!("{} (SQLSTATE {code})", db.message());
            match classify(&code) {
                Class::Retryable => StoreError::Retryable(message),
                Class::Unavailable => StoreError::Unavailable(message),
                Class::UniqueViolation | Class::ForeignKeyViolation => StoreError::Conflict(message),
                Class::Other => StoreError::Other(message),
            }
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(error.to_string()),
        _ => StoreError::Other(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_map_to_the_port_classes() {
        assert_eq!(classify("40P01"), Class::Retryable);
        assert_eq!(classify("40001"), Class::Retryable);
        assert_eq!(classify("23505"), Class::UniqueViolation);
        assert_eq!(classify("23503"), Class::ForeignKeyViolation);
        assert_eq!(classify("08006"), Class::Unavailable);
        assert_eq!(classify("53300"), Class::Unavailable);
        assert_eq!(classify("57P01"), Class::Unavailable);
        assert_eq!(classify("42P01"), Class::Other);
    }

    #[test]
    fn pool_timeouts_are_unavailable() {
        assert!(matches!(map(sqlx::Error::PoolTimedOut), StoreError::Unavailable(_)));
        assert!(matches!(map(sqlx::Error::RowNotFound), StoreError::Other(_)));
    }
}
