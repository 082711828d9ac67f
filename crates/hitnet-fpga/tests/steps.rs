//! The flow as steps: `to` stops early, `from` resumes a folder without
//! running the earlier steps again and refuses a folder whose earlier steps
//! are missing, failed or ran on other inputs; the DSP policy's decision is
//! repeated on resume. Stand-in tools log each run to runs.txt.

mod common;

use std::path::{Path, PathBuf};

use common::{fake_tool, fixture_file};
use hitnet_fpga::{run_flow, Design, FlowOptions, FpgaError, Step, Target, Toolchain};

/// Yosys maps 12 multipliers to SB_MAC16 when asked for DSPs (the UP5K has
/// 8: the policy falls back), none otherwise; nextpnr and the packer copy
/// captured outputs.
fn tools(dir: &Path) -> Toolchain {
    let fx = fixture_file("ice40_up5k_uart");
    Toolchain {
        yosys: fake_tool(dir, "fake-yosys", &common::dsp_yosys("synth", "")),
        nextpnr: fake_tool(
            dir,
            "fake-nextpnr",
            &format!(
                "[ \"$1\" = --version ] && exit 0\necho pnr >> runs.txt\ncp '{0}/report.json' report.json\ncat '{0}/pnr.log'\ntouch design.asc",
                fx.display()
            ),
        ),
        packer: fake_tool(dir, "fake-pack", "echo pack >> runs.txt\necho bits > design.bin"),
    }
}

fn design(dir: &Path, body: &str) -> Design {
    common::tiny_design(
        dir,
        &format!("module t(input clk, output reg q); {body} endmodule\n"),
    )
}

fn runs(out: &Path) -> Vec<String> {
    std::fs::read_to_string(out.join("runs.txt"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn opts(dir: &Path, from: Step, to: Step) -> FlowOptions {
    FlowOptions {
        toolchain: Some(tools(dir)),
        from,
        to,
        ..FlowOptions::default()
    }
}

fn resume_reason(e: FpgaError) -> String {
    match e {
        FpgaError::Resume { reason, .. } => reason,
        other => panic!("expected a resume refusal, got {other}"),
    }
}

const BODY: &str = "always @(posedge clk) q <= !q;";

/// A scratch folder, the UP5K, the build folder `out` in the scratch
/// folder and the design of [`BODY`].
fn setup() -> (tempfile::TempDir, &'static Target, PathBuf, Design) {
    let d = tempfile::tempdir().unwrap();
    let des = design(d.path(), BODY);
    let out = d.path().join("out");
    (d, Target::from_name("ice40-up5k").unwrap(), out, des)
}

#[test]
fn resume_from_pnr_places_again_without_synthesizing() {
    let (d, t, out, des) = setup();
    let first = run_flow(&des, t, &out, &opts(d.path(), Step::Synth, Step::Pnr)).unwrap();
    // Stopped after pnr: no bitstream; the fallback synthesized twice.
    assert_eq!(runs(&out), ["synth", "synth", "pnr"]);
    assert_eq!(first.bitstream, None);
    assert!(first.dsp_in_logic);
    assert!(!out.join("reports/pack.json").exists());

    // Another seed: only place and route and the bitstream run.
    let mut seeded = des.clone();
    seeded.pnr_seed = 2;
    let r = run_flow(&seeded, t, &out, &opts(d.path(), Step::Pnr, Step::Pack)).unwrap();
    assert_eq!(runs(&out), ["synth", "synth", "pnr", "pnr", "pack"]);
    assert!(std::fs::read_to_string(out.join("pnr.sh"))
        .unwrap()
        .contains("--seed 2"));
    // The policy's decision and its note come back from reports/synth.json.
    assert!(r.dsp_in_logic);
    assert_eq!(r.notes, first.notes);
    assert_eq!(r.yosys_cells, first.yosys_cells);
    assert_eq!(r.fmax_mhz, first.fmax_mhz);
    assert!(r.bitstream.is_some());
    let steps: Vec<&str> = r.steps.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(steps, ["synth", "pnr", "pack"]);

    // The bitstream alone.
    run_flow(&seeded, t, &out, &opts(d.path(), Step::Pack, Step::Pack)).unwrap();
    assert_eq!(runs(&out).last().map(String::as_str), Some("pack"));
    assert_eq!(runs(&out).len(), 6);
}

#[test]
fn resume_refuses_missing_changed_or_failed_steps() {
    let (d, t, out, des) = setup();

    // Nothing to resume from.
    let e = run_flow(&des, t, &out, &opts(d.path(), Step::Pnr, Step::Pack)).unwrap_err();
    assert!(resume_reason(e).contains("no report of the synth step"));

    run_flow(&des, t, &out, &opts(d.path(), Step::Synth, Step::Pack)).unwrap();

    // The design changed: synthesis must run again. The refusal comes
    // before anything is written: the folder still holds what its netlist
    // was made from.
    let snapshot = |dir: &Path| -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<(String, Vec<u8>)> = ["synth.ys", "synth.sh"]
            .iter()
            .map(|f| (f.to_string(), std::fs::read(dir.join(f)).unwrap()))
            .collect();
        for e in std::fs::read_dir(dir.join("hdl")).unwrap() {
            let p = e.unwrap().path();
            v.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
        v.sort();
        v
    };
    let before = snapshot(&out);
    let other = design(d.path(), "always @(posedge clk) q <= q;");
    let e = run_flow(&other, t, &out, &opts(d.path(), Step::Pnr, Step::Pack)).unwrap_err();
    assert!(resume_reason(e).contains("design or the synthesis script changed"));
    assert!(
        snapshot(&out) == before,
        "a refused resume rewrote the build folder"
    );

    // Back to the synthesized design, but another seed: the routed design
    // the bitstream would come from is not this one.
    let des = design(d.path(), BODY);
    let mut seeded = des.clone();
    seeded.pnr_seed = 3;
    let e = run_flow(&seeded, t, &out, &opts(d.path(), Step::Pack, Step::Pack)).unwrap_err();
    assert!(resume_reason(e).contains("inputs of the pnr step changed"));

    // A failed step cannot be resumed after.
    let mut failing = opts(d.path(), Step::Synth, Step::Pack);
    failing.toolchain.as_mut().unwrap().nextpnr =
        fake_tool(d.path(), "bad-nextpnr", "echo 'ERROR: boom'; exit 1");
    let e = run_flow(&des, t, &out, &failing).unwrap_err();
    assert!(matches!(e, FpgaError::ToolFailed { .. }), "{e}");
    let e = run_flow(&des, t, &out, &opts(d.path(), Step::Pack, Step::Pack)).unwrap_err();
    assert!(resume_reason(e).contains("no report of the pnr step"));
}

#[test]
fn run_flow_refuses_a_range_without_place_and_route() {
    let (d, t, out, des) = setup();
    let e = run_flow(&des, t, &out, &opts(d.path(), Step::Synth, Step::Synth)).unwrap_err();
    assert!(e.to_string().contains("must end with pnr or pack"), "{e}");
    assert_eq!(Step::parse("pnr"), Ok(Step::Pnr));
    let e = Step::parse("route").unwrap_err();
    assert!(e.contains("synth, verify, pnr, pack"), "{e}");
}
