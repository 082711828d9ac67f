//! `hitnet verify --stage synth` on small generated accelerators: the Yosys
//! netlist that goes on to place and route (its `hitnet_top` module, kept
//! as a module by the flow) simulated four-state in Icarus with Yosys's own
//! cell models, beat by beat and cycle by cycle against the cycle simulator
//! and the golden model. LSTM and GRU, 1 and 2 layers, iCE40 UP5K (UART
//! top, DSPs), HX8K (characterization wrapper, multipliers in logic) and
//! ECP5 25k (ULX3S top, DP16KD weight banks, MULT18X18D; with Yosys's
//! ECP5 library and our MULT18X18D and DP16KD models): all four cell x
//! layer combinations on each target. The routed stage (the chip at its
//! serial pins) on all three boards, again all four combinations each.
//! And the check catches the Yosys DSP-packing bug it was built for: the
//! old generator's product register (sign-extended before the register)
//! gives an x-ridden netlist.

mod common;

use hitnet_cosim::Stimulus;
use hitnet_fpga::{run_synth, wrap, FlowOptions, Target, WrapperKind};
use hitnet_sim::{Pattern, Token};
use hitnet_verify::{cells, verify, Report, Setup, Stage};

struct Small {
    plan: hitnet_arch::Plan,
    model: hitnet_model::IntModel,
}

fn plan(config: &str) -> Small {
    let cfg = hitnet_model::Config::parse(config, "<test config>").expect("config");
    let loaded = hitnet_model::load(&cfg).expect("model");
    let hw = &cfg.hw;
    let plan = hitnet_arch::Plan::new(&loaded.int, hitnet_arch::Shape::of(hw)).expect("plan");
    Small {
        plan,
        model: loaded.int,
    }
}

fn tokens(n: usize, input: usize, seed: u64) -> Vec<Token> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|t| {
            let x = (0..input)
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    (s % 3) as i8 - 1
                })
                .collect();
            // A second sequence starts mid-stream: the state reset path too.
            Token {
                x,
                first: t == 0 || t == n / 2,
            }
        })
        .collect()
}

/// The accelerator of `s` generated for `target` into `gen/` of a new
/// scratch folder (kept while the returned `TempDir` lives).
fn generate(s: &Small, target: &str) -> (tempfile::TempDir, &'static Target, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let t = Target::from_name(target).unwrap();
    let design = hitnet_rtl::generate_with(&s.plan, serde_json::json!({}), common::bram_for(t));
    let gen = dir.path().join("gen");
    design.write(&gen).unwrap();
    (dir, t, gen)
}

/// Generates, wraps, synthesizes (the flow's own synth step) and verifies.
/// `patch` edits the generated Verilog before synthesis (fault injection).
fn run(
    config: &str,
    target: &str,
    ntok: usize,
    stall: u32,
    patch: Option<&dyn Fn(&str) -> String>,
) -> Report {
    let s = plan(config);
    let (dir, t, gen) = generate(&s, target);
    let d = dir.path();
    if let Some(p) = patch {
        let mut changed = 0;
        for f in hitnet_rtl::verilog_files(&gen).unwrap() {
            let v = std::fs::read_to_string(&f).unwrap();
            let nv = p(&v);
            if nv != v {
                std::fs::write(&f, nv).unwrap();
                changed += 1;
            }
        }
        assert_eq!(changed, 1, "the patch must change exactly one module");
    }
    let w = wrap(
        &gen,
        &d.join("wrapper"),
        WrapperKind::default_for(t),
        t,
        50.0,
    )
    .unwrap();
    let syn = run_synth(&w.design, t, &d.join("build"), &FlowOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    if t.family == hitnet_fpga::Family::Ecp5 {
        // The DP16KD build: weight banks are primitives with the output
        // register on, simulated with our model.
        let nv = std::fs::read_to_string(&syn.netlist_v).unwrap();
        assert!(
            nv.contains("REGMODE_B(\"OUTREG\")"),
            "no DP16KD weight bank with OUTREG"
        );
    }
    let net = cells::for_synth(t.family, &syn).unwrap_or_else(|e| panic!("{e}"));
    let pat = |seed| Pattern::stalled(seed, stall);
    let stim = Stimulus {
        tokens: tokens(ntok, s.plan.layers[0].input_size, 7),
        valid: pat(11),
        ready: pat(12),
    };
    let r = verify(
        &Setup {
            plan: &s.plan,
            model: &s.model,
            stage: Stage::Synth,
            target,
            netlist: &net,
            work_dir: &d.join("verify"),
            vcd: None,
        },
        &stim,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "{target}: {} beats, {} cycles, {} mismatches, {:.1} s ({:.0} cycles/s)",
        r.beats, r.netlist_cycles, r.mismatches, r.seconds, r.netlist_cycles_per_second
    );
    r
}

fn assert_exact(r: &Report) {
    assert!(r.bit_exact, "{:?}", r.first);
    assert_eq!(r.beats, r.expected_beats);
    assert!(r.beats > 0);
    assert_eq!(r.netlist_cycles, r.sim_cycles);
}

const LSTM1: &str = "[model]\ncell = \"lstm\"\ninput_size = 9\nhidden_size = 6\nseed = 3\n[hw]\nrows = 2\ncols = 4\n";
const GRU2: &str = "[model]\ncell = \"gru\"\ninput_size = 7\nhidden_size = 5\nlayers = 2\nseed = 4\n[hw]\nrows = 2\ncols = 4\n";
const LSTM2: &str = "[model]\ncell = \"lstm\"\ninput_size = 5\nhidden_size = 6\nlayers = 2\nseed = 5\n[hw]\nrows = 3\ncols = 4\n";
const GRU1: &str = "[model]\ncell = \"gru\"\ninput_size = 6\nhidden_size = 7\nseed = 6\n[hw]\nrows = 2\ncols = 5\n";

/// Synth-stage tests, one `#[test]` each: every `(config, tokens, stall
/// percent)` case on the target, each required bit-exact (`assert_exact`).
macro_rules! synth_tests {
    ($($name:ident: $target:literal, [$(($cfg:expr, $n:expr, $stall:expr)),+ $(,)?];)+) => {
        $(
            #[test]
            fn $name() {
                $(assert_exact(&run($cfg, $target, $n, $stall, None));)+
            }
        )+
    };
}

synth_tests! {
    up5k_lstm_one_layer: "ice40-up5k", [(LSTM1, 6, 0)];
    up5k_gru_two_layers_with_stalls: "ice40-up5k", [(GRU2, 5, 30)];
    up5k_lstm_two_layers_and_gru_one_layer: "ice40-up5k", [(LSTM2, 4, 25), (GRU1, 4, 0)];
    hx8k_lstm_one_layer_and_gru_two_layers: "ice40-hx8k", [(LSTM1, 4, 0), (GRU2, 4, 30)];
    hx8k_lstm_two_layers_with_stalls: "ice40-hx8k", [(LSTM2, 5, 25)];
    hx8k_gru_one_layer: "ice40-hx8k", [(GRU1, 6, 0)];
    ecp5_25k_lstm_two_layers_with_stalls: "ecp5-25k", [(LSTM2, 5, 25)];
    ecp5_25k_gru_one_layer: "ecp5-25k", [(GRU1, 6, 0)];
    ecp5_25k_lstm_one_layer_and_gru_two_layers: "ecp5-25k", [(LSTM1, 4, 0), (GRU2, 4, 30)];
}

/// The routed stage: the whole flow to a routed netlist, then the chip at
/// its serial pins against the RTL of the same board top and the golden
/// model (every byte, each on the same cycle).
fn run_routed(config: &str, target: &str, ntok: usize) -> hitnet_verify::routed::RoutedReport {
    let s = plan(config);
    let (dir, t, gen) = generate(&s, target);
    let d = dir.path();
    let w = wrap(&gen, &d.join("wrapper"), WrapperKind::Uart, t, 50.0).unwrap();
    let opts = FlowOptions {
        to: hitnet_fpga::Step::Pnr,
        ..FlowOptions::default()
    };
    let out = d.join("build");
    let r = hitnet_fpga::run_flow(&w.design, t, &out, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert!(r.fits);
    let stim = Stimulus {
        tokens: tokens(ntok, s.plan.layers[0].input_size, 9),
        valid: Pattern::Always,
        ready: Pattern::Always,
    };
    let rr = hitnet_verify::verify_routed_build(&s.model, t, &r.yosys_tool, &out, &w, &stim)
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "{target} routed: {} of {} bytes, {} cycles, {} mismatches, RTL {:.1} s, routed {:.1} s",
        rr.bytes,
        rr.expected_bytes,
        rr.simulated_cycles,
        rr.mismatches,
        rr.rtl_seconds,
        rr.routed_seconds
    );
    rr
}

/// `run_routed`, then what every routed check requires: bit-exact, every
/// expected byte, and some bytes at all.
fn assert_routed(config: &str, target: &str, ntok: usize) -> hitnet_verify::routed::RoutedReport {
    let r = run_routed(config, target, ntok);
    assert!(r.bit_exact, "{target}: {:?}", r.first);
    assert_eq!(r.bytes, r.expected_bytes, "{target}");
    assert!(r.bytes > 0, "{target}");
    r
}

/// Routed-stage tests, one `#[test]` each: every `(config, tokens)` case on
/// the target through `assert_routed`.
macro_rules! routed_tests {
    ($($(#[doc = $doc:literal])* $name:ident: $target:literal, [$(($cfg:expr, $n:expr)),+ $(,)?];)+) => {
        $(
            $(#[doc = $doc])*
            #[test]
            fn $name() {
                $(assert_routed($cfg, $target, $n);)+
            }
        )+
    };
}

// One token each where a test runs two configs: these add to CI's slowest
// binary.
routed_tests! {
    up5k_routed_lstm_at_the_pins: "ice40-up5k", [(LSTM1, 3)];
    up5k_routed_gru_two_layers_at_the_pins: "ice40-up5k", [(GRU2, 2)];
    /// The other two of the four cell x layer combinations on the iCEBreaker.
    up5k_routed_lstm_two_layers_and_gru_one_layer_at_the_pins: "ice40-up5k", [(LSTM2, 1), (GRU1, 1)];
    /// The iCE40-HX8K Breakout Board top: multipliers in logic, no DSP.
    hx8k_routed_lstm_and_gru_at_the_pins: "ice40-hx8k", [(LSTM1, 2), (GRU2, 2)];
    hx8k_routed_lstm_two_layers_and_gru_one_layer_at_the_pins: "ice40-hx8k", [(LSTM2, 1), (GRU1, 1)];
    ecp5_25k_routed_lstm_one_layer_and_gru_two_layers_at_the_pins: "ecp5-25k", [(LSTM1, 1), (GRU2, 1)];
    ecp5_25k_routed_gru_one_layer_at_the_pins: "ecp5-25k", [(GRU1, 2)];
}

/// ECP5: nextpnr-ecp5's routed JSON normalized (crate::ecp5_routed) and
/// simulated with Yosys's TRELLIS_* models and ours (DP16KD weight banks,
/// MULT18X18D, TRELLIS_RAMW for the UART FIFO, DCCA).
#[test]
fn ecp5_25k_routed_lstm_two_layers_at_the_pins() {
    let r = assert_routed(LSTM2, "ecp5-25k", 2);
    let n = r
        .ecp5_normalized
        .as_ref()
        .expect("ECP5 normalization summary");
    // The packed design uses what the normalization is for.
    assert!(
        n.ff_m_to_di > 0 && n.constant_ports > 0 && n.lut_inputs_tied_high > 0,
        "{n:?}"
    );
}

/// The old generator: the i*g product (`a`-bit operands) sign-extended to
/// the cell-sum width `w` *before* its register. Yosys packs that register
/// into the SB_MAC16 for the product's own bits only and leaves the rest
/// undriven.
fn widen_ig_register(v: &str, a: u32, w: u32) -> String {
    let e = w - a;
    v.lines()
        .map(|l| {
            let t = l.trim();
            if t.contains("] ig1_m_f = ") {
                format!(
                    "    wire [{}:0] ig1_m_f = $signed({{{{{e}{{gi[{m}]}}}}, gi}}) * $signed({{{{{e}{{gg[{m}]}}}}, gg}});",
                    w - 1,
                    m = a - 1
                )
            } else if t.contains("] ig1_m = ") {
                format!("    wire [{}:0] ig1_m = ig1_m_f;", w - 1)
            } else if t.starts_with("reg [") && t.ends_with("] ig1_q;") {
                format!("    reg [{}:0] ig1_q;", w - 1)
            } else if t.contains("] ig1 = ") {
                format!("    wire [{}:0] ig1 = ig1_q;", w - 1)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn catches_the_dsp_packing_bug() {
    let s = plan(LSTM1);
    let widths = &s.plan.widths;
    assert!(
        widths.cell_sum > 2 * widths.act,
        "this config must have a product narrower than its sum ({} vs {})",
        2 * widths.act,
        widths.cell_sum
    );
    let (a, w) = (widths.act, widths.cell_sum);
    let r = run(
        LSTM1,
        "ice40-up5k",
        3,
        0,
        Some(&|v: &str| widen_ig_register(v, a, w)),
    );
    assert!(
        !r.bit_exact,
        "the widened register must break the iCE40 netlist"
    );
    assert!(r.sim_vs_netlist > 0);
    let m = r.first.expect("a first mismatch");
    assert_eq!(m.between, hitnet_cosim::Between::SimVsNetlist);
}
