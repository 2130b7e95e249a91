//! Ordo's order workflow and review rules.
//!
//! * [`workflow`]: a configurable state machine over [`ordo_core::OrderStatus`]: which
//!   moves exist, who may make them, their guards and the actions they ask for.
//! * [`rules`]: ordered review rules that approve, hold, reject or flag a new order, the
//!   automatic review (审单) of Chinese order-management systems.
//!
//! Both are loaded from TOML that merchants edit; every problem in a file is reported at
//! once with its line and column ([`ConfigErrors`]). Defaults are embedded in the crate.
//!
//! Invariant: nothing here does IO, reads a clock or is async. The current time and facts
//! only the caller can know (stock, duplicates, phone validity) are passed in, so every
//! decision can be replayed exactly.

/// Declares a fieldless enum with a wire name per variant: `ALL`, `as_str`, `parse`,
/// `Display` and snake_case serde, so TOML, JSON and messages always agree.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }

            /// Parses a wire name.
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

mod config;
pub mod rules;
pub mod workflow;

pub use config::{ConfigError, ConfigErrors};
pub use rules::{Decision, Hit, Outcome, RuleContext, RuleSet, Verdict};
pub use workflow::{Action, Actor, Guard, GuardContext, Transition, TransitionError, TransitionRecord, Workflow};

#[cfg(test)]
mod test_support;
