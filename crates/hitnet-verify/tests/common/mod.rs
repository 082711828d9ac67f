//! Shared by the hitnet-verify integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// Runs `prog args` in `dir`; panics with its output unless it succeeds.
pub fn run(dir: &Path, prog: &str, args: &[&str]) -> String {
    let out = Command::new(prog)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{prog}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{prog} {args:?}:\n{text}");
    text
}

/// The weight-bank build `hitnet synth` uses for `target`: DP16KD
/// primitives with their output register on ECP5, inferred elsewhere.
pub fn bram_for(target: &hitnet_fpga::Target) -> hitnet_rtl::Bram {
    if target.family == hitnet_fpga::Family::Ecp5 {
        hitnet_rtl::Bram::Dp16kd
    } else {
        hitnet_rtl::Bram::Inferred
    }
}

/// The lint of a generated design written in `dir`: Verilator -Wall (no
/// waiver) with `top` as the top, then Icarus -Wall; their messages
/// (empty when clean).
pub fn lint(dir: &Path, files: &[String], top: &str) -> String {
    lint_with(dir, files, top, &[], &[])
}

/// [`lint`] with `top`'s parameters and macros set.
pub fn lint_with(
    dir: &Path,
    files: &[String],
    top: &str,
    params: &[(String, i64)],
    defines: &[(String, String)],
) -> String {
    let run = |cmd: &str, args: &[String]| {
        let out = Command::new(cmd)
            .current_dir(dir)
            .args(args)
            .args(files)
            .output()
            .unwrap_or_else(|e| panic!("{cmd}: {e} (scripts/setup installs it)"));
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
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
    let mut text = run("verilator", &v);
    text += &run("iverilog", &i);
    text
}

/// [`lint_with`] on a wrapped board top (its Verilog files, with the
/// parameters and macros `hitnet_fpga::wrap` set), run in `dir`.
pub fn lint_wrapped(dir: &Path, w: &hitnet_fpga::Wrapped) -> String {
    let files: Vec<String> = w
        .design
        .files
        .iter()
        .filter(|f| f.extension().is_some_and(|x| x == "v"))
        .map(|f| f.display().to_string())
        .collect();
    let params: Vec<(String, i64)> = w
        .design
        .params
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    let defines: Vec<(String, String)> = w
        .design
        .defines
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    lint_with(dir, &files, &w.design.top, &params, &defines)
}
