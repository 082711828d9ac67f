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
    let run = |cmd: &str, args: &[&str]| {
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
    let mut text = run("verilator", &["--lint-only", "-Wall", "--top-module", top]);
    text += &run("iverilog", &["-g2005", "-Wall", "-o", "/dev/null"]);
    text
}
