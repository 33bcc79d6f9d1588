//! Loading a model: a root file and everything it imports, read through a `Loader`.
//!
//! The loader is the only way this stage sees files, so tests can load from memory
//! and the stage itself does no I/O. Imports are followed depth first with a stack of
//! its own, not by recursion, so a chain of any depth loads in constant native stack;
//! files are known by the loader's identity, so one file reached by two paths is read
//! once. Bytes become text here, so a byte that is not UTF-8 is reported at its place.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use super::Model;
use super::error::CheckError;
use crate::syntax::ast::{self, Stmt};
use crate::syntax::{self, Diagnostic, Sources, Span};

/// Reads files by path; the CLI reads the file system, tests read strings.
pub trait Loader {
    /// The text of the file at `path`, or why it cannot be read (lowercase prose).
    fn load(&mut self, path: &Path) -> Result<String, String>;

    /// The file's bytes. A loader of real files gives bytes, so that `load` can point at
    /// the first byte that is not UTF-8; one that holds strings need not say more.
    fn load_bytes(&mut self, path: &Path) -> Result<Vec<u8>, String> {
        self.load(path).map(String::into_bytes)
    }

    /// What makes two paths one file. By default the path with `.` and `..` resolved;
    /// the file system resolves symlinks and makes relative paths absolute as well.
    fn identity(&mut self, path: &Path) -> PathBuf {
        normalize(path)
    }
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
        on_stack: HashMap::new(),
        done: HashSet::new(),
        files: Vec::new(),
        diagnostics: Vec::new(),
    };
    cx.enter(normalize(root), None);
    while let Some(frame) = cx.stack.last_mut() {
        match frame.next_import() {
            Some((target, span, written)) => cx.enter(target, Some((span, written))),
            None => cx.leave(),
        }
    }
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
    /// Files being imported, outermost first: the importer of each is the one before.
    stack: Vec<Frame>,
    /// The identities of the files on `stack`, each with its index there, so a cycle
    /// is found in constant time however deep the chain.
    on_stack: HashMap<PathBuf, usize>,
    /// The identities of files read whole, imports and all.
    done: HashSet<PathBuf>,
    /// Parsed files, each after the files it imports.
    files: Vec<ast::File>,
    diagnostics: Vec<Diagnostic>,
}

/// A file whose imports are being followed.
struct Frame {
    /// The path as the import resolved it, shown in diagnostics.
    path: PathBuf,
    identity: PathBuf,
    file: ast::File,
    /// The line to look for the next import from.
    next_line: usize,
}

impl Frame {
    /// The next import of this file: the path it resolves to, its span, and the path
    /// as written.
    fn next_import(&mut self) -> Option<(PathBuf, Span, String)> {
        while let Some(line) = self.file.lines.get(self.next_line) {
            self.next_line += 1;
            if let Some(Stmt::Import(import)) = &line.stmt {
                let dir = self.path.parent().unwrap_or(Path::new(""));
                let target = normalize(&dir.join(&import.path));
                return Some((target, import.span, import.path.clone()));
            }
        }
        None
    }
}

impl LoadCx<'_> {
    /// Reads and parses the file at `path` and puts it on the stack, unless it was read
    /// already, closes a cycle, or cannot be read (both reported).
    fn enter(&mut self, path: PathBuf, imported_at: Option<(Span, String)>) {
        let identity = self.loader.identity(&path);
        if self.done.contains(&identity) {
            return;
        }
        if let Some(&pos) = self.on_stack.get(&identity) {
            if let Some((span, written)) = imported_at {
                let mut chain: Vec<String> =
                    self.stack[pos..].iter().map(|f| display(&f.path)).collect();
                chain.push(display(&path));
                self.diagnostics.push(
                    CheckError::ImportCycle {
                        span,
                        path: written,
                        chain,
                    }
                    .diagnostic(),
                );
            }
            return;
        }
        let bytes = match self.loader.load_bytes(&path) {
            Ok(bytes) if bytes.len() > syntax::span::MAX_FILE_BYTES => Err(format!(
                "larger than {} MiB",
                syntax::span::MAX_FILE_BYTES >> 20
            )),
            other => other,
        };
        let bytes = match bytes {
            Ok(bytes) => bytes,
            Err(reason) => {
                self.diagnostics.push(match imported_at {
                    Some((span, written)) => CheckError::ImportUnreadable {
                        span,
                        path: written,
                        reason,
                    }
                    .diagnostic(),
                    None => {
                        Diagnostic::global(format!("cannot read `{}`: {reason}", display(&path)))
                    }
                });
                return;
            }
        };
        let id = match decode(&mut self.sources, &path, bytes) {
            Ok(id) => id,
            Err(d) => {
                self.diagnostics.push(d);
                return;
            }
        };
        let (file, errors) = syntax::parse(id, self.sources.text(id));
        self.diagnostics.extend(errors);
        self.on_stack.insert(identity.clone(), self.stack.len());
        self.stack.push(Frame {
            path,
            identity,
            file,
            next_line: 0,
        });
    }

    /// Takes the innermost file off the stack once all its imports are read.
    fn leave(&mut self) {
        if let Some(frame) = self.stack.pop() {
            self.on_stack.remove(&frame.identity);
            self.done.insert(frame.identity);
            self.files.push(frame.file);
        }
    }
}

/// Adds the bytes read from `path` to `sources` as its text. Bytes that are not UTF-8
/// are an error at the first bad byte, in the file as shown with each bad sequence
/// replaced by `�`, so the line around it can be rendered.
pub fn decode(
    sources: &mut Sources,
    path: &Path,
    bytes: Vec<u8>,
) -> Result<crate::syntax::FileId, Diagnostic> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(sources.add(display(path), path, text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let byte = e.as_bytes()[at];
            let shown = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let id = sources.add(display(path), path, shown);
            // The replacement character is three bytes; the text may have been cut at
            // the size bound just after it.
            let end = (at + '\u{FFFD}'.len_utf8()).min(sources.text(id).len());
            let span = Span::new(id, at.min(end), end);
            Err(CheckError::NotUtf8 { span, byte }.diagnostic())
        }
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
