//! Reading typed fields out of a table, collecting problems instead of stopping.

use std::ops::Range;

use super::{Doc, Node, Value};

/// A text value and where it is.
#[derive(Debug, Clone)]
pub(crate) struct Text {
    pub value: String,
    pub span: Range<usize>,
    pub path: String,
}

/// Reads the fields of one table, remembering which were read so that the rest can be
/// reported as unknown.
pub(crate) struct Fields<'n> {
    path: String,
    span: Range<usize>,
    entries: &'n [(String, Node)],
    read: Vec<&'static str>,
}

impl<'n> Fields<'n> {
    /// Starts reading a table node; reports and returns `None` when it is not a table.
    pub fn of(doc: &mut Doc<'_>, node: &'n Node, path: impl Into<String>) -> Option<Self> {
        let path = path.into();
        match &node.value {
            Value::Table(entries) => Some(Self::new(entries, node.span.clone(), path)),
            other => {
                let message = format!("expected a table, found {}", other.kind());
                doc.error(&node.span, path, "invalid_type", message);
                None
            }
        }
    }

    /// Reads entries directly (the document root).
    pub fn new(entries: &'n [(String, Node)], span: Range<usize>, path: String) -> Self {
        Self {
            path,
            span,
            entries,
            read: Vec::new(),
        }
    }

    /// The path of a field of this table.
    pub fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Where the table starts (its header), for problems about missing fields.
    pub fn span(&self) -> &Range<usize> {
        &self.span
    }

    /// True when the table has this field.
    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k == key)
    }

    /// The raw node of a field, marking it read.
    pub fn get(&mut self, key: &'static str) -> Option<&'n Node> {
        self.read.push(key);
        self.entries.iter().find(|(k, _)| k == key).map(|(_, node)| node)
    }

    /// Reports a missing required field.
    pub fn missing(&self, doc: &mut Doc<'_>, key: &str, hint: &str) {
        let message = format!("missing required field `{key}`{hint}");
        doc.error(&self.span, self.path_of(key), "missing_field", message);
    }

    /// A string field; `None` when absent or of the wrong type (reported).
    pub fn text(&mut self, doc: &mut Doc<'_>, key: &'static str) -> Option<Text> {
        let node = self.get(key)?;
        let path = self.path_of(key);
        text_of(doc, node, path)
    }

    /// A required string field.
    pub fn required_text(&mut self, doc: &mut Doc<'_>, key: &'static str) -> Option<Text> {
        if !self.has(key) {
            self.missing(doc, key, "");
        }
        self.text(doc, key)
    }

    /// A list of strings; a single string is accepted as a list of one, since
    /// `from = "paid"` is the natural thing to write for one state.
    pub fn texts(&mut self, doc: &mut Doc<'_>, key: &'static str) -> Option<Vec<Text>> {
        let node = self.get(key)?;
        let path = self.path_of(key);
        match &node.value {
            Value::Array(items) => Some(
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| text_of(doc, item, format!("{path}[{i}]")))
                    .collect(),
            ),
            Value::String(_) => text_of(doc, node, path).map(|t| vec![t]),
            other => {
                let message = format!("expected a list of strings, found {}", other.kind());
                doc.error(&node.span, path, "invalid_type", message);
                None
            }
        }
    }

    /// An integer field with its span.
    pub fn integer(&mut self, doc: &mut Doc<'_>, key: &'static str) -> Option<(i64, Range<usize>)> {
        let node = self.get(key)?;
        match node.value {
            Value::Integer(value) => Some((value, node.span.clone())),
            ref other => {
                let message = format!("expected an integer, found {}", other.kind());
                doc.error(&node.span, self.path_of(key), "invalid_type", message);
                None
            }
        }
    }

    /// A boolean field.
    pub fn boolean(&mut self, doc: &mut Doc<'_>, key: &'static str) -> Option<bool> {
        let node = self.get(key)?;
        match node.value {
            Value::Boolean(value) => Some(value),
            ref other => {
                let message = format!("expected true or false, found {}", other.kind());
                doc.error(&node.span, self.path_of(key), "invalid_type", message);
                None
            }
        }
    }

    /// Reports every field that was not read, naming the accepted ones.
    pub fn finish(self, doc: &mut Doc<'_>, context: &str) {
        for (key, node) in self.entries {
            if self.read.contains(&key.as_str()) {
                continue;
            }
            let mut known = self.read.clone();
            known.sort_unstable();
            known.dedup();
            let message = format!("unknown field `{key}` {context}; known fields: {}", known.join(", "));
            let span = doc.key_span(key, node);
            doc.error(&span, self.path_of(key), "unknown_field", message);
        }
    }
}

/// Reads a node as text; a TOML time literal is accepted as its text.
pub(crate) fn text_of(doc: &mut Doc<'_>, node: &Node, path: String) -> Option<Text> {
    match &node.value {
        Value::String(value) | Value::Datetime(value) => Some(Text {
            value: value.clone(),
            span: node.span.clone(),
            path,
        }),
        other => {
            let message = format!("expected a string, found {}", other.kind());
            doc.error(&node.span, path, "invalid_type", message);
            None
        }
    }
}

/// `a, b, c`, for messages listing accepted values.
pub(crate) fn list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names.into_iter().collect::<Vec<_>>().join(", ")
}
