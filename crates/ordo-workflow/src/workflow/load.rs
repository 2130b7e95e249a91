//! Reading a workflow file and checking it as a whole.

use std::ops::Range;

use ordo_core::OrderStatus;

use super::{Action, Actor, Guard, ReasonPolicy, Transition, Workflow};
use crate::config::{ConfigErrors, Doc, Fields, Text, Value, list};

/// Where a state is named, so graph problems point at a line a merchant can edit.
struct Mention {
    state: OrderStatus,
    span: Range<usize>,
    path: String,
    as_target: bool,
}

/// What the loader learned, with locations, before the graph checks.
#[derive(Default)]
struct Draft {
    initial: Vec<OrderStatus>,
    terminal: Vec<OrderStatus>,
    transitions: Vec<Transition>,
    /// Span and path of each transition's table, parallel to `transitions` (which skips
    /// tables that failed to load, so indexes differ).
    tables: Vec<(Range<usize>, String)>,
    mentions: Vec<Mention>,
    /// Every transition name as written, with where, including those of transitions
    /// that failed to load, so a duplicate is reported even next to other mistakes.
    names: Vec<Text>,
    /// True when some state name was unknown or missing: the graph checks would then
    /// report states as unreachable only because of that earlier mistake.
    states_incomplete: bool,
}

pub(super) fn load(text: &str, source: &str) -> Result<Workflow, ConfigErrors> {
    let (mut doc, root) = Doc::parse(text, source)?;
    let mut draft = Draft::default();
    let mut fields = Fields::new(&root, 0..0, String::new());
    let initial = fields.texts(&mut doc, "initial");
    let terminal = fields.texts(&mut doc, "terminal");
    match initial {
        Some(texts) if !texts.is_empty() => draft.initial = state_list(&mut doc, &mut draft, &texts),
        // A value of the wrong type was reported already.
        None if fields.has("initial") => draft.states_incomplete = true,
        _ => {
            doc.error(
                &(0..0),
                "initial",
                "no_initial",
                "`initial` must list the states an order may be created in",
            );
            draft.states_incomplete = true;
        }
    }
    if let Some(texts) = terminal {
        draft.terminal = state_list(&mut doc, &mut draft, &texts);
    }
    match fields.get("transition").map(|node| &node.value) {
        Some(Value::Array(tables)) => {
            for (index, table) in tables.iter().enumerate() {
                let path = format!("transition[{index}]");
                if let Some(transition) = read_transition(&mut doc, &mut draft, table, path.clone()) {
                    draft.transitions.push(transition);
                    draft.tables.push((table.span.clone(), path));
                }
            }
        }
        Some(other) => {
            let message = format!("expected [[transition]] tables, found {}", other.kind());
            doc.error(&(0..0), "transition", "invalid_type", message);
        }
        None => doc.error(
            &(0..0),
            "transition",
            "missing_field",
            "the workflow has no [[transition]]",
        ),
    }
    fields.finish(&mut doc, "at the top level");
    check_names(&mut doc, &draft);
    check_ambiguity(&mut doc, &draft);
    if !draft.states_incomplete {
        check_graph(&mut doc, &draft);
    }
    doc.finish(Workflow {
        initial: draft.initial,
        terminal: draft.terminal,
        transitions: draft.transitions,
    })
}

fn state(doc: &mut Doc<'_>, draft: &mut Draft, text: &Text, as_target: bool) -> Option<OrderStatus> {
    let Some(state) = OrderStatus::parse(text.value.trim()) else {
        let known = list(OrderStatus::ALL.iter().map(|s| s.as_str()));
        let message = format!("unknown state {:?}; known states: {known}", text.value);
        doc.error(&text.span, text.path.clone(), "unknown_state", message);
        draft.states_incomplete = true;
        return None;
    };
    draft.mentions.push(Mention {
        state,
        span: text.span.clone(),
        path: text.path.clone(),
        as_target,
    });
    Some(state)
}

fn state_list(doc: &mut Doc<'_>, draft: &mut Draft, texts: &[Text]) -> Vec<OrderStatus> {
    let mut states = Vec::new();
    for text in texts {
        let Some(parsed) = state(doc, draft, text, false) else {
            continue;
        };
        if states.contains(&parsed) {
            let message = format!("{} is listed twice", parsed.as_str());
            doc.error(&text.span, text.path.clone(), "duplicate_entry", message);
        } else {
            states.push(parsed);
        }
    }
    states
}

/// Parses a list of catalogue names, reporting unknown ones with the catalogue.
fn catalogue<T: Copy + PartialEq>(
    doc: &mut Doc<'_>,
    texts: &[Text],
    parse: fn(&str) -> Option<T>,
    all: &[T],
    name: fn(T) -> &'static str,
    what: (&'static str, &'static str),
) -> Vec<T> {
    let (noun, code) = what;
    let mut out = Vec::new();
    for text in texts {
        match parse(text.value.trim()) {
            Some(value) if out.contains(&value) => {
                let message = format!("{noun} {} is listed twice", name(value));
                doc.error(&text.span, text.path.clone(), "duplicate_entry", message);
            }
            Some(value) => out.push(value),
            None => {
                let known = list(all.iter().map(|v| name(*v)));
                let message = format!("unknown {noun} {:?}; known {noun}s: {known}", text.value);
                doc.error(&text.span, text.path.clone(), code, message);
            }
        }
    }
    out
}

fn read_transition(
    doc: &mut Doc<'_>,
    draft: &mut Draft,
    node: &crate::config::Node,
    path: String,
) -> Option<Transition> {
    let mut fields = Fields::of(doc, node, path)?;
    let name = fields.required_text(doc, "name");
    if let Some(name) = &name {
        if name.value.trim().is_empty() {
            doc.error(&name.span, name.path.clone(), "invalid_value", "name must not be empty");
        } else {
            draft.names.push(name.clone());
        }
    }
    let mut from = Vec::new();
    match fields.texts(doc, "from") {
        None if !fields.has("from") => {
            fields.missing(doc, "from", " (the states this transition starts from)");
            draft.states_incomplete = true;
        }
        None => draft.states_incomplete = true,
        Some(texts) if texts.is_empty() => {
            let span = fields.get("from").map_or(fields.span().clone(), |n| n.span.clone());
            doc.error(
                &span,
                fields.path_of("from"),
                "empty_from",
                "`from` must name at least one state",
            );
            draft.states_incomplete = true;
        }
        Some(texts) => {
            for text in &texts {
                let Some(parsed) = state(doc, draft, text, false) else {
                    continue;
                };
                if from.contains(&parsed) {
                    let message = format!("{} is listed twice", parsed.as_str());
                    doc.error(&text.span, text.path.clone(), "duplicate_entry", message);
                } else {
                    from.push(parsed);
                }
            }
        }
    }
    let to_text = fields.required_text(doc, "to");
    let to = match &to_text {
        Some(text) => state(doc, draft, text, true),
        None => {
            draft.states_incomplete = true;
            None
        }
    };
    if let (Some(to), Some(text)) = (to, &to_text)
        && from.contains(&to)
    {
        let message = format!(
            "`to` ({}) is also in `from`; a transition must change the state",
            to.as_str()
        );
        doc.error(&text.span, text.path.clone(), "self_transition", message);
    }
    let by = match fields.texts(doc, "by") {
        None => Actor::ALL.to_vec(),
        Some(texts) => {
            let by = catalogue(
                doc,
                &texts,
                Actor::parse,
                Actor::ALL,
                Actor::as_str,
                ("actor", "unknown_actor"),
            );
            if texts.is_empty() {
                let span = fields.get("by").map_or(0..0, |n| n.span.clone());
                let message = "`by` is empty, so nobody could make this move; leave it out to allow everyone";
                doc.error(&span, fields.path_of("by"), "empty_by", message);
            }
            by
        }
    };
    let guards = fields.texts(doc, "guards").unwrap_or_default();
    let guards = catalogue(
        doc,
        &guards,
        Guard::parse,
        Guard::ALL,
        Guard::as_str,
        ("guard", "unknown_guard"),
    );
    let actions = fields.texts(doc, "actions").unwrap_or_default();
    let actions = catalogue(
        doc,
        &actions,
        Action::parse,
        Action::ALL,
        Action::as_str,
        ("action", "unknown_action"),
    );
    let reason = match fields.text(doc, "reason") {
        None => ReasonPolicy::Optional,
        Some(text) => ReasonPolicy::parse(text.value.trim()).unwrap_or_else(|| {
            let known = list(ReasonPolicy::ALL.iter().map(|r| r.as_str()));
            let message = format!("unknown reason policy {:?}; known: {known}", text.value);
            doc.error(&text.span, text.path.clone(), "invalid_value", message);
            ReasonPolicy::Optional
        }),
    };
    let description = fields.text(doc, "description").map(|t| t.value);
    fields.finish(doc, "in a transition");
    // A transition without a name still counts for the graph checks, so that one missing
    // name does not also make its target look unreachable; the error is already recorded.
    Some(Transition {
        name: name.map(|n| n.value.trim().to_owned()).unwrap_or_default(),
        from,
        to: to?,
        by,
        guards,
        actions,
        reason,
        description,
    })
}

/// Names identify transitions in the API and in event logs, so they must be unique.
fn check_names(doc: &mut Doc<'_>, draft: &Draft) {
    for (index, name) in draft.names.iter().enumerate() {
        let wanted = name.value.trim();
        if let Some(first) = draft.names[..index].iter().find(|n| n.value.trim() == wanted) {
            let (line, _) = doc.line_column(first.span.start);
            let message = format!("transition name {wanted:?} is already used on line {line}");
            doc.error(&name.span, name.path.clone(), "duplicate_name", message);
        }
    }
}

/// `check(from, to)` must find one transition for a given actor, so two transitions may
/// share a move only when no actor may make both.
fn check_ambiguity(doc: &mut Doc<'_>, draft: &Draft) {
    let transitions = &draft.transitions;
    for (j, later) in transitions.iter().enumerate() {
        for earlier in &transitions[..j] {
            let shared_from = later.from.iter().find(|s| earlier.from.contains(s));
            let shared_actor = later.by.iter().find(|a| earlier.by.contains(a));
            if let (Some(from), Some(actor), true) = (shared_from, shared_actor, later.to == earlier.to) {
                let message = format!(
                    "{} and {} both move {} to {} for {actor}; give them different `by` lists",
                    earlier.name,
                    later.name,
                    from.as_str(),
                    later.to.as_str()
                );
                let (span, path) = &draft.tables[j];
                doc.error(span, path.clone(), "ambiguous_transition", message);
            }
        }
    }
}

/// Every state must be reachable from an initial state, and every state that is not
/// terminal must have a way out; otherwise orders can never get there, or get stuck.
fn check_graph(doc: &mut Doc<'_>, draft: &Draft) {
    let mut reachable = draft.initial.clone();
    let mut index = 0;
    while let Some(&state) = reachable.get(index) {
        for transition in draft.transitions.iter().filter(|t| t.from.contains(&state)) {
            if !reachable.contains(&transition.to) {
                reachable.push(transition.to);
            }
        }
        index += 1;
    }
    let initial = list(draft.initial.iter().map(|s| s.as_str()));
    for state in OrderStatus::ALL {
        let mut mentions = draft.mentions.iter().filter(|m| m.state == state);
        let Some(first) = mentions.next() else { continue };
        if !reachable.contains(&state) {
            let message = format!(
                "state {} cannot be reached from any initial state ({initial})",
                state.as_str()
            );
            doc.error(&first.span, first.path.clone(), "unreachable_state", message);
        }
        let has_exit = draft.transitions.iter().any(|t| t.from.contains(&state));
        if !has_exit && !draft.terminal.contains(&state) {
            let at = draft
                .mentions
                .iter()
                .find(|m| m.state == state && m.as_target)
                .unwrap_or(first);
            let message = format!(
                "state {} is a dead end: no transition leaves it and it is not listed in `terminal`",
                state.as_str()
            );
            doc.error(&at.span, at.path.clone(), "dead_end", message);
        }
    }
}
