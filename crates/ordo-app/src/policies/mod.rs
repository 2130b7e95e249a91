//! The policies orders run under: the workflow, review rules, routing, consolidation,
//! inventory policy, alert receiver and mappings. The node's own (built-in, the merchant's
//! files reloaded while it runs, `ordo.toml`) are the defaults; each tenant's saved
//! versions ([`book`]) go over them on every node within a second.
//!
//! A reload that finds an error (file:line:column and the path in the file) keeps the
//! configuration in force and reports the problem: a typo never stops review.

pub mod book;
pub mod kinds;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use ordo_core::{Order, TenantId};
use ordo_mapping::Mapping;
use ordo_store::fulfilment::consolidate_records::PoolRule;
use ordo_store::review::records::{ReviewDecision, ReviewFacts, ReviewVerdict, Reviewer};
use ordo_workflow::rules::RuleKind;
use ordo_workflow::{Decision, RuleContext, RuleSet, Workflow};
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::consolidation::ConsolidationConfig;
use kinds::{AfterSalePolicy, AlertPolicy, Checked, InventoryPolicy, PolicyKind};

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

/// What one tenant's orders run under (or the node's defaults).
#[derive(Debug)]
pub struct Active {
    /// The order workflow.
    pub workflow: Arc<Workflow>,
    /// The review rules.
    pub rules: Arc<RuleSet>,
    /// The rules as the store's reviewer.
    pub reviewer: Arc<dyn Reviewer>,
    /// Where the workflow came from (`built-in`, a path, or `workflow v{n}`).
    pub workflow_source: String,
    /// Where the rules came from.
    pub rules_source: String,
    /// Whose orders wait to ship together.
    pub consolidation: ConsolidationConfig,
    /// When orders reserve stock and what happens when short.
    pub inventory: InventoryPolicy,
    /// Where alerts go (the secret in clear, opened from its seal).
    pub alerts: AlertPolicy,
    /// How after-sale cases move, and the restocking fee.
    pub aftersales: AfterSalePolicy,
    /// The tenant's own mappings, which win over the node's by name.
    pub mappings: BTreeMap<String, Arc<Mapping>>,
    /// The version in force of each kind the tenant keeps its own of.
    pub versions: BTreeMap<String, i64>,
    /// When this was loaded.
    pub loaded_at: DateTime<Utc>,
}

impl Active {
    /// The consolidation pool rule, if it pools anything.
    pub fn pool(&self) -> Option<PoolRule> {
        self.consolidation.rule()
    }
}

/// What the node's configuration gives besides the workflow and rules files: the defaults
/// a tenant runs under until it saves its own.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    /// `[consolidation]`.
    pub consolidation: ConsolidationConfig,
    /// `[inventory]`.
    pub inventory: InventoryPolicy,
    /// `[webhooks]`: the default tenant's only, since a URL is a destination; other
    /// tenants' alerts go nowhere until they save their own.
    pub alerts: AlertPolicy,
}

/// A refused reload.
#[derive(Debug, Clone, Serialize)]
pub struct LoadProblem {
    /// When it was refused.
    pub at: DateTime<Utc>,
    /// Each problem: `file:line:column: path: message`.
    pub errors: Vec<String>,
}

/// Shared, reloadable policies: the node's defaults (files and `ordo.toml`) and each
/// tenant's saved versions over them; cheap to clone.
#[derive(Clone)]
pub struct Policies {
    workflow_file: Option<PathBuf>,
    rules_file: Option<PathBuf>,
    defaults: Arc<RwLock<Defaults>>,
    current: Arc<RwLock<Arc<Active>>>,
    tenants: Arc<RwLock<HashMap<TenantId, Arc<Active>>>>,
    /// The saved versions last applied, to apply again over reloaded defaults.
    stored: Arc<RwLock<Vec<(TenantId, Opened)>>>,
    problem: Arc<RwLock<Option<LoadProblem>>>,
}

/// A saved version as the node applies it.
#[derive(Debug, Clone)]
pub struct Opened {
    /// Its kind.
    pub kind: PolicyKind,
    /// Its version.
    pub version: i64,
    /// Its text and what it says; `None`: back to the default.
    pub body: Option<(String, Arc<Checked>)>,
}

impl std::fmt::Debug for Policies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policies")
            .field("workflow_file", &self.workflow_file)
            .field("rules_file", &self.rules_file)
            .finish()
    }
}

impl Default for Policies {
    fn default() -> Self {
        Self::built_in()
    }
}

impl Policies {
    /// The built-in workflow and rules.
    pub fn built_in() -> Self {
        Self::load(None, None).expect("the built-in workflow and rules are valid")
    }

    /// Loads the files (built-in for a file not given); fails listing every problem.
    pub fn load(workflow_file: Option<PathBuf>, rules_file: Option<PathBuf>) -> Result<Self, Vec<String>> {
        let defaults = Defaults::default();
        let active = read(workflow_file.as_ref(), rules_file.as_ref(), &defaults)?;
        Ok(Self {
            workflow_file,
            rules_file,
            defaults: Arc::new(RwLock::new(defaults)),
            current: Arc::new(RwLock::new(Arc::new(active))),
            tenants: Arc::default(),
            stored: Arc::default(),
            problem: Arc::default(),
        })
    }

    /// The same, with the node's other defaults.
    pub fn with_defaults(self, defaults: Defaults) -> Self {
        *self.defaults.write().expect("policies defaults lock") = defaults;
        let _ = self.reload();
        self
    }

    /// The node's defaults in force now (what a tenant without its own versions runs
    /// under, alerts aside).
    pub fn current(&self) -> Arc<Active> {
        self.current.read().expect("policies lock").clone()
    }

    /// What `tenant`'s orders run under now.
    pub fn for_tenant(&self, tenant: &TenantId) -> Arc<Active> {
        if let Some(active) = self.tenants.read().expect("tenant policies lock").get(tenant) {
            return active.clone();
        }
        let current = self.current();
        if tenant == &TenantId::default_tenant() || current.alerts.url.is_none() {
            return current;
        }
        // Another tenant without saved versions: the defaults, but never the node's alert
        // receiver. Kept, so this is worked out once per tenant.
        let active = Arc::new(Active {
            alerts: AlertPolicy::default(),
            ..clone_active(&current)
        });
        self.tenants
            .write()
            .expect("tenant policies lock")
            .insert(tenant.clone(), active.clone());
        active
    }

    /// The last refused reload, while the files are still wrong.
    pub fn problem(&self) -> Option<LoadProblem> {
        self.problem.read().expect("policies problem lock").clone()
    }

    /// Reads the files again; on any error keeps what is in force and returns the errors.
    pub fn reload(&self) -> Result<(), Vec<String>> {
        let defaults = self.defaults.read().expect("policies defaults lock").clone();
        match read(self.workflow_file.as_ref(), self.rules_file.as_ref(), &defaults) {
            Ok(active) => {
                *self.current.write().expect("policies lock") = Arc::new(active);
                *self.problem.write().expect("policies problem lock") = None;
                let stored = self.stored.read().expect("stored policies lock").clone();
                self.apply(stored);
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

    /// Puts tenants' saved versions in force over the defaults (each tenant left out runs
    /// under the defaults), routing included.
    pub fn apply(&self, stored: Vec<(TenantId, Opened)>) {
        let current = self.current();
        let node_alerts = self.defaults.read().expect("policies defaults lock").alerts.clone();
        let mut tenants: HashMap<TenantId, Active> = HashMap::new();
        let mut routing = BTreeMap::new();
        for (tenant, Opened { kind, version, body }) in &stored {
            let active = tenants.entry(tenant.clone()).or_insert_with(|| {
                let mut active = clone_active(&current);
                if tenant != &TenantId::default_tenant() {
                    active.alerts = AlertPolicy::default();
                }
                active
            });
            active.versions.insert(kind.name(), *version);
            let source = format!("{kind} v{version}");
            match (kind, body.as_ref().map(|(_, checked)| checked.as_ref())) {
                (PolicyKind::Workflow, Some(Checked::Workflow(w))) => {
                    active.workflow = Arc::new(w.clone());
                    active.workflow_source = source;
                }
                (PolicyKind::Rules, Some(Checked::Rules(r))) => {
                    let rules = Arc::new(r.clone());
                    active.reviewer = Arc::new(RulesReviewer::new(rules.clone()));
                    active.rules = rules;
                    active.rules_source = source;
                }
                (PolicyKind::Routing, Some(Checked::Routing(config))) => {
                    let installed = ordo_store::stock::sourcing::Installed {
                        config: config.clone(),
                        source,
                        toml: body.as_ref().map(|(text, _)| text.clone()).unwrap_or_default(),
                    };
                    routing.insert(tenant.clone(), Arc::new(installed));
                }
                (PolicyKind::Consolidation, Some(Checked::Consolidation(c))) => active.consolidation = c.clone(),
                (PolicyKind::Inventory, Some(Checked::Inventory(i))) => active.inventory = *i,
                (PolicyKind::Alerts, Some(Checked::Alerts(a))) => active.alerts = a.clone(),
                (PolicyKind::AfterSales, Some(Checked::AfterSales(a))) => active.aftersales = a.clone(),
                (PolicyKind::Mapping(name), Some(Checked::Mapping(m))) => {
                    active.mappings.insert(name.clone(), Arc::new((**m).clone()));
                }
                // Back to the default: what the tenant started from is already there,
                // except the node's alert receiver for other tenants.
                (PolicyKind::Alerts, None) if tenant == &TenantId::default_tenant() => {
                    active.alerts = node_alerts.clone();
                }
                _ => {}
            }
        }
        ordo_store::stock::sourcing::install_tenants(routing);
        *self.tenants.write().expect("tenant policies lock") =
            tenants.into_iter().map(|(t, a)| (t, Arc::new(a))).collect();
        *self.stored.write().expect("stored policies lock") = stored;
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

fn read(
    workflow_file: Option<&PathBuf>,
    rules_file: Option<&PathBuf>,
    defaults: &Defaults,
) -> Result<Active, Vec<String>> {
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
        consolidation: defaults.consolidation.clone(),
        inventory: defaults.inventory,
        alerts: defaults.alerts.clone(),
        aftersales: AfterSalePolicy::default(),
        mappings: BTreeMap::new(),
        versions: BTreeMap::new(),
        loaded_at: Utc::now(),
    })
}

fn clone_active(active: &Active) -> Active {
    Active {
        workflow: active.workflow.clone(),
        rules: active.rules.clone(),
        reviewer: active.reviewer.clone(),
        workflow_source: active.workflow_source.clone(),
        rules_source: active.rules_source.clone(),
        consolidation: active.consolidation.clone(),
        inventory: active.inventory,
        alerts: active.alerts.clone(),
        aftersales: active.aftersales.clone(),
        mappings: active.mappings.clone(),
        versions: active.versions.clone(),
        loaded_at: active.loaded_at,
    }
}
