//! The lint every generated design must pass: Verilator `-Wall` with no
//! waiver (one module per file, so DECLFILENAME holds too), then Icarus
//! `-Wall` as a second, independent front end (it rejects things
//! Verilator lets through, such as a net declared twice or a bit-select
//! of a part-select, and users do simulate with it).
use std::path::Path;
use std::process::Command;

/// Both linters on `files` in `dir`, `top` as the top with its
/// parameters and macros set: their messages, empty when clean. Err: a
/// linter did not start (scripts/setup installs both).
pub fn lint(
    dir: &Path,
    files: &[String],
    top: &str,
    params: &[(String, i64)],
    defines: &[(String, String)],
) -> std::io::Result<String> {
    let run = |cmd: &str, args: &[String]| -> std::io::Result<String> {
        let out = Command::new(cmd)
            .current_dir(dir)
            .args(args)
            .args(files)
            .output()
            .map_err(|e| std::io::Error::new(e.kind(), format!("{cmd}: {e}")))?;
        Ok(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    };
    let d: Vec<String> = defines.iter().map(|(k, v)| format!("-D{k}={v}")).collect();
    let mut v: Vec<String> = ["--lint-only", "-Wall", "--top-module", top]
        .map(String::from)
        .to_vec();
    v.extend(params.iter().map(|(k, x)| format!("-G{k}={x}")));
    v.extend(d.iter().cloned());
    let mut i: Vec<String> = ["-g2005", "-Wall", "-o", "/dev/null", "-s", top]
        .map(String::from)
        .to_vec();
    i.extend(params.iter().map(|(k, x)| format!("-P{top}.{k}={x}")));
    i.extend(d);
    Ok(run("verilator", &v)? + &run("iverilog", &i)?)
}
