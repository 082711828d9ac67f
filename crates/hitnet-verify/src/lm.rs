//! Verification of the language-model ends (`hitnet_lm`): token words go
//! through `sim/tb_hitnet_lm.v` in Icarus around the generated RTL or a
//! netlist, and every chosen token and its handshake cycle must equal the
//! cycle simulator's (`hitnet_sim::lm`), whose tokens must equal the
//! golden model's (`LmEnds::answer`).
use std::fmt::Write as _;
use std::path::Path;

use hitnet_arch::lm::{LmPlan, FEED_BITS};
use hitnet_arch::Plan;
use hitnet_model::lm::{LmEnds, TokenWord};
use hitnet_model::{Golden, IntModel};
use hitnet_sim::lm::LmToken;
use serde::Serialize;

use crate::board::{judge, run_build, BytesVerdict, Message};
pub use crate::board::{run_chip, Chip, ChipRun, EndsPins};
pub use crate::ends::BenchSetup;
use crate::ends::{golden_vs_sim, judge_bench, EndsBench, EndsBenchRun, EndsVerdict};
pub use crate::ends::{Simulator, FLASH_MODEL};
use crate::{Result, VerifyError};

/// The token bench, compiled in so an installed binary needs no checkout.
pub const LM_BENCH: &str = include_str!("../../../sim/tb_hitnet_lm.v");

/// A token the bench printed with an unknown (x or z) value.
pub const UNKNOWN_TOKEN: usize = usize::MAX;

/// What one bench run saw.
pub type LmBenchRun = EndsBenchRun<LmToken>;

/// The words file: {first, feed, token} per line.
pub fn words_file(lm: &LmPlan, words: &[TokenWord]) -> String {
    let tw = lm.token_bits as usize;
    let digits = (tw + FEED_BITS as usize + 1).div_ceil(4);
    let mut s = String::new();
    for w in words {
        let v: u128 = ((w.first as u128) << (tw + FEED_BITS as usize))
            | ((w.feed as u128) << tw)
            | w.token as u128;
        let _ = writeln!(s, "{v:0digits$x}");
    }
    if words.is_empty() {
        s.push_str("0\n");
    }
    s
}

/// Runs `words` through the bench as `setup` says, for `ncyc` pattern
/// cycles at most, until `expect` tokens are taken.
pub fn run_lm_bench(
    setup: &BenchSetup,
    lm: &LmPlan,
    words: &[TokenWord],
    ncyc: u64,
    expect: usize,
) -> Result<LmBenchRun> {
    EndsBench {
        top: "tb_hitnet_lm",
        text: LM_BENCH,
        flash: lm.flash.zip(lm.flash_hex()),
        flash_define: "LM_FLASH",
        inputs: ("words.hex", words_file(lm, words)),
        params: vec![
            ("TW", lm.token_bits as i64),
            ("NW", words.len().max(1) as i64),
            (
                "MAX_IDLE",
                20 * (lm.head_cycles as i64 + 10_000) + lm.ready_cycle() as i64,
            ),
        ],
        tag: "T",
    }
    .run(setup, ncyc, expect, |f| match f {
        [c, t, l] => Some(LmToken {
            cycle: c.parse().ok()?,
            token: t.parse().unwrap_or(UNKNOWN_TOKEN),
            last: *l == "1",
        }),
        _ => None,
    })
}

/// The golden model's answer to `words`: one token per step.
pub fn golden_tokens(int: &IntModel, ends: &LmEnds, words: &[TokenWord]) -> Vec<usize> {
    let mut g = Golden::new(int);
    let mut state = ends.seed;
    words
        .iter()
        .flat_map(|w| ends.answer(&mut g, &mut state, w))
        .collect()
}

/// The verdict of one run of the ends.
#[derive(Debug, Clone, Serialize)]
pub struct LmReport {
    pub simulator: Simulator,
    pub words: usize,
    pub tokens: usize,
    /// Tokens the bench took.
    pub bench_tokens: usize,
    #[serde(flatten)]
    pub verdict: EndsVerdict,
    /// The tokens (the golden model's).
    pub golden: Vec<usize>,
}

impl LmReport {
    pub fn ok(&self) -> bool {
        self.verdict.ok(self.bench_tokens, self.tokens)
    }
}

/// Golden = simulator = the bench of `setup` on `words`, every token and
/// cycle.
pub fn verify_lm(
    setup: &BenchSetup,
    plan: &Plan,
    lm: &LmPlan,
    ends: &LmEnds,
    int: &IntModel,
    words: &[TokenWord],
) -> Result<LmReport> {
    let golden = golden_tokens(int, ends, words);
    let sim = hitnet_sim::lm::run(plan, lm, ends, words, setup.valid, setup.ready);
    let g_vs_s = golden_vs_sim(&golden, &sim.answers, |g, s| *g == s.token);
    let b = run_lm_bench(setup, lm, words, sim.cycles() + 16, golden.len())?;
    let verdict = judge_bench(
        g_vs_s,
        &sim,
        &b,
        |k, s, r| {
            let bench = if r.token == UNKNOWN_TOKEN {
                "x".to_string()
            } else {
                r.token.to_string()
            };
            format!(
                "token {k}: simulator {} at cycle {} (last {}), bench {bench} at cycle {} (last {})",
                s.token, s.cycle, s.last, r.cycle, r.last
            )
        },
        "word",
    );
    Ok(LmReport {
        simulator: setup.simulator,
        words: words.len(),
        tokens: golden.len(),
        bench_tokens: b.run.answers.len(),
        verdict,
        golden,
    })
}

/// The verdict of the ends' board top at its pins: the routed chip against
/// the RTL chip (every byte on the same cycle) and the golden model.
#[derive(Debug, Clone, Serialize)]
pub struct LmRoutedReport {
    pub words: usize,
    pub tokens: usize,
    #[serde(flatten)]
    pub verdict: BytesVerdict,
    /// The tokens (the golden model's).
    pub golden: Vec<usize>,
}

/// The host messages of `words`: a word's 4 bytes, then its feed + 1
/// tokens back.
pub fn word_messages(words: &[TokenWord]) -> Result<Vec<Message>> {
    words
        .iter()
        .map(|w| {
            let b = hitnet_fpga::uart::encode_lm_word(w.first, w.token, w.feed)
                .map_err(|e| VerifyError::Netlist(e.to_string()))?;
            Ok(Message {
                bytes: b.to_vec(),
                reply: w.feed + 1,
            })
        })
        .collect()
}

/// What the board bench needs of the LM ends (`lm` gives its flash).
pub fn pins(lm: &LmPlan) -> EndsPins {
    EndsPins {
        flash: lm.flash.zip(lm.flash_hex()),
        flash_define: "LM_FLASH",
        ready_cycle: lm.ready_cycle(),
        wait_ready: false,
    }
}

/// The golden tokens, then the RTL and the routed chip of a build folder
/// of the ends' board top (the flow's `wrapped` design, placed and routed
/// in `build_dir`) through the board bench.
#[allow(clippy::too_many_arguments)]
pub fn verify_lm_routed_build(
    int: &IntModel,
    ends: &LmEnds,
    lm: &LmPlan,
    words: &[TokenWord],
    target: &hitnet_fpga::Target,
    yosys: &str,
    build_dir: &Path,
    wrapped: &hitnet_fpga::Wrapped,
) -> Result<LmRoutedReport> {
    let board =
        hitnet_fpga::accel::lm_board(target).map_err(|e| VerifyError::Netlist(e.to_string()))?;
    let golden = golden_tokens(int, ends, words);
    let want: Vec<u8> = golden.iter().map(|&t| t as u8).collect();
    let (a, b) = run_build(
        &board,
        target,
        yosys,
        build_dir,
        wrapped,
        &pins(lm),
        &word_messages(words)?,
    )?;
    Ok(LmRoutedReport {
        words: words.len(),
        tokens: golden.len(),
        verdict: judge(&want, &a, &b),
        golden,
    })
}
