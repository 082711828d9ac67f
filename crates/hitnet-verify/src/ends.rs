//! What the benches of the two model ends (`sim/tb_hitnet_lm.v`,
//! `sim/tb_hitnet_cls.v`) share: the simulator they run in, the flash
//! model of the flash store, the handshake pattern file, the lines they
//! print and how a run is judged against the cycle simulator. `lm` and
//! `cls` add only their input words, their answers and their parameters.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use hitnet_sim::{Answer, EndsRun, Pattern};
use serde::Serialize;

use crate::bench::{icarus, verilator, Netlist};
use crate::{io_err, Result, VerifyError};

/// The simulator a bench runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Simulator {
    /// Icarus Verilog, four-state: netlists with their cell models, and RTL.
    Icarus,
    /// Verilator (`--binary --timing`): the generated RTL only.
    Verilator,
}

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

/// What every bench prints besides its own lines: `X cycle signals` (a
/// control output was x or z), then `END`, or `HUNG` when it gave up
/// waiting. `line` reads the bench's own lines (split into fields) and
/// ignores what it does not know; `Err(())` says a line it knows is
/// malformed.
pub(crate) struct Tail {
    pub unknown_control: Vec<(u64, String)>,
    pub hung: bool,
}

pub(crate) fn read_lines(
    text: &str,
    log: &Path,
    mut line: impl FnMut(&[&str]) -> std::result::Result<(), ()>,
) -> Result<Tail> {
    let bad = |l: &str| VerifyError::Protocol {
        line: l.to_string(),
        log: log.to_path_buf(),
    };
    let mut t = Tail {
        unknown_control: Vec::new(),
        hung: false,
    };
    let mut ended = false;
    for l in text.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        match f.first().copied() {
            Some("X") if f.len() >= 3 => {
                let cycle: u64 = f[1].parse().map_err(|_| bad(l))?;
                t.unknown_control.push((cycle, f[2..].join(" ")));
            }
            Some("END") => ended = true,
            Some("HUNG") => {
                t.hung = true;
                ended = true;
            }
            _ => line(&f).map_err(|_| bad(l))?,
        }
    }
    if !ended {
        return Err(bad("(the bench stopped without END or HUNG)"));
    }
    Ok(t)
}

/// Where and how an ends bench runs: the design under test, the port
/// patterns the bench drives (inputs offered while `valid`, answers taken
/// while `ready`), its working folder and the simulator.
#[derive(Clone, Copy, Debug)]
pub struct BenchSetup<'a> {
    pub net: &'a Netlist,
    pub valid: Pattern,
    pub ready: Pattern,
    pub work: &'a Path,
    pub simulator: Simulator,
}

impl<'a> BenchSetup<'a> {
    /// `net` in `work` with both ports always ready, in `simulator`.
    pub fn always(net: &'a Netlist, work: &'a Path, simulator: Simulator) -> BenchSetup<'a> {
        BenchSetup {
            net,
            valid: Pattern::Always,
            ready: Pattern::Always,
            work,
            simulator,
        }
    }
}

/// What one bench run of the ends saw.
#[derive(Debug, Clone)]
pub struct EndsBenchRun<A> {
    pub run: EndsRun<A>,
    pub unknown_control: Vec<(u64, String)>,
    pub hung: bool,
    pub seconds: f64,
    pub log: PathBuf,
}

/// One run of an ends bench: what differs between the LM's and the
/// classifier's.
pub(crate) struct EndsBench {
    /// The bench module, and its text.
    pub top: &'static str,
    pub text: &'static str,
    /// The flash store's layout and image, and the macro that selects it.
    pub flash: Option<(hitnet_arch::lm::FlashLayout, String)>,
    pub flash_define: &'static str,
    /// The input words' file, and its text.
    pub inputs: (&'static str, String),
    /// Parameters beyond NCYC and EXPECT.
    pub params: Vec<(&'static str, i64)>,
    /// The tag of the answer lines (`T cycle token last`, `C cycle class
    /// logit`).
    pub tag: &'static str,
}

impl EndsBench {
    /// Runs the bench as `setup` says for `ncyc` pattern cycles at most,
    /// until `expect` answers are taken; `answer` reads the fields of an
    /// answer line after its tag, its cycle first (None: malformed).
    pub(crate) fn run<A>(
        self,
        setup: &BenchSetup,
        ncyc: u64,
        expect: usize,
        answer: impl Fn(&[&str]) -> Option<A>,
    ) -> Result<EndsBenchRun<A>> {
        let work = setup.work;
        std::fs::create_dir_all(work).map_err(io_err("cannot create", work))?;
        let mut params = self.params;
        params.push(("NCYC", ncyc.max(1) as i64));
        params.push(("EXPECT", expect.max(1) as i64));
        let (bench, net) = with_flash(
            self.flash,
            self.flash_define,
            self.text,
            work,
            &mut params,
            setup.net,
        )?;
        let bench_file = format!("{}.v", self.top);
        let (text, seconds, log) = run_files(
            &net,
            work,
            self.top,
            &[
                (self.inputs.0, self.inputs.1),
                ("pat.hex", pattern_text(&setup.valid, &setup.ready, ncyc)),
                (&bench_file, bench),
            ],
            &params,
            setup.simulator,
        )?;
        let mut run = EndsRun::default();
        let tail = read_lines(&text, &log, |f| {
            match f {
                [t, a @ ..] if *t == self.tag => run.answers.push(answer(a).ok_or(())?),
                ["A", c, _] => run.accepted.push(c.parse().map_err(|_| ())?),
                _ => {}
            }
            Ok(())
        })?;
        Ok(EndsBenchRun {
            run,
            unknown_control: tail.unknown_control,
            hung: tail.hung,
            seconds,
            log,
        })
    }
}

/// How a bench run of the ends compares with the cycle simulator (and the
/// simulator with the golden model).
#[derive(Debug, Clone, Serialize)]
pub struct EndsVerdict {
    pub bench_cycles: u64,
    pub sim_cycles: u64,
    /// Answers where the simulator differs from the golden model.
    pub golden_vs_sim: usize,
    /// Differences between the bench and the simulator (answer, handshake
    /// cycle, accepted cycles), first ones described.
    pub mismatches: usize,
    pub first_mismatches: Vec<String>,
    pub unknown_control: usize,
    pub hung: bool,
    pub seconds: f64,
}

impl EndsVerdict {
    /// "N cycles; simulator M cycles; K mismatches, golden vs simulator G; S s".
    pub fn line(&self) -> String {
        format!(
            "{} cycles; simulator {} cycles; {} mismatches, golden vs simulator {}; {:.1} s",
            self.bench_cycles, self.sim_cycles, self.mismatches, self.golden_vs_sim, self.seconds
        )
    }

    /// Every difference counted: bench against simulator, simulator against
    /// golden model, and cycles with a control output unknown.
    pub fn problems(&self) -> u64 {
        (self.mismatches + self.golden_vs_sim + self.unknown_control) as u64
    }

    /// Bit-exact and on the same cycles, with all `expected` answers taken.
    pub fn ok(&self, answers: usize, expected: usize) -> bool {
        self.golden_vs_sim == 0
            && self.mismatches == 0
            && self.unknown_control == 0
            && !self.hung
            && answers == expected
    }
}

/// Golden answers that the simulator's differ from, plus missing ones.
pub(crate) fn golden_vs_sim<G, A>(golden: &[G], sim: &[A], same: impl Fn(&G, &A) -> bool) -> usize {
    golden.iter().zip(sim).filter(|(g, s)| !same(g, s)).count() + golden.len().abs_diff(sim.len())
}

/// The bench run `b` against the simulator's `sim`: every answer and its
/// cycle, every accepted cycle. `describe(k, sim, bench)` names answer k's
/// difference; `input` names an input word ("word", "frame").
pub(crate) fn judge_bench<A: Answer + PartialEq>(
    golden_vs_sim: usize,
    sim: &EndsRun<A>,
    b: &EndsBenchRun<A>,
    describe: impl Fn(usize, &A, &A) -> String,
    input: &str,
) -> EndsVerdict {
    let mut first = Vec::new();
    let mut mismatches = 0;
    for (k, (s, r)) in sim.answers.iter().zip(&b.run.answers).enumerate() {
        if s != r {
            mismatches += 1;
            if first.len() < 8 {
                first.push(describe(k, s, r));
            }
        }
    }
    mismatches += sim.answers.len().abs_diff(b.run.answers.len());
    for (k, (s, r)) in sim.accepted.iter().zip(&b.run.accepted).enumerate() {
        if s != r {
            mismatches += 1;
            if first.len() < 8 {
                first.push(format!(
                    "{input} {k}: accepted at cycle {s} in the simulator, {r} in the bench"
                ));
            }
        }
    }
    EndsVerdict {
        bench_cycles: b.run.cycles(),
        sim_cycles: sim.cycles(),
        golden_vs_sim,
        mismatches,
        first_mismatches: first,
        unknown_control: b.unknown_control.len(),
        hung: b.hung,
        seconds: b.seconds,
    }
}
