//! Bad input and broken tools: unknown target, tool missing, tool crash,
//! unreadable report, a nextpnr failure that is not "does not fit". The
//! tools here are small shell scripts standing in for yosys and nextpnr
//! (the generated scripts take their programs from YOSYS / NEXTPNR /
//! PACKER), so these tests run in milliseconds.

use std::path::{Path, PathBuf};

use hitnet_fpga::{run_flow, Design, FlowOptions, FpgaError, Target, Toolchain};

fn fixture_file(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Writes an executable shell script.
fn fake_tool(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    p.to_str().unwrap().to_string()
}

fn design(dir: &Path) -> Design {
    let v = dir.join("t.v");
    std::fs::write(
        &v,
        "module t(input clk, output reg q); always @(posedge clk) q <= !q; endmodule\n",
    )
    .unwrap();
    Design::new(vec![v], "t", 12.0)
}

fn opts(tools: Toolchain) -> FlowOptions {
    FlowOptions {
        toolchain: Some(tools),
        ..FlowOptions::default()
    }
}

/// A yosys stand-in that writes a real stat.json and a log, exit 0.
fn good_yosys(dir: &Path) -> String {
    let stat = fixture_file("ice40_up5k_timing/stat.json");
    fake_tool(
        dir,
        "fake-yosys",
        &format!(
            "cp '{}' stat.json\necho '{{}}' > design.json\necho 'Yosys log' > synth.log",
            stat.display()
        ),
    )
}

#[test]
fn unknown_target_lists_the_valid_ones() {
    let e = Target::from_name("ecp5-12k").unwrap_err().to_string();
    assert!(e.contains("'ecp5-12k'"), "{e}");
    assert!(
        e.contains("ice40-up5k, ice40-hx8k, ecp5-25k, ecp5-45k, ecp5-85k"),
        "{e}"
    );
}

#[test]
fn missing_tool_says_how_to_install() {
    let dir = tempfile::tempdir().unwrap();
    let t = Target::from_name("ecp5-25k").unwrap();
    let tools = Toolchain {
        yosys: "hitnet-test-no-such-yowasp-yosys".into(),
        ..t.toolchain()
    };
    let e = run_flow(
        &design(dir.path()),
        t,
        &dir.path().join("out"),
        &opts(tools),
    )
    .unwrap_err();
    assert!(matches!(e, FpgaError::ToolMissing { .. }), "{e:?}");
    let m = e.to_string();
    assert!(
        m.contains("'hitnet-test-no-such-yowasp-yosys' not found on PATH"),
        "{m}"
    );
    assert!(m.contains("scripts/setup"), "{m}");
}

#[test]
fn yosys_crash_names_yosys_and_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let t = Target::from_name("ice40-up5k").unwrap();
    let yosys = fake_tool(
        dir.path(),
        "fake-yosys",
        "echo 'ERROR: Parser error in line 3' > synth.log\nkill -SEGV $$",
    );
    let tools = Toolchain {
        yosys,
        nextpnr: "sh".into(),
        packer: "sh".into(),
    };
    let out = dir.path().join("out");
    let e = run_flow(&design(dir.path()), t, &out, &opts(tools)).unwrap_err();
    let m = e.to_string();
    assert!(matches!(e, FpgaError::ToolFailed { .. }), "{e:?}");
    assert!(m.starts_with("yosys ("), "{m}");
    assert!(m.contains("signal 11"), "{m}");
    assert!(m.contains("Parser error in line 3"), "{m}");
    assert!(m.contains("synth.log"), "{m}");
}

#[test]
fn unreadable_stat_json_names_yosys_and_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let t = Target::from_name("ice40-up5k").unwrap();
    let yosys = fake_tool(
        dir.path(),
        "fake-yosys",
        "echo 'not json' > stat.json\ntouch synth.log",
    );
    let tools = Toolchain {
        yosys,
        nextpnr: "sh".into(),
        packer: "sh".into(),
    };
    let e = run_flow(
        &design(dir.path()),
        t,
        &dir.path().join("out"),
        &opts(tools),
    )
    .unwrap_err();
    let m = e.to_string();
    assert!(matches!(e, FpgaError::ReportUnreadable { .. }), "{e:?}");
    assert!(m.contains("stat.json written by yosys"), "{m}");
    assert!(m.contains("synth.log"), "{m}");
}

#[test]
fn unreadable_nextpnr_report_names_nextpnr_and_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let t = Target::from_name("ice40-up5k").unwrap();
    let nextpnr = fake_tool(
        dir.path(),
        "fake-nextpnr",
        "echo 'Info: Program finished normally.'\necho '{\"fmax\":' > report.json",
    );
    let tools = Toolchain {
        yosys: good_yosys(dir.path()),
        nextpnr,
        packer: "sh".into(),
    };
    let e = run_flow(
        &design(dir.path()),
        t,
        &dir.path().join("out"),
        &opts(tools),
    )
    .unwrap_err();
    let m = e.to_string();
    assert!(matches!(e, FpgaError::ReportUnreadable { .. }), "{e:?}");
    assert!(m.contains("report.json written by nextpnr"), "{m}");
    assert!(m.contains("pnr.log"), "{m}");
}

#[test]
fn nextpnr_failure_without_overflow_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let t = Target::from_name("ice40-up5k").unwrap();
    let nextpnr = fake_tool(
        dir.path(),
        "fake-nextpnr",
        "echo \"ERROR: IO 'q' is unconstrained in PCF\" >&2\nexit 1",
    );
    let tools = Toolchain {
        yosys: good_yosys(dir.path()),
        nextpnr,
        packer: "sh".into(),
    };
    let e = run_flow(
        &design(dir.path()),
        t,
        &dir.path().join("out"),
        &opts(tools),
    )
    .unwrap_err();
    let m = e.to_string();
    assert!(m.starts_with("nextpnr ("), "{m}");
    assert!(m.contains("exit status 1"), "{m}");
    assert!(m.contains("IO 'q' is unconstrained in PCF"), "{m}");
    assert!(m.contains("pnr.log"), "{m}");
}

#[test]
fn nextpnr_overflow_is_a_result_and_skips_the_bitstream() {
    let dir = tempfile::tempdir().unwrap();
    let t = Target::from_name("ice40-up5k").unwrap();
    // Replays the real log of a design that does not fit.
    let log = fixture_file("ice40_up5k_nofit/pnr.log");
    let nextpnr = fake_tool(
        dir.path(),
        "fake-nextpnr",
        &format!("cat '{}' >&2\nexit 255", log.display()),
    );
    let packer = fake_tool(
        dir.path(),
        "fake-pack",
        "echo packer must not run >&2\nexit 1",
    );
    let tools = Toolchain {
        yosys: good_yosys(dir.path()),
        nextpnr,
        packer,
    };
    let out = dir.path().join("out");
    let r = run_flow(&design(dir.path()), t, &out, &opts(tools)).unwrap();
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
    let tools = Toolchain {
        yosys: "sh".into(),
        nextpnr: "sh".into(),
        packer: "sh".into(),
    };
    let e = run_flow(&d, t, &dir.path().join("out"), &opts(tools)).unwrap_err();
    assert!(e.to_string().contains("is not a .pcf file"), "{e}");
}

#[test]
fn too_many_dsps_resynthesize_with_multipliers_in_logic() {
    let dir = tempfile::tempdir().unwrap();
    let t = Target::from_name("ice40-up5k").unwrap();
    // A yosys that maps 12 multipliers to SB_MAC16 when asked for DSPs
    // (the UP5K has 8), and none otherwise.
    let stat = fixture_file("ice40_up5k_uart/stat.json");
    let yosys = fake_tool(
        dir.path(),
        "fake-yosys",
        &format!(
            "echo run >> runs.txt\n\
             if grep -q -- '-dsp' synth.ys; then\n\
               echo '{{\"creator\": \"Yosys 0.23\", \"design\": {{\"num_cells_by_type\": {{\"SB_MAC16\": 12, \"SB_LUT4\": 10}}}}}}' > stat.json\n\
             else cp '{}' stat.json; fi\n\
             echo '{{}}' > design.json\necho 'Yosys log' > synth.log",
            stat.display()
        ),
    );
    let fx = fixture_file("ice40_up5k_uart");
    let nextpnr = fake_tool(
        dir.path(),
        "fake-nextpnr",
        &format!(
            "cp '{0}/report.json' report.json\ncat '{0}/pnr.log'\ntouch design.asc",
            fx.display()
        ),
    );
    let packer = fake_tool(dir.path(), "fake-pack", "echo bits > design.bin");
    let tools = Toolchain {
        yosys,
        nextpnr,
        packer,
    };
    let out = dir.path().join("out");
    let r = run_flow(&design(dir.path()), t, &out, &opts(tools.clone())).unwrap();
    assert!(r.dsp_in_logic);
    assert_eq!(r.notes.len(), 1, "{:?}", r.notes);
    assert!(
        r.notes[0].contains("12 SB_MAC16") && r.notes[0].contains("has 8"),
        "{:?}",
        r.notes
    );
    assert_eq!(
        std::fs::read_to_string(out.join("runs.txt"))
            .unwrap()
            .lines()
            .count(),
        2
    );
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
    let r = run_flow(&design(dir.path()), t, &out2, &o).unwrap();
    assert!(!r.dsp_in_logic && r.notes.is_empty());
    assert_eq!(r.yosys_summary.dsp, 12);
    assert_eq!(
        std::fs::read_to_string(out2.join("runs.txt"))
            .unwrap()
            .lines()
            .count(),
        1
    );
}
