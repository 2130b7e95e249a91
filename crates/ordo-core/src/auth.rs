//! Roles and what each may do. Checked by the API on every request.

use serde::{Deserialize, Serialize};

/// A token's role within its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including tokens.
    Admin,
    /// Operations staff: read and change orders, replay the inbox.
    Operator,
    /// A connector or integrator: send orders, read them back.
    Integration,
    /// Read only.
    Viewer,
}

/// Something a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read orders, events and the inbox.
    Read,
    /// Send orders in.
    Ingest,
    /// Replay failed inbox entries and change orders by hand.
    Operate,
    /// Manage tokens and tenant settings.
    Administer,
}

impl Role {
    /// All roles.
    pub const ALL: [Role; 4] = [Self::Admin, Self::Operator, Self::Integration, Self::Viewer];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Operator => "operator",
            Self::Integration => "integration",
            Self::Viewer => "viewer",
        }
    }

    /// Parses the stable name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Whether this role may do `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        match self {
            Self::Admin => true,
            Self::Operator => permission != Permission::Administer,
            Self::Integration => matches!(permission, Permission::Read | Permission::Ingest),
            Self::Viewer => permission == Permission::Read,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_only_what_they_name() {
        assert!(Role::Admin.allows(Permission::Administer));
        assert!(!Role::Operator.allows(Permission::Administer));
        assert!(Role::Operator.allows(Permission::Operate));
        assert!(Role::Integration.allows(Permission::Ingest));
        assert!(!Role::Integration.allows(Permission::Operate));
        assert!(!Role::Viewer.allows(Permission::Ingest));
        assert!(Role::ALL.iter().all(|r| Role::parse(r.as_str()) == Some(*r)));
    }
}
