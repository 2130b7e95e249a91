//! Loading a mapping: parsing with the position of every rule, merging included
//! fragments, and the checks whose errors name the file, the line and the field.
//!
//! Positions come from the TOML parser's spans (`toml::Spanned`), so an error points at
//! the rule itself, never at a comment or another table that mentions the same name.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::rule::{Rule, Tables, one_or_many};
use crate::{List, LoadError, Location, Mapping, TestVector, path};

/// Deepest chain of fragments including fragments. Sharing needs one or two levels; a
/// deeper chain is a mistake, and the bound keeps a resolver that invents names finite.
const MAX_INCLUDE_DEPTH: usize = 8;

/// A mapping file as written, with positions.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    root: Vec<String>,
    #[serde(default)]
    each_order: Option<String>,
    #[serde(default)]
    include: Vec<Spanned<String>>,
    #[serde(default)]
    fields: BTreeMap<String, Spanned<Rule>>,
    lines: Spanned<RawList>,
    #[serde(default)]
    lists: BTreeMap<String, Spanned<RawList>>,
    #[serde(default)]
    tables: Tables,
    #[serde(default)]
    tests: Vec<TestVector>,
}

/// An included fragment: shared rules, lists and tables.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFragment {
    #[serde(default)]
    #[allow(dead_code, reason = "a fragment may say what it is for; nothing reads it")]
    description: Option<String>,
    #[serde(default)]
    include: Vec<Spanned<String>>,
    #[serde(default)]
    fields: BTreeMap<String, Spanned<Rule>>,
    #[serde(default)]
    lists: BTreeMap<String, Spanned<RawList>>,
    #[serde(default)]
    tables: Tables,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawList {
    #[serde(deserialize_with = "one_or_many")]
    each: Vec<String>,
    #[serde(default, rename = "where")]
    keep_where: BTreeMap<String, Vec<serde_json::Value>>,
    #[serde(default, rename = "where_not")]
    drop_where: BTreeMap<String, Vec<serde_json::Value>>,
    #[serde(default)]
    fields: BTreeMap<String, Spanned<Rule>>,
}

/// One file's name and text, to turn byte offsets into locations.
struct Source<'a> {
    file: &'a str,
    text: &'a str,
}

impl Source<'_> {
    /// The 1-based line and character column of a byte offset.
    fn position(&self, offset: usize) -> (usize, usize) {
        let text = self.text;
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (
            before.matches('\n').count() + 1,
            before[line_start..].chars().count() + 1,
        )
    }

    /// The location of an entry whose value starts at `offset`: its line, at the first
    /// character written on it (the key of `key = { … }`, the `[` of a table header).
    fn locate(&self, offset: usize) -> Location {
        let (line, _) = self.position(offset);
        let text = self.text.lines().nth(line - 1).unwrap_or("");
        let column = text.chars().take_while(|c| c.is_whitespace()).count() + 1;
        Location {
            file: self.file.to_owned(),
            line,
            column,
        }
    }

    fn error(&self, offset: usize, message: String) -> LoadError {
        let (line, column) = self.position(offset);
        LoadError {
            file: self.file.to_owned(),
            line,
            column,
            message,
        }
    }

    fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, LoadError> {
        toml::from_str(self.text).map_err(|e| {
            let (line, column) = e.span().map_or((0, 0), |s| self.position(s.start));
            LoadError {
                file: self.file.to_owned(),
                line,
                column,
                message: e.message().trim().replace('\n', "; "),
            }
        })
    }

    fn rules(&self, raw: BTreeMap<String, Spanned<Rule>>) -> BTreeMap<String, Rule> {
        raw.into_iter()
            .map(|(name, spanned)| {
                let at = self.locate(spanned.span().start);
                let mut rule = spanned.into_inner();
                rule.locate(&at);
                (name, rule)
            })
            .collect()
    }

    fn list(&self, raw: Spanned<RawList>) -> List {
        let at = self.locate(raw.span().start);
        let raw = raw.into_inner();
        List {
            each: raw.each,
            keep_where: raw.keep_where,
            drop_where: raw.drop_where,
            fields: self.rules(raw.fields),
            at: Some(at),
        }
    }
}

/// What fragments and the file itself contribute, merged by target.
#[derive(Default)]
struct Parts {
    fields: BTreeMap<String, Rule>,
    lists: BTreeMap<String, List>,
    tables: Tables,
}

impl Parts {
    /// Adds entries; each replaces an entry of the same target added before.
    fn add(
        &mut self,
        source: &Source<'_>,
        fields: BTreeMap<String, Spanned<Rule>>,
        lists: BTreeMap<String, Spanned<RawList>>,
        tables: Tables,
    ) {
        self.fields.extend(source.rules(fields));
        self.lists
            .extend(lists.into_iter().map(|(name, raw)| (name, source.list(raw))));
        self.tables.extend(tables);
    }
}

/// Finds an included fragment's text by the name the mapping gives it.
type Resolve<'r> = &'r dyn Fn(&str) -> Option<String>;

impl Mapping {
    /// Parses and checks a mapping without includes; errors name the file, the line and
    /// the field. A mapping that says `include` needs [`Mapping::load_with`].
    pub fn load(file: &str, text: &str) -> Result<Self, LoadError> {
        load(file, text, None)
    }

    /// Parses and checks a mapping, finding each fragment it includes with `resolve`
    /// (given the name as written; `None` when there is no such fragment). Included
    /// entries are merged in; the including file's own entries win.
    pub fn load_with(file: &str, text: &str, resolve: impl Fn(&str) -> Option<String>) -> Result<Self, LoadError> {
        load(file, text, Some(&resolve))
    }
}

fn load(file: &str, text: &str, resolve: Option<Resolve<'_>>) -> Result<Mapping, LoadError> {
    let source = Source { file, text };
    let raw: RawMapping = source.parse()?;
    let mut parts = Parts::default();
    let mut chain = vec![file.to_owned()];
    include(&source, &raw.include, resolve, &mut chain, &mut parts)?;
    parts.add(&source, raw.fields, raw.lists, raw.tables);
    let mapping = Mapping {
        name: raw.name,
        description: raw.description,
        root: raw.root,
        each_order: raw.each_order,
        include: raw.include.into_iter().map(Spanned::into_inner).collect(),
        fields: parts.fields,
        lines: source.list(raw.lines),
        lists: parts.lists,
        tables: parts.tables,
        tests: raw.tests,
    };
    check(&mapping, file)?;
    Ok(mapping)
}

/// Merges the fragments `names` into `parts`, each after the fragments it includes;
/// `chain` is the files including this one, to refuse a cycle.
fn include(
    from: &Source<'_>,
    names: &[Spanned<String>],
    resolve: Option<Resolve<'_>>,
    chain: &mut Vec<String>,
    parts: &mut Parts,
) -> Result<(), LoadError> {
    for name in names {
        let at = |message: String| from.error(name.span().start, format!("include {:?}: {message}", name.get_ref()));
        let Some(resolve) = resolve else {
            return Err(at("include needs a resolver (Mapping::load_with)".into()));
        };
        if chain.contains(name.get_ref()) {
            return Err(at(format!("includes itself (through {})", chain.join(" → "))));
        }
        if chain.len() > MAX_INCLUDE_DEPTH {
            return Err(at(format!("includes nest deeper than {MAX_INCLUDE_DEPTH}")));
        }
        let text = resolve(name.get_ref()).ok_or_else(|| at("no such fragment".into()))?;
        let source = Source {
            file: name.get_ref(),
            text: &text,
        };
        let fragment: RawFragment = source.parse()?;
        chain.push(name.get_ref().clone());
        include(&source, &fragment.include, Some(resolve), chain, parts)?;
        chain.pop();
        parts.add(&source, fragment.fields, fragment.lists, fragment.tables);
    }
    Ok(())
}

/// A problem at a location (or in `file` at an unknown line).
fn problem(at: Option<&Location>, file: &str, message: String) -> LoadError {
    LoadError {
        file: at.map_or(file, |a| &a.file).to_owned(),
        line: at.map_or(0, |a| a.line),
        column: at.map_or(0, |a| a.column),
        message,
    }
}

/// The checks a merged mapping must pass, beyond what parsing checks.
fn check(mapping: &Mapping, file: &str) -> Result<(), LoadError> {
    for p in mapping.root.iter().filter(|p| *p != ".").chain(&mapping.each_order) {
        path::check(p, false).map_err(|m| problem(None, file, format!("root: {m}")))?;
    }
    check_rules(&mapping.fields, "fields", &mapping.tables, file)?;
    check_list(&mapping.lines, "lines", &mapping.tables, file)?;
    for (target, list) in &mapping.lists {
        let clash = |other: &str| {
            other == target || other.starts_with(&format!("{target}.")) || target.starts_with(&format!("{other}."))
        };
        let written_by = if clash("lines") {
            Some("[lines]".to_owned())
        } else {
            mapping
                .fields
                .keys()
                .find(|f| clash(f))
                .map(|f| format!("[fields] {f}"))
        };
        if let Some(other) = written_by {
            let message = format!("lists.{target}: the target is also written by {other}");
            return Err(problem(list.at.as_ref(), file, message));
        }
        check_list(list, &format!("lists.{target}"), &mapping.tables, file)?;
    }
    Ok(())
}

fn check_list(list: &List, scope: &str, tables: &Tables, file: &str) -> Result<(), LoadError> {
    let fail = |m: String| problem(list.at.as_ref(), file, format!("{scope}: {m}"));
    if list.each.is_empty() {
        return Err(fail("each lists no array".into()));
    }
    for p in list.each.iter().filter(|p| *p != ".") {
        path::check(p, false).map_err(|m| fail(format!("each {m}")))?;
    }
    for (key, conditions) in [("where", &list.keep_where), ("where_not", &list.drop_where)] {
        for (p, values) in conditions {
            path::check(p, false).map_err(|m| fail(format!("{key} {m}")))?;
            if values.is_empty() {
                return Err(fail(format!("{key} {p:?} lists no values")));
            }
        }
    }
    check_rules(&list.fields, &format!("{scope}.fields"), tables, file)
}

fn check_rules(rules: &BTreeMap<String, Rule>, scope: &str, tables: &Tables, file: &str) -> Result<(), LoadError> {
    for (name, rule) in rules {
        let fail = |m: String| problem(rule.at.as_ref(), file, format!("{name}: in [{scope}]: {m}"));
        rule.check(tables, false).map_err(fail)?;
        for target in rule.remainder_targets() {
            let takes_money = rules.get(target).is_some_and(|t| t.money.is_some());
            if target == name || !takes_money {
                return Err(fail(format!(
                    "remainder_to {target:?} is not another money field of [{scope}]"
                )));
            }
        }
    }
    Ok(())
}
