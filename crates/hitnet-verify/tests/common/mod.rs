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

/// [`lint`] with `top`'s parameters and macros set (`hitnet_rtl::lint`).
pub fn lint_with(
    dir: &Path,
    files: &[String],
    top: &str,
    params: &[(String, i64)],
    defines: &[(String, String)],
) -> String {
    hitnet_rtl::lint::lint(dir, files, top, params, defines)
        .unwrap_or_else(|e| panic!("{e} (scripts/setup installs it)"))
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

/// `d` written into `dir` (its images where the bench's `$readmemh` finds
/// them), `patch` = (from, to) applied once to its file `file` (the patch
/// must apply), as a bench netlist of the generated RTL.
pub fn rtl_in(
    d: &hitnet_rtl::Design,
    dir: &Path,
    file: &str,
    patch: Option<(&str, &str)>,
) -> hitnet_verify::Netlist {
    d.write(dir).unwrap();
    if let Some((from, to)) = patch {
        let f = dir.join(file);
        let v = std::fs::read_to_string(&f).unwrap();
        assert!(v.contains(from), "the patch must apply");
        std::fs::write(&f, v.replacen(from, to, 1)).unwrap();
    }
    hitnet_verify::Netlist {
        files: d.verilog_files().map(|(n, _)| dir.join(n)).collect(),
        ..Default::default()
    }
}

/// Module `top` of `d` synthesized alone for `target` by the flow's synth
/// step in `dir` (sources in `dir/gen`, build in `dir/build`): the netlist
/// with the Yosys cell models.
pub fn synth_alone(
    d: &hitnet_rtl::Design,
    top: &str,
    target: &hitnet_fpga::Target,
    dir: &Path,
) -> hitnet_verify::Netlist {
    let gen = dir.join("gen");
    d.write(&gen).unwrap();
    let mut design = hitnet_fpga::Design::new(
        d.verilog_files().map(|(n, _)| gen.join(n)).collect(),
        top,
        50.0,
    );
    design.data_files = d
        .files
        .iter()
        .filter(|(n, _)| n.ends_with(".hex"))
        .map(|(n, _)| gen.join(n))
        .collect();
    let syn = hitnet_fpga::run_synth(
        &design,
        target,
        &dir.join("build"),
        &hitnet_fpga::FlowOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "{}: synthesized in {:.0} s: {:?}",
        target.name, syn.seconds, syn.yosys_summary
    );
    hitnet_verify::cells::for_synth(target.family, &syn).unwrap_or_else(|e| panic!("{e}"))
}

/// `d` written in a temporary folder and wrapped by the flow's `wrap` in
/// `target`'s board top at `clock_mhz`: the folder and the wrapped design.
pub fn board_top(
    d: &hitnet_rtl::Design,
    target: &hitnet_fpga::Target,
    clock_mhz: f64,
) -> (tempfile::TempDir, hitnet_fpga::Wrapped) {
    let dir = tempfile::tempdir().unwrap();
    let gen = dir.path().join("gen");
    d.write(&gen).unwrap();
    let w = hitnet_fpga::wrap(
        &gen,
        &dir.path().join("wrapper"),
        hitnet_fpga::WrapperKind::Uart,
        target,
        clock_mhz,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (dir, w)
}

/// [`lint`] of `d` written in a temporary folder, `top` as the top.
pub fn lint_design(d: &hitnet_rtl::Design, top: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    d.write(dir.path()).unwrap();
    let files: Vec<String> = d.verilog_files().map(|(n, _)| n.to_string()).collect();
    lint(dir.path(), &files, top)
}

/// The text of Verilog file `name` of `d`.
pub fn verilog_of(d: &hitnet_rtl::Design, name: &str) -> String {
    d.verilog_files()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("{name} is not in the design"))
        .1
        .to_string()
}
