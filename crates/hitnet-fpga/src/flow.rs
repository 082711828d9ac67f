//! Running the flow: one step, one job (Yosys-style), each through the
//! script `write_scripts` generated, each with its log and a JSON report in
//! `reports/` (FINN-style output folder), then `synth_report.json`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::design::Design;
use crate::error::{FpgaError, Result};
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

/// Knobs of `run_flow`.
#[derive(Debug, Clone)]
pub struct FlowOptions {
    /// Programs to run; None takes the target family's defaults.
    pub toolchain: Option<Toolchain>,
    pub progress: Progress,
    /// Write a bitstream when the design fits (step 3).
    pub bitstream: bool,
    /// When yosys maps more multipliers to DSPs than the device has,
    /// synthesize again with every multiplier in logic.
    pub dsp_fallback: bool,
}

impl Default for FlowOptions {
    fn default() -> Self {
        FlowOptions {
            toolchain: None,
            progress: Progress::Hidden,
            bitstream: true,
            dsp_fallback: true,
        }
    }
}

/// Per-step report written to `reports/<step>.json`.
#[derive(Debug, Serialize)]
struct StepFile<'a, T: Serialize> {
    #[serde(flatten)]
    step: &'a StepReport,
    summary: T,
}

struct Ran {
    status: ExitStatus,
    seconds: f64,
    /// stdout + stderr of the script (the tools log to files; this holds
    /// the script's own messages and anything a crashing tool printed).
    console: String,
}

fn status_text(s: &ExitStatus) -> String {
    match s.code() {
        // The shell reports a child killed by signal n as 128 + n.
        Some(c @ 129..=159) => format!("exit status {c}: crashed or killed by signal {}", c - 128),
        Some(c) => format!("exit status {c}"),
        None => {
            #[cfg(unix)]
            {
                use std::os::unix::process::ExitStatusExt;
                if let Some(sig) = s.signal() {
                    return format!("killed by signal {sig}");
                }
            }
            "no exit status".into()
        }
    }
}

fn run_script(dir: &Path, script: &str, tools: &Toolchain) -> Result<Ran> {
    let start = Instant::now();
    let out = Command::new("sh")
        .arg(script)
        .current_dir(dir)
        .env("YOSYS", &tools.yosys)
        .env("NEXTPNR", &tools.nextpnr)
        .env("PACKER", &tools.packer)
        .output()
        .map_err(|e| FpgaError::io("cannot run sh for", dir.join(script), e))?;
    Ok(Ran {
        status: out.status,
        seconds: start.elapsed().as_secs_f64(),
        console: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
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
    reports_dir: PathBuf,
    design: Design,
    notes: Vec<String>,
    ylog: yosys::YosysLog,
    stat: yosys::Stat,
    steps: Vec<StepReport>,
    synth_log: PathBuf,
    pb: ProgressBar,
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
}

/// Runs only the synthesis step of [`run_flow`] (same scripts).
pub fn run_synth(
    design: &Design,
    target: &Target,
    out_dir: &Path,
    opts: &FlowOptions,
) -> Result<SynthOnly> {
    let y = synth_step(design, target, out_dir, opts, false)?;
    y.pb.finish_and_clear();
    Ok(SynthOnly {
        out_dir: y.dir.clone(),
        netlist_json: y.dir.join(files::NETLIST_JSON),
        netlist_v: y.dir.join(files::NETLIST_V),
        yosys_tool: y.tools.yosys.clone(),
        yosys_version: y.stat.version(),
        yosys_summary: yosys::summarize(&y.stat.cells(), target.family),
        seconds: y.steps.iter().map(|s| s.seconds).sum(),
        log: y.synth_log,
    })
}

fn synth_step(
    design: &Design,
    target: &Target,
    out_dir: &Path,
    opts: &FlowOptions,
    full: bool,
) -> Result<Synthesized> {
    let tools = opts.toolchain.clone().unwrap_or_else(|| target.toolchain());
    tools::require(&tools.yosys)?;
    if full {
        tools::require(&tools.nextpnr)?;
    }
    if full && opts.bitstream {
        tools::require(&tools.packer)?;
    }
    std::fs::create_dir_all(out_dir).map_err(|e| FpgaError::io("cannot create", out_dir, e))?;
    let s = write_scripts(design, target, out_dir, &tools)?;
    let dir = s.dir.clone();
    let reports_dir = dir.join(files::REPORTS_DIR);
    std::fs::create_dir_all(&reports_dir)
        .map_err(|e| FpgaError::io("cannot create", &reports_dir, e))?;
    for stale in [
        files::SYNTH_REPORT,
        files::ICE40_BIN,
        files::ECP5_BIT,
        files::PACK_LOG,
        files::PNR_LOG,
        files::PNR_REPORT,
    ] {
        let _ = std::fs::remove_file(dir.join(stale));
    }
    for step in ["synth", "pnr", "pack"] {
        let _ = std::fs::remove_file(reports_dir.join(format!("{step}.json")));
    }

    let nsteps = if !full {
        1
    } else if opts.bitstream {
        3
    } else {
        2
    };
    let pb = bar(
        &opts.progress,
        format!("{} {}", target.name, design.top),
        nsteps,
    );
    let mut steps = Vec::new();

    // ---- step 1: synthesis (twice when the DSP fallback applies)
    let mut design = design.clone();
    let mut notes = Vec::new();
    let mut attempt = 0;
    let (ylog, stat, step, synth_log) = loop {
        attempt += 1;
        pb.set_message(format!("synth ({})", tools.yosys));
        let ran = run_script(&dir, files::SYNTH_SH, &tools)?;
        let synth_log = dir.join(files::SYNTH_LOG);
        let ylog = yosys::parse_log(&read_lossy(&synth_log).unwrap_or_default());
        let step = StepReport {
            step: "synth".into(),
            tool: tools.yosys.clone(),
            version: None,
            script: s.synth_sh.clone(),
            status: status_text(&ran.status),
            seconds: ran.seconds,
            log: synth_log.clone(),
            outputs: vec![dir.join(files::NETLIST_JSON), dir.join(files::STAT_JSON)],
        };
        if !ran.status.success() {
            pb.finish_and_clear();
            return Err(FpgaError::ToolFailed {
                tool: format!("yosys ({})", tools.yosys),
                status: step.status,
                detail: detail(ylog.errors.first().cloned(), &ran.console),
                log: synth_log,
            });
        }
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
        let dsps = yosys::summarize(&stat.cells(), target.family).dsp;
        let dsp_on = target.use_dsp && design.use_dsp.unwrap_or(true);
        if attempt == 1 && opts.dsp_fallback && dsp_on && dsps > target.capacity.dsp {
            // yosys maps every multiplier it can to a DSP, with no regard
            // for how many the device has; in logic the design may still fit.
            notes.push(format!(
                "yosys mapped multipliers to {dsps} {} but {} has {}; synthesized again with all multipliers in logic (first attempt {:.1} s)",
                target.dsp_kind.unwrap_or("DSP"),
                target.device,
                target.capacity.dsp,
                ran.seconds
            ));
            design.use_dsp = Some(false);
            write_scripts(&design, target, out_dir, &tools)?;
            continue;
        }
        break (ylog, stat, step, synth_log);
    };
    let yosys_cells = stat.cells();
    let yosys_summary = yosys::summarize(&yosys_cells, target.family);
    let step = StepReport {
        version: Some(stat.version()),
        ..step
    };
    write_json(
        &reports_dir.join("synth.json"),
        &StepFile {
            step: &step,
            summary: serde_json::json!({
                "yosys_version": stat.creator,
                "cells": yosys_cells,
                "summary": yosys_summary,
                "latches": ylog.latches,
                "memories": ylog.memories,
                "check_problems": ylog.check_problems,
                "warnings": ylog.warnings,
            }),
        },
    )?;
    steps.push(step);
    pb.inc(1);

    Ok(Synthesized {
        tools,
        scripts: s,
        dir,
        reports_dir,
        design,
        notes,
        ylog,
        stat,
        steps,
        synth_log,
        pb,
    })
}

/// Runs synthesis, place and route and (optionally) bitstream packing of
/// `design` for `target` in `out_dir`, and returns what was measured.
///
/// Errors: unknown tools (`ToolMissing`), a tool failing for another reason
/// than "does not fit" (`ToolFailed`, naming its log), a report that is
/// missing or unreadable (`ReportUnreadable`). Not fitting and missing the
/// timing target are results: `fits: false` / `timing_met: Some(false)`.
pub fn run_flow(
    design: &Design,
    target: &Target,
    out_dir: &Path,
    opts: &FlowOptions,
) -> Result<SynthReport> {
    let Synthesized {
        tools,
        scripts: s,
        dir,
        reports_dir,
        design,
        notes,
        ylog,
        stat,
        mut steps,
        synth_log,
        pb,
    } = synth_step(design, target, out_dir, opts, true)?;
    let yosys_cells = stat.cells();
    let yosys_summary = yosys::summarize(&yosys_cells, target.family);

    // ---- step 2: place and route
    pb.set_message(format!("place and route ({})", tools.nextpnr));
    let nextpnr_version =
        tools::version_line(&tools.nextpnr, &["--version"], &dir).map(|l| tools::short_version(&l));
    let ran = run_script(&dir, files::PNR_SH, &tools)?;
    let pnr_log = dir.join(files::PNR_LOG);
    let nextpnr_name = format!("nextpnr ({})", tools.nextpnr);
    let plog_text = read_lossy(&pnr_log).ok_or_else(|| FpgaError::ToolFailed {
        tool: nextpnr_name.clone(),
        status: status_text(&ran.status),
        detail: detail(None, &ran.console),
        log: pnr_log.clone(),
    })?;
    let routed = dir.join(scripts::routed_file(target.family));
    let report_path = dir.join(files::PNR_REPORT);
    let step = StepReport {
        step: "pnr".into(),
        tool: tools.nextpnr.clone(),
        version: nextpnr_version.clone(),
        script: s.pnr_sh.clone(),
        status: status_text(&ran.status),
        seconds: ran.seconds,
        log: pnr_log.clone(),
        outputs: vec![routed.clone(), report_path.clone()],
    };
    let report_text = std::fs::read(&report_path)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    let pnr = match report::analyze_pnr(
        target,
        ran.status.success(),
        report_text.as_deref(),
        &plog_text,
        &yosys_summary,
    ) {
        Ok(a) => a,
        Err(problem) => {
            pb.finish_and_clear();
            return Err(match problem {
                PnrProblem::ReportUnreadable(reason) => FpgaError::ReportUnreadable {
                    tool: nextpnr_name,
                    path: report_path,
                    reason,
                    log: pnr_log,
                },
                PnrProblem::Failed(first_error) => {
                    let mut d = detail(first_error, &ran.console);
                    if !ylog.latches.is_empty() {
                        // nextpnr rejects the LUT loops yosys builds for latches.
                        let _ = write!(
                            d,
                            " (yosys inferred latches for {})",
                            ylog.latches.join(", ")
                        );
                    }
                    FpgaError::ToolFailed {
                        tool: nextpnr_name,
                        status: step.status,
                        detail: d,
                        log: pnr_log,
                    }
                }
            });
        }
    };
    let fits = pnr.fits;
    write_json(
        &reports_dir.join("pnr.json"),
        &StepFile {
            step: &step,
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
    steps.push(step);
    pb.inc(1);

    // ---- step 3: bitstream
    let mut bitstream = None;
    let mut packer_version = None;
    let mut pack_log = None;
    if opts.bitstream && fits {
        pb.set_message(format!("bitstream ({})", tools.packer));
        if target.family == Family::Ecp5 {
            packer_version = tools::version_line(&tools.packer, &["--version"], &dir)
                .map(|l| tools::short_version(&l));
        }
        let ran = run_script(&dir, files::PACK_SH, &tools)?;
        let log = dir.join(files::PACK_LOG);
        let bit = dir.join(scripts::bitstream_file(target.family));
        let step = StepReport {
            step: "pack".into(),
            tool: tools.packer.clone(),
            version: packer_version.clone(),
            script: s.pack_sh.clone(),
            status: status_text(&ran.status),
            seconds: ran.seconds,
            log: log.clone(),
            outputs: vec![bit.clone()],
        };
        if !ran.status.success() || !bit.is_file() {
            pb.finish_and_clear();
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
            &reports_dir.join("pack.json"),
            &StepFile {
                step: &step,
                summary: serde_json::json!({ "bitstream": bit, "bytes": size }),
            },
        )?;
        steps.push(step);
        bitstream = Some(bit);
        pack_log = Some(log);
        pb.inc(1);
    }
    pb.finish_and_clear();

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
        nextpnr_version,
        packer_tool: tools.packer.clone(),
        packer_version,
        bitstream,
        out_dir: dir.clone(),
        logs: Logs {
            synth: synth_log,
            pnr: Some(pnr_log),
            pack: pack_log,
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
