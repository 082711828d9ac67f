//! # hitnet-cosim: three-way bit-exactness
//!
//! Feeds one stimulus to the integer golden model, the cycle simulator and
//! the generated Verilog under Verilator, and compares every output trit of
//! every layer, and (simulator against RTL) the cycle at which each output
//! beat is accepted.
pub mod build;
pub mod rtl;
pub mod shim;
mod text;

pub use build::{BuildOptions, Built, Toolchain};
use hitnet_arch::Plan;
use hitnet_model::{Golden, IntModel};
use hitnet_sim::{Beat, Pattern, Sim, Token};
use serde::Serialize;
use std::path::{Path, PathBuf};
pub use text::write_verdict;

#[derive(Debug, thiserror::Error)]
pub enum CosimError {
    /// A tool is missing: the message says what to install.
    #[error("{0}")]
    Missing(String),
    /// A build step failed; the log is saved at the path.
    #[error("{msg}; see the log at {}", log.display())]
    Build { msg: String, log: PathBuf },
    /// Reading or writing a file or folder failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A random-init seed Verilator cannot take reproducibly (0 means "a
    /// fresh seed each run" to it; it holds a C int).
    #[error("random-init seed {0} is not in 1..=2147483647")]
    BadSeed(u32),
    /// A path the Verilated model cannot take (C strings end at NUL).
    #[error("{what} {} contains a NUL byte; use another path", path.display())]
    BadPath { what: &'static str, path: PathBuf },
    #[error("RTL protocol error: {0}")]
    Protocol(String),
    #[error("the RTL stopped producing output at cycle {cycle}: {beats} of {expected} beats after a long silence")]
    Hung {
        cycle: u64,
        beats: u64,
        expected: u64,
    },
}

impl CosimError {
    /// The error of an I/O failure on `path`.
    pub fn io(path: &Path) -> impl Fn(std::io::Error) -> CosimError + '_ {
        move |source| CosimError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Which two models disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Between {
    GoldenVsSim,
    SimVsRtl,
    /// The synthesized netlist (hitnet-verify).
    SimVsNetlist,
}

impl std::fmt::Display for Between {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Between::GoldenVsSim => "golden-vs-sim",
            Between::SimVsRtl => "sim-vs-rtl",
            Between::SimVsNetlist => "sim-vs-netlist",
        })
    }
}

/// The first disagreement found, with everything needed to look at it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    pub between: Between,
    pub token: usize,
    pub layer: usize,
    /// Hidden unit (element of h_t), when the values differ.
    pub element: Option<usize>,
    pub expected: Option<i8>,
    pub actual: Option<i8>,
    /// Cycle at which the beat was accepted (RTL), and the expected cycle (simulator).
    pub cycle: Option<u64>,
    pub expected_cycle: Option<u64>,
    pub what: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: token {}, layer {}",
            self.between, self.token, self.layer
        )?;
        if let Some(e) = self.element {
            write!(f, ", element {e}")?;
        }
        if let (Some(x), Some(y)) = (self.expected, self.actual) {
            write!(f, ": expected {x:+}, got {y:+}")?;
        }
        if let Some(c) = self.cycle {
            write!(f, ", cycle {c}")?;
        }
        if let Some(c) = self.expected_cycle {
            write!(f, " (expected cycle {c})")?;
        }
        write!(f, " [{}]", self.what)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub tokens: usize,
    pub beats: u64,
    pub rtl_cycles: u64,
    pub sim_cycles: u64,
    /// Output trits where the simulator differs from the golden model.
    pub golden_vs_sim: u64,
    /// Beats where RTL and simulator differ (value, layer, order or cycle).
    pub sim_vs_rtl: u64,
    pub mismatches: u64,
    pub bit_exact: bool,
    pub first: Option<Mismatch>,
    pub build_cached: bool,
    pub build_seconds: f64,
    pub rtl_seconds: f64,
    pub rtl_cycles_per_second: f64,
    pub sim_seconds: f64,
    pub vcd: Option<PathBuf>,
    /// The RTL started from random register and memory contents of this
    /// seed (None: from zero).
    pub random_init: Option<u32>,
}

/// Stimulus and port behaviour of a run.
#[derive(Clone, Debug)]
pub struct Stimulus {
    pub tokens: Vec<Token>,
    pub valid: Pattern,
    pub ready: Pattern,
}

/// Golden outputs: `[token][layer]` -> h.
pub fn golden_outputs(im: &IntModel, tokens: &[Token]) -> Vec<Vec<Vec<i8>>> {
    let mut g = Golden::new(im);
    tokens.iter().map(|t| golden_step(&mut g, t)).collect()
}

/// The golden model's h per layer for one token (a sequence restarts at a
/// token marked `first`).
pub fn golden_step(g: &mut Golden, t: &Token) -> Vec<Vec<i8>> {
    if t.first {
        g.reset();
    }
    g.step(&t.x).into_iter().map(|o| o.h).collect()
}

/// Writes the design's memory images into `dir` (for `+hitnet_mem`).
pub fn write_images(design: &hitnet_rtl::Design, dir: &Path) -> Result<(), CosimError> {
    std::fs::create_dir_all(dir).map_err(CosimError::io(dir))?;
    for (n, b) in &design.files {
        if n.ends_with(".hex") {
            let p = dir.join(n);
            std::fs::write(&p, b).map_err(CosimError::io(&p))?;
        }
    }
    Ok(())
}

/// Golden outputs against the simulator's beats, element by element: the
/// number of differing trits and the first difference.
pub fn golden_vs_sim(
    plan: &Plan,
    want: &[Vec<Vec<i8>>],
    sim_beats: &[Beat],
) -> (u64, Option<Mismatch>) {
    let mut n = 0u64;
    let mut first: Option<Mismatch> = None;
    for b in sim_beats {
        let h = &want[b.token][b.layer];
        for (k, &v) in b.data.iter().enumerate() {
            let j = b.index * plan.out_trits + k;
            if j < h.len() && h[j] != v {
                n += 1;
                if first.is_none() {
                    first = Some(Mismatch {
                        between: Between::GoldenVsSim,
                        token: b.token,
                        layer: b.layer,
                        element: Some(j),
                        expected: Some(h[j]),
                        actual: Some(v),
                        cycle: Some(b.cycle),
                        expected_cycle: None,
                        what: "value".into(),
                    });
                }
            }
        }
    }
    (n, first)
}

/// Compares a beat `got` from a design under test (RTL, netlist) with the
/// simulator's beat at the same position (`expected`; None: the design sent
/// more beats than the simulator): values, layer, order and cycle. A trit
/// outside {-1, 0, +1} in `got` (an unknown x/z bit, or the unused code
/// 0b10, decoded as [`ILLEGAL_TRIT`]) is a value mismatch.
pub fn compare_beat(
    plan: &Plan,
    between: Between,
    expected: Option<&Beat>,
    got: &Beat,
) -> Option<Mismatch> {
    let m = |token: usize, layer: usize, what: String| Mismatch {
        between,
        token,
        layer,
        element: None,
        expected: None,
        actual: None,
        cycle: Some(got.cycle),
        expected_cycle: expected.map(|e| e.cycle),
        what,
    };
    let Some(e) = expected else {
        return Some(m(got.token, got.layer, "extra beat".into()));
    };
    if let Some(k) = e.data.iter().zip(&got.data).position(|(x, y)| x != y) {
        let illegal = got.data[k] == ILLEGAL_TRIT;
        return Some(Mismatch {
            element: Some(e.index * plan.out_trits + k),
            expected: Some(e.data[k]),
            actual: (!illegal).then_some(got.data[k]),
            what: if illegal {
                "value: unknown (x/z) bits or the unused trit code 0b10".into()
            } else {
                "value".into()
            },
            ..m(e.token, e.layer, String::new())
        });
    }
    if e.layer != got.layer || e.last != got.last || e.index != got.index {
        return Some(m(
            e.token,
            e.layer,
            format!(
                "beat order: expected layer {} beat {} last {}, got layer {} beat {} last {}",
                e.layer, e.index, e.last, got.layer, got.index, got.last
            ),
        ));
    }
    if e.cycle != got.cycle {
        return Some(m(e.token, e.layer, "cycle".into()));
    }
    None
}

/// How a design-under-test beat carries a trit that is not one: unknown
/// bits in a four-state simulator, or the unused code 0b10.
pub const ILLEGAL_TRIT: i8 = i8::MIN;

/// Cycles without an output beat after which a design under test counts as
/// hung: far more than any token of the plan takes.
pub fn max_idle(plan: &Plan) -> u64 {
    64 + 8 * plan.cycles.per_token + 1000
}

/// What `run` needs besides the stimulus.
pub struct Setup<'a> {
    pub plan: &'a Plan,
    pub model: &'a IntModel,
    pub verilog: &'a str,
    /// Folder holding the $readmemh images the RTL loads.
    pub memdir: &'a Path,
    pub cache: &'a Path,
    pub opt: u32,
    /// Random initial register and memory contents (seed); see
    /// [`rtl::Rtl::new`].
    pub random_init: Option<u32>,
    /// Where to write a VCD around the first mismatch.
    pub vcd: Option<&'a Path>,
}

/// Runs the three models and compares them.
pub fn run(tc: &Toolchain, s: &Setup, stim: &Stimulus) -> Result<Report, CosimError> {
    let plan = s.plan;
    let want = golden_outputs(s.model, &stim.tokens);

    let ts = std::time::Instant::now();
    let mut sim = Sim::new(plan);
    let mut sim_beats: Vec<Beat> = Vec::new();
    let sim_stats = sim.run(stim.tokens.iter().cloned(), stim.valid, stim.ready, |b| {
        sim_beats.push(b.clone())
    });
    let sim_seconds = ts.elapsed().as_secs_f64();

    // Golden against simulator, element by element.
    let (golden_vs_sim, mut first) = golden_vs_sim(plan, &want, &sim_beats);

    let tb = std::time::Instant::now();
    let built = build::build(
        tc,
        plan,
        s.verilog,
        BuildOptions {
            trace: false,
            opt: s.opt,
        },
        s.cache,
    )?;
    let build_seconds = tb.elapsed().as_secs_f64();
    let max_idle = max_idle(plan);
    let mut rtl = rtl::Rtl::new(&built, s.memdir, None, s.random_init)?;
    let tr = std::time::Instant::now();
    let mut sim_vs_rtl = 0u64;
    let mut n = 0usize;
    let mut rtl_first: Option<Mismatch> = None;
    let rtl_stats = rtl.run(plan, &stim.tokens, stim.valid, stim.ready, max_idle, |b| {
        let bad = compare_beat(plan, Between::SimVsRtl, sim_beats.get(n), b);
        if let Some(m) = bad {
            sim_vs_rtl += 1;
            if rtl_first.is_none() {
                rtl_first = Some(m);
            }
        }
        n += 1;
    });
    let rtl_seconds = tr.elapsed().as_secs_f64();
    drop(rtl);
    let (rtl_stats, hung) = match rtl_stats {
        Ok(st) => (st, None),
        Err(e @ CosimError::Hung { .. }) => (Default::default(), Some(e)),
        Err(e) => return Err(e),
    };
    if let Some(e) = hung {
        if rtl_first.is_none() {
            return Err(e);
        }
    }
    if first.is_none() {
        first = rtl_first;
    }
    // A VCD around the first RTL disagreement, from a trace build.
    let mut vcd = None;
    if let (Some(m), Some(path)) = (&first, s.vcd) {
        if let Some(c) = m.cycle.or(m.expected_cycle) {
            let tbuilt = build::build(
                tc,
                plan,
                s.verilog,
                BuildOptions {
                    trace: true,
                    opt: s.opt,
                },
                s.cache,
            )?;
            let mut r = rtl::Rtl::new(&tbuilt, s.memdir, Some(path), s.random_init)?;
            r.dump = Some((c.saturating_sub(200), c + 50));
            let _ = r.run(plan, &stim.tokens, stim.valid, stim.ready, max_idle, |_| {});
            vcd = Some(path.to_path_buf());
        }
    }
    let rtl_cycles = rtl_stats.total_cycles;
    let mismatches = golden_vs_sim + sim_vs_rtl;
    Ok(Report {
        tokens: stim.tokens.len(),
        beats: rtl_stats.beats,
        rtl_cycles,
        sim_cycles: sim_stats.total_cycles,
        golden_vs_sim,
        sim_vs_rtl,
        mismatches,
        bit_exact: mismatches == 0
            && rtl_stats.beats == sim_stats.beats
            && rtl_cycles == sim_stats.total_cycles,
        first,
        build_cached: built.cached,
        build_seconds,
        rtl_seconds,
        rtl_cycles_per_second: rtl_cycles as f64 / rtl_seconds.max(1e-9),
        sim_seconds,
        vcd,
        random_init: s.random_init,
    })
}
