//! Every example session in README.md is the binary's current output.
//!
//! A ```text block of the README that starts with `$ ` is a terminal session: each
//! `$ pathrules …` (or `$ cargo run --release`, which runs `pathrules` alone) is run
//! from the crate root and its output compared with the lines under it. The session
//! may write a file first with `$ cat NAME` followed by the file's lines; the commands
//! after it then run in a temporary directory holding that file. Three liberties
//! keep the examples short, and nothing else differs:
//! - `| head -N` after a command keeps its first N lines, as the shell would;
//! - a line that is only `…` stands for any number of lines (at least one);
//! - a line of 100 characters or more may be the first characters of a longer one
//!   (the README cuts wide tables and says so).

use std::path::Path;

use crate::cli::{TempDir, pathrules};

/// One `$ ` line of a session and the lines printed under it.
struct Step {
    line: usize,
    command: String,
    expected: Vec<String>,
}

/// Every session of README.md: the README line it starts at and its steps.
fn sessions(readme: &str) -> Vec<(usize, Vec<Step>)> {
    let mut sessions = Vec::new();
    let mut lines = readme.lines().enumerate();
    while let Some((_, line)) = lines.next() {
        if line.trim_end() != "```text" {
            continue;
        }
        let mut steps: Vec<Step> = Vec::new();
        let mut start = None;
        for (i, line) in lines.by_ref() {
            if line.starts_with("```") {
                break;
            }
            if let Some(command) = line.strip_prefix("$ ") {
                start.get_or_insert(i + 1);
                steps.push(Step {
                    line: i + 1,
                    command: command.to_string(),
                    expected: Vec::new(),
                });
            } else if let Some(step) = steps.last_mut() {
                step.expected.push(line.to_string());
            } else {
                // A block that does not start with `$ ` is not a session.
                break;
            }
        }
        if let Some(start) = start {
            sessions.push((start, steps));
        }
    }
    sessions
}

/// Whether `actual` is what the README shows as `expected`, with the liberties above.
fn matches(expected: &[String], actual: &[&str]) -> Result<(), String> {
    let (mut e, mut a) = (0, 0);
    while e < expected.len() {
        let want = expected[e].trim_end();
        if want.trim() == "…" {
            // Skip at least one line, up to the next line that matches what follows.
            let next = expected.get(e + 1).map(|s| s.trim_end());
            a += 1;
            match next {
                None => a = actual.len().max(a),
                Some(next) => {
                    while a < actual.len() && !line_matches(next, actual[a]) {
                        a += 1;
                    }
                }
            }
            e += 1;
            continue;
        }
        match actual.get(a) {
            Some(got) if line_matches(want, got) => {}
            Some(got) => {
                return Err(format!(
                    "line {} of the output differs\n  README: {want}\n  binary: {}",
                    a + 1,
                    got.trim_end()
                ));
            }
            None => return Err(format!("the output ends before the README's `{want}`")),
        }
        e += 1;
        a += 1;
    }
    if a < actual.len() {
        return Err(format!(
            "the output goes on after the README's last line: `{}`",
            actual[a].trim_end()
        ));
    }
    Ok(())
}

fn line_matches(want: &str, got: &str) -> bool {
    let got = got.trim_end();
    want == got || (want.chars().count() >= 100 && got.starts_with(want))
}

/// Runs one `$ ` command in `dir` and returns its output lines (stdout, then stderr).
fn run(command: &str, dir: &Path) -> Result<Vec<String>, String> {
    let (command, head) = match command.split_once(" | ") {
        Some((command, pipe)) => {
            let n = pipe
                .strip_prefix("head -")
                .and_then(|n| n.trim().parse::<usize>().ok())
                .ok_or_else(|| format!("a pipe the test does not run: `| {pipe}`"))?;
            (command, Some(n))
        }
        None => (command, None),
    };
    let words: Vec<&str> = command.split_whitespace().collect();
    let args: &[&str] = match words.as_slice() {
        ["cargo", "run", "--release"] => &[],
        ["pathrules", args @ ..] => args,
        _ => return Err(format!("a command the test does not run: `{command}`")),
    };
    let output = pathrules(args, Some(dir));
    let text = format!("{}{}", output.stdout, output.stderr);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if let Some(n) = head {
        lines.truncate(n);
    }
    Ok(lines)
}

#[test]
fn every_readme_session_is_the_binary_s_output() {
    let readme = std::fs::read_to_string("README.md").expect("README.md exists");
    let root = std::env::current_dir().expect("the crate root");
    let all = sessions(&readme);
    assert!(all.len() >= 5, "README.md has {} sessions", all.len());
    let mut failures = Vec::new();
    for (start, steps) in &all {
        let mut dir: Option<TempDir> = None;
        for step in steps {
            if let Some(name) = step.command.strip_prefix("cat ") {
                let temp = dir.get_or_insert_with(|| TempDir::new(&format!("readme-{start}")));
                temp.write(name.trim(), &(step.expected.join("\n") + "\n"));
                continue;
            }
            let here = dir.as_ref().map_or(root.as_path(), |d| d.0.as_path());
            let outcome = run(&step.command, here).and_then(|actual| {
                let actual: Vec<&str> = actual.iter().map(String::as_str).collect();
                matches(&step.expected, &actual)
            });
            if let Err(why) = outcome {
                failures.push(format!(
                    "README.md:{}: `$ {}`: {why}",
                    step.line, step.command
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn an_elided_or_changed_line_is_told_apart() {
    let expected: Vec<String> = ["a", "…", "d"].map(String::from).to_vec();
    assert!(matches(&expected, &["a", "b", "c", "d"]).is_ok());
    assert!(
        matches(&expected, &["a", "d"]).is_err(),
        "… stands for one line at least"
    );
    assert!(matches(&expected, &["a", "b", "e"]).is_err());
    assert!(matches(&expected, &["a", "b", "d", "e"]).is_err());
    let wide = "x".repeat(100);
    assert!(matches(std::slice::from_ref(&wide), &[&format!("{wide}yz")]).is_ok());
    assert!(matches(&["short".to_string()], &["shorter"]).is_err());
}

/// Every figure of README.md (`docs/*.svg`) is what the command the README shows for
/// it writes: the command is run with the figure's path moved to a temporary file.
#[test]
fn every_readme_figure_is_made_by_its_command() {
    let readme = std::fs::read_to_string("README.md").expect("README.md exists");
    let joined = readme.replace("\\\n", " ");
    let mut figures = 0;
    for line in joined.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(at) = words.iter().position(|w| *w == "--plot") else {
            continue;
        };
        let Some(figure) = words.get(at + 1).filter(|f| f.starts_with("docs/")) else {
            continue;
        };
        assert_eq!(words[0], "pathrules", "README.md: `{line}`");
        let dir = TempDir::new(&format!("figure-{figures}"));
        let target = dir.0.join("figure.svg");
        let mut args: Vec<&str> = words[1..]
            .iter()
            .take_while(|w| **w != ">")
            .copied()
            .collect();
        let target_text = target.to_string_lossy().into_owned();
        args[at] = &target_text;
        let run = pathrules(&args, None);
        assert_eq!(run.code, 0, "`{line}`: {}", run.stderr);
        let made = std::fs::read(&target).expect("the command writes the figure");
        let shipped = std::fs::read(figure).expect("the README's figure exists");
        assert!(
            made == shipped,
            "{figure} is not what `{line}` writes: run the command again"
        );
        figures += 1;
    }
    assert!(figures >= 1, "README.md shows no figure's command");
}
