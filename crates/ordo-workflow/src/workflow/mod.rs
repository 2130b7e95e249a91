//! The order workflow: which status changes are allowed, who may make them, what must be
//! true first (guards) and what should happen after (actions).
//!
//! A workflow is data, loaded from TOML (see `config/workflow.toml` for the default and
//! [`Workflow::from_toml`] for the format), and checked as a whole when loaded. Checking a
//! move is a pure function of the workflow and a [`GuardContext`] the caller fills in; the
//! caller then records a [`TransitionRecord`] and runs the actions.

mod load;
mod model;

use std::collections::VecDeque;

use ordo_core::OrderStatus;

pub use model::{Action, Actor, Guard, GuardContext, ReasonPolicy, Transition, TransitionError, TransitionRecord};

use crate::config::ConfigErrors;

/// The workflow shipped with Ordo.
pub const DEFAULT_WORKFLOW_TOML: &str = include_str!("../../config/workflow.toml");

/// A checked workflow: every state named exists, every state can be reached from an
/// initial state, and every non-terminal state has a way out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflow {
    initial: Vec<OrderStatus>,
    terminal: Vec<OrderStatus>,
    transitions: Vec<Transition>,
}

impl Workflow {
    /// Loads and checks a workflow, reporting every problem with its location in `source`.
    ///
    /// ```toml
    /// initial = ["pending_payment", "paid"]      # states an order may be created in
    /// terminal = ["completed", "cancelled"]      # the end of an order's normal life
    ///
    /// [[transition]]
    /// name = "pay"                               # unique; how people and the API name it
    /// from = ["pending_payment"]                 # one state or a list, never empty
    /// to = "paid"
    /// by = ["connector", "user"]                 # connector, user, rule, system; default all
    /// guards = ["paid"]                          # checked in order; default none
    /// actions = ["notify"]                       # run by the caller after the move
    /// reason = "optional"                        # optional | required | required_for_users
    /// description = "The channel reported the payment."
    /// ```
    ///
    /// Terminal states may have outgoing transitions: a completed order can still be
    /// returned, which is how after-sales works on every platform. "Terminal" means no
    /// further work is expected, so terminal states are exempt from the dead-end check.
    /// Two transitions may share a `from → to` move only when their `by` lists do not
    /// overlap (`cancel` by people and `expire` by the system), so that [`Workflow::check`]
    /// always finds exactly one.
    pub fn from_toml(text: &str, source: &str) -> Result<Workflow, ConfigErrors> {
        load::load(text, source)
    }

    /// The workflow shipped with Ordo (`config/workflow.toml`).
    pub fn default_flow() -> Workflow {
        match Self::from_toml(DEFAULT_WORKFLOW_TOML, "workflow.toml") {
            Ok(workflow) => workflow,
            // A test loads the embedded file, so this cannot happen in a released build.
            Err(errors) => panic!("the embedded default workflow is invalid:\n{errors}"),
        }
    }

    /// Checks a move for an order now in `from`. On success, returns the transition that
    /// allows it; its actions are for the caller to run.
    ///
    /// The checks run in this order: the move exists, the actor may make it, a required
    /// reason is given, then each guard in the order the configuration lists them. Input
    /// the caller can fix at once (actor, reason) is reported before order state.
    pub fn check(
        &self,
        from: OrderStatus,
        to: OrderStatus,
        ctx: &GuardContext<'_>,
    ) -> Result<&Transition, TransitionError> {
        let candidates: Vec<&Transition> = self
            .transitions
            .iter()
            .filter(|t| t.to == to && t.from.contains(&from))
            .collect();
        let Some(first) = candidates.first() else {
            return Err(TransitionError::Illegal {
                from,
                to,
                allowed: self.next_states(from),
            });
        };
        let Some(transition) = candidates.iter().find(|t| t.by.contains(&ctx.actor)) else {
            let mut allowed: Vec<Actor> = Vec::new();
            for actor in candidates.iter().flat_map(|t| &t.by) {
                if !allowed.contains(actor) {
                    allowed.push(*actor);
                }
            }
            return Err(TransitionError::Actor {
                transition: first.name.clone(),
                actor: ctx.actor,
                allowed,
            });
        };
        if transition.reason.requires(ctx.actor) && ctx.reason.is_none_or(|r| r.trim().is_empty()) {
            return Err(TransitionError::ReasonRequired {
                transition: transition.name.clone(),
            });
        }
        for guard in &transition.guards {
            if let Err(message) = guard.evaluate(ctx) {
                return Err(TransitionError::Guard {
                    transition: transition.name.clone(),
                    guard: *guard,
                    message,
                });
            }
        }
        Ok(transition)
    }

    /// A transition by its name.
    pub fn by_name(&self, name: &str) -> Option<&Transition> {
        self.transitions.iter().find(|t| t.name == name)
    }

    /// Every transition that leaves `from`, as (name, target state), in configuration order.
    pub fn allowed_from(&self, from: OrderStatus) -> Vec<(&str, OrderStatus)> {
        self.transitions
            .iter()
            .filter(|t| t.from.contains(&from))
            .map(|t| (t.name.as_str(), t.to))
            .collect()
    }

    /// The distinct states reachable in one step from `from`.
    pub fn next_states(&self, from: OrderStatus) -> Vec<OrderStatus> {
        let mut next = Vec::new();
        for (_, to) in self.allowed_from(from) {
            if !next.contains(&to) {
                next.push(to);
            }
        }
        next
    }

    /// All transitions, in configuration order.
    pub fn transitions(&self) -> &[Transition] {
        &self.transitions
    }

    /// The states this workflow uses, in [`OrderStatus::ALL`] order. A workflow may use a
    /// subset of the statuses.
    pub fn states(&self) -> Vec<OrderStatus> {
        OrderStatus::ALL
            .into_iter()
            .filter(|s| {
                self.initial.contains(s)
                    || self.terminal.contains(s)
                    || self.transitions.iter().any(|t| t.to == *s || t.from.contains(s))
            })
            .collect()
    }

    /// True when no further work is expected in this state.
    pub fn is_terminal(&self, state: OrderStatus) -> bool {
        self.terminal.contains(&state)
    }

    /// The states an order may be created in.
    pub fn initial(&self) -> &[OrderStatus] {
        &self.initial
    }

    /// The terminal states.
    pub fn terminal(&self) -> &[OrderStatus] {
        &self.terminal
    }

    /// The shortest sequence of transitions from `from` to `to`, ignoring actors and
    /// guards (breadth-first; among equally short paths, the one using transitions listed
    /// earlier in the configuration). `Some(vec![])` when `from == to`; `None` when `to`
    /// cannot be reached.
    pub fn path(&self, from: OrderStatus, to: OrderStatus) -> Option<Vec<&Transition>> {
        // Each state is visited once, so the search is bounded by the 15 statuses.
        let mut came_by: Vec<(OrderStatus, Option<(OrderStatus, &Transition)>)> = vec![(from, None)];
        let mut queue = VecDeque::from([from]);
        while let Some(state) = queue.pop_front() {
            if state == to {
                let mut steps = Vec::new();
                let mut at = state;
                while let Some((_, Some((previous, transition)))) = came_by.iter().find(|(s, _)| *s == at) {
                    steps.push(*transition);
                    at = *previous;
                }
                steps.reverse();
                return Some(steps);
            }
            for transition in self.transitions.iter().filter(|t| t.from.contains(&state)) {
                if came_by.iter().all(|(s, _)| *s != transition.to) {
                    came_by.push((transition.to, Some((state, transition))));
                    queue.push_back(transition.to);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_config;
