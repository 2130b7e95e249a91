//! The mappings a node ingests platform payloads with: the built-in ones, overridden or
//! extended by the `*.toml` files of a directory, reloaded while the node runs.
//!
//! A reload that finds any invalid file keeps the mappings in force and reports the
//! problem (file, line, field): a typo in one file never takes a channel down.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use ordo_mapping::{BUILT_IN, Mapping};
use tokio::sync::watch;
use tokio::task::JoinHandle;

type Table = BTreeMap<String, Arc<Mapping>>;

/// Shared, reloadable mappings by name; cheap to clone.
#[derive(Clone)]
pub struct MappingRegistry {
    dir: Option<PathBuf>,
    current: Arc<RwLock<Arc<Table>>>,
    last_error: Arc<RwLock<Option<String>>>,
}

impl MappingRegistry {
    /// The built-in mappings, plus those of `dir` (which win on a name clash). Fails if a
    /// file is invalid.
    pub fn load(dir: Option<PathBuf>) -> Result<Self, String> {
        let table = read(dir.as_deref())?;
        Ok(Self {
            dir,
            current: Arc::new(RwLock::new(Arc::new(table))),
            last_error: Arc::default(),
        })
    }

    /// A mapping by name, e.g. `shopify.order`.
    pub fn get(&self, name: &str) -> Option<Arc<Mapping>> {
        self.current.read().expect("mapping table lock").get(name).cloned()
    }

    /// Names in force.
    pub fn names(&self) -> Vec<String> {
        self.current
            .read()
            .expect("mapping table lock")
            .keys()
            .cloned()
            .collect()
    }

    /// The problem of the last reload that was refused, if the files are still wrong.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.read().expect("mapping error lock").clone()
    }

    /// Reads the files again; on any error keeps what is in force and returns the error.
    pub fn reload(&self) -> Result<usize, String> {
        match read(self.dir.as_deref()) {
            Ok(table) => {
                let count = table.len();
                *self.current.write().expect("mapping table lock") = Arc::new(table);
                *self.last_error.write().expect("mapping error lock") = None;
                metrics::counter!("ordo_mapping_reloads_total", "result" => "ok").increment(1);
                Ok(count)
            }
            Err(problem) => {
                *self.last_error.write().expect("mapping error lock") = Some(problem.clone());
                metrics::counter!("ordo_mapping_reloads_total", "result" => "refused").increment(1);
                Err(problem)
            }
        }
    }

    /// Watches the directory (by polling modification times; no platform file-watch API
    /// needed) and reloads on every change until `stop` turns true.
    pub fn spawn_reloader(&self, every: Duration, mut stop: watch::Receiver<bool>) -> Option<JoinHandle<()>> {
        let dir = self.dir.clone()?;
        let registry = self.clone();
        // Taken now, not when the task first runs: a change made in between must count.
        let mut seen = fingerprint(&dir);
        Some(tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(every) => {}
                    _ = stop.changed() => return,
                }
                if *stop.borrow() {
                    return;
                }
                let now = fingerprint(&dir);
                if now == seen {
                    continue;
                }
                seen = now;
                match registry.reload() {
                    Ok(count) => tracing::info!(dir = %dir.display(), count, "mappings reloaded"),
                    Err(problem) => {
                        tracing::error!(%problem, "mapping reload refused; the previous mappings stay in force")
                    }
                }
            }
        }))
    }
}

/// The text of a fragment a mapping includes: a file beside it, else a built-in mapping
/// of that file name.
pub fn fragment(dir: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(name))
        .ok()
        .or_else(|| ordo_mapping::built_in(name).map(|(_, text)| text.to_owned()))
}

/// Files named `*.fragment.toml` are only included by mappings, never mappings themselves.
fn is_fragment(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".fragment.toml"))
}

fn read(dir: Option<&Path>) -> Result<Table, String> {
    let mut table = Table::new();
    for (file, text) in BUILT_IN {
        let mapping = Mapping::load_with(file, text, |name| {
            ordo_mapping::built_in(name).map(|(_, text)| text.to_owned())
        })
        .map_err(|e| e.to_string())?;
        table.insert(mapping.name.clone(), Arc::new(mapping));
    }
    let Some(dir) = dir else { return Ok(table) };
    let mut problems = Vec::new();
    for path in toml_files(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        if is_fragment(&path) {
            continue;
        }
        let loaded = std::fs::read_to_string(&path)
            .map_err(|e| format!("{}: {e}", path.display()))
            .and_then(|text| {
                Mapping::load_with(&path.display().to_string(), &text, |name| fragment(dir, name))
                    .map_err(|e| e.to_string())
            });
        match loaded {
            Ok(mapping) => {
                table.insert(mapping.name.clone(), Arc::new(mapping));
            }
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(table)
    } else {
        Err(problems.join("; "))
    }
}

fn toml_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

/// Names, sizes and modification times of the directory's mapping files.
fn fingerprint(dir: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    toml_files(dir)
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            let meta = std::fs::metadata(&p).ok();
            let size = meta.as_ref().map_or(0, std::fs::Metadata::len);
            let modified = meta.and_then(|m| m.modified().ok());
            (p, size, modified)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_file_is_refused_and_the_mappings_in_force_stay() {
        let dir = tempfile::tempdir().unwrap();
        let registry = MappingRegistry::load(Some(dir.path().to_owned())).unwrap();
        assert!(registry.get("shopify.order").is_some());
        let custom = "name = \"acme.order\"\n[fields]\nchannel = { const = \"acme\" }\n[lines]\neach = \"items\"\n[lines.fields]\nsku = { path = \"sku\" }\n";
        std::fs::write(dir.path().join("acme.toml"), custom).unwrap();
        assert_eq!(registry.reload().unwrap(), ordo_mapping::BUILT_IN.len() + 1);
        assert!(registry.get("acme.order").is_some());
        std::fs::write(dir.path().join("acme.toml"), custom.replace("path =", "pth =")).unwrap();
        let problem = registry.reload().unwrap_err();
        assert!(problem.contains("acme.toml:7"), "{problem}");
        assert!(registry.get("acme.order").is_some(), "the old mapping stays in force");
        assert_eq!(registry.last_error(), Some(problem));
    }

    #[test]
    fn a_mapping_in_the_directory_includes_a_fragment_beside_it_and_fragments_are_not_mappings() {
        let dir = tempfile::tempdir().unwrap();
        let shared = "[fields]\ncurrency = { const = \"CNY\" }\n";
        std::fs::write(dir.path().join("cn.fragment.toml"), shared).unwrap();
        let custom = "name = \"acme.order\"\ninclude = [\"cn.fragment.toml\"]\n[fields]\nchannel = { const = \"acme\" }\n[lines]\neach = \"items\"\n[lines.fields]\nsku = { path = \"sku\" }\n";
        std::fs::write(dir.path().join("acme.toml"), custom).unwrap();
        let registry = MappingRegistry::load(Some(dir.path().to_owned())).unwrap();
        let acme = registry.get("acme.order").expect("loaded with its include");
        let mapped = acme.apply(&serde_json::json!({"items": [{"sku": "A"}]})).unwrap();
        assert_eq!(mapped["currency"], "CNY");
        assert_eq!(registry.names().len(), ordo_mapping::BUILT_IN.len() + 1);
    }

    #[tokio::test]
    async fn the_reloader_picks_up_a_new_file_by_itself() {
        let dir = tempfile::tempdir().unwrap();
        let registry = MappingRegistry::load(Some(dir.path().to_owned())).unwrap();
        let (stop, stopped) = watch::channel(false);
        let task = registry.spawn_reloader(Duration::from_millis(20), stopped).unwrap();
        let custom = "name = \"late.order\"\n[fields]\nchannel = { const = \"x\" }\n[lines]\neach = \"items\"\n[lines.fields]\nsku = { path = \"sku\" }\n";
        std::fs::write(dir.path().join("late.toml"), custom).unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while registry.get("late.order").is_none() {
            assert!(tokio::time::Instant::now() < deadline, "not reloaded within 5 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stop.send(true).unwrap();
        task.await.unwrap();
    }
}
