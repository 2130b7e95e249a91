//! The workflow and review rules a node runs under: the built-in ones, or the merchant's
//! files, reloaded while the node runs.
//!
//! A reload that finds an error (file:line:column and the path in the file) keeps the
//! configuration in force and reports the problem: a typo never stops review.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use ordo_core::Order;
use ordo_store::review::records::{ReviewDecision, ReviewFacts, ReviewVerdict, Reviewer};
use ordo_workflow::rules::RuleKind;
use ordo_workflow::{Decision, RuleContext, RuleSet, Workflow};
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The merchant's rule set as the store's [`Reviewer`].
#[derive(Debug)]
pub struct RulesReviewer {
    rules: Arc<RuleSet>,
    wants_duplicates: bool,
}

impl RulesReviewer {
    /// Wraps a rule set.
    pub fn new(rules: Arc<RuleSet>) -> Self {
        let wants_duplicates = rules
            .rules()
            .iter()
            .any(|r| r.enabled && matches!(r.kind, RuleKind::SuspectedDuplicate));
        Self {
            rules,
            wants_duplicates,
        }
    }
}

impl Reviewer for RulesReviewer {
    fn wants_duplicates(&self) -> bool {
        self.wants_duplicates
    }

    fn review(&self, order: &Order, facts: &ReviewFacts) -> ReviewVerdict {
        let context = RuleContext {
            now: facts.now,
            paid_at: facts.paid_at,
            unknown_skus: facts.unknown_skus.clone(),
            possible_duplicates: facts.possible_duplicates.clone(),
            phone_valid: facts.phone_valid,
        };
        let verdict = self.rules.evaluate(order, &context);
        ReviewVerdict {
            decision: match verdict.decision {
                Decision::Approve => ReviewDecision::Approve,
                Decision::Hold => ReviewDecision::Hold,
                Decision::Reject => ReviewDecision::Reject,
            },
            hits: serde_json::to_value(&verdict.hits).unwrap_or_default(),
            flags: verdict.flags.clone(),
            until: verdict.release_at,
        }
    }
}

/// What is in force.
#[derive(Debug)]
pub struct Active {
    /// The order workflow.
    pub workflow: Arc<Workflow>,
    /// The review rules.
    pub rules: Arc<RuleSet>,
    /// The rules as the store's reviewer.
    pub reviewer: Arc<dyn Reviewer>,
    /// Where the workflow came from (`built-in` or a path).
    pub workflow_source: String,
    /// Where the rules came from.
    pub rules_source: String,
    /// When this was loaded.
    pub loaded_at: DateTime<Utc>,
}

/// A refused reload.
#[derive(Debug, Clone, Serialize)]
pub struct LoadProblem {
    /// When it was refused.
    pub at: DateTime<Utc>,
    /// Each problem: `file:line:column: path: message`.
    pub errors: Vec<String>,
}

/// Shared, reloadable workflow and rules; cheap to clone.
#[derive(Clone)]
pub struct Policies {
    workflow_file: Option<PathBuf>,
    rules_file: Option<PathBuf>,
    current: Arc<RwLock<Arc<Active>>>,
    problem: Arc<RwLock<Option<LoadProblem>>>,
}

impl std::fmt::Debug for Policies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policies")
            .field("workflow_file", &self.workflow_file)
            .field("rules_file", &self.rules_file)
            .finish()
    }
}

impl Policies {
    /// The built-in workflow and rules.
    pub fn built_in() -> Self {
        Self::load(None, None).expect("the built-in workflow and rules are valid")
    }

    /// Loads the files (built-in for a file not given); fails listing every problem.
    pub fn load(workflow_file: Option<PathBuf>, rules_file: Option<PathBuf>) -> Result<Self, Vec<String>> {
        let active = read(workflow_file.as_ref(), rules_file.as_ref())?;
        Ok(Self {
            workflow_file,
            rules_file,
            current: Arc::new(RwLock::new(Arc::new(active))),
            problem: Arc::default(),
        })
    }

    /// What is in force now.
    pub fn current(&self) -> Arc<Active> {
        self.current.read().expect("policies lock").clone()
    }

    /// The last refused reload, while the files are still wrong.
    pub fn problem(&self) -> Option<LoadProblem> {
        self.problem.read().expect("policies problem lock").clone()
    }

    /// Reads the files again; on any error keeps what is in force and returns the errors.
    pub fn reload(&self) -> Result<(), Vec<String>> {
        match read(self.workflow_file.as_ref(), self.rules_file.as_ref()) {
            Ok(active) => {
                *self.current.write().expect("policies lock") = Arc::new(active);
                *self.problem.write().expect("policies problem lock") = None;
                metrics::counter!("ordo_policy_reloads_total", "result" => "ok").increment(1);
                Ok(())
            }
            Err(errors) => {
                *self.problem.write().expect("policies problem lock") = Some(LoadProblem {
                    at: Utc::now(),
                    errors: errors.clone(),
                });
                metrics::counter!("ordo_policy_reloads_total", "result" => "refused").increment(1);
                Err(errors)
            }
        }
    }

    /// Polls the files' modification times and reloads on a change until `stop`.
    pub fn spawn_reloader(&self, every: Duration, mut stop: watch::Receiver<bool>) -> Option<JoinHandle<()>> {
        if self.workflow_file.is_none() && self.rules_file.is_none() {
            return None;
        }
        let policies = self.clone();
        let mut seen = self.stamps();
        Some(tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(every) => {}
                    _ = stop.changed() => return,
                }
                if *stop.borrow() {
                    return;
                }
                let now = policies.stamps();
                if now == seen {
                    continue;
                }
                seen = now;
                match policies.reload() {
                    Ok(()) => tracing::info!("workflow and rules reloaded"),
                    Err(errors) => {
                        tracing::error!(
                            ?errors,
                            "workflow/rules reload refused; the previous ones stay in force"
                        )
                    }
                }
            }
        }))
    }

    fn stamps(&self) -> [Option<SystemTime>; 2] {
        let stamp = |p: &Option<PathBuf>| {
            p.as_ref()
                .and_then(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        };
        [stamp(&self.workflow_file), stamp(&self.rules_file)]
    }
}

/// Parses a rule set from text, naming `source` in errors.
pub fn parse_rules(text: &str, source: &str) -> Result<RuleSet, Vec<String>> {
    RuleSet::from_toml(text, source).map_err(|e| e.iter().map(|e| e.to_string()).collect())
}

fn read(workflow_file: Option<&PathBuf>, rules_file: Option<&PathBuf>) -> Result<Active, Vec<String>> {
    let mut errors = Vec::new();
    let file = |path: &PathBuf| std::fs::read_to_string(path).map_err(|e| vec![format!("{}: {e}", path.display())]);
    let workflow = match workflow_file {
        None => Ok(Workflow::default_flow()),
        Some(path) => file(path).and_then(|text| {
            Workflow::from_toml(&text, &path.display().to_string())
                .map_err(|e| e.iter().map(|e| e.to_string()).collect())
        }),
    };
    let rules = match rules_file {
        None => Ok(RuleSet::default_rules()),
        Some(path) => file(path).and_then(|text| parse_rules(&text, &path.display().to_string())),
    };
    let (workflow, rules) = match (workflow, rules) {
        (Ok(w), Ok(r)) => (w, r),
        (w, r) => {
            errors.extend(w.err().unwrap_or_default());
            errors.extend(r.err().unwrap_or_default());
            return Err(errors);
        }
    };
    let rules = Arc::new(rules);
    let source = |p: Option<&PathBuf>| p.map_or_else(|| "built-in".to_owned(), |p| p.display().to_string());
    Ok(Active {
        workflow: Arc::new(workflow),
        reviewer: Arc::new(RulesReviewer::new(rules.clone())),
        rules,
        workflow_source: source(workflow_file),
        rules_source: source(rules_file),
        loaded_at: Utc::now(),
    })
}
