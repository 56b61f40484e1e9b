//! pest's "expected one of these rules" → a [`ParseError`] in the language's
//! words. Rule names never reach the user.

use pest::error::{Error, ErrorVariant, InputLocation};

use super::grammar::Rule;
use crate::ast::Span;
use crate::diagnostic::ParseError;

const EXPRESSIONS: [Rule; 5] = [
    Rule::expr_line,
    Rule::expr_poll,
    Rule::expr_assert,
    Rule::expr_head,
    Rule::expr_step_when,
];

/// Translate a pest error at some position of `source`.
pub(super) fn translate(source: &str, err: &Error<Rule>) -> ParseError {
    let pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((start, _)) => start,
    };
    let positives: &[Rule] = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => positives,
        ErrorVariant::CustomError { .. } => &[],
    };
    let (found, span) = found_at(source, pos);
    let has = |rule: Rule| positives.contains(&rule);

    if has(Rule::duration) {
        ParseError::ExpectedDuration { found, span }
    } else if EXPRESSIONS.iter().any(|r| has(*r)) {
        ParseError::ExpectedExpression {
            after: previous_token(source, pos),
            found,
            span,
        }
    } else if has(Rule::param) || has(Rule::file) {
        ParseError::ExpectedItem { found, span }
    } else if has(Rule::run_stmt) {
        ParseError::ExpectedStatement { found, span }
    } else if has(Rule::step) && has(Rule::rbrace) {
        ParseError::ExpectedStep { found, span }
    } else {
        ParseError::Unexpected {
            expected: expected_words(positives),
            found,
            span,
        }
    }
}

/// What the user wrote at `pos`, in words, and its span: a whole word, a
/// whole string, one character, or the end of the line or file.
pub(super) fn found_at(source: &str, pos: usize) -> (String, Span) {
    let rest = source.get(pos..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return (
            "end of file".to_string(),
            Span::new(source.len(), source.len()),
        );
    };
    if first == '\n' || first == '\r' {
        return ("end of line".to_string(), Span::new(pos, pos));
    }
    if first == '"' {
        let len = rest[1..]
            .find(['"', '\n', '\r'])
            .map_or(rest.len(), |i| i + 2)
            .min(rest.len());
        return ("a string".to_string(), Span::new(pos, pos + len));
    }
    let word_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    let len = if word_len > 0 {
        word_len
    } else {
        first.len_utf8()
    };
    let text = &rest[..len];
    (format!("`{text}`"), Span::new(pos, pos + len))
}

/// The token just before `pos` on the same line, for "after `run`".
fn previous_token(source: &str, pos: usize) -> String {
    let before = source
        .get(..pos)
        .unwrap_or("")
        .trim_end_matches([' ', '\t']);
    let word: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if word.is_empty() {
        before.chars().last().map(String::from).unwrap_or_default()
    } else {
        word
    }
}

fn expected_words(positives: &[Rule]) -> String {
    // pest's order varies with the path it took; list words in a fixed order
    // (grammar order, with brackets and the end of the file last).
    let mut rules = positives.to_vec();
    rules.sort_by_key(|r| {
        let closing = matches!(
            r,
            Rule::lbrace | Rule::block | Rule::rbrace | Rule::rbracket | Rule::EOI
        );
        (closing, *r)
    });
    let mut words: Vec<&'static str> = Vec::new();
    for rule in &rules {
        if let Some(w) = describe(*rule) {
            if !words.contains(&w) {
                words.push(w);
            }
        }
    }
    match words.as_slice() {
        [] => "something else".to_string(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// A rule as the user would name what it matches.
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "the end of the file",
        Rule::ident => "a name",
        Rule::step_id => "a step id like `scale-up`",
        Rule::string => "a quoted string",
        Rule::duration => "a duration like 30s, 5m or 1h30m",
        Rule::count => "a number",
        Rule::param_type => "a param type (string, int, float, bool, duration, secret, list, map)",
        Rule::meta_word => "a word",
        Rule::string_list => "a list of strings",
        Rule::lbrace | Rule::block => "`{`",
        Rule::rbrace => "`}`",
        Rule::lbracket => "`[`",
        Rule::rbracket => "`]`",
        Rule::colon => "`:`",
        Rule::equals => "`=`",
        Rule::comma => "`,`",
        Rule::metadata => "`runbook`",
        Rule::param => "`param`",
        Rule::let_item | Rule::let_stmt => "`let`",
        Rule::section => "`section`",
        Rule::step => "`step`",
        Rule::rollback => "`rollback`",
        Rule::opt_when | Rule::section_when => "`when`",
        Rule::opt_timeout => "`timeout`",
        Rule::opt_retry => "`retry`",
        Rule::kw_backoff => "`backoff`",
        Rule::kw_once => "`once`",
        Rule::run_stmt => "`run`",
        Rule::sh_stmt => "`sh`",
        Rule::assert_stmt => "`assert`",
        Rule::kw_else | Rule::else_if | Rule::else_block => "`else`",
        Rule::expect_stmt => "`expect`",
        Rule::within_clause => "`within`",
        Rule::every_clause => "`every`",
        Rule::wait_stmt => "`wait until`",
        Rule::kw_until => "`until`",
        Rule::confirm_stmt => "`confirm`",
        Rule::note_stmt => "`note`",
        Rule::undo_stmt => "`undo`",
        Rule::kw_if | Rule::if_stmt => "`if`",
        Rule::for_stmt => "`for`",
        Rule::kw_in => "`in`",
        Rule::expr_line
        | Rule::expr_poll
        | Rule::expr_assert
        | Rule::expr_head
        | Rule::expr_step_when => "an expression",
        Rule::meta_entry => "a metadata entry like `owner \"SRE\"`",
        _ => return None,
    })
}
