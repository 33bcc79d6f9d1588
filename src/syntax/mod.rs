//! Stage 1, syntax: text in, `ast::File` out.
//!
//! Owns source files and spans, the AST, the nom parsers, the canonical printer used by
//! `fmt`, and the rendering of diagnostics. It knows nothing of what names mean.

pub mod ast;
pub mod diagnostic;
mod parser;
mod printer;
pub mod span;

pub use diagnostic::{Diagnostic, Severity, render};
pub use parser::{KEYWORDS, is_ident_continue, is_ident_start, parse, parse_expr, parse_time};
pub use printer::{print, print_expr, print_stmt};
pub use span::{FileId, SourceFile, Sources, Span, Spanned};
