//! Co-simulation of the UART board wrapper (fpga/hitnet_uart.v) around the
//! behavioural stand-in accelerator: a byte stream in, the expected bytes
//! out. To test the generated accelerator instead, pass its hitnet_top.v
//! (and $readmemh images) as `accel_files` / `data_files` and take the
//! expected bytes from the golden model through `uart::encode_reply`.

use std::path::PathBuf;

use hitnet_fpga::cosim::{repo_fpga_dir, UartCosim};
use hitnet_fpga::standin::{self, StandinSizes};
use hitnet_fpga::uart::{self, Token, UartParams};

/// Small deterministic generator (xorshift64*), so the test needs no crate.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn trit(&mut self) -> i8 {
        (self.next() % 3) as i8 - 1
    }
}

fn tokens(n: usize, i: usize, seed: u64) -> Vec<Token> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|t| Token {
            // New sequences at token 0 and then now and then.
            first: t == 0 || rng.next().is_multiple_of(4),
            x: (0..i).map(|_| rng.trit()).collect(),
        })
        .collect()
}

fn standin_file() -> PathBuf {
    repo_fpga_dir().join("standin/hitnet_top.v")
}

/// Runs the bench and compares with the stand-in's model, token by token.
fn check(sizes: StandinSizes, p: UartParams, n_tokens: usize, seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let toks = tokens(n_tokens, sizes.i, seed);
    let mut sim = UartCosim::new(p.clone(), vec![standin_file()], dir.path());
    sim.defines = sizes.defines();
    let out = sim.run(&toks).unwrap_or_else(|e| panic!("{e}"));

    let model = standin::model(&sizes, &toks);
    let mut expected = Vec::new();
    for h in &model {
        expected.extend(uart::encode_reply(&p, h).unwrap());
    }
    assert_eq!(out.bytes.len(), n_tokens * p.reply_bytes());
    for (t, (got, want)) in out
        .bytes
        .chunks(p.reply_bytes())
        .zip(expected.chunks(p.reply_bytes()))
        .enumerate()
    {
        assert_eq!(
            got,
            want,
            "token {t} (first = {}): device {:?}, model {:?}",
            toks[t].first,
            uart::decode_reply(&p, got),
            uart::decode_reply(&p, want)
        );
    }
    assert!(!out.rx_error, "the wrapper flagged an RX error");
    assert!(out.cycles > 0);
}

/// Sizes of the stand-in, in the field order of `StandinSizes`.
const fn sizes(
    i: usize,
    h: usize,
    layers: usize,
    in_trits: usize,
    out_trits: usize,
    layer_bits: usize,
    latency: usize,
) -> StandinSizes {
    StandinSizes {
        i,
        h,
        layers,
        in_trits,
        out_trits,
        layer_bits,
        latency,
    }
}

/// I = 10: 3 bytes with 2 spare trits, 4 beats of 3 with 2 padding trits.
/// H = 7: 2 bytes with 1 spare trit, 3 beats of 3 with 2 padding trits.
const PARTIAL: StandinSizes = sizes(10, 7, 2, 3, 3, 1, 5);

#[test]
fn every_layer_with_partial_beats_and_bytes() {
    // 8 clocks per bit keeps the simulation short.
    let p = PARTIAL.uart_params(1_000_000, 125_000, true, 4);
    check(PARTIAL, p, 14, 1);
}

#[test]
fn last_layer_only_with_wide_beats() {
    // One input beat wider than the token; one output beat wider than h;
    // three layers of which only the last is sent.
    let s = sizes(5, 9, 3, 8, 16, 2, 1);
    let p = s.uart_params(1_000_000, 125_000, false, 2);
    check(s, p, 12, 2);
}

#[test]
fn byte_aligned_single_layer_at_board_rate() {
    // Everything aligned, and the real iCEBreaker divider (12 MHz, 115200 baud).
    let s = sizes(8, 4, 1, 4, 4, 1, 3);
    let p = s.uart_params(12_000_000, 115_200, false, 3);
    check(s, p, 3, 3);
}

#[test]
fn wrong_sizes_are_caught_before_simulating() {
    let s = PARTIAL;
    let dir = tempfile::tempdir().unwrap();
    let p = s.uart_params(1_000_000, 125_000, true, 1); // FIFO of 2 bytes < 4-byte token
    let sim = UartCosim::new(p, vec![standin_file()], dir.path());
    let e = sim.run(&tokens(1, 10, 1)).unwrap_err();
    assert!(e.to_string().contains("RX FIFO"), "{e}");
    let p = s.uart_params(1_000_000, 125_000, true, 4);
    let sim = UartCosim::new(p, vec![standin_file()], dir.path());
    let e = sim.run(&tokens(1, 9, 1)).unwrap_err();
    assert!(e.to_string().contains("I = 10"), "{e}");
}
