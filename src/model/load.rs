//! Loading a model: a root file and everything it imports, read through a `Loader`.
//!
//! The loader is the only way this stage sees files, so tests can load from memory
//! and the stage itself does no I/O.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use super::Model;
use super::error::CheckError;
use crate::syntax::ast::{self, Stmt};
use crate::syntax::{self, Diagnostic, Sources, Span};

/// Reads files by path; the CLI reads the file system, tests read strings.
pub trait Loader {
    fn load(&mut self, path: &Path) -> Result<String, String>;
}

/// The files read and what came of them. `sources` is filled even when the model is
/// an error, so the diagnostics can be rendered.
pub struct Loaded {
    pub sources: Sources,
    pub model: Result<Model, Vec<Diagnostic>>,
}

/// Loads, parses and checks the model rooted at `root`.
pub fn load(root: &Path, loader: &mut dyn Loader) -> Loaded {
    let mut cx = LoadCx {
        loader,
        sources: Sources::new(),
        stack: Vec::new(),
        done: HashSet::new(),
        files: Vec::new(),
        diagnostics: Vec::new(),
    };
    cx.visit(&normalize(root), None);
    let LoadCx {
        sources,
        files,
        diagnostics,
        ..
    } = cx;
    // Checking files that did not parse would report names from their broken lines
    // as unknown; fix the syntax first.
    let model = if diagnostics.is_empty() {
        super::check(&files)
    } else {
        Err(diagnostics)
    };
    Loaded { sources, model }
}

/// Loads a model from one in-memory file that imports nothing else (its imports
/// fail as unreadable). For tests and examples.
pub fn load_str(name: &str, text: &str) -> Loaded {
    struct One<'a>(&'a str, &'a str);
    impl Loader for One<'_> {
        fn load(&mut self, path: &Path) -> Result<String, String> {
            if path == Path::new(self.0) {
                Ok(self.1.to_string())
            } else {
                Err("no such file".to_string())
            }
        }
    }
    load(Path::new(name), &mut One(name, text))
}

struct LoadCx<'l> {
    loader: &'l mut dyn Loader,
    sources: Sources,
    /// Files being imported, outermost first, to find cycles.
    stack: Vec<PathBuf>,
    done: HashSet<PathBuf>,
    /// Parsed files, each after the files it imports.
    files: Vec<ast::File>,
    diagnostics: Vec<Diagnostic>,
}

impl LoadCx<'_> {
    fn visit(&mut self, path: &Path, imported_at: Option<(Span, &str)>) {
        if self.done.contains(path) {
            return;
        }
        if let Some(pos) = self.stack.iter().position(|p| p == path) {
            if let Some((span, written)) = imported_at {
                let mut chain: Vec<String> = self.stack[pos..].iter().map(|p| display(p)).collect();
                chain.push(display(path));
                self.diagnostics.push(
                    CheckError::ImportCycle {
                        span,
                        path: written.to_string(),
                        chain,
                    }
                    .diagnostic(),
                );
            }
            return;
        }
        let text = match self.loader.load(path) {
            Ok(text) if text.len() > syntax::span::MAX_FILE_BYTES => Err(format!(
                "larger than {} MiB",
                syntax::span::MAX_FILE_BYTES >> 20
            )),
            other => other,
        };
        let text = match text {
            Ok(text) => text,
            Err(reason) => {
                self.diagnostics.push(match imported_at {
                    Some((span, written)) => CheckError::ImportUnreadable {
                        span,
                        path: written.to_string(),
                        reason,
                    }
                    .diagnostic(),
                    None => {
                        Diagnostic::global(format!("cannot read `{}`: {reason}", display(path)))
                    }
                });
                return;
            }
        };
        let id = self.sources.add(display(path), path, text);
        let (file, errors) = syntax::parse(id, self.sources.text(id));
        self.diagnostics.extend(errors);
        self.stack.push(path.to_path_buf());
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        for line in &file.lines {
            if let Some(Stmt::Import(import)) = &line.stmt {
                let target = normalize(&dir.join(&import.path));
                self.visit(&target, Some((import.span, &import.path)));
            }
        }
        self.stack.pop();
        self.done.insert(path.to_path_buf());
        self.files.push(file);
    }
}

/// Resolves `.` and `..` lexically, so one file reached by two paths is one file.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                // `..` cancels a named folder, never another `..` or the root.
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else if !matches!(out.components().next_back(), Some(Component::RootDir)) {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn display(path: &Path) -> String {
    path.display().to_string()
}
