//! Verification of the language-model ends (`hitnet_lm`): token words go
//! through `sim/tb_hitnet_lm.v` in Icarus around the generated RTL or a
//! netlist, and every chosen token and its handshake cycle must equal the
//! cycle simulator's (`hitnet_sim::lm`), whose tokens must equal the
//! golden model's (`LmEnds::answer`).
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use hitnet_arch::lm::{LmPlan, FEED_BITS};
use hitnet_arch::Plan;
use hitnet_model::lm::{LmEnds, TokenWord};
use hitnet_model::{Golden, IntModel};
use hitnet_sim::lm::{LmRun, LmToken};
use hitnet_sim::Pattern;
use serde::Serialize;

use crate::bench::{icarus, verilator, Netlist};
use crate::board::{judge, run_build, BytesVerdict, Message};
pub use crate::board::{run_chip, Chip, ChipRun, EndsPins};

/// The simulator a bench runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Simulator {
    /// Icarus Verilog, four-state: netlists with their cell models, and RTL.
    Icarus,
    /// Verilator (`--binary --timing`): the generated RTL only.
    Verilator,
}
use crate::{io_err, Result, VerifyError};

/// The token bench, compiled in so an installed binary needs no checkout.
pub const LM_BENCH: &str = include_str!("../../../sim/tb_hitnet_lm.v");

/// The flash model the benches of the flash store compile with them.
pub const FLASH_MODEL: &str = include_str!("../../../sim/spi_flash.v");

/// The bench text and netlist with a flash store's model: the flash model
/// appended, its image (`hex`) written to `work`, its parameters added and
/// `define` set. Unchanged without a flash store.
pub(crate) fn with_flash(
    flash: Option<(hitnet_arch::lm::FlashLayout, String)>,
    define: &str,
    bench: &str,
    work: &Path,
    params: &mut Vec<(&'static str, i64)>,
    net: &Netlist,
) -> Result<(String, Netlist)> {
    let mut net = net.clone();
    let Some((f, hex)) = flash else {
        return Ok((bench.to_string(), net));
    };
    let p = work.join(hitnet_arch::lm::FLASH_HEX);
    std::fs::write(&p, hex).map_err(io_err("cannot write", &p))?;
    params.push(("FLASH_OFFSET", f.offset as i64));
    params.push(("FLASH_BYTES", f.bytes as i64));
    net.defines.push(define.into());
    Ok((format!("{bench}\n{FLASH_MODEL}"), net))
}

/// One line per cycle: {valid pattern, ready pattern}, 2 bits.
pub(crate) fn pattern_text(valid: &Pattern, ready: &Pattern, ncyc: u64) -> String {
    let mut pat = String::with_capacity(2 * ncyc as usize);
    for cy in 0..ncyc {
        let v = ((valid.at(cy) as u8) << 1) | ready.at(cy) as u8;
        let _ = writeln!(pat, "{v}");
    }
    pat
}

/// Writes `files` into `work` and runs bench `top` there around `net`.
pub(crate) fn run_files(
    net: &Netlist,
    work: &Path,
    top: &str,
    files: &[(&str, String)],
    params: &[(&'static str, i64)],
    simulator: Simulator,
) -> Result<(String, f64, PathBuf)> {
    for (name, text) in files {
        let p = work.join(name);
        std::fs::write(&p, text).map_err(io_err("cannot write", &p))?;
    }
    match simulator {
        Simulator::Icarus => icarus(net, work, top, params),
        Simulator::Verilator => verilator(net, work, top, params),
    }
}

/// A token the bench printed with an unknown (x or z) value.
pub const UNKNOWN_TOKEN: usize = usize::MAX;

/// What one bench run saw.
#[derive(Debug, Clone)]
pub struct LmBenchRun {
    pub run: LmRun,
    pub unknown_control: Vec<(u64, String)>,
    pub hung: bool,
    pub seconds: f64,
    pub log: PathBuf,
}

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

/// Runs `words` through the bench around `net` in `work`, for `ncyc`
/// pattern cycles at most, until `expect` tokens are taken.
#[allow(clippy::too_many_arguments)]
pub fn run_lm_bench(
    net: &Netlist,
    lm: &LmPlan,
    words: &[TokenWord],
    valid: Pattern,
    ready: Pattern,
    ncyc: u64,
    expect: usize,
    work: &Path,
    simulator: Simulator,
) -> Result<LmBenchRun> {
    std::fs::create_dir_all(work).map_err(io_err("cannot create", work))?;
    let mut params = vec![
        ("TW", lm.token_bits as i64),
        ("NW", words.len().max(1) as i64),
        ("NCYC", ncyc.max(1) as i64),
        ("EXPECT", expect.max(1) as i64),
        (
            "MAX_IDLE",
            20 * (lm.head_cycles as i64 + 10_000) + lm.ready_cycle() as i64,
        ),
    ];
    let flash = lm.flash.zip(lm.flash_hex());
    let (bench, net) = with_flash(flash, "LM_FLASH", LM_BENCH, work, &mut params, net)?;
    let (text, seconds, log) = run_files(
        &net,
        work,
        "tb_hitnet_lm",
        &[
            ("words.hex", words_file(lm, words)),
            ("pat.hex", pattern_text(&valid, &ready, ncyc)),
            ("tb_hitnet_lm.v", bench),
        ],
        &params,
        simulator,
    )?;
    let mut run = parse(&text, &log)?;
    run.seconds = seconds;
    Ok(run)
}

fn parse(text: &str, log: &Path) -> Result<LmBenchRun> {
    let bad = |line: &str| VerifyError::Protocol {
        line: line.to_string(),
        log: log.to_path_buf(),
    };
    let mut r = LmBenchRun {
        run: LmRun::default(),
        unknown_control: Vec::new(),
        hung: false,
        seconds: 0.0,
        log: log.to_path_buf(),
    };
    let mut ended = false;
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        match f.first().copied() {
            Some("T") if f.len() == 4 => r.run.tokens.push(LmToken {
                cycle: f[1].parse().map_err(|_| bad(line))?,
                token: f[2].parse().unwrap_or(UNKNOWN_TOKEN),
                last: f[3] == "1",
            }),
            Some("A") if f.len() == 3 => r.run.accepted.push(f[1].parse().map_err(|_| bad(line))?),
            Some("X") if f.len() >= 3 => {
                let cycle: u64 = f[1].parse().map_err(|_| bad(line))?;
                r.unknown_control.push((cycle, f[2..].join(" ")));
            }
            Some("END") => ended = true,
            Some("HUNG") => {
                r.hung = true;
                ended = true;
            }
            _ => {}
        }
    }
    if !ended {
        return Err(bad("(the bench stopped without END or HUNG)"));
    }
    Ok(r)
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
    pub bench_cycles: u64,
    pub sim_cycles: u64,
    /// Steps where the simulator's token differs from the golden model's.
    pub golden_vs_sim: usize,
    /// Differences between the bench and the simulator (token, last flag,
    /// handshake cycle, accepted cycles), first ones described.
    pub mismatches: usize,
    pub first_mismatches: Vec<String>,
    pub unknown_control: usize,
    pub hung: bool,
    pub seconds: f64,
    /// The tokens (the golden model's).
    pub golden: Vec<usize>,
}

impl LmReport {
    pub fn ok(&self) -> bool {
        self.golden_vs_sim == 0
            && self.mismatches == 0
            && self.unknown_control == 0
            && !self.hung
            && self.bench_tokens == self.tokens
    }
}

/// Golden = simulator = `net` on `words`, every token and cycle.
#[allow(clippy::too_many_arguments)]
pub fn verify_lm(
    net: &Netlist,
    plan: &Plan,
    lm: &LmPlan,
    ends: &LmEnds,
    int: &IntModel,
    words: &[TokenWord],
    valid: Pattern,
    ready: Pattern,
    work: &Path,
    simulator: Simulator,
) -> Result<LmReport> {
    let golden = golden_tokens(int, ends, words);
    let sim = hitnet_sim::lm::run(plan, lm, ends, words, valid, ready);
    let golden_vs_sim = golden
        .iter()
        .zip(&sim.tokens)
        .filter(|(g, s)| **g != s.token)
        .count()
        + golden.len().abs_diff(sim.tokens.len());
    let sim_cycles = sim.tokens.last().map(|t| t.cycle + 1).unwrap_or(0);
    let ncyc = sim_cycles + 16;
    let b = run_lm_bench(
        net,
        lm,
        words,
        valid,
        ready,
        ncyc,
        golden.len(),
        work,
        simulator,
    )?;
    let mut first = Vec::new();
    let mut mismatches = 0;
    for (k, (s, r)) in sim.tokens.iter().zip(&b.run.tokens).enumerate() {
        if s != r {
            mismatches += 1;
            if first.len() < 8 {
                first.push(format!(
                    "token {k}: simulator {} at cycle {} (last {}), bench {} at cycle {} (last {})",
                    s.token,
                    s.cycle,
                    s.last,
                    if r.token == UNKNOWN_TOKEN {
                        "x".to_string()
                    } else {
                        r.token.to_string()
                    },
                    r.cycle,
                    r.last
                ));
            }
        }
    }
    mismatches += sim.tokens.len().abs_diff(b.run.tokens.len());
    for (k, (s, r)) in sim.accepted.iter().zip(&b.run.accepted).enumerate() {
        if s != r {
            mismatches += 1;
            if first.len() < 8 {
                first.push(format!(
                    "word {k}: accepted at cycle {s} in the simulator, {r} in the bench"
                ));
            }
        }
    }
    Ok(LmReport {
        simulator,
        words: words.len(),
        tokens: golden.len(),
        bench_tokens: b.run.tokens.len(),
        bench_cycles: b.run.tokens.last().map(|t| t.cycle + 1).unwrap_or(0),
        sim_cycles,
        golden_vs_sim,
        mismatches,
        first_mismatches: first,
        unknown_control: b.unknown_control.len(),
        hung: b.hung,
        seconds: b.seconds,
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
