//! Files a hostile user points the binary at: outputs through character devices, FIFOs,
//! symlinks, read-only files, kept modes and owners and long names; imports of devices,
//! FIFOs and oversized files, import chains deep enough to overflow a recursive loader,
//! one file reached by two paths, and bytes that are not UTF-8. Devices are made with
//! `mknod` inside a temporary directory (only as root); the machine's own /dev is never
//! written.

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli::{GOOD, Run, TempDir, pathrules};

/// Runs the binary like `pathrules`, but kills it and fails the test if it has not
/// exited within `secs` seconds (a read that blocks or never ends).
fn pathrules_within(secs: u64, args: &[&str], dir: &Path) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pathrules"))
        .arg("--color")
        .arg("never")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if child
            .try_wait()
            .expect("the child can be waited on")
            .is_some()
        {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`pathrules {}` did not finish in {secs} s", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("the child's output");
    Run {
        code: output.status.code().expect("an exit code, not a signal"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A character device `major:minor` at `path` (1:3 is null, 1:5 zero, 1:7 full).
fn mknod(path: &Path, major: u32, minor: u32) {
    let status = Command::new("mknod")
        .arg(path)
        .arg("c")
        .arg(major.to_string())
        .arg(minor.to_string())
        .status()
        .expect("mknod");
    assert!(status.success(), "mknod {}", path.display());
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// The graph `graph good.pathway` writes, to compare what reached a target with.
fn good_graph(dir: &TempDir) -> String {
    let run = pathrules(&["graph", "good.pathway"], Some(&dir.0));
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

// Outputs.

#[test]
fn out_to_a_fifo_replaced_the_fifo() {
    let dir = TempDir::new("files-out-fifo");
    dir.write("good.pathway", GOOD);
    let fifo = dir.0.join("pipe");
    mkfifo(&fifo);
    // Writing to a FIFO blocks until a reader opens it, as `cat > pipe` does. The test
    // holds a writer of its own, so the reader opens at once and sees the end of the
    // file only once both writers are gone, whatever the binary did with the path.
    let guard = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&fifo)
        .unwrap();
    let mut reading = std::fs::File::open(&fifo).unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        reading.read_to_string(&mut text).unwrap();
        text
    });
    let run = pathrules_within(20, &["graph", "good.pathway", "--out", "pipe"], &dir.0);
    drop(guard);
    let read = reader.join().unwrap();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo(),
        "the FIFO was replaced"
    );
    assert_eq!(read, good_graph(&dir));
}

#[test]
fn out_through_a_symlink_replaced_the_link() {
    let dir = TempDir::new("files-out-symlink");
    dir.write("good.pathway", GOOD);
    let real = dir.write("real.dot", "stale\n");
    std::os::unix::fs::symlink("real.dot", dir.0.join("link.dot")).unwrap();
    let run = pathrules(
        &["graph", "good.pathway", "--out", "link.dot"],
        Some(&dir.0),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let link = std::fs::symlink_metadata(dir.0.join("link.dot")).unwrap();
    assert!(link.file_type().is_symlink(), "the symlink was replaced");
    assert_eq!(std::fs::read_to_string(&real).unwrap(), good_graph(&dir));
}

#[test]
fn out_through_a_dangling_symlink_creates_the_linked_file() {
    let dir = TempDir::new("files-out-dangling");
    dir.write("good.pathway", GOOD);
    std::fs::create_dir(dir.0.join("sub")).unwrap();
    std::os::unix::fs::symlink("sub/new.dot", dir.0.join("link.dot")).unwrap();
    let run = pathrules(
        &["graph", "good.pathway", "--out", "link.dot"],
        Some(&dir.0),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let link = std::fs::symlink_metadata(dir.0.join("link.dot")).unwrap();
    assert!(link.file_type().is_symlink(), "the symlink was replaced");
    assert_eq!(
        std::fs::read_to_string(dir.0.join("sub/new.dot")).unwrap(),
        good_graph(&dir)
    );
}

#[test]
fn fmt_through_a_symlink_left_the_real_file_unformatted() {
    let dir = TempDir::new("files-fmt-symlink");
    let real = dir.write(
        "messy.pathway",
        "units time=min,concentration=uM\nspecies A=1 uM\n",
    );
    std::os::unix::fs::symlink("messy.pathway", dir.0.join("link.pathway")).unwrap();
    let run = pathrules(&["fmt", "link.pathway"], Some(&dir.0));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let link = std::fs::symlink_metadata(dir.0.join("link.pathway")).unwrap();
    assert!(link.file_type().is_symlink(), "the symlink was replaced");
    assert_eq!(
        std::fs::read_to_string(&real).unwrap(),
        "units time = min, concentration = uM\nspecies A = 1 uM\n"
    );
}

#[test]
fn out_to_a_read_only_file_was_rewritten() {
    let dir = TempDir::new("files-out-readonly");
    dir.write("good.pathway", GOOD);
    let target = dir.write("kept.dot", "keep me\n");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o444)).unwrap();
    let run = pathrules(
        &["graph", "good.pathway", "--out", "kept.dot"],
        Some(&dir.0),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("`kept.dot`") && run.stderr.contains("read-only"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me\n");
    assert_eq!(mode(&target), 0o444);
}

#[test]
fn out_reset_the_mode_of_an_existing_file() {
    let dir = TempDir::new("files-out-mode");
    dir.write("good.pathway", GOOD);
    let target = dir.write("private.dot", "old\n");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    let run = pathrules(
        &["graph", "good.pathway", "--out", "private.dot"],
        Some(&dir.0),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), good_graph(&dir));
    assert_eq!(mode(&target), 0o640);
}

#[test]
fn out_reset_the_owner_of_an_existing_file() {
    if !is_root() {
        eprintln!("skipped: changing a file's owner needs root");
        return;
    }
    let dir = TempDir::new("files-out-owner");
    dir.write("good.pathway", GOOD);
    let target = dir.write("owned.dot", "old\n");
    std::os::unix::fs::chown(&target, Some(4321), Some(4322)).unwrap();
    let run = pathrules(
        &["graph", "good.pathway", "--out", "owned.dot"],
        Some(&dir.0),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let meta = std::fs::metadata(&target).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (4321, 4322));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), good_graph(&dir));
}

#[test]
fn out_to_a_240_character_name_failed() {
    let dir = TempDir::new("files-out-long");
    dir.write("good.pathway", GOOD);
    let name = format!("{}.dot", "n".repeat(236));
    assert_eq!(name.len(), 240);
    let run = pathrules(&["graph", "good.pathway", "--out", &name], Some(&dir.0));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.0.join(&name)).unwrap(),
        good_graph(&dir)
    );
    // No temporary is left beside it.
    let mut names: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, vec!["good.pathway".to_string(), name]);
}

#[test]
fn out_to_a_full_device_exited_0() {
    if !is_root() {
        eprintln!("skipped: mknod needs root");
        return;
    }
    let dir = TempDir::new("files-out-full");
    dir.write("good.pathway", GOOD);
    let full = dir.0.join("full");
    mknod(&full, 1, 7);
    let run = pathrules(&["graph", "good.pathway", "--out", "full"], Some(&dir.0));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("cannot write `full`"), "{}", run.stderr);
    let meta = std::fs::symlink_metadata(&full).unwrap();
    assert!(meta.file_type().is_char_device(), "the device was replaced");
}

#[test]
fn out_to_a_null_device_replaced_the_device() {
    if !is_root() {
        eprintln!("skipped: mknod needs root");
        return;
    }
    let dir = TempDir::new("files-out-null");
    dir.write("good.pathway", GOOD);
    let null = dir.0.join("null");
    mknod(&null, 1, 3);
    let run = pathrules(&["graph", "good.pathway", "--out", "null"], Some(&dir.0));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let meta = std::fs::symlink_metadata(&null).unwrap();
    assert!(meta.file_type().is_char_device(), "the device was replaced");
}

// Imports and root files that are not regular files.

/// A root file in `dir` that imports `target`, the import on line 2.
fn importing(dir: &TempDir, target: &str) {
    dir.write(
        "root.pathway",
        &format!("units time = min, concentration = uM\nimport \"{target}\"\nspecies A = 1 uM\n"),
    );
}

#[test]
fn import_of_a_fifo_blocked_forever() {
    let dir = TempDir::new("files-import-fifo");
    mkfifo(&dir.0.join("pipe.pathway"));
    importing(&dir, "pipe.pathway");
    let run = pathrules_within(10, &["check", "root.pathway"], &dir.0);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("root.pathway:2:8") && run.stderr.contains("a FIFO"),
        "{}",
        run.stderr
    );
}

#[test]
fn import_of_a_zero_device_read_without_limit() {
    if !is_root() {
        eprintln!("skipped: mknod needs root");
        return;
    }
    let dir = TempDir::new("files-import-zero");
    mknod(&dir.0.join("zero"), 1, 5);
    importing(&dir, "zero");
    let run = pathrules_within(5, &["check", "root.pathway"], &dir.0);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("root.pathway:2:8") && run.stderr.contains("a character device"),
        "{}",
        run.stderr
    );
    // The root file itself.
    let run = pathrules_within(5, &["check", "zero"], &dir.0);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("a character device"), "{}", run.stderr);
}

#[test]
fn import_of_a_huge_sparse_file_was_read_whole() {
    let dir = TempDir::new("files-import-huge");
    // A terabyte of holes: nothing on disk, but reading it whole would never end.
    let huge = std::fs::File::create(dir.0.join("huge.pathway")).unwrap();
    huge.set_len(1 << 40).unwrap();
    importing(&dir, "huge.pathway");
    let run = pathrules_within(10, &["check", "root.pathway"], &dir.0);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("root.pathway:2:8") && run.stderr.contains("larger than 64 MiB"),
        "{}",
        run.stderr
    );
}

// Import chains and file identity.

/// In-memory files `f0.pathway` … `f{n-1}.pathway`, each importing the next; the last
/// imports `last_imports` if given.
struct Chain {
    n: usize,
    last_imports: Option<usize>,
}

impl pathrules::Loader for Chain {
    fn load(&mut self, path: &Path) -> Result<String, String> {
        let name = path.to_str().ok_or("not a name")?;
        let i: usize = name
            .strip_prefix('f')
            .and_then(|s| s.strip_suffix(".pathway"))
            .and_then(|s| s.parse().ok())
            .filter(|&i| i < self.n)
            .ok_or("no such file")?;
        let next = if i + 1 < self.n {
            Some(i + 1)
        } else {
            self.last_imports
        };
        let mut text = String::new();
        if i == 0 {
            text.push_str("units time = min, concentration = uM\n");
        }
        if let Some(next) = next {
            text.push_str(&format!("import \"f{next}.pathway\"\n"));
        }
        text.push_str(&format!("species S{i} = 1 uM\n"));
        Ok(text)
    }
}

/// Loads `chain` on a thread with the 2 MiB stack `cargo test` gives its threads.
fn load_chain(chain: Chain) -> (pathrules::Sources, Result<pathrules::Model, Vec<String>>) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let mut chain = chain;
            let loaded = pathrules::model::load(Path::new("f0.pathway"), &mut chain);
            let model = loaded.model.map_err(|ds| {
                ds.iter()
                    .map(|d| {
                        pathrules::syntax::render(std::slice::from_ref(d), &loaded.sources, false)
                    })
                    .collect()
            });
            (loaded.sources, model)
        })
        .unwrap()
        .join()
        .expect("loading did not overflow the stack")
}

#[test]
fn import_chain_20000_deep_overflowed_the_stack() {
    let (sources, model) = load_chain(Chain {
        n: 20_000,
        last_imports: None,
    });
    let model = model.expect("the chain loads");
    assert_eq!(sources.len(), 20_000);
    assert_eq!(model.species.len(), 20_000);
    // Read depth first, in import order.
    assert_eq!(
        sources.get(pathrules::syntax::FileId(19_999)).name,
        "f19999.pathway"
    );
}

#[test]
fn import_cycle_at_the_end_of_a_deep_chain_is_still_reported() {
    let (_, model) = load_chain(Chain {
        n: 20_000,
        last_imports: Some(19_997),
    });
    let errors = model.expect_err("a cycle fails");
    assert_eq!(errors.len(), 1, "{errors:?}");
    let text = &errors[0];
    assert!(
        text.contains("import cycle: `f19997.pathway` is already being imported")
            && text.contains("f19999.pathway:1:8")
            && text.contains(
                "f19997.pathway → f19998.pathway → f19999.pathway → f19997.pathway; move"
            ),
        "{text}"
    );
}

#[test]
fn one_file_imported_by_relative_and_absolute_path_was_defined_twice() {
    let dir = TempDir::new("files-two-paths");
    dir.write("b.pathway", "species B = 1 uM\n");
    std::fs::create_dir(dir.0.join("real")).unwrap();
    dir.write("real/c.pathway", "species C = 1 uM\n");
    std::os::unix::fs::symlink("real", dir.0.join("linked")).unwrap();
    let absolute: PathBuf = dir.0.join("b.pathway");
    dir.write(
        "root.pathway",
        &format!(
            "units time = min, concentration = uM\n\
             import \"b.pathway\"\nimport \"{}\"\nimport \"./b.pathway\"\n\
             import \"real/c.pathway\"\nimport \"linked/c.pathway\"\n\
             B -> @ 1 /min\nC -> @ 1 /min\n",
            absolute.display()
        ),
    );
    let run = pathrules(&["check", "root.pathway"], Some(&dir.0));
    assert_eq!(run.code, 0, "{}", run.stderr);
}

// Bytes that are not UTF-8.

#[test]
fn invalid_utf8_had_no_line_and_column() {
    let dir = TempDir::new("files-utf8");
    let path = dir.0.join("latin1.pathway");
    std::fs::write(
        &path,
        b"units time = min, concentration = uM\nspecies A = 1 uM  # caf\xe9 au lait\n",
    )
    .unwrap();
    let run = pathrules(&["check", "latin1.pathway"], Some(&dir.0));
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!("invalid_utf8_had_no_line_and_column", run.stderr);
    assert!(run.stderr.contains("latin1.pathway:2:24"), "{}", run.stderr);
    assert!(run.stderr.contains("0xE9"), "{}", run.stderr);
}

/// `fmt` read files by itself and said "not UTF-8 text" with no line or column.
#[test]
fn fmt_of_invalid_utf8_had_no_line_and_column() {
    let dir = TempDir::new("files-fmt-utf8");
    let path = dir.0.join("latin1.pathway");
    let bytes = b"units time = min, concentration = uM\nspecies A = 1 uM  # caf\xe9 au lait\n";
    std::fs::write(&path, bytes).unwrap();
    let run = pathrules(&["fmt", "latin1.pathway"], Some(&dir.0));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("latin1.pathway:2:24"), "{}", run.stderr);
    assert!(run.stderr.contains("0xE9"), "{}", run.stderr);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the file is left as it was"
    );
}
