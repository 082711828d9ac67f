//! The UART board wrapper (fpga/hitnet_uart.v) around the REAL generated
//! `hitnet_top`, in both Icarus Verilog and Verilator (two independent
//! simulators of the shipped Verilog): the host's bytes go in on the serial
//! line, the device's bytes come back and must equal the golden model's
//! h vectors packed by the protocol (`uart::encode_reply`). The memory
//! images are found because the simulation runs in the folder they are
//! copied to (`HITNET_MEM_DIR` is not defined). About 15 s per case,
//! most of it compiling the bench.

mod common;

use hitnet_fpga::cosim::{Simulator, UartCosim};
use hitnet_fpga::uart::{self, Token};
use hitnet_fpga::AccelInterface;

/// Tokens from the model crate's seeded generator; sequence starts at token
/// 0 and at every `restart`-th token, so state reset is exercised.
fn tokens(n: usize, input_size: usize, restart: usize, seed: u64) -> Vec<Token> {
    (0..n)
        .map(|t| Token {
            first: t % restart == 0,
            x: hitnet_model::rng::random_input(seed, t as u64, input_size),
        })
        .collect()
}

/// Golden h of every layer for every token.
fn golden(m: &hitnet_model::IntModel, toks: &[Token]) -> Vec<Vec<Vec<i8>>> {
    let mut g = hitnet_model::Golden::new(m);
    toks.iter()
        .map(|t| {
            if t.first {
                g.reset();
            }
            g.step(&t.x).into_iter().map(|o| o.h).collect()
        })
        .collect()
}

fn check(config: &str, all_layers: bool, n: usize, restart: usize) {
    for simulator in [Simulator::Icarus, Simulator::Verilator] {
        check_in(config, all_layers, n, restart, simulator);
    }
}

/// Icarus is four-state: an unreset control bit shows as X there (and
/// stalls the stream) where Verilator's two-state zeros would hide it.
fn check_in(config: &str, all_layers: bool, n: usize, restart: usize, simulator: Simulator) {
    let dir = tempfile::tempdir().unwrap();
    let g = common::generate(config, &dir.path().join("gen"));
    if g.loaded.hw.target.starts_with("ecp5") {
        let wb = &g.manifest["memories"]["weight_bram"];
        assert_eq!(wb["primitive"], "DP16KD", "{wb}");
    }
    let iface = AccelInterface::from_manifest(&g.manifest).unwrap();
    // 8 clocks per bit keeps the simulation short; the divider logic is the
    // same as at 12 MHz / 115200.
    let mut p = iface.uart_params(1_000_000, all_layers);
    p.baud = 125_000;
    let toks = tokens(n, iface.input_size, restart, 7);
    let mut sim = UartCosim::new(
        p.clone(),
        hitnet_rtl::verilog_files(&g.dir).unwrap(),
        dir.path().join(format!("sim-{simulator:?}")),
    );
    sim.data_files = common::images(&g.dir);
    sim.simulator = simulator;
    sim.latency_max = 20 * g.plan.cycles.per_token + 1000;
    let out = sim.run(&toks).unwrap_or_else(|e| panic!("{e}"));

    let want = golden(&g.model, &toks);
    assert_eq!(out.bytes.len(), n * p.reply_bytes(), "reply byte count");
    for (t, (got, h)) in out.bytes.chunks(p.reply_bytes()).zip(&want).enumerate() {
        let expected = uart::encode_reply(&p, h).unwrap();
        assert_eq!(
            got,
            expected.as_slice(),
            "token {t} (first = {}): device {:?}, golden {:?}",
            toks[t].first,
            uart::decode_reply(&p, got),
            uart::decode_reply(&p, &expected)
        );
    }
    // Not tautological: the stream must carry information.
    assert!(out.bytes.iter().any(|&b| b != 0), "all replies were zero");
    assert!(!out.rx_error, "the wrapper flagged an RX error");
}

#[test]
fn lstm_one_layer_bernoulli_partial_bytes() {
    // H = 14: the last reply byte carries 2 trits; I = 18: 5 input bytes
    // with 2 spare trits and 3 beats of 8 input trits.
    check(
        "[model]\ncell = \"lstm\"\ninput_size = 18\nhidden_size = 14\nseed = 3\n[hw]\nrows = 4\ncols = 8\n",
        false,
        10,
        4,
    );
}

#[test]
fn gru_two_layers_threshold_every_layer_reported() {
    check(
        "[model]\ncell = \"gru\"\ninput_size = 13\nhidden_size = 11\nlayers = 2\nseed = 5\n[quant]\nactivation = \"threshold\"\nslope = 1.5\n[hw]\nrows = 4\ncols = 8\n",
        true,
        8,
        3,
    );
}

#[test]
fn lstm_ecp5_dp16kd_weight_banks() {
    // The ECP5 build: DP16KD banks with the output register, simulated with
    // the model hitnet_top.v carries, in both simulators.
    check(
        "[model]\ncell = \"lstm\"\ninput_size = 18\nhidden_size = 14\nseed = 4\n[hw]\nrows = 4\ncols = 8\ntarget = \"ecp5-85k\"\n",
        false,
        8,
        3,
    );
}
