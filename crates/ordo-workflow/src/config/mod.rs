//! Loading merchant-edited TOML with every problem reported at once, each with its file,
//! line, column and a path such as `transition[3].actions[1]`.
//!
//! A typed serde model stops at the first error and loses the location of anything it
//! checks after parsing, so documents are first read into a small tree that keeps the
//! byte span of every value ([`Node`]), and the workflow and rule loaders then walk that
//! tree with a [`Doc`] that collects errors instead of returning early.

use std::fmt;
use std::ops::Range;

use serde::Serialize;

mod fields;
mod tree;

pub(crate) use fields::{Fields, Text, list};
pub(crate) use tree::{Node, Value};

/// One problem in a configuration document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigError {
    /// The file (or other name) the text came from.
    pub source: String,
    /// 1-based line of the problem.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// Where in the document, e.g. `transition[3].actions[1]`; empty for syntax errors.
    pub path: String,
    /// Stable code, e.g. `unknown_action`, `duplicate_name`, `syntax`.
    pub code: &'static str,
    /// What is wrong and, where it helps, what is accepted.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.source, self.line, self.column)?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// Every problem found in one document, in document order. Loading does not stop at the
/// first problem, so a merchant can fix the whole file in one edit.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, thiserror::Error)]
#[serde(transparent)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl ConfigErrors {
    /// The problems.
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }

    /// How many problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there is no problem.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first problem with this code, for callers (and tests) that look for one kind.
    pub fn find(&self, code: &str) -> Option<&ConfigError> {
        self.0.iter().find(|e| e.code == code)
    }
}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
/// A document being loaded: its text, for locations, and the problems found so far.
pub(crate) struct Doc<'t> {
    source: &'t str,
    text: &'t str,
    errors: Vec<ConfigError>,
}

impl<'t> Doc<'t> {
    /// Parses TOML syntax. A syntax error is the only problem reported, since nothing
    /// after it can be trusted.
    pub fn parse(text: &'t str, source: &'t str) -> Result<(Self, Vec<(String, Node)>), ConfigErrors> {
        let mut doc = Doc {
            source,
            text,
            errors: Vec::new(),
        };
        match toml::from_str::<Value>(text) {
            Ok(Value::Table(entries)) => Ok((doc, entries)),
            // TOML documents are tables by definition; kept total rather than panicking.
            Ok(_) => {
                doc.error(&(0..0), "", "syntax", "the document is not a TOML table");
                Err(ConfigErrors(doc.errors))
            }
            Err(error) => {
                let span = error.span().unwrap_or(0..0);
                let message = error.message().trim().replace('\n', "; ");
                doc.error(&span, "", "syntax", format!("invalid TOML: {message}"));
                Err(ConfigErrors(doc.errors))
            }
        }
    }

    /// Records a problem at a span.
    pub fn error(
        &mut self,
        span: &Range<usize>,
        path: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) {
        let (line, column) = self.line_column(span.start);
        self.errors.push(ConfigError {
            source: self.source.to_owned(),
            line,
            column,
            path: path.into(),
            code,
            message: message.into(),
        });
    }

    /// 1-based line and character column of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    /// Where a key is written: searched backwards from its value on the value's line, or
    /// as a `[key]` header before it; the value itself when neither is found.
    pub fn key_span(&self, key: &str, value: &Node) -> Range<usize> {
        let start = value.span.start.min(self.text.len());
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        if let Some(at) = self.text[line_start..start].rfind(key) {
            return line_start + at..line_start + at + key.len();
        }
        // A table's span starts at its own header, so the header is searched up to its end.
        let header_end = (start + key.len() + 2).min(self.text.len());
        match self.text.get(..header_end).and_then(|t| t.rfind(&format!("[{key}]"))) {
            Some(at) => at + 1..at + 1 + key.len(),
            None => value.span.clone(),
        }
    }

    /// The collected problems sorted by position, or the value when there are none.
    pub fn finish<T>(mut self, value: T) -> Result<T, ConfigErrors> {
        if self.errors.is_empty() {
            return Ok(value);
        }
        self.errors.sort_by_key(|e| (e.line, e.column));
        Err(ConfigErrors(self.errors))
    }
}
