//! The pest parser generated from `grammar.pest`. Its `Pair`s never leave
//! the `parse` module: `convert` turns them into the AST.

#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
pub(crate) struct RunbookParser;
