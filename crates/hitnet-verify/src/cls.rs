//! Verification of the classifier ends (`hitnet_cls`): frame words go
//! through `sim/tb_hitnet_cls.v` around the generated RTL or a netlist,
//! and every class, its logit and its handshake cycle must equal the cycle
//! simulator's (`hitnet_sim::cls`), whose classes and logits must equal
//! the golden model's (`Classifier::run` on the golden RNN).
use std::path::Path;

use hitnet_arch::cls::ClsPlan;
use hitnet_arch::Plan;
use hitnet_model::classify::Classifier;
use hitnet_model::{Golden, IntModel};
use hitnet_sim::cls::{ClsAnswer, ClsFrame};
use serde::Serialize;

use crate::board::{judge, run_build, BytesVerdict, EndsPins, Message};
use crate::ends::{
    golden_vs_sim, judge_bench, BenchSetup, EndsBench, EndsBenchRun, EndsVerdict, Simulator,
};
use crate::{Result, VerifyError};

/// The frame bench, compiled in so an installed binary needs no checkout.
pub const CLS_BENCH: &str = include_str!("../../../sim/tb_hitnet_cls.v");

/// A class or logit the bench printed as unknown (x or z).
pub const UNKNOWN: i64 = i64::MIN;

/// What one bench run saw.
pub type ClsBenchRun = EndsBenchRun<ClsAnswer>;

/// The frames file: {last, first, samples} per line, channel 0 in the
/// least significant 16 bits.
pub fn frames_file(cls: &ClsPlan, frames: &[ClsFrame]) -> String {
    let fw = cls.frame_bits as usize;
    let digits = (fw + 2).div_ceil(4);
    let mut s = String::new();
    for f in frames {
        let mut bits = vec![false; fw + 2];
        for (c, &x) in f.samples.iter().enumerate() {
            for b in 0..16 {
                bits[16 * c + b] = (x >> b) & 1 == 1;
            }
        }
        bits[fw] = f.first;
        bits[fw + 1] = f.last;
        let line: String = (0..digits)
            .rev()
            .map(|d| {
                let v = (0..4).fold(0u32, |a, b| {
                    a | ((*bits.get(4 * d + b).unwrap_or(&false) as u32) << b)
                });
                char::from_digit(v, 16).expect("a hex digit")
            })
            .collect();
        s.push_str(&line);
        s.push('\n');
    }
    if frames.is_empty() {
        s.push_str("0\n");
    }
    s
}

/// Runs `frames` through the bench as `setup` says, for `ncyc` pattern
/// cycles at most, until `expect` classes are taken.
pub fn run_cls_bench(
    setup: &BenchSetup,
    cls: &ClsPlan,
    frames: &[ClsFrame],
    ncyc: u64,
    expect: usize,
) -> Result<ClsBenchRun> {
    EndsBench {
        top: "tb_hitnet_cls",
        text: CLS_BENCH,
        flash: cls.flash.zip(cls.flash_hex()),
        flash_define: "CLS_FLASH",
        inputs: ("frames.hex", frames_file(cls, frames)),
        params: vec![
            ("FW", cls.frame_bits as i64),
            ("CW", cls.class_bits as i64),
            ("SW", cls.score_bits as i64),
            ("NF", frames.len().max(1) as i64),
            ("MAX_IDLE", ncyc as i64 + 10_000 + cls.ready_cycle() as i64),
        ],
        tag: "C",
    }
    .run(setup, ncyc, expect, |f| match f {
        [c, k, s] => Some(ClsAnswer {
            cycle: c.parse().ok()?,
            class: k.parse().unwrap_or(usize::MAX),
            score: s.parse().unwrap_or(UNKNOWN),
        }),
        _ => None,
    })
}

/// The golden model's class and logit of every sequence in `frames`.
pub fn golden_answers(int: &IntModel, c: &Classifier, frames: &[ClsFrame]) -> Vec<(usize, i64)> {
    let mut g = Golden::new(int);
    let mut out = Vec::new();
    let mut seq: Vec<Vec<i32>> = Vec::new();
    for f in frames {
        if f.first {
            seq.clear();
        }
        seq.push(f.samples.clone());
        if f.last {
            let r = c.run::<std::convert::Infallible>(&seq, |x, first| {
                if first {
                    g.reset();
                }
                Ok(g.step_last(x))
            });
            if let Ok(Some((k, logits))) = r {
                out.push((k, logits[k]));
            }
        }
    }
    out
}

/// The verdict of one run of the ends.
#[derive(Debug, Clone, Serialize)]
pub struct ClsReport {
    pub simulator: Simulator,
    pub frames: usize,
    pub sequences: usize,
    /// Classes the bench took.
    pub bench_classes: usize,
    #[serde(flatten)]
    pub verdict: EndsVerdict,
    /// The golden model's classes.
    pub golden: Vec<usize>,
}

impl ClsReport {
    pub fn ok(&self) -> bool {
        self.verdict.ok(self.bench_classes, self.sequences)
    }
}

/// Golden = simulator = the bench of `setup` on `frames`, every class,
/// logit and cycle.
pub fn verify_cls(
    setup: &BenchSetup,
    plan: &Plan,
    cls: &ClsPlan,
    c: &Classifier,
    int: &IntModel,
    frames: &[ClsFrame],
) -> Result<ClsReport> {
    let golden = golden_answers(int, c, frames);
    let sim = hitnet_sim::cls::run(plan, cls, &c.head, frames, setup.valid, setup.ready);
    let g_vs_s = golden_vs_sim(&golden, &sim.answers, |g, s| *g == (s.class, s.score));
    let b = run_cls_bench(setup, cls, frames, sim.cycles() + 16, golden.len())?;
    let verdict = judge_bench(
        g_vs_s,
        &sim,
        &b,
        |k, s, r| {
            format!(
                "sequence {k}: simulator class {} (logit {}) at cycle {}, bench class {} (logit {}) at cycle {}",
                s.class, s.score, s.cycle, r.class as i64, r.score, r.cycle
            )
        },
        "frame",
    );
    Ok(ClsReport {
        simulator: setup.simulator,
        frames: frames.len(),
        sequences: golden.len(),
        bench_classes: b.run.answers.len(),
        verdict,
        golden: golden.iter().map(|g| g.0).collect(),
    })
}

/// The host messages of `frames`: a frame's bytes, and after a sequence's
/// last frame its answer (the class byte and the logit's bytes) back.
pub fn frame_messages(cls: &ClsPlan, frames: &[ClsFrame]) -> Result<Vec<Message>> {
    frames
        .iter()
        .map(|f| {
            Ok(Message {
                bytes: hitnet_fpga::uart::encode_cls_frame(f.first, f.last, &f.samples)
                    .map_err(|e| VerifyError::Netlist(e.to_string()))?,
                reply: if f.last {
                    1 + hitnet_fpga::uart::cls_score_bytes(cls.score_bits)
                } else {
                    0
                },
            })
        })
        .collect()
}

/// What the board bench needs of the classifier ends.
pub fn pins(cls: &ClsPlan) -> EndsPins {
    EndsPins {
        flash: cls.flash.zip(cls.flash_hex()),
        flash_define: "CLS_FLASH",
        ready_cycle: cls.ready_cycle(),
        // Frames go back to back: the first must not wait for the load.
        wait_ready: true,
    }
}

/// The verdict of the classifier's board top at its pins: the routed chip
/// against the RTL chip (every byte on the same cycle) and the golden
/// model's classes and logits.
#[derive(Debug, Clone, Serialize)]
pub struct ClsRoutedReport {
    pub sequences: usize,
    pub frames: usize,
    #[serde(flatten)]
    pub verdict: BytesVerdict,
    /// The golden model's classes and logits.
    pub golden: Vec<usize>,
    pub golden_scores: Vec<i64>,
    /// The classes the routed chip answered (None: an answer missing or
    /// cut short).
    pub routed_classes: Vec<Option<usize>>,
}

/// The golden answers, then the RTL and the routed chip of a build folder
/// of the classifier's board top (the flow's `wrapped` design, placed and
/// routed in `build_dir`) through the board bench.
#[allow(clippy::too_many_arguments)]
pub fn verify_cls_routed_build(
    int: &IntModel,
    c: &Classifier,
    cls: &ClsPlan,
    frames: &[ClsFrame],
    target: &hitnet_fpga::Target,
    yosys: &str,
    build_dir: &Path,
    wrapped: &hitnet_fpga::Wrapped,
) -> Result<ClsRoutedReport> {
    let board = hitnet_fpga::accel::ends_board(target, hitnet_fpga::accel::EndsKind::Cls)
        .map_err(|e| VerifyError::Netlist(e.to_string()))?;
    let golden = golden_answers(int, c, frames);
    let want: Vec<u8> = golden
        .iter()
        .flat_map(|&(k, s)| hitnet_fpga::uart::encode_cls_answer(k, s, cls.score_bits))
        .collect();
    let (a, b) = run_build(
        &board,
        target,
        yosys,
        build_dir,
        wrapped,
        &pins(cls),
        &frame_messages(cls, frames)?,
    )?;
    let n = 1 + hitnet_fpga::uart::cls_score_bytes(cls.score_bits);
    let routed_classes = (0..golden.len())
        .map(|k| {
            b.bytes
                .get(k * n..(k + 1) * n)
                .and_then(hitnet_fpga::uart::decode_cls_answer)
                .map(|(c, _)| c)
        })
        .collect();
    Ok(ClsRoutedReport {
        sequences: golden.len(),
        frames: frames.len(),
        verdict: judge(&want, &a, &b),
        golden: golden.iter().map(|g| g.0).collect(),
        golden_scores: golden.iter().map(|g| g.1).collect(),
        routed_classes,
    })
}
