//! The classifier ends on the chip (`[classifier]` in the config): their
//! plan from the model file's `classifier`, and the design with
//! `hitnet_cls` around the core, and the judgement of the generated RTL or
//! the synthesized netlist on labelled sequences (frames through
//! `sim/tb_hitnet_cls.v`, every class, logit and cycle against the cycle
//! simulator and the golden model).
use crate::load::Planned;
use crate::{FlowError, Result};
use hitnet_arch::cls::ClsPlan;
use hitnet_arch::lm::LmStore;
use hitnet_fpga::{FlowOptions, Progress, Target};
use hitnet_sim::Pattern;
use hitnet_verify::cls::ClsReport;
use hitnet_verify::lm::Simulator;
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
    let store = match s.store_on(&loaded.config.hw.target) {
        "flash" => LmStore::Flash {
            offset: s.flash_offset,
        },
        _ => LmStore::Rom,
    };
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

/// Which artefact of the ends a run judges: the generated Verilog in
/// Verilator, or `hitnet_cls` synthesized alone for the target in Icarus
/// with the cell models (no board top for the ends exists yet). The same
/// stages as the language-model ends'.
pub use crate::lm::LmStage as ClsStage;

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
    pub cells: Option<hitnet_fpga::parse::yosys::CellSummary>,
    pub synth_seconds: Option<f64>,
    pub out: PathBuf,
}

impl Classified {
    pub fn bit_exact(&self) -> bool {
        self.report.ok()
    }

    pub fn text_summary(&self) -> String {
        let r = &self.report;
        let mut s = format!(
            "{} ({}): {} sequences, {} frames, {} cycles ({:.1} per frame); simulator {} cycles; {} mismatches, golden vs simulator {}; {:.1} s\naccuracy: {:.2}% ({} of {})\n",
            match self.stage {
                ClsStage::Rtl => "RTL (Verilator)",
                ClsStage::Synth => "netlist (Icarus, cell models)",
            },
            self.target,
            self.sequences,
            self.frames,
            r.bench_cycles,
            self.cycles_per_frame,
            r.sim_cycles,
            r.mismatches,
            r.golden_vs_sim,
            r.seconds,
            100.0 * self.accuracy,
            self.correct,
            self.sequences,
        );
        for m in &r.first_mismatches {
            s.push_str(&format!("  {m}\n"));
        }
        if let Some(c) = &self.cells {
            s.push_str(&format!(
                "netlist: {} LUT, {} FF, {} carry, {} BRAM, {} SPRAM, {} DSP\n",
                c.luts, c.ffs, c.carries, c.bram, c.spram, c.dsp
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
    let gen = job.out.join("gen");
    design.write(&gen)?;
    let work = job.out.join("verify");
    let (net, cells, synth_seconds) = match job.stage {
        ClsStage::Rtl => (crate::rtl_netlist(&design, &gen, &work)?, None, None),
        ClsStage::Synth => {
            let d = crate::alone(
                &design,
                &gen,
                hitnet_rtl::cls::CLS_TOP,
                p.loaded.config.hw.clock_mhz,
            );
            let opts = FlowOptions {
                progress: job.progress.clone(),
                ..Default::default()
            };
            let syn = hitnet_fpga::run_synth(&d, job.target, &job.out.join("build"), &opts)?;
            let net = hitnet_verify::cells::for_synth(job.target.family, &syn)?;
            (net, Some(syn.yosys_summary.clone()), Some(syn.seconds))
        }
    };
    let frames = hitnet_sim::cls::frames(job.sequences);
    let report = hitnet_verify::cls::verify_cls(
        &net,
        &p.plan,
        &e.plan,
        &e.classifier,
        &p.loaded.int,
        &frames,
        Pattern::Always,
        Pattern::Always,
        &work,
        match job.stage {
            ClsStage::Rtl => Simulator::Verilator,
            ClsStage::Synth => Simulator::Icarus,
        },
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
        cycles_per_frame: report.bench_cycles as f64 / frames.len() as f64,
        report,
        cells,
        synth_seconds,
        out: job.out.to_path_buf(),
    })
}
