//! The canonical layout of each node, printed through the [`Printer`].

use super::printer::{Printer, Sep};
use crate::ast::{
    Block, DurationLit, Else, Item, MetaValue, Metadata, Param, Retry, Rollback, Runbook, Section,
    Span, Step, Stmt, StmtKind, UndoBody,
};

pub fn runbook(p: &mut Printer<'_>, rb: &Runbook) {
    if let Some(meta) = &rb.meta {
        metadata(p, meta);
    }
    let mut previous: Option<&Item> = None;
    for item in &rb.items {
        let sep = match previous {
            None if rb.meta.is_none() => Sep::Keep,
            None => Sep::Blank,
            Some(prev)
                if same_kind(prev, item) && !matches!(item, Item::Section(_) | Item::Step(_)) =>
            {
                Sep::Keep
            }
            Some(_) => Sep::Blank,
        };
        match item {
            Item::Param(param) => self::param(p, sep, param),
            Item::Let(l) => {
                let text = format!("let {} = {}", l.name.name, l.value.text);
                p.line(sep, l.span.start, l.value.span.end, text);
            }
            Item::Section(s) => section(p, sep, s),
            Item::Step(s) => step(p, sep, s),
        }
        previous = Some(item);
    }
    if let Some(rb) = &rb.rollback {
        rollback(p, rb);
    }
}

fn same_kind(a: &Item, b: &Item) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

fn metadata(p: &mut Printer<'_>, meta: &Metadata) {
    let open = open_brace(p, meta.title.span.end);
    let title = p.slice(meta.title.span.start, meta.title.span.end);
    p.line(
        Sep::Keep,
        meta.span.start,
        open + 1,
        format!("runbook {title} {{"),
    );
    p.indent();
    let width = meta
        .entries
        .iter()
        .map(|e| e.key.name.len())
        .max()
        .unwrap_or(0);
    for entry in &meta.entries {
        let value = match &entry.value {
            MetaValue::Str(s) => p.slice(s.span.start, s.span.end).to_string(),
            MetaValue::Word(w) => w.name.clone(),
            MetaValue::List(items) => {
                let items: Vec<&str> = items
                    .iter()
                    .map(|s| p.slice(s.span.start, s.span.end))
                    .collect();
                format!("[{}]", items.join(", "))
            }
        };
        let text = format!("{:<width$} {value}", entry.key.name);
        p.line(Sep::Keep, entry.span.start, entry.span.end, text);
    }
    p.dedent();
    close(p, meta.span);
}

fn param(p: &mut Printer<'_>, sep: Sep, param: &Param) {
    let mut text = format!("param {}: {}", param.name.name, param.ty);
    let mut end = param.ty_span.end;
    if let Some(default) = &param.default {
        text.push_str(" = ");
        text.push_str(&default.text);
        end = default.span.end;
    }
    p.line(sep, param.span.start, end, text);
}

fn section(p: &mut Printer<'_>, sep: Sep, s: &Section) {
    let title = p.slice(s.title.span.start, s.title.span.end);
    let mut header = format!("section {title}");
    let mut after = s.title.span.end;
    if let Some(when) = &s.when {
        header.push_str(" when ");
        header.push_str(&when.text);
        after = when.span.end;
    }
    let open = open_brace(p, after);
    header.push_str(" {");
    p.line(sep, s.span.start, open + 1, header);
    steps(p, &s.steps);
    close(p, s.span);
}

fn rollback(p: &mut Printer<'_>, r: &Rollback) {
    let title = p.slice(r.title.span.start, r.title.span.end);
    let open = open_brace(p, r.title.span.end);
    p.line(
        Sep::Blank,
        r.span.start,
        open + 1,
        format!("rollback {title} {{"),
    );
    steps(p, &r.steps);
    close(p, r.span);
}

fn steps(p: &mut Printer<'_>, steps: &[Step]) {
    p.indent();
    for s in steps {
        step(p, Sep::Blank, s);
    }
    p.dedent();
}

fn step(p: &mut Printer<'_>, sep: Sep, s: &Step) {
    let title = p.slice(s.title.span.start, s.title.span.end);
    let mut header = format!("step {} {title}", s.id.name);
    if let Some(timeout) = &s.timeout {
        header.push_str(&format!(" timeout {}", timeout.text));
    }
    if let Some(retry) = &s.retry {
        header.push(' ');
        header.push_str(&self::retry(p, retry));
    }
    if let Some(when) = &s.when {
        header.push_str(" when ");
        header.push_str(&when.text);
    }
    if s.once.is_some() {
        header.push_str(" once");
    }
    block(p, sep, s.span.start, header, &s.body);
}

fn retry(p: &Printer<'_>, retry: &Retry) -> String {
    let count = p.slice(retry.count_span.start, retry.count_span.end);
    let count = if count.is_empty() {
        retry.count.to_string()
    } else {
        count.to_string()
    };
    match &retry.backoff {
        Some(backoff) => format!("retry {count} backoff {}", backoff.text),
        None => format!("retry {count}"),
    }
}

/// `header {`, the statements one level deeper, `}`.
fn block(p: &mut Printer<'_>, sep: Sep, start: usize, header: String, body: &Block) {
    p.line(sep, start, body.span.start + 1, format!("{header} {{"));
    stmts(p, body);
    close(p, body.span);
}

fn stmts(p: &mut Printer<'_>, body: &Block) {
    p.indent();
    for s in &body.stmts {
        stmt(p, s);
    }
    p.dedent();
}

fn close(p: &mut Printer<'_>, span: Span) {
    let at = close_brace(p, span);
    p.close(at, at + 1, "}".to_string());
}

fn stmt(p: &mut Printer<'_>, s: &Stmt) {
    let sep = Sep::Keep;
    let start = s.span.start;
    match &s.kind {
        StmtKind::Let(l) => p.line(
            sep,
            start,
            l.value.span.end,
            format!("let {} = {}", l.name.name, l.value.text),
        ),
        StmtKind::Run(e) => p.line(sep, start, e.span.end, format!("run {}", e.text)),
        StmtKind::Sh(e) => p.line(sep, start, e.span.end, format!("sh {}", e.text)),
        StmtKind::Confirm(e) => p.line(sep, start, e.span.end, format!("confirm {}", e.text)),
        StmtKind::Note(e) => p.line(sep, start, e.span.end, format!("note {}", e.text)),
        StmtKind::Assert { cond, message } => match message {
            Some(m) => p.line(
                sep,
                start,
                m.span.end,
                format!("assert {} else {}", cond.text, m.text),
            ),
            None => p.line(sep, start, cond.span.end, format!("assert {}", cond.text)),
        },
        StmtKind::Expect {
            cond,
            within,
            every,
        } => {
            let mut text = format!("expect {}", cond.text);
            let end =
                poll_clauses(&mut text, within.as_ref(), every.as_ref()).unwrap_or(cond.span.end);
            p.line(sep, start, end, text);
        }
        StmtKind::WaitUntil {
            cond,
            within,
            every,
        } => {
            let mut text = format!("wait until {}", cond.text);
            let end =
                poll_clauses(&mut text, Some(within), every.as_ref()).unwrap_or(cond.span.end);
            p.line(sep, start, end, text);
        }
        StmtKind::Undo(UndoBody::Expr(e)) => {
            p.line(sep, start, e.span.end, format!("undo {}", e.text))
        }
        StmtKind::Undo(UndoBody::Block(b)) => block(p, sep, start, "undo".to_string(), b),
        StmtKind::For { var, iter, body } => block(
            p,
            sep,
            start,
            format!("for {} in {}", var.name, iter.text),
            body,
        ),
        StmtKind::If { .. } => if_chain(p, sep, s),
    }
}

/// `within` then `every`; returns the source end of the last clause.
fn poll_clauses(
    text: &mut String,
    within: Option<&DurationLit>,
    every: Option<&DurationLit>,
) -> Option<usize> {
    let mut end = None;
    for (keyword, clause) in [("within", within), ("every", every)] {
        if let Some(d) = clause {
            text.push_str(&format!(" {keyword} {}", d.text));
            end = Some(end.unwrap_or(0).max(d.span.end));
        }
    }
    end
}

/// `if c {` … `} else if c {` … `} else {` … `}`.
fn if_chain(p: &mut Printer<'_>, sep: Sep, s: &Stmt) {
    let StmtKind::If {
        cond,
        then,
        otherwise,
    } = &s.kind
    else {
        return;
    };
    p.line(
        sep,
        s.span.start,
        then.span.start + 1,
        format!("if {} {{", cond.text),
    );
    stmts(p, then);
    let mut closing = then.span;
    let mut next = otherwise.as_ref();
    while let Some(branch) = next {
        let at = close_brace(p, closing);
        match branch {
            Else::Block(b) => {
                p.close(at, b.span.start + 1, "} else {".to_string());
                stmts(p, b);
                closing = b.span;
                next = None;
            }
            Else::If(nested) => {
                let StmtKind::If {
                    cond,
                    then,
                    otherwise,
                } = &nested.kind
                else {
                    break;
                };
                p.close(
                    at,
                    then.span.start + 1,
                    format!("}} else if {} {{", cond.text),
                );
                stmts(p, then);
                closing = then.span;
                next = otherwise.as_ref();
            }
        }
    }
    close(p, closing);
}

/// The `{` that opens a body, searched from `from` over spaces and comments.
fn open_brace(p: &Printer<'_>, from: usize) -> usize {
    let rest = p.slice(from, p.source_len());
    let mut in_comment = false;
    for (i, c) in rest.char_indices() {
        match c {
            '\n' => in_comment = false,
            '#' if !in_comment => in_comment = true,
            '{' if !in_comment => return from + i,
            _ => {}
        }
    }
    from
}

/// The `}` that ends a node's span.
fn close_brace(p: &Printer<'_>, span: Span) -> usize {
    let text = p.slice(span.start, span.end);
    text.rfind('}')
        .map(|i| span.start + i)
        .unwrap_or(span.end.saturating_sub(1))
}
