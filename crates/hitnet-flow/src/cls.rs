//! The classifier ends on the chip (`[classifier]` in the config): their
//! plan from the model file's `classifier`, and the design with
//! `hitnet_cls` around the core, and the judgement of the generated RTL or
//! the synthesized netlist on labelled sequences (frames through
//! `sim/tb_hitnet_cls.v`, every class, logit and cycle against the cycle
//! simulator and the golden model).
use crate::load::Planned;
use crate::{FlowError, Result};
use hitnet_arch::cls::ClsPlan;
use hitnet_fpga::accel::EndsKind;
use hitnet_fpga::{Progress, Target};
use hitnet_sim::Pattern;
use hitnet_verify::cls::ClsReport;
use hitnet_verify::ends::{BenchSetup, Simulator};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The integer ends and their plan.
pub struct Ends {
    pub classifier: hitnet_model::classify::Classifier,
    pub plan: ClsPlan,
}

/// The ends the config's `[classifier]` asks for (None without it).
/// Refused: a model file with no `classifier`.
pub fn ends_for(loaded: &hitnet_model::Loaded, core: &hitnet_arch::Plan) -> Result<Option<Ends>> {
    let Some(s) = &loaded.config.classifier else {
        return Ok(None);
    };
    let Some(c) = loaded.model.classifier.clone() else {
        return Err(FlowError::Input(format!(
            "[classifier] of {}: the model file has no `classifier` (train one with `hitnet train --task classify`), or remove [classifier]",
            loaded.source
        )));
    };
    let store = crate::ends::store(s.store_on(&loaded.config.hw.target), s.flash_offset);
    let plan = ClsPlan::new(core, &c)
        .and_then(|p| p.with_store(store))
        .map_err(|source| FlowError::Plan {
            what: format!("[classifier] of {}", loaded.source),
            source,
        })?;
    Ok(Some(Ends {
        classifier: c,
        plan,
    }))
}

impl Ends {
    /// Cycles between two frames taken in steady state (frames always
    /// offered, answers always taken): from the cycle simulator, which the
    /// bench reproduces to the cycle.
    pub fn cycles_per_frame(&self, core: &hitnet_arch::Plan) -> u64 {
        let seq = vec![vec![0; self.plan.channels]; 6];
        let frames = hitnet_sim::cls::frames(&[seq]);
        let r = hitnet_sim::cls::run(
            core,
            &self.plan,
            &self.classifier.head,
            &frames,
            Pattern::Always,
            Pattern::Always,
        );
        r.accepted
            .windows(2)
            .map(|w| w[1] - w[0])
            .max()
            .unwrap_or(0)
    }

    /// Refused unless the ends take a frame within one byte time at the
    /// board's clock (hitnet_cls_uart holds one frame: the host sends a
    /// sequence's frames back to back).
    pub fn check_uart_rate(
        &self,
        core: &hitnet_arch::Plan,
        board: &hitnet_fpga::Board,
    ) -> Result<()> {
        // Ten bit times of CLKS_PER_BIT = round(CLK_HZ / BAUD) cycles.
        let byte = 10 * ((board.clk_hz + 57_600) / 115_200);
        let n = self.cycles_per_frame(core);
        if n >= byte {
            return Err(FlowError::Input(format!(
                "[classifier]: the ends take a frame every {n} cycles, longer than one byte of the {} UART ({byte} cycles at {} MHz): frames sent back to back would be dropped; use a larger array ([hw] rows, cols)",
                board.name,
                board.clk_hz as f64 / 1e6
            )));
        }
        Ok(())
    }

    /// Frames that exercise the quantizer: `n` frames in two sequences,
    /// each sample at, beside or between its channel's thresholds.
    pub fn test_frames(&self, n: usize) -> Vec<hitnet_sim::cls::ClsFrame> {
        let ch = self.plan.channels;
        let mut near: Vec<Vec<i32>> = vec![vec![0]; ch];
        for t in &self.classifier.input.trits {
            for v in [t.lo - 1, t.lo, t.lo + 1, t.hi - 1, t.hi, t.hi + 1] {
                near[t.channel].push(v.clamp(
                    hitnet_model::classify::SAMPLE_MIN,
                    hitnet_model::classify::SAMPLE_MAX,
                ));
            }
        }
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut pick = |k: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            near[k][(seed >> 33) as usize % near[k].len()]
        };
        let n = n.max(2);
        let mut frame = |_| (0..ch).map(&mut pick).collect::<Vec<i32>>();
        let a: Vec<Vec<i32>> = (0..n / 2).map(&mut frame).collect();
        let b: Vec<Vec<i32>> = (0..n - n / 2).map(&mut frame).collect();
        hitnet_sim::cls::frames(&[a, b])
    }

    /// The netlist check of a build's synthesized netlist (its kept
    /// `hitnet_cls`): [`Ends::test_frames`] of `frames` frames, every
    /// class, logit and cycle against the simulator and the golden model.
    pub fn check_netlist(
        &self,
        loaded: &hitnet_model::Loaded,
        core: &hitnet_arch::Plan,
        net: &hitnet_verify::Netlist,
        frames: usize,
        work: &Path,
    ) -> Result<ClsReport> {
        Ok(hitnet_verify::cls::verify_cls(
            &BenchSetup::always(net, work, Simulator::Icarus),
            core,
            &self.plan,
            &self.classifier,
            &loaded.int,
            &self.test_frames(frames),
        )?)
    }
}

/// Which artefact of the ends a run judges (the routed design:
/// [`verify_routed`]).
pub use crate::ends::Stage as ClsStage;

/// A run of labelled sequences through the ends' RTL or netlist.
pub struct VerifyJob<'a> {
    pub planned: &'a Planned,
    pub ends: &'a Ends,
    pub target: &'static Target,
    pub stage: ClsStage,
    /// Fixed-point frames of each sequence, and its true class.
    pub sequences: &'a [Vec<Vec<i32>>],
    pub labels: &'a [usize],
    pub out: &'a Path,
    pub config: serde_json::Value,
    pub progress: Progress,
}

/// What a run found: the classes the judged artefact answered, their
/// accuracy, and the bench's verdict against simulator and golden model.
#[derive(Debug, Serialize)]
pub struct Classified {
    pub stage: ClsStage,
    pub target: String,
    pub design_sha256: String,
    pub sequences: usize,
    pub frames: usize,
    /// Share of sequences whose answered class is the label.
    pub accuracy: f64,
    pub correct: usize,
    /// Cycles per frame in the judged run (the last answer's cycle over
    /// the frames), with both ports always ready.
    pub cycles_per_frame: f64,
    pub report: ClsReport,
    #[serde(flatten)]
    pub artefact: crate::ends::Artefact,
    pub out: PathBuf,
}

impl Classified {
    pub fn bit_exact(&self) -> bool {
        self.report.ok()
    }

    pub fn text_summary(&self) -> String {
        let r = &self.report;
        let mut s = format!(
            "{} ({}): {} sequences, {} frames, {:.1} cycles per frame; {}\naccuracy: {:.2}% ({} of {})\n",
            match self.stage {
                ClsStage::Rtl => "RTL (Verilator)",
                ClsStage::Synth => "netlist (Icarus, cell models)",
            },
            self.target,
            self.sequences,
            self.frames,
            self.cycles_per_frame,
            r.verdict.line(),
            100.0 * self.accuracy,
            self.correct,
            self.sequences,
        );
        for m in &r.verdict.first_mismatches {
            s.push_str(&format!("  {m}\n"));
        }
        if let Some(c) = &self.artefact.cells {
            s.push_str(&format!(
                "netlist of {}: {} LUT, {} FF, {} carry, {} BRAM, {} SPRAM, {} DSP\n",
                self.artefact
                    .netlist_top
                    .as_deref()
                    .unwrap_or(hitnet_rtl::cls::CLS_TOP),
                c.luts,
                c.ffs,
                c.carries,
                c.bram,
                c.spram,
                c.dsp
            ));
        }
        s
    }
}

/// Golden = simulator = the ends' RTL or netlist on `job.sequences`, every
/// class, logit and cycle; the answers scored against the labels.
pub fn verify(job: &VerifyJob) -> Result<Classified> {
    let p = job.planned;
    let e = job.ends;
    if job.sequences.is_empty() || job.sequences.iter().any(|s| s.is_empty()) {
        return Err(FlowError::Input(
            "the test split has no sequence, or an empty one: nothing to classify".into(),
        ));
    }
    let bram = crate::bram_for_target(job.target.name);
    let design = hitnet_rtl::cls::generate(&p.plan, &e.plan, job.config.clone(), bram, false);
    let j = crate::ends::judged(
        &design,
        job.stage,
        EndsKind::Cls,
        hitnet_rtl::cls::CLS_TOP,
        job.target,
        p.loaded.config.hw.clock_mhz,
        job.out,
        &job.progress,
    )?;
    let frames = hitnet_sim::cls::frames(job.sequences);
    let report = hitnet_verify::cls::verify_cls(
        &BenchSetup::always(&j.net, &j.work, job.stage.simulator()),
        &p.plan,
        &e.plan,
        &e.classifier,
        &p.loaded.int,
        &frames,
    )?;
    let correct = report
        .golden
        .iter()
        .zip(job.labels)
        .filter(|(a, b)| a == b)
        .count();
    Ok(Classified {
        stage: job.stage,
        target: job.target.name.to_string(),
        design_sha256: design.sha256(),
        sequences: job.sequences.len(),
        frames: frames.len(),
        accuracy: correct as f64 / job.sequences.len() as f64,
        correct,
        cycles_per_frame: report.verdict.bench_cycles as f64 / frames.len() as f64,
        report,
        artefact: j.artefact,
        out: job.out.to_path_buf(),
    })
}

/// What a routed classification run found.
#[derive(Debug, Serialize)]
pub struct ClassifiedRouted {
    #[serde(flatten)]
    pub build: crate::lm::RoutedBuild,
    /// Share of sequences whose class, as the routed chip answered it, is
    /// the label.
    pub accuracy: f64,
    pub correct: usize,
    pub report: hitnet_verify::cls::ClsRoutedReport,
}

impl ClassifiedRouted {
    pub fn text_summary(&self) -> String {
        format!(
            "routed ({} on {}): {} sequences, {} frames; {}accuracy: {:.2}% ({} of {}), as the routed chip answered\n",
            self.build.board,
            self.build.target,
            self.report.sequences,
            self.report.frames,
            self.report.verdict.summary(),
            100.0 * self.accuracy,
            self.correct,
            self.report.sequences,
        )
    }
}

/// The classifier's board top placed and routed (or, with `built`, the
/// build in `job.out` as `hitnet synth` left it), simulated at its serial
/// (and flash) pins with the cell models against the RTL chip (every byte
/// on the same cycle) and the golden model.
pub fn verify_routed(job: &VerifyJob, built: bool) -> Result<ClassifiedRouted> {
    let p = job.planned;
    let e = job.ends;
    if job.sequences.is_empty() || job.sequences.iter().any(|s| s.is_empty()) {
        return Err(FlowError::Input(
            "the test split has no sequence, or an empty one: nothing to classify".into(),
        ));
    }
    let board = hitnet_fpga::accel::ends_board(job.target, EndsKind::Cls)?;
    e.check_uart_rate(&p.plan, &board)?;
    let (sha, wrapped, yosys) = crate::ends::routed_design(
        |bram, deployable| {
            hitnet_rtl::cls::generate(&p.plan, &e.plan, job.config.clone(), bram, deployable)
        },
        job.target,
        job.out,
        p.loaded.config.hw.clock_mhz,
        built,
        &job.progress,
    )?;
    let frames = hitnet_sim::cls::frames(job.sequences);
    let report = hitnet_verify::cls::verify_cls_routed_build(
        &p.loaded.int,
        &e.classifier,
        &e.plan,
        &frames,
        job.target,
        &yosys,
        job.out,
        &wrapped,
    )?;
    let correct = report
        .routed_classes
        .iter()
        .zip(job.labels)
        .filter(|(a, b)| **a == Some(**b))
        .count();
    Ok(ClassifiedRouted {
        build: crate::lm::RoutedBuild::new(job.target, &board, EndsKind::Cls, sha, job.out),
        accuracy: correct as f64 / job.sequences.len() as f64,
        correct,
        report,
    })
}
