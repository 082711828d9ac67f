//! Running the flow as a list of steps (FINN's build steps, Yosys's
//! `-run from:to`): synthesis, the netlist check (run by `hitnet-flow`),
//! place and route, bitstream. Each step runs the script `write_scripts`
//! generated, through an [`Executor`] (here or on SLURM), and leaves its log
//! and a JSON report in `reports/<step>.json` that records a hash of the
//! step's inputs. `--from STEP` resumes a folder: the steps before STEP are
//! not run again but read back from their outputs, after checking that
//! their inputs are still the ones given now. The DSP fallback is a policy
//! ([`DspPolicy`]) applied between synthesis attempts, not part of a step.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::design::Design;
use crate::error::{FpgaError, Result};
pub use crate::exec::{Executor, Ran, ScriptJob, Slurm, Status};
use crate::parse::yosys;
use crate::report::{self, Logs, PnrProblem, StepReport, SynthReport};
use crate::scripts::{self, files, write_scripts};
use crate::target::{Family, Target};
use crate::tools::{self, Toolchain};

/// Where progress goes.
#[derive(Debug, Clone, Default)]
pub enum Progress {
    /// Nothing shown.
    #[default]
    Hidden,
    /// A bar on stderr (drawn only when stderr is a terminal).
    Stderr,
    /// A bar inside the caller's MultiProgress (parallel sweeps).
    Multi(MultiProgress),
}

/// The flow's steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// Yosys: design.json, netlist.v, stat.json.
    Synth,
    /// The synthesized netlist against the golden model. `hitnet-flow`
    /// runs it (hitnet-verify needs this crate); [`run_flow`] skips it.
    Verify,
    /// nextpnr: the routed design and report.json.
    Pnr,
    /// The bitstream.
    Pack,
}

impl Step {
    pub const ALL: [Step; 4] = [Step::Synth, Step::Verify, Step::Pnr, Step::Pack];

    pub fn name(self) -> &'static str {
        match self {
            Step::Synth => "synth",
            Step::Verify => "verify",
            Step::Pnr => "pnr",
            Step::Pack => "pack",
        }
    }

    /// Parses a step name; the error lists the valid ones.
    pub fn parse(s: &str) -> std::result::Result<Step, String> {
        Step::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown flow step '{s}'; the steps are {}",
                    Step::ALL.map(Step::name).join(", ")
                )
            })
    }

    /// `reports/<step>.json`.
    pub fn report_file(self, dir: &Path) -> PathBuf {
        dir.join(files::REPORTS_DIR)
            .join(format!("{}.json", self.name()))
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What to do when Yosys maps more multipliers to DSPs than the device has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DspPolicy {
    /// Synthesize again with every multiplier in logic (the design may
    /// still fit; place and route decides).
    #[default]
    Fallback,
    /// Keep Yosys's mapping (place and route then reports the overflow).
    Keep,
}

impl DspPolicy {
    /// After a synthesis attempt that mapped `dsps` multipliers: the note
    /// explaining a second attempt with multipliers in logic, or None to
    /// accept this one. Yosys maps every multiplier it can to a DSP, with no
    /// regard for how many the device has.
    pub fn retry(
        self,
        dsps: u64,
        target: &Target,
        design: &Design,
        seconds: f64,
    ) -> Option<String> {
        let dsp_on = target.use_dsp && design.use_dsp.unwrap_or(true);
        (self == DspPolicy::Fallback && dsp_on && dsps > target.capacity.dsp).then(|| {
            format!(
                "yosys mapped multipliers to {dsps} {} but {} has {}; synthesized again with all multipliers in logic (first attempt {seconds:.1} s)",
                target.dsp_kind.unwrap_or("DSP"),
                target.device,
                target.capacity.dsp,
            )
        })
    }
}

/// Knobs of [`run_flow`] and [`run_synth`].
#[derive(Debug, Clone)]
pub struct FlowOptions {
    /// Programs to run; None takes the target family's defaults.
    pub toolchain: Option<Toolchain>,
    pub progress: Progress,
    /// First step to run; the earlier ones are read back from the folder.
    pub from: Step,
    /// Last step to run (`Pnr`: no bitstream).
    pub to: Step,
    pub dsp: DspPolicy,
    pub executor: Executor,
}

impl Default for FlowOptions {
    fn default() -> Self {
        FlowOptions {
            toolchain: None,
            progress: Progress::Hidden,
            from: Step::Synth,
            to: Step::Pack,
            dsp: DspPolicy::default(),
            executor: Executor::Local,
        }
    }
}

impl FlowOptions {
    fn runs(&self, step: Step) -> bool {
        self.from <= step && step <= self.to
    }
}

/// `reports/<step>.json`: the step, a hash of its inputs, what it measured.
#[derive(Debug, Serialize, Deserialize)]
struct StepFile<T> {
    #[serde(flatten)]
    step: StepReport,
    /// SHA-256 over the step's inputs (its script and the files it reads,
    /// the earlier steps' inputs included): what `--from` checks.
    inputs_sha256: String,
    summary: T,
}

/// What a synthesis report records beyond Yosys's own outputs: the
/// policy's decision, which a resumed run must repeat.
#[derive(Debug, Serialize, Deserialize)]
struct SynthRecord {
    dsp_in_logic: bool,
    notes: Vec<String>,
    #[serde(flatten)]
    measured: serde_json::Value,
}

fn sha_files<'a>(h: &mut Sha256, paths: impl IntoIterator<Item = &'a PathBuf>) -> Result<()> {
    for p in paths {
        let bytes = std::fs::read(p).map_err(|e| FpgaError::io("cannot read", p, e))?;
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
        h.update(format!("{} {}\n", name.unwrap_or_default(), bytes.len()));
        h.update(&bytes);
    }
    Ok(())
}

/// [`synth_inputs`] of the folder `design` would be written to, computed
/// before anything is written (the scripts' texts and the source files
/// are what write_scripts puts there), so a refused resume changes nothing.
fn synth_inputs_unwritten(design: &Design, target: &Target, tools: &Toolchain) -> Result<String> {
    let mut h = Sha256::new();
    for (name, text) in [
        (files::SYNTH_YS, scripts::synth_ys(design, target)?),
        (files::SYNTH_SH, scripts::synth_sh(tools)),
    ] {
        h.update(format!("{name} {}\n", text.len()));
        h.update(text.as_bytes());
    }
    let sources: Vec<PathBuf> = design
        .files
        .iter()
        .chain(&design.data_files)
        .cloned()
        .collect();
    sha_files(&mut h, &sources)?;
    Ok(format!("{:x}", h.finalize()))
}

/// Inputs of synthesis: synth.ys, synth.sh and the sources and images
/// copied into hdl/.
fn synth_inputs(s: &crate::Scripts, design: &Design) -> Result<String> {
    let hdl = s.dir.join(scripts::HDL_DIR);
    let sources: Vec<PathBuf> = design
        .files
        .iter()
        .chain(&design.data_files)
        .filter_map(|f| f.file_name().map(|n| hdl.join(n)))
        .collect();
    let mut h = Sha256::new();
    sha_files(&mut h, [&s.synth_ys, &s.synth_sh])?;
    sha_files(&mut h, &sources)?;
    Ok(format!("{:x}", h.finalize()))
}

/// Inputs of place and route: synthesis's, pnr.sh (seed, clock, device)
/// and the constraints.
fn pnr_inputs(s: &crate::Scripts, synth: &str) -> Result<String> {
    let mut h = Sha256::new();
    h.update(synth);
    sha_files(&mut h, [&s.pnr_sh])?;
    sha_files(&mut h, &s.constraints)?;
    Ok(format!("{:x}", h.finalize()))
}

fn pack_inputs(s: &crate::Scripts, pnr: &str) -> Result<String> {
    let mut h = Sha256::new();
    h.update(pnr);
    sha_files(&mut h, [&s.pack_sh])?;
    Ok(format!("{:x}", h.finalize()))
}

/// Reads `reports/<step>.json` of an earlier run for a resume from `from`,
/// and checks that it succeeded on the same inputs.
fn read_step<T: serde::de::DeserializeOwned>(
    dir: &Path,
    step: Step,
    from: Step,
    inputs: Option<&str>,
) -> Result<StepFile<T>> {
    let resume = |reason: String| FpgaError::Resume {
        dir: dir.to_path_buf(),
        step: from.name(),
        reason,
    };
    let path = step.report_file(dir);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        resume(format!(
            "no report of the {step} step ({}: {e})",
            path.display()
        ))
    })?;
    let f: StepFile<T> = serde_json::from_str(&text)
        .map_err(|e| resume(format!("{} is not a step report ({e})", path.display())))?;
    if f.step.status != Status::Exited(0).text() {
        return Err(resume(format!(
            "the {step} step ended with {}; see {}",
            f.step.status,
            f.step.log.display()
        )));
    }
    if let Some(i) = inputs {
        if f.inputs_sha256 != i {
            return Err(resume(format!(
                "the inputs of the {step} step changed since it ran (design, scripts, seed or tools)"
            )));
        }
    }
    Ok(f)
}

fn run_script(
    opts: &FlowOptions,
    dir: &Path,
    step: Step,
    script: &str,
    tools: &Toolchain,
) -> Result<Ran> {
    let name = format!(
        "hitnet-{}-{}",
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        step.name()
    );
    opts.executor.run(&ScriptJob {
        name,
        step: step.name(),
        dir,
        script,
        env: vec![
            ("YOSYS", tools.yosys.clone()),
            ("NEXTPNR", tools.nextpnr.clone()),
            ("PACKER", tools.packer.clone()),
        ],
    })
}

/// A log as text; tools may print non-UTF-8 bytes, which must not stop us.
fn read_lossy(path: &Path) -> Option<String> {
    std::fs::read(path)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn last_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .map(str::to_string)
}

fn detail(first_error: Option<String>, console: &str) -> String {
    first_error
        .or_else(|| last_line(console))
        .map(|e| format!(": {e}"))
        .unwrap_or_default()
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| {
        FpgaError::io(
            "cannot serialize",
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        )
    })?;
    std::fs::write(path, text + "\n").map_err(|e| FpgaError::io("cannot write", path, e))
}

fn bar(progress: &Progress, label: String, steps: u64) -> ProgressBar {
    let pb = match progress {
        Progress::Hidden => return ProgressBar::hidden(),
        Progress::Stderr => ProgressBar::new(steps),
        Progress::Multi(m) => m.add(ProgressBar::new(steps)),
    };
    if let Ok(style) =
        ProgressStyle::with_template("{prefix} [{elapsed_precise}] {bar:12} {pos}/{len} {msg}")
    {
        pb.set_style(style);
    }
    pb.set_prefix(label);
    pb.enable_steady_tick(Duration::from_millis(200));
    pb
}

/// What the synthesis step left (the netlist files are in `dir`).
struct Synthesized {
    tools: Toolchain,
    scripts: crate::Scripts,
    dir: PathBuf,
    design: Design,
    notes: Vec<String>,
    ylog: yosys::YosysLog,
    stat: yosys::Stat,
    step: StepReport,
    inputs: String,
}

/// What [`run_synth`] produced: the netlist that goes on to place and route.
#[derive(Debug, Clone, Serialize)]
pub struct SynthOnly {
    pub out_dir: PathBuf,
    /// `design.json` (for nextpnr) and `netlist.v` (the same netlist as Verilog).
    pub netlist_json: PathBuf,
    pub netlist_v: PathBuf,
    pub yosys_tool: String,
    pub yosys_version: String,
    pub yosys_summary: yosys::CellSummary,
    pub seconds: f64,
    pub log: PathBuf,
    /// SHA-256 of the synthesis inputs (`reports/synth.json`); the netlist
    /// check records it so that a resumed run knows what it checked.
    pub inputs_sha256: String,
    /// Whether this call ran Yosys (false: read back for `--from`).
    pub ran: bool,
}

/// Runs (or, with `from` past it, reads back) only the synthesis step of
/// [`run_flow`], with the same scripts.
pub fn run_synth(
    design: &Design,
    target: &Target,
    out_dir: &Path,
    opts: &FlowOptions,
) -> Result<SynthOnly> {
    let opts = &FlowOptions {
        to: Step::Synth,
        ..opts.clone()
    };
    let pb = bar(&opts.progress, format!("{} {}", target.name, design.top), 1);
    let y = synthesize(design, target, out_dir, opts, &pb);
    pb.finish_and_clear();
    let y = y?;
    Ok(SynthOnly {
        out_dir: y.dir.clone(),
        netlist_json: y.dir.join(files::NETLIST_JSON),
        netlist_v: y.dir.join(files::NETLIST_V),
        yosys_tool: y.tools.yosys.clone(),
        yosys_version: y.stat.version(),
        yosys_summary: yosys::summarize(&y.stat.cells(), target.family),
        seconds: y.step.seconds,
        log: y.step.log.clone(),
        inputs_sha256: y.inputs.clone(),
        ran: opts.runs(Step::Synth),
    })
}

/// Checks that the programs of the steps `opts` runs are installed and
/// that the executor takes jobs; returns the toolchain.
pub fn check_tools(target: &Target, opts: &FlowOptions) -> Result<Toolchain> {
    let tools = opts.toolchain.clone().unwrap_or_else(|| target.toolchain());
    for (step, prog) in [
        (Step::Synth, &tools.yosys),
        (Step::Pnr, &tools.nextpnr),
        (Step::Pack, &tools.packer),
    ] {
        if opts.runs(step) {
            tools::require(prog)?;
        }
    }
    opts.executor.check()?;
    Ok(tools)
}

/// Removes what the steps from `from` on produce, so that a failed run
/// leaves nothing stale for a report to show.
fn remove_outputs(dir: &Path, from: Step) {
    let mut stale = vec![files::SYNTH_REPORT];
    if from <= Step::Pnr {
        stale.extend([files::PNR_LOG, files::PNR_REPORT]);
    }
    stale.extend([files::ICE40_BIN, files::ECP5_BIT, files::PACK_LOG]);
    for f in stale {
        let _ = std::fs::remove_file(dir.join(f));
    }
    for step in Step::ALL
        .into_iter()
        .filter(|s| *s >= from && *s != Step::Verify)
    {
        let _ = std::fs::remove_file(step.report_file(dir));
    }
}

/// Parses what Yosys left in `dir` (synth.log, stat.json).
fn read_synth_outputs(dir: &Path, tools: &Toolchain) -> Result<(yosys::YosysLog, yosys::Stat)> {
    let synth_log = dir.join(files::SYNTH_LOG);
    let ylog = yosys::parse_log(&read_lossy(&synth_log).unwrap_or_default());
    let stat_path = dir.join(files::STAT_JSON);
    let stat = match std::fs::read(&stat_path) {
        Err(e) => Err(format!("{e}")),
        Ok(b) => yosys::Stat::parse(&String::from_utf8_lossy(&b)).map_err(|e| e.to_string()),
    }
    .map_err(|reason| FpgaError::ReportUnreadable {
        tool: format!("yosys ({})", tools.yosys),
        path: stat_path.clone(),
        reason,
        log: synth_log.clone(),
    })?;
    Ok((ylog, stat))
}

/// The synthesis step under the DSP policy, or its outputs read back when
/// the run starts later.
fn synthesize(
    design: &Design,
    target: &Target,
    out_dir: &Path,
    opts: &FlowOptions,
    pb: &ProgressBar,
) -> Result<Synthesized> {
    let tools = check_tools(target, opts)?;
    let runs = |s| opts.runs(s);
    std::fs::create_dir_all(out_dir).map_err(|e| FpgaError::io("cannot create", out_dir, e))?;
    let mut design = design.clone();
    let mut notes = Vec::new();
    let dir_for_resume = out_dir.to_path_buf();
    let resumed: Option<StepFile<SynthRecord>> = if runs(Step::Synth) {
        None
    } else {
        // Repeat the policy's decision before the scripts are written.
        let f: StepFile<SynthRecord> = read_step(&dir_for_resume, Step::Synth, opts.from, None)?;
        if f.summary.dsp_in_logic {
            design.use_dsp = Some(false);
        }
        notes = f.summary.notes.clone();
        if f.inputs_sha256 != synth_inputs_unwritten(&design, target, &tools)? {
            return Err(FpgaError::Resume {
                dir: out_dir.to_path_buf(),
                step: opts.from.name(),
                reason: "the design or the synthesis script changed since it was synthesized"
                    .into(),
            });
        }
        Some(f)
    };
    let s = write_scripts(&design, target, out_dir, &tools)?;
    let dir = s.dir.clone();
    let reports_dir = dir.join(files::REPORTS_DIR);
    std::fs::create_dir_all(&reports_dir)
        .map_err(|e| FpgaError::io("cannot create", &reports_dir, e))?;
    let (s, ylog, stat, step, inputs) = if let Some(f) = resumed {
        let inputs = synth_inputs(&s, &design)?;
        if f.inputs_sha256 != inputs {
            return Err(FpgaError::Resume {
                dir,
                step: opts.from.name(),
                reason: "the design or the synthesis script changed since it was synthesized"
                    .into(),
            });
        }
        let (ylog, stat) = read_synth_outputs(&dir, &tools)?;
        // Only a resume that is going ahead clears the later steps' outputs.
        remove_outputs(&dir, opts.from);
        (s, ylog, stat, f.step, inputs)
    } else {
        remove_outputs(&dir, opts.from);
        let mut s = s;
        loop {
            pb.set_message(format!("synth ({}, {})", tools.yosys, opts.executor.name()));
            let ran = run_script(opts, &dir, Step::Synth, files::SYNTH_SH, &tools)?;
            let synth_log = dir.join(files::SYNTH_LOG);
            let step = StepReport {
                step: Step::Synth.name().into(),
                tool: tools.yosys.clone(),
                version: None,
                script: s.synth_sh.clone(),
                status: ran.status.text(),
                seconds: ran.seconds,
                log: synth_log.clone(),
                outputs: vec![dir.join(files::NETLIST_JSON), dir.join(files::STAT_JSON)],
            };
            if !ran.status.success() {
                let ylog = yosys::parse_log(&read_lossy(&synth_log).unwrap_or_default());
                return Err(FpgaError::ToolFailed {
                    tool: format!("yosys ({})", tools.yosys),
                    status: step.status,
                    detail: detail(ylog.errors.first().cloned(), &ran.console),
                    log: synth_log,
                });
            }
            let (ylog, stat) = read_synth_outputs(&dir, &tools)?;
            let dsps = yosys::summarize(&stat.cells(), target.family).dsp;
            if notes.is_empty() {
                if let Some(note) = opts.dsp.retry(dsps, target, &design, ran.seconds) {
                    notes.push(note);
                    design.use_dsp = Some(false);
                    s = write_scripts(&design, target, out_dir, &tools)?;
                    continue;
                }
            }
            let inputs = synth_inputs(&s, &design)?;
            let yosys_cells = stat.cells();
            let step = StepReport {
                version: Some(stat.version()),
                ..step
            };
            write_json(
                &Step::Synth.report_file(&dir),
                &StepFile {
                    step: step.clone(),
                    inputs_sha256: inputs.clone(),
                    summary: SynthRecord {
                        dsp_in_logic: design.use_dsp == Some(false),
                        notes: notes.clone(),
                        measured: serde_json::json!({
                            "yosys_version": stat.creator,
                            "summary": yosys::summarize(&yosys_cells, target.family),
                            "cells": yosys_cells,
                            "latches": ylog.latches,
                            "memories": ylog.memories,
                            "check_problems": ylog.check_problems,
                            "warnings": ylog.warnings,
                        }),
                    },
                },
            )?;
            pb.inc(1);
            break (s, ylog, stat, step, inputs);
        }
    };
    Ok(Synthesized {
        tools,
        scripts: s,
        dir,
        design,
        notes,
        ylog,
        stat,
        step,
        inputs,
    })
}

/// Runs the flow's steps from `opts.from` to `opts.to` (at least place
/// and route: [`run_synth`] stops after synthesis) for `design` on
/// `target` in `out_dir`, and returns what was measured. Steps before
/// `from` are read back from the folder (`reports/<step>.json` must show
/// they succeeded on the same inputs).
///
/// Errors: unknown tools (`ToolMissing`), a tool failing for another reason
/// than "does not fit" (`ToolFailed`, naming its log), a report that is
/// missing or unreadable (`ReportUnreadable`), a folder that cannot be
/// resumed (`Resume`), an executor that cannot run a step (`Executor`).
/// Not fitting and missing the timing target are results: `fits: false` /
/// `timing_met: Some(false)`.
pub fn run_flow(
    design: &Design,
    target: &Target,
    out_dir: &Path,
    opts: &FlowOptions,
) -> Result<SynthReport> {
    if opts.to < Step::Pnr || opts.from > opts.to {
        return Err(FpgaError::InvalidDesign(format!(
            "the flow runs from {} to {}: it must end with pnr or pack (run_synth stops after synth) and not start after its end",
            opts.from, opts.to
        )));
    }
    let nsteps = Step::ALL
        .into_iter()
        .filter(|s| *s != Step::Verify && opts.runs(*s))
        .count() as u64;
    let pb = bar(
        &opts.progress,
        format!("{} {}", target.name, design.top),
        nsteps,
    );
    let r = flow(design, target, out_dir, opts, &pb);
    pb.finish_and_clear();
    r
}

/// What the place-and-route step measured (run now or read back).
struct Routed {
    step: StepReport,
    pnr: report::PnrAnalysis,
    inputs: String,
}

fn place_and_route(
    opts: &FlowOptions,
    y: &Synthesized,
    target: &Target,
    pb: &ProgressBar,
) -> Result<Routed> {
    let (tools, s, dir) = (&y.tools, &y.scripts, &y.dir);
    let inputs = pnr_inputs(s, &y.inputs)?;
    let pnr_log = dir.join(files::PNR_LOG);
    let report_path = dir.join(files::PNR_REPORT);
    let nextpnr_name = format!("nextpnr ({})", tools.nextpnr);
    let step = if opts.runs(Step::Pnr) {
        pb.set_message(format!(
            "place and route ({}, {})",
            tools.nextpnr,
            opts.executor.name()
        ));
        let version = tools::version_line(&tools.nextpnr, &["--version"], dir)
            .map(|l| tools::short_version(&l));
        let ran = run_script(opts, dir, Step::Pnr, files::PNR_SH, tools)?;
        if read_lossy(&pnr_log).is_none() {
            return Err(FpgaError::ToolFailed {
                tool: nextpnr_name,
                status: ran.status.text(),
                detail: detail(None, &ran.console),
                log: pnr_log,
            });
        }
        let routed = dir.join(scripts::routed_file(target.family));
        (
            StepReport {
                step: Step::Pnr.name().into(),
                tool: tools.nextpnr.clone(),
                version,
                script: s.pnr_sh.clone(),
                status: ran.status.text(),
                seconds: ran.seconds,
                log: pnr_log.clone(),
                outputs: vec![routed, report_path.clone()],
            },
            ran.console,
        )
    } else {
        let f: StepFile<serde_json::Value> = read_step(dir, Step::Pnr, opts.from, Some(&inputs))?;
        (f.step, String::new())
    };
    let (step, console) = step;
    let plog_text = read_lossy(&pnr_log).unwrap_or_default();
    let report_text = read_lossy(&report_path);
    let pnr = match report::analyze_pnr(
        target,
        step.status == Status::Exited(0).text(),
        report_text.as_deref(),
        &plog_text,
        &yosys::summarize(&y.stat.cells(), target.family),
    ) {
        Ok(a) => a,
        Err(PnrProblem::ReportUnreadable(reason)) => {
            return Err(FpgaError::ReportUnreadable {
                tool: nextpnr_name,
                path: report_path,
                reason,
                log: pnr_log,
            })
        }
        Err(PnrProblem::Failed(first_error)) => {
            let mut d = detail(first_error, &console);
            if !y.ylog.latches.is_empty() {
                // nextpnr rejects the LUT loops yosys builds for latches.
                let _ = write!(
                    d,
                    " (yosys inferred latches for {})",
                    y.ylog.latches.join(", ")
                );
            }
            return Err(FpgaError::ToolFailed {
                tool: nextpnr_name,
                status: step.status,
                detail: d,
                log: pnr_log,
            });
        }
    };
    if opts.runs(Step::Pnr) {
        write_json(
            &Step::Pnr.report_file(dir),
            &StepFile {
                step: step.clone(),
                inputs_sha256: inputs.clone(),
                summary: serde_json::json!({
                    "fits": pnr.fits,
                    "overflow": pnr.overflow,
                    "fit_error": pnr.fit_error,
                    "utilization": pnr.utilization,
                    "clocks": pnr.clocks,
                    "fmax_mhz": pnr.fmax_mhz,
                    "timing_met": pnr.timing_met,
                }),
            },
        )?;
        pb.inc(1);
    }
    Ok(Routed { step, pnr, inputs })
}

fn pack(
    opts: &FlowOptions,
    y: &Synthesized,
    routed: &Routed,
    target: &Target,
    pb: &ProgressBar,
) -> Result<StepReport> {
    let (tools, s, dir) = (&y.tools, &y.scripts, &y.dir);
    pb.set_message(format!(
        "bitstream ({}, {})",
        tools.packer,
        opts.executor.name()
    ));
    let version = (target.family == Family::Ecp5)
        .then(|| tools::version_line(&tools.packer, &["--version"], dir))
        .flatten()
        .map(|l| tools::short_version(&l));
    let ran = run_script(opts, dir, Step::Pack, files::PACK_SH, tools)?;
    let log = dir.join(files::PACK_LOG);
    let bit = dir.join(scripts::bitstream_file(target.family));
    let step = StepReport {
        step: Step::Pack.name().into(),
        tool: tools.packer.clone(),
        version,
        script: s.pack_sh.clone(),
        status: ran.status.text(),
        seconds: ran.seconds,
        log: log.clone(),
        outputs: vec![bit.clone()],
    };
    if !ran.status.success() || !bit.is_file() {
        let log_text = read_lossy(&log).unwrap_or_default();
        return Err(FpgaError::ToolFailed {
            tool: format!("bitstream packer ({})", tools.packer),
            status: step.status,
            detail: detail(last_line(&log_text), &ran.console),
            log,
        });
    }
    let size = bit.metadata().map(|m| m.len()).unwrap_or(0);
    write_json(
        &Step::Pack.report_file(dir),
        &StepFile {
            step: step.clone(),
            inputs_sha256: pack_inputs(s, &routed.inputs)?,
            summary: serde_json::json!({ "bitstream": bit, "bytes": size }),
        },
    )?;
    pb.inc(1);
    Ok(step)
}

fn flow(
    design: &Design,
    target: &Target,
    out_dir: &Path,
    opts: &FlowOptions,
    pb: &ProgressBar,
) -> Result<SynthReport> {
    let y = synthesize(design, target, out_dir, opts, pb)?;
    let routed = place_and_route(opts, &y, target, pb)?;
    let mut steps = vec![y.step.clone(), routed.step.clone()];
    let fits = routed.pnr.fits;
    let mut packed = None;
    if opts.runs(Step::Pack) && fits {
        packed = Some(pack(opts, &y, &routed, target, pb)?);
    }
    if let Some(p) = &packed {
        steps.push(p.clone());
    }
    let Synthesized {
        tools,
        dir,
        design,
        notes,
        ylog,
        stat,
        ..
    } = y;
    let pnr = routed.pnr;
    let yosys_cells = stat.cells();
    let yosys_summary = yosys::summarize(&yosys_cells, target.family);
    let report = SynthReport {
        target: target.name.to_string(),
        family: target.family,
        device: target.device.to_string(),
        package: target.package.to_string(),
        top: design.top.clone(),
        fits,
        overflow: pnr.overflow,
        fit_error: pnr.fit_error,
        fmax_mhz: pnr.fmax_mhz,
        clock_mhz_target: design.clock_mhz_target,
        timing_met: pnr.timing_met,
        clocks: pnr.clocks,
        utilization: pnr.utilization,
        nextpnr_cells: pnr.cells,
        yosys_cells,
        yosys_summary,
        latches: ylog.latches,
        memories: ylog.memories,
        dsp_in_logic: design.use_dsp == Some(false),
        notes,
        yosys_warnings: ylog.warnings,
        yosys_check_problems: ylog.check_problems,
        yosys_tool: tools.yosys.clone(),
        yosys_version: stat.version(),
        yosys_version_full: stat.creator.clone(),
        nextpnr_tool: tools.nextpnr.clone(),
        nextpnr_version: routed.step.version.clone(),
        packer_tool: tools.packer.clone(),
        packer_version: packed.as_ref().and_then(|p| p.version.clone()),
        bitstream: packed.as_ref().map(|p| p.outputs[0].clone()),
        out_dir: dir.clone(),
        logs: Logs {
            synth: dir.join(files::SYNTH_LOG),
            pnr: Some(dir.join(files::PNR_LOG)),
            pack: packed.as_ref().map(|p| p.log.clone()),
        },
        steps,
    };
    write_json(&dir.join(files::SYNTH_REPORT), &report)?;
    Ok(report)
}

/// Reads the `synth_report.json` an earlier run left in `out_dir` (for
/// `hitnet report`).
pub fn read_synth_report(out_dir: &Path) -> Result<SynthReport> {
    let path: PathBuf = out_dir.join(files::SYNTH_REPORT);
    let text =
        std::fs::read_to_string(&path).map_err(|e| FpgaError::io("cannot read", &path, e))?;
    serde_json::from_str(&text).map_err(|e| FpgaError::ReportUnreadable {
        tool: "hitnet-fpga".into(),
        path: path.clone(),
        reason: e.to_string(),
        log: path.clone(),
    })
}
