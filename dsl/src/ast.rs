//! The typed syntax tree of a `.runbook` file.
//!
//! Every node carries the byte [`Span`] of the text it came from, so that
//! checks, lint, the formatter and run errors can all point at the source.
//! Rhai expressions are kept as their exact source text ([`Expr`]); they are
//! compiled by Rhai in the check pass, never re-printed from a Rhai AST.
//!
//! Equality: `PartialEq` on nodes compares spans too. Use [`Runbook::shape`]
//! (span-free) to compare two trees "spans aside", as the formatter's
//! round-trip guarantee does.

use serde::Serialize;
use std::fmt;

/// A half-open byte range `start..end` in the runbook source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(s: Span) -> Self {
        (s.start, s.len()).into()
    }
}

impl From<std::ops::Range<usize>> for Span {
    fn from(r: std::ops::Range<usize>) -> Self {
        Span::new(r.start, r.end)
    }
}

/// A name: a param, a binding, a step id, a metadata key.
/// Step ids may contain `-` (`db-capacity`); other names are Rhai identifiers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A DSL string literal (`"…"`) such as a title; `value` is unescaped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StrLit {
    pub value: String,
    pub span: Span,
}

/// A Rhai expression exactly as written, possibly spanning several lines.
/// `span` covers `text` in the file: `&source[span.start..span.end] == text`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Expr {
    pub text: String,
    pub span: Span,
}

/// A duration literal such as `300s`, `5m`, `1h30m`, `250ms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DurationLit {
    /// As written, for the formatter and messages.
    pub text: String,
    pub millis: u64,
    pub span: Span,
}

impl DurationLit {
    pub fn as_duration(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.millis)
    }
}

/// A `#` comment (text includes the leading `#`, not the newline).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Comment {
    pub text: String,
    pub span: Span,
}

/// A whole `.runbook` file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Runbook {
    pub meta: Option<Metadata>,
    /// Params, top-level lets, sections and steps, in source order.
    pub items: Vec<Item>,
    pub rollback: Option<Rollback>,
    /// Every comment in the file, in source order. The formatter re-attaches
    /// them by position; nothing else needs them.
    pub comments: Vec<Comment>,
    pub span: Span,
    /// blake3 of the exact source text (hex), set by the parser. Not part of
    /// the tree's meaning, so not serialized and not in [`Runbook::shape`].
    #[serde(skip)]
    pub source_hash: String,
}

/// `runbook "title" { key value … }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metadata {
    pub title: StrLit,
    pub entries: Vec<MetaEntry>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetaEntry {
    pub key: Ident,
    pub value: MetaValue,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum MetaValue {
    /// `owner "SRE"`
    Str(StrLit),
    /// `severity medium`
    Word(Ident),
    /// `tags ["scaling", "postgres"]`
    List(Vec<StrLit>),
}

// Steps are much larger than params; a file has few items and they are
// matched on far more often than moved, so boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Item {
    Param(Param),
    Let(Let),
    Section(Section),
    Step(Step),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Param(p) => p.span,
            Item::Let(l) => l.span,
            Item::Section(s) => s.span,
            Item::Step(s) => s.span,
        }
    }
}

/// `param name: type [= default]`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Param {
    pub name: Ident,
    pub ty: ParamType,
    pub ty_span: Span,
    /// A Rhai expression (`"production"`, `5`, `env("X")`, `[1, 2]`, `5m`
    /// is not Rhai: duration defaults are written as strings `"5m"`).
    pub default: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum ParamType {
    String,
    Int,
    Float,
    Bool,
    Duration,
    Secret,
    List,
    Map,
}

impl ParamType {
    pub const ALL: [ParamType; 8] = [
        ParamType::String,
        ParamType::Int,
        ParamType::Float,
        ParamType::Bool,
        ParamType::Duration,
        ParamType::Secret,
        ParamType::List,
        ParamType::Map,
    ];
    pub fn name(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Int => "int",
            ParamType::Float => "float",
            ParamType::Bool => "bool",
            ParamType::Duration => "duration",
            ParamType::Secret => "secret",
            ParamType::List => "list",
            ParamType::Map => "map",
        }
    }
    pub fn from_name(s: &str) -> Option<ParamType> {
        ParamType::ALL.into_iter().find(|t| t.name() == s)
    }
}

impl fmt::Display for ParamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `let name = expr`, at top level (re-evaluated at every start) or inside a
/// step (data, checkpointed when the step succeeds).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Let {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// `section "title" [when expr] { steps }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Section {
    pub title: StrLit,
    pub when: Option<Expr>,
    pub steps: Vec<Step>,
    pub span: Span,
}

/// `step id "title" [timeout D] [retry N [backoff D]] [when expr] [once] { … }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    pub id: Ident,
    pub title: StrLit,
    pub timeout: Option<DurationLit>,
    pub retry: Option<Retry>,
    pub when: Option<Expr>,
    /// The span of the `once` keyword when present.
    pub once: Option<Span>,
    pub body: Block,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Retry {
    pub count: u32,
    pub count_span: Span,
    pub backoff: Option<DurationLit>,
    pub span: Span,
}

/// `{ statements }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum StmtKind {
    /// `let name = expr` inside a step.
    Let(Let),
    /// `run expr`: perform an action.
    Run(Expr),
    /// `sh "cmd"` / ``sh `… ${x} …` ``: the command is a Rhai string
    /// expression (literal or template).
    Sh(Expr),
    /// `assert expr [else "message"]`; the message is a Rhai string expression.
    Assert { cond: Expr, message: Option<Expr> },
    /// `expect expr [within D] [every D]`
    Expect {
        cond: Expr,
        within: Option<DurationLit>,
        every: Option<DurationLit>,
    },
    /// `wait until expr within D [every D]`
    WaitUntil {
        cond: Expr,
        within: DurationLit,
        every: Option<DurationLit>,
    },
    /// `confirm "question"` (a Rhai string expression)
    Confirm(Expr),
    /// `note "text"` (a Rhai string expression)
    Note(Expr),
    /// `undo expr` / `undo { … }`
    Undo(UndoBody),
    /// `if expr { … } [else { … } | else if …]`
    If {
        cond: Expr,
        then: Block,
        otherwise: Option<Else>,
    },
    /// `for x in expr { … }`
    For { var: Ident, iter: Expr, body: Block },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum UndoBody {
    Expr(Expr),
    Block(Block),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Else {
    Block(Block),
    /// `else if …`: a nested `If` statement.
    If(Box<Stmt>),
}

/// `rollback "title" { steps }`: extra clean-up run after all registered undos.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rollback {
    pub title: StrLit,
    pub steps: Vec<Step>,
    pub span: Span,
}

impl Runbook {
    /// Every step in run order: top-level and section steps (not rollback).
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.items
            .iter()
            .flat_map(|item| -> Box<dyn Iterator<Item = &Step>> {
                match item {
                    Item::Step(s) => Box::new(std::iter::once(s)),
                    Item::Section(sec) => Box::new(sec.steps.iter()),
                    _ => Box::new(std::iter::empty()),
                }
            })
    }

    pub fn params(&self) -> impl Iterator<Item = &Param> {
        self.items.iter().filter_map(|i| match i {
            Item::Param(p) => Some(p),
            _ => None,
        })
    }

    /// A span-free rendering of the tree, for "same meaning" comparisons
    /// (formatter round-trip). Comments are excluded.
    pub fn shape(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        strip_spans(&mut v);
        if let serde_json::Value::Object(map) = &mut v {
            map.remove("comments");
        }
        v
    }
}

pub(crate) fn strip_spans(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            map.retain(|k, _| !(k == "span" || k.ends_with("_span")));
            // `once` holds a span; keep only whether it is present.
            if let Some(once) = map.get_mut("once") {
                if !once.is_null() {
                    *once = serde_json::Value::Bool(true);
                }
            }
            for (_, child) in map.iter_mut() {
                strip_spans(child);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_spans),
        _ => {}
    }
}
