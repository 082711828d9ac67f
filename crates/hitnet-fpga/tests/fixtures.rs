//! Parsers and the derived results on REAL tool outputs, captured by
//! tests/fixtures/capture.sh: iCE40 with yosys 0.23 + nextpnr-ice40 0.4,
//! ECP5 with yosys 0.70 + nextpnr-ecp5 0.11 (YoWASP). Pass, timing miss,
//! does not fit (logic, I/O, DSP) and an accidental latch.

use std::path::PathBuf;

use hitnet_fpga::parse::{nextpnr, yosys};
use hitnet_fpga::report::{analyze_pnr, PnrAnalysis, PnrProblem};
use hitnet_fpga::{Family, Target};

struct Fixture {
    dir: PathBuf,
    target: &'static Target,
}

fn fixture(name: &str, target: &str) -> Fixture {
    Fixture {
        dir: PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
        target: Target::from_name(target).unwrap(),
    }
}

impl Fixture {
    fn read(&self, file: &str) -> Option<String> {
        std::fs::read(self.dir.join(file))
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    fn stat(&self) -> yosys::Stat {
        yosys::Stat::parse(&self.read("stat.json").expect("stat.json")).expect("stat.json parses")
    }

    fn summary(&self) -> yosys::CellSummary {
        yosys::summarize(&self.stat().cells(), self.target.family)
    }

    fn pnr_log(&self) -> nextpnr::Log {
        nextpnr::parse_log(&self.read("pnr.log").expect("pnr.log"))
    }

    /// analyze_pnr as run_flow calls it: nextpnr succeeded iff it wrote
    /// report.json (it writes it only at the end of a good run).
    fn analyze(&self) -> Result<PnrAnalysis, PnrProblem> {
        let report = self.read("report.json");
        analyze_pnr(
            self.target,
            report.is_some(),
            report.as_deref(),
            &self.read("pnr.log").expect("pnr.log"),
            &self.summary(),
        )
    }
}

fn yosys_version_of(f: &Fixture) -> &'static str {
    match f.target.family {
        Family::Ice40 => "0.23",
        Family::Ecp5 => "0.70",
    }
}

/// The log's last "Max frequency" (post-route) agrees with the JSON, and
/// its logic/routing split adds up to the period of the achieved Fmax.
fn check_timing_consistency(f: &Fixture, a: &PnrAnalysis) {
    let log = f.pnr_log();
    assert!(log.routed, "{}", f.dir.display());
    for c in &a.clocks {
        let line = log
            .max_frequency
            .iter()
            .find(|m| m.clock == c.clock)
            .expect("a Max frequency line per clock");
        assert!(
            (line.mhz - c.achieved_mhz).abs() < 0.006,
            "{} vs {}",
            line.mhz,
            c.achieved_mhz
        );
        assert_eq!(line.passed, Some(c.met));
        let (l, r) = (c.logic_ns.unwrap(), c.routing_ns.unwrap());
        let period = 1000.0 / c.achieved_mhz;
        assert!((l + r - period).abs() < 0.15, "{l} + {r} vs {period}");
    }
    // The JSON's critical path gives the same split as the log line.
    let report = nextpnr::Report::parse(&f.read("report.json").unwrap()).unwrap();
    for c in &a.clocks {
        let edge = format!("posedge {}", c.clock);
        let p = report
            .critical_paths
            .iter()
            .find(|p| p.from == edge && p.to == edge)
            .expect("critical path in JSON");
        let (l, r) = p.split_ns();
        assert!(
            (l - c.logic_ns.unwrap()).abs() < 0.1,
            "{l} vs {:?}",
            c.logic_ns
        );
        assert!(
            (r - c.routing_ns.unwrap()).abs() < 0.1,
            "{r} vs {:?}",
            c.routing_ns
        );
    }
}

fn sane_common(f: &Fixture) {
    let stat = f.stat();
    assert_eq!(stat.version(), yosys_version_of(f), "{}", stat.creator);
    let ylog = yosys::parse_log(&f.read("synth.log").unwrap());
    assert!(ylog.errors.is_empty(), "{:?}", ylog.errors);
    assert_eq!(ylog.check_problems, Some(0));
    let s = f.summary();
    assert!(s.unmapped.is_empty(), "{:?}", s.unmapped);
    assert_eq!(s.latch_cells, 0);
}

/// A fixture that passes the common checks, and its analysis.
fn sane_analyzed(name: &str, target: &str) -> (Fixture, PnrAnalysis) {
    let f = fixture(name, target);
    sane_common(&f);
    let a = f.analyze().unwrap();
    (f, a)
}

/// A fixture that fits but misses its `target_mhz` clock.
fn timing_miss(name: &str, target: &str, target_mhz: f64) -> (Fixture, PnrAnalysis) {
    let (f, a) = sane_analyzed(name, target);
    assert!(a.fits);
    assert_eq!(a.timing_met, Some(false));
    assert_eq!(a.clocks[0].target_mhz, target_mhz);
    check_timing_consistency(&f, &a);
    (f, a)
}

/// The first overflow as (resource, cell, used, available, excess).
fn first_overflow(a: &PnrAnalysis) -> (&str, &str, u64, u64, u64) {
    let o = &a.overflow[0];
    (&o.resource, &o.cell, o.used, o.available, o.excess)
}

#[test]
fn ice40_uart_wrapper_passes() {
    let (f, a) = sane_analyzed("ice40_up5k_uart", "ice40-up5k");
    assert!(yosys::parse_log(&f.read("synth.log").unwrap())
        .latches
        .is_empty());
    assert!(a.fits && a.overflow.is_empty());
    assert_eq!(a.timing_met, Some(true));
    let fmax = a.fmax_mhz.unwrap();
    assert!(fmax > 12.0 && fmax < 300.0, "{fmax}");
    let u = &a.utilization;
    assert!((200..2000).contains(&u["logic"].used), "{:?}", u["logic"]);
    assert_eq!(u["logic"].available, 5280);
    assert_eq!(u["bram"].used, 1, "RX FIFO in one block RAM");
    assert_eq!(u["io"].used, 6);
    assert_eq!(u["io"].available, 39);
    assert!(u["ff"].used > 100 && u["ff"].used <= u["logic"].used);
    assert_eq!(a.clocks.len(), 1);
    assert_eq!(a.clocks[0].target_mhz, 12.0);
    check_timing_consistency(&f, &a);
    // Where yosys 0.23 put the memory, and which signals limit Fmax.
    let mems = yosys::parse_log(&f.read("synth.log").unwrap()).memories;
    assert_eq!(mems.len(), 1, "{mems:?}");
    assert_eq!(mems[0].memory, "icebreaker_top.u_uart.fifo");
    assert!(mems[0].in_block_ram(), "{mems:?}");
    critical_path_is_named(&a);
}

/// The critical path names design signals, register to register, none of
/// them with mapping suffixes left.
fn critical_path_is_named(a: &PnrAnalysis) {
    let p = &a.clocks[0].critical_path;
    assert!(p.len() >= 2, "{p:?}");
    for s in p {
        assert!(
            !s.is_empty() && !s.contains("_SB_") && !s.contains("_TRELLIS_") && !s.ends_with("_LC"),
            "{p:?}"
        );
    }
}

#[test]
fn ice40_timing_miss_is_a_result() {
    let (f, a) = timing_miss("ice40_up5k_timing", "ice40-up5k", 300.0);
    assert!(a.fmax_mhz.unwrap() < 300.0);
    // nextpnr prints the frequency twice; the first (after placement)
    // differs from the post-route one that counts.
    let text = f.read("pnr.log").unwrap();
    assert_eq!(text.matches("Max frequency for clock").count(), 2);
}

#[test]
fn ice40_logic_overflow() {
    let (f, a) = sane_analyzed("ice40_up5k_nofit", "ice40-up5k");
    assert!(
        f.read("report.json").is_none(),
        "nextpnr writes no report when placement fails"
    );
    assert!(!a.fits);
    assert_eq!(a.overflow.len(), 1);
    assert_eq!(
        first_overflow(&a),
        ("logic", "ICESTORM_LC", 8019, 5280, 2739)
    );
    assert!(a
        .fit_error
        .as_deref()
        .unwrap()
        .contains("Unable to place cell"));
    assert_eq!(a.fmax_mhz, None);
    assert_eq!(a.timing_met, None);
    assert_eq!(f.summary().ffs, 6000);
}

#[test]
fn ice40_pins_overflow_the_package() {
    let (_, a) = sane_analyzed("ice40_up5k_io", "ice40-up5k");
    assert!(!a.fits);
    // nextpnr counts 96 SB_IO sites on the die; the sg48 package has 39.
    assert_eq!(a.cells["SB_IO"].available, 96);
    assert_eq!(first_overflow(&a), ("io", "SB_IO", 65, 39, 26));
}

#[test]
fn ice40_latch_is_found_in_the_yosys_log() {
    let f = fixture("ice40_up5k_latch", "ice40-up5k");
    let ylog = yosys::parse_log(&f.read("synth.log").unwrap());
    assert_eq!(ylog.latches, vec!["latch_top.l".to_string()]);
    // The latch is a LUT loop by now: the cell counts do not show it...
    assert_eq!(f.summary().latch_cells, 0);
    // ...and nextpnr refuses the loop: a tool failure, not "does not fit".
    match f.analyze() {
        Err(PnrProblem::Failed(Some(e))) => assert!(e.contains("combinatorial loops"), "{e}"),
        other => panic!("expected a nextpnr failure, got {other:?}"),
    }
}

#[test]
fn ice40_hx8k_characterization_wrapper() {
    let (f, a) = sane_analyzed("ice40_hx8k_char", "ice40-hx8k");
    assert!(a.fits);
    assert_eq!(a.utilization["logic"].available, 7680);
    assert_eq!(a.utilization["io"].used, 5, "clk, rst, shift, sin, sout");
    assert!(!a.utilization.contains_key("spram") && !a.utilization.contains_key("dsp"));
    check_timing_consistency(&f, &a);
}

#[test]
fn ecp5_uart_wrapper_passes() {
    let (f, a) = sane_analyzed("ecp5_25k_uart", "ecp5-25k");
    assert!(a.fits);
    assert_eq!(a.timing_met, Some(true));
    let u = &a.utilization;
    assert_eq!(u["logic"].available, 24288);
    assert!((200..3000).contains(&u["logic"].used), "{:?}", u["logic"]);
    assert_eq!(u["ff"].source, hitnet_fpga::report::Source::Nextpnr);
    assert_eq!(u["io"].used, 13);
    assert!(
        u.contains_key("lutram"),
        "yosys 0.70 puts the FIFO in distributed RAM"
    );
    assert!(a.fmax_mhz.unwrap() > 25.0);
    check_timing_consistency(&f, &a);
    let mems = yosys::parse_log(&f.read("synth.log").unwrap()).memories;
    assert_eq!(mems.len(), 1, "{mems:?}");
    assert_eq!(mems[0].mapped_to, "$__TRELLIS_DPR16X4_");
    assert!(!mems[0].in_block_ram());
    critical_path_is_named(&a);
}

#[test]
fn ecp5_timing_miss_is_a_result() {
    timing_miss("ecp5_25k_timing", "ecp5-25k", 400.0);
}

#[test]
fn ecp5_dsp_overflow() {
    let (f, a) = sane_analyzed("ecp5_25k_nofit", "ecp5-25k");
    assert_eq!(f.summary().dsp, 32);
    assert!(!a.fits);
    assert_eq!(first_overflow(&a), ("dsp", "MULT18X18D", 32, 28, 4));
}

#[test]
fn unreadable_reports_are_problems_not_panics() {
    let t = Target::from_name("ice40-up5k").unwrap();
    let s = yosys::CellSummary::default();
    for bad in ["", "{", "[1,2]", "{\"fmax\": 3}", "\u{0}"] {
        assert!(
            matches!(
                analyze_pnr(t, true, Some(bad), "", &s),
                Err(PnrProblem::ReportUnreadable(_))
            ),
            "{bad:?}"
        );
    }
    assert!(matches!(
        analyze_pnr(t, true, None, "", &s),
        Err(PnrProblem::ReportUnreadable(_))
    ));
    assert!(matches!(
        analyze_pnr(t, false, None, "ERROR: boom\n", &s),
        Err(PnrProblem::Failed(Some(e))) if e == "boom"
    ));
}

#[test]
fn target_capacities_match_what_nextpnr_reports() {
    for (name, target) in [
        ("ice40_up5k_uart", "ice40-up5k"),
        ("ice40_hx8k_char", "ice40-hx8k"),
        ("ecp5_25k_uart", "ecp5-25k"),
        ("ecp5_45k_counter", "ecp5-45k"),
        ("ecp5_85k_counter", "ecp5-85k"),
    ] {
        let f = fixture(name, target);
        let a = f.analyze().unwrap();
        let cap = f.target.capacity;
        let avail = |cell: &str| a.cells.get(cell).map(|c| c.available).unwrap_or(0);
        match f.target.family {
            Family::Ice40 => {
                assert_eq!(avail("ICESTORM_LC"), cap.logic, "{name}");
                assert_eq!(avail("ICESTORM_RAM"), cap.bram, "{name}");
                assert_eq!(avail("ICESTORM_SPRAM"), cap.spram, "{name}");
                assert_eq!(avail("ICESTORM_DSP"), cap.dsp, "{name}");
            }
            Family::Ecp5 => {
                assert_eq!(avail("TRELLIS_COMB"), cap.logic, "{name}");
                assert_eq!(avail("TRELLIS_FF"), cap.ff, "{name}");
                assert_eq!(avail("DP16KD"), cap.bram, "{name}");
                assert_eq!(avail("MULT18X18D"), cap.dsp, "{name}");
                // nextpnr counts the die's pads; CABGA381 bonds out fewer on
                // the 45k and 85k (203 and 205 of 245 and 365).
                assert!(avail("TRELLIS_IO") >= cap.io, "{name}");
            }
        }
    }
}
