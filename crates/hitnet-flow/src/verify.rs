//! `hitnet verify`: generate and wrap the design, run the flow as far as
//! the stage needs (synthesis, or place and route without the bitstream),
//! and simulate that artefact with the vendor cell models against the
//! cycle simulator and the golden model: every output beat and its cycle.
use crate::{FlowError, Result};
use hitnet_cosim::Stimulus;
use hitnet_fpga::{Executor, FlowOptions, Progress, Step, Target, WrapperKind};
use hitnet_verify::routed::RoutedReport;
pub use hitnet_verify::Stage;
use std::fmt::Write as _;
use std::path::Path;

/// One verification run.
pub struct Job<'a> {
    pub loaded: &'a hitnet_model::Loaded,
    pub plan: &'a hitnet_arch::Plan,
    pub target: &'static Target,
    pub wrapper: WrapperKind,
    pub stage: Stage,
    pub out: &'a Path,
    /// The stimulus, and where a VCD around the first mismatch goes
    /// (the synth stage's, in verification).
    pub stimulus: crate::StimulusSpec,
    pub progress: Progress,
    pub executor: Executor,
    /// Judge the build folder `out` as it is (e.g. one `hitnet deploy`
    /// wrote): no flow step runs; the folder must hold this config's design.
    pub built: bool,
}

/// What a verification run found.
pub enum Verified {
    Synth {
        report: hitnet_verify::Report,
        yosys_tool: String,
        yosys_version: String,
    },
    Routed(RoutedReport),
}

impl Verified {
    pub fn bit_exact(&self) -> bool {
        match self {
            Verified::Synth { report, .. } => report.bit_exact,
            Verified::Routed(r) => r.bit_exact,
        }
    }

    /// Mismatch count and the first one, for the verdict.
    pub fn mismatches(&self) -> (u64, Option<String>) {
        match self {
            Verified::Synth { report, .. } => (
                report.mismatches,
                report.first.as_ref().map(|m| m.to_string()),
            ),
            Verified::Routed(r) => (r.mismatches, r.first.clone()),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        match self {
            Verified::Synth { report, .. } => serde_json::to_value(report),
            Verified::Routed(r) => serde_json::to_value(r),
        }
        .expect("reports serialize")
    }

    /// The human summary (after the model line).
    pub fn text(&self, job: &Job) -> String {
        let mut s = String::new();
        match self {
            Verified::Synth {
                report,
                yosys_tool,
                yosys_version,
            } => {
                let _ = writeln!(
                    s,
                    "stage:   synth ({yosys_tool} {yosys_version} on {}), {} tokens, seed {}, {}% stall",
                    job.target.name, job.stimulus.tokens, job.stimulus.seed, job.stimulus.stall_percent
                );
                s += &report.text();
            }
            Verified::Routed(r) => s += &r.text(job.target.name),
        }
        s
    }
}

/// Generates, wraps and builds the design as far as `job.stage` needs,
/// then verifies it.
pub fn run(job: &Job) -> Result<Verified> {
    // Refuse before a long flow run what the routed stage cannot judge.
    if job.stage == Stage::Routed && job.wrapper != WrapperKind::Uart {
        return Err(FlowError::Input(format!(
            "--stage routed runs the chip at its serial pins and needs the board UART top (--wrapper uart); the char wrapper on {} has none (use --stage synth)",
            job.target.name
        )));
    }
    if !job.built {
        crate::prepare_out(job.out)?;
    }
    let (design, wrapped) = crate::gen_and_wrap(
        job.plan,
        crate::config_json(job.loaded),
        job.target,
        job.wrapper,
        job.out,
        job.loaded.config.hw.clock_mhz,
        // A build folder of `--deployable` holds that variant.
        is_deployable_build(job.out, job.built),
    )?;
    // The synth stage needs only synthesis; the routed stage the whole flow
    // (the same scripts `hitnet synth` runs, without the bitstream).
    let opts = FlowOptions {
        progress: job.progress.clone(),
        to: Step::Pnr,
        executor: job.executor.clone(),
        ..FlowOptions::default()
    };
    let (yosys_tool, yosys_version) = match job.stage {
        _ if job.built => {
            check_built(job, &design)?;
            let yosys = hitnet_fpga::Toolchain::for_family(job.target.family).yosys;
            (yosys, "(as built)".to_string())
        }
        Stage::Synth => {
            let syn = hitnet_fpga::run_synth(&wrapped.design, job.target, job.out, &opts)?;
            (syn.yosys_tool, syn.yosys_version)
        }
        Stage::Routed => {
            let r = hitnet_fpga::run_flow(&wrapped.design, job.target, job.out, &opts)?;
            if !r.fits {
                return Err(FlowError::Input(format!(
                    "the design does not fit {}: nothing routed to verify",
                    job.target.name
                )));
            }
            (r.yosys_tool, r.yosys_version)
        }
    };
    let stim = job.stimulus.of(job.loaded);
    let sp = crate::spinner_if(
        !matches!(job.progress, Progress::Hidden),
        "simulating the netlist (Icarus, vendor cell models)",
    );
    let r = verify(job, &wrapped, &stim, yosys_tool, yosys_version);
    sp.finish_and_clear();
    r
}

/// With `--built`: the build folder must hold the design this config
/// generates (its deploy record or synth summary says which).
fn check_built(job: &Job, design: &hitnet_rtl::Design) -> Result<()> {
    check_held(job.out, &design.sha256())
}

/// Refused unless the build folder `out` (of `hitnet synth`, or the model
/// `hitnet deploy` put in) holds the design `sha`.
pub(crate) fn check_held(out: &Path, sha: &str) -> Result<()> {
    let held = crate::deploy::read_info(out)
        .map(|i| i.model_design_sha256)
        .or_else(|_| crate::synth::read_summary(out).map(|s| s.design_sha256))
        .map_err(|_| {
            FlowError::Input(format!(
                "--built: {} holds no build of hitnet synth or hitnet deploy",
                out.display()
            ))
        })?;
    if held != sha {
        return Err(FlowError::Input(format!(
            "--built: {} holds another design than this config generates (design {} against {}); give the config it was built or deployed with",
            out.display(),
            &held[..12.min(held.len())],
            &sha[..12.min(sha.len())]
        )));
    }
    Ok(())
}

/// Whether `out` is a deployable build (its design is generated so).
pub(crate) fn is_deployable_build(out: &Path, built: bool) -> bool {
    built && out.join(crate::deploy::DEPLOY_FILE).is_file()
}

fn verify(
    job: &Job,
    wrapped: &hitnet_fpga::Wrapped,
    stim: &Stimulus,
    yosys_tool: String,
    yosys_version: String,
) -> Result<Verified> {
    Ok(match job.stage {
        Stage::Routed => Verified::Routed(hitnet_verify::verify_routed_build(
            &job.loaded.int,
            job.target,
            &yosys_tool,
            job.out,
            wrapped,
            stim,
        )?),
        Stage::Synth => Verified::Synth {
            report: hitnet_verify::verify_synth_build(
                job.plan,
                &job.loaded.int,
                job.target,
                &yosys_tool,
                job.out,
                stim,
                Some(&job.stimulus.vcd),
            )?,
            yosys_tool,
            yosys_version,
        },
    })
}
