//! The file system, in the one place below the CLI that touches it: `FsLoader` reads
//! model files for `model::load`, and `write_whole` writes outputs.
//!
//! Reading refuses anything that is not a regular file before opening it (opening a
//! FIFO blocks until a writer comes, and a device such as /dev/zero never ends) and
//! reads at most `MAX_FILE_BYTES` and one byte more. Writing never replaces what the
//! user named by something else: a symlink is followed to the file it names, a device,
//! FIFO or socket is written through, and a regular file is replaced atomically by a
//! temporary beside it that first takes on the old file's mode and owner. Reasons are
//! lowercase prose for the caller to put after the path.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::model::{Loader, normalize};
use crate::syntax::span::MAX_FILE_BYTES;

/// Reads files from the file system; import paths resolve against the importing file,
/// and two paths are one file when they resolve to the same file (`canonicalize`).
pub struct FsLoader;

impl Loader for FsLoader {
    fn load(&mut self, path: &Path) -> Result<String, String> {
        String::from_utf8(self.load_bytes(path)?).map_err(|_| "not UTF-8 text".to_string())
    }

    fn load_bytes(&mut self, path: &Path) -> Result<Vec<u8>, String> {
        read_capped(path)
    }

    fn identity(&mut self, path: &Path) -> PathBuf {
        // A file that cannot be resolved is reported as unreadable when it is loaded;
        // until then it is known by its path.
        std::fs::canonicalize(path).unwrap_or_else(|_| normalize(path))
    }
}

/// The bytes of the regular file at `path`, at most `MAX_FILE_BYTES` of them.
fn read_capped(path: &Path) -> Result<Vec<u8>, String> {
    let too_large = || format!("larger than {} MiB", MAX_FILE_BYTES >> 20);
    // `metadata` follows symlinks and opens nothing, so a FIFO is refused unopened.
    let meta = std::fs::metadata(path).map_err(|e| reason(&e))?;
    if !meta.is_file() {
        return Err(format!("{}, not a regular file", kind(&meta)));
    }
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(too_large());
    }
    let file = File::open(path).map_err(|e| reason(&e))?;
    // The path may name something else by now; what was opened is what counts.
    let opened = file.metadata().map_err(|e| reason(&e))?;
    if !opened.is_file() {
        return Err(format!("{}, not a regular file", kind(&opened)));
    }
    let mut bytes = Vec::with_capacity(opened.len() as usize);
    // A file that grows while read is cut one byte past the bound, enough to refuse it.
    file.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| reason(&e))?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// What a file that is not a regular file is, as a noun phrase.
fn kind(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

/// An I/O error as lowercase prose.
fn reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::StorageFull => "no space left on device".to_string(),
        _ => {
            let text = e.to_string();
            // The operating system's "(os error 28)" adds nothing for a user.
            let text = text.split(" (os error").next().unwrap_or(&text);
            let mut chars = text.chars();
            chars
                .next()
                .map(|c| c.to_lowercase().chain(chars).collect())
                .unwrap_or_default()
        }
    }
}

/// Writes `text` to `path` whole or not at all, or says why it could not.
///
/// A symlink is followed, even a dangling one (the file it names is created, as the
/// shell's `>` does), and the file it ends at is written, never the link. A regular
/// file is written to a temporary file in the same folder that takes on the old file's
/// permissions and owner (the owner only where the process may give it: as root), then
/// renamed over it. A file whose write bits are all clear is refused, even for root,
/// who could otherwise replace it. A character device, FIFO or socket is opened and
/// written through; a FIFO blocks until a reader opens it, as `cat > fifo` does.
pub fn write_whole(path: &Path, text: &str) -> Result<(), String> {
    let target = follow_links(path)?;
    let meta = match std::fs::metadata(&target) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(reason(&e)),
    };
    match meta {
        Some(meta) if meta.is_dir() => Err("a folder, not a file".to_string()),
        Some(meta) if !meta.is_file() => write_through(&target, text),
        Some(meta) if meta.permissions().mode() & 0o222 == 0 => Err(format!(
            "the file is read-only (mode {:04o}); make it writable (`chmod u+w`) or write elsewhere",
            meta.permissions().mode() & 0o7777
        )),
        Some(meta) => {
            // Opening for writing (without truncating) asks the kernel whether this
            // user may write the file; the rename alone would replace it regardless.
            OpenOptions::new()
                .write(true)
                .open(&target)
                .map_err(|e| reason(&e))?;
            replace(&target, text, Some(&meta))
        }
        None => replace(&target, text, None),
    }
}

/// The path a chain of symlinks ends at, whether or not a file is there.
fn follow_links(path: &Path) -> Result<PathBuf, String> {
    let mut path = path.to_path_buf();
    // Linux gives up after 40 links (ELOOP); so does this.
    for _ in 0..40 {
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&path).map_err(|e| reason(&e))?;
                path = match path.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(path),
        }
    }
    Err("too many levels of symbolic links".to_string())
}

/// Writes into an existing device, FIFO or socket, which cannot be replaced.
fn write_through(target: &Path, text: &str) -> Result<(), String> {
    let mut file = OpenOptions::new()
        .write(true)
        .open(target)
        .map_err(|e| reason(&e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|e| reason(&e))
}

/// Writes a temporary beside `target` and renames it over `target`.
fn replace(target: &Path, text: &str, old: Option<&Metadata>) -> Result<(), String> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // A short name of its own: one derived from the target's would be too long for a
    // target whose name is near the 255-byte limit. The process id and counter keep
    // two runs, or two writes of one run, from sharing a temporary.
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".pathrules-{}-{n}.tmp", std::process::id()));
    let result = write_new(&tmp, text, old).and_then(|()| std::fs::rename(&tmp, target));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| match e.kind() {
        // Nothing but the folder can be missing: the temporary is created here.
        std::io::ErrorKind::NotFound => format!("no such folder `{}`", dir.display()),
        _ => reason(&e),
    })
}

fn write_new(tmp: &Path, text: &str, old: Option<&Metadata>) -> std::io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(tmp)?;
    file.write_all(text.as_bytes())?;
    if let Some(old) = old {
        let new = file.metadata()?;
        if (new.uid(), new.gid()) != (old.uid(), old.gid()) {
            // Only root may give a file away; anyone else gets a file of their own,
            // as with any editor that saves by renaming.
            let _ = std::os::unix::fs::chown(tmp, Some(old.uid()), Some(old.gid()));
        }
        // After the chown, which clears set-user-id bits.
        file.set_permissions(old.permissions())?;
    }
    Ok(())
}
