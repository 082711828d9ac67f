//! `SynthReport`: what one flow run measured, and the pure functions that
//! derive it from the parsed tool outputs (tested on captured fixtures).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::parse::nextpnr::{self, CellUse};
use crate::parse::yosys::{CellSummary, MemoryMapping};
use crate::target::{Family, Target};

/// Which tool a number comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// nextpnr's packed-cell count (the device view).
    Nextpnr,
    /// yosys' netlist count.
    Yosys,
}

/// Used / available of one resource.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub used: u64,
    pub available: u64,
    /// used / available in percent (0 when nothing is available).
    pub percent: f64,
    pub source: Source,
}

impl Usage {
    pub fn new(used: u64, available: u64, source: Source) -> Usage {
        let percent = if available == 0 {
            0.0
        } else {
            // Two decimals: a display number, and it survives a JSON round trip.
            (10_000.0 * used as f64 / available as f64).round() / 100.0
        };
        Usage {
            used,
            available,
            percent,
            source,
        }
    }
}

/// A resource the design needs more of than the device has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overflow {
    /// Normalized name (logic, ff, bram, spram, dsp, io) or nextpnr's cell
    /// type for anything else.
    pub resource: String,
    /// nextpnr's cell type (ICESTORM_LC, MULT18X18D, SB_IO, ...).
    pub cell: String,
    pub used: u64,
    pub available: u64,
    /// used - available.
    pub excess: u64,
}

/// Post-route timing of one clock domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockTiming {
    /// Clock net as nextpnr names it.
    pub clock: String,
    pub achieved_mhz: f64,
    pub target_mhz: f64,
    pub met: bool,
    /// Logic and routing delay of the worst register-to-register path.
    pub logic_ns: Option<f64>,
    pub routing_ns: Option<f64>,
    /// Design signals along the worst path (launching register, nets,
    /// capturing cell), from the report JSON: which block limits Fmax.
    #[serde(default)]
    pub critical_path: Vec<String>,
}

/// One step of the flow as run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    /// synth, pnr or pack.
    pub step: String,
    /// Program run by the step's script.
    pub tool: String,
    pub version: Option<String>,
    pub script: PathBuf,
    /// Exit status of the script ("0", "1", "killed by signal 9").
    pub status: String,
    pub seconds: f64,
    pub log: PathBuf,
    /// Files the step produced.
    pub outputs: Vec<PathBuf>,
}

/// Log files of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Logs {
    pub synth: PathBuf,
    pub pnr: Option<PathBuf>,
    pub pack: Option<PathBuf>,
}

/// The result of one flow run. A design that does not fit (`fits: false`,
/// `overflow`) or misses its timing target (`timing_met: false`) is a
/// result like any other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynthReport {
    pub target: String,
    pub family: Family,
    pub device: String,
    pub package: String,
    pub top: String,
    /// Placement and routing succeeded.
    pub fits: bool,
    /// Resources over capacity (empty when it fits).
    pub overflow: Vec<Overflow>,
    /// nextpnr's error line when the design does not fit.
    pub fit_error: Option<String>,
    /// Post-route Fmax of the slowest clock domain, MHz (register to
    /// register only); None when not routed or no clocked path exists.
    pub fmax_mhz: Option<f64>,
    pub clock_mhz_target: f64,
    /// All clocks reached the target; None when not routed.
    pub timing_met: Option<bool>,
    pub clocks: Vec<ClockTiming>,
    /// logic, ff, bram, spram (UltraPlus), dsp, io, lutram (ECP5 slices
    /// used as distributed RAM).
    pub utilization: BTreeMap<String, Usage>,
    /// Every cell type nextpnr counted, as it printed them.
    pub nextpnr_cells: BTreeMap<String, CellUse>,
    /// Cell counts from yosys `stat -json`.
    pub yosys_cells: BTreeMap<String, u64>,
    pub yosys_summary: CellSummary,
    /// Signals yosys built latches for (should be empty).
    pub latches: Vec<String>,
    /// Where yosys put each inferred memory (block RAM, LUT RAM or logic).
    #[serde(default)]
    pub memories: Vec<MemoryMapping>,
    /// Multipliers were kept out of the DSPs (by request or by the DSP
    /// fallback of `run_flow`).
    #[serde(default)]
    pub dsp_in_logic: bool,
    /// What the flow decided on its own (e.g. the DSP fallback).
    #[serde(default)]
    pub notes: Vec<String>,
    /// Yosys warnings, each once (see `YosysLog::warnings`).
    pub yosys_warnings: Vec<String>,
    /// Most problems a yosys `check` pass found (multiple drivers,
    /// combinational loops...); should be 0.
    pub yosys_check_problems: Option<u64>,
    pub yosys_tool: String,
    /// Short yosys version, e.g. "0.23": yosys versions optimize differently.
    pub yosys_version: String,
    /// As yosys printed it in stat.json.
    pub yosys_version_full: String,
    pub nextpnr_tool: String,
    pub nextpnr_version: Option<String>,
    pub packer_tool: String,
    pub packer_version: Option<String>,
    /// Bitstream, when packed.
    pub bitstream: Option<PathBuf>,
    pub out_dir: PathBuf,
    pub logs: Logs,
    pub steps: Vec<StepReport>,
}

impl SynthReport {
    /// Tokens per second at the post-route Fmax, for a design that needs
    /// `cycles_per_token` clock cycles per token.
    pub fn tokens_per_second(&self, cycles_per_token: u64) -> Option<f64> {
        if cycles_per_token == 0 {
            return None;
        }
        self.fmax_mhz.map(|f| f * 1e6 / cycles_per_token as f64)
    }

    /// Plain-text summary table.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} ({} {}), top {}: yosys {} ({}), nextpnr {} ({})",
            self.target,
            self.device,
            self.package,
            self.top,
            self.yosys_version,
            self.yosys_tool,
            self.nextpnr_version.as_deref().unwrap_or("?"),
            self.nextpnr_tool
        );
        let _ = writeln!(
            s,
            "{:<8} {:>8} {:>10} {:>7}  from",
            "resource", "used", "available", "%"
        );
        for (k, u) in &self.utilization {
            let src = match u.source {
                Source::Nextpnr => "nextpnr",
                Source::Yosys => "yosys",
            };
            let _ = writeln!(
                s,
                "{:<8} {:>8} {:>10} {:>6.1}%  {}",
                k, u.used, u.available, u.percent, src
            );
        }
        if self.fits {
            let fmax = self
                .fmax_mhz
                .map(|f| format!("{f:.2} MHz"))
                .unwrap_or_else(|| "none (no clocked path)".into());
            let verdict = match self.timing_met {
                Some(true) => "met",
                Some(false) => "MISSED",
                None => "n/a",
            };
            let _ = writeln!(
                s,
                "Fmax {fmax} post-route, target {} MHz: {verdict}",
                self.clock_mhz_target
            );
            for c in &self.clocks {
                if let (Some(l), Some(r)) = (c.logic_ns, c.routing_ns) {
                    let _ = writeln!(
                        s,
                        "  {}: {:.2} MHz, critical path {l:.2} ns logic + {r:.2} ns routing",
                        c.clock, c.achieved_mhz
                    );
                }
                if !c.critical_path.is_empty() {
                    let _ = writeln!(s, "  critical path: {}", short_path(&c.critical_path));
                }
            }
        } else {
            let _ = writeln!(s, "DOES NOT FIT:");
            for o in &self.overflow {
                let _ = writeln!(
                    s,
                    "  {} ({}): {} used, {} available, {} over",
                    o.resource, o.cell, o.used, o.available, o.excess
                );
            }
        }
        if !self.memories.is_empty() {
            let bram = self.memories.iter().filter(|m| m.in_block_ram()).count();
            let logic = self
                .memories
                .iter()
                .filter(|m| m.mapped_to == "logic")
                .count();
            let _ = writeln!(
                s,
                "memories: {bram} in block RAM, {} in LUT RAM, {logic} in logic",
                self.memories.len() - bram - logic
            );
        }
        if !self.latches.is_empty() {
            let _ = writeln!(s, "LATCHES inferred: {}", self.latches.join(", "));
        }
        if let Some(n @ 1..) = self.yosys_check_problems {
            let _ = writeln!(
                s,
                "YOSYS CHECK: {n} problems (multiple drivers, loops...); see the synth log"
            );
        }
        for w in self
            .yosys_warnings
            .iter()
            .filter(|w| w.contains("Resizing cell port"))
        {
            let _ = writeln!(s, "WIDTH MISMATCH: {w}");
        }
        for n in &self.notes {
            let _ = writeln!(s, "NOTE: {n}");
        }
        match &self.bitstream {
            Some(b) => {
                let _ = writeln!(s, "bitstream {}", b.display());
            }
            None => {
                let _ = writeln!(s, "no bitstream");
            }
        }
        s
    }
}

/// A critical path as "a -> b -> ... -> z", at most 8 signals (the first
/// 4 and the last 3 around an ellipsis).
pub fn short_path(signals: &[String]) -> String {
    if signals.len() <= 8 {
        signals.join(" -> ")
    } else {
        format!(
            "{} -> ... -> {}",
            signals[..4].join(" -> "),
            signals[signals.len() - 3..].join(" -> ")
        )
    }
}

/// nextpnr cell type behind each normalized resource.
pub fn cell_for(family: Family, resource: &str) -> Option<&'static str> {
    match (family, resource) {
        (Family::Ice40, "logic") => Some("ICESTORM_LC"),
        (Family::Ice40, "bram") => Some("ICESTORM_RAM"),
        (Family::Ice40, "spram") => Some("ICESTORM_SPRAM"),
        (Family::Ice40, "dsp") => Some("ICESTORM_DSP"),
        (Family::Ice40, "io") => Some("SB_IO"),
        (Family::Ecp5, "logic") => Some("TRELLIS_COMB"),
        (Family::Ecp5, "ff") => Some("TRELLIS_FF"),
        (Family::Ecp5, "bram") => Some("DP16KD"),
        (Family::Ecp5, "dsp") => Some("MULT18X18D"),
        (Family::Ecp5, "io") => Some("TRELLIS_IO"),
        (Family::Ecp5, "lutram") => Some("TRELLIS_RAMW"),
        _ => None,
    }
}

const RESOURCES: [&str; 7] = ["logic", "ff", "bram", "spram", "dsp", "io", "lutram"];

/// Normalized utilization. Counts come from nextpnr; iCE40 flip-flops come
/// from yosys (nextpnr counts them inside logic cells). I/O is compared
/// with the package's pins, not nextpnr's per-die count.
pub fn utilization(
    target: &Target,
    cells: &BTreeMap<String, CellUse>,
    yosys: &CellSummary,
) -> BTreeMap<String, Usage> {
    let cap = &target.capacity;
    let mut out = BTreeMap::new();
    for r in RESOURCES {
        let available = match r {
            "logic" => Some(cap.logic),
            "ff" => Some(cap.ff),
            "bram" => Some(cap.bram),
            "spram" => Some(cap.spram),
            "dsp" => Some(cap.dsp),
            "io" => Some(cap.io),
            _ => None, // lutram: nextpnr's count of RAM-capable slices
        };
        let usage = match cell_for(target.family, r) {
            Some(cell) => cells
                .get(cell)
                .map(|c| Usage::new(c.used, available.unwrap_or(c.available), Source::Nextpnr)),
            None if r == "ff" => Some(Usage::new(yosys.ffs, cap.ff, Source::Yosys)),
            None => None,
        };
        if let Some(u) = usage {
            if u.available > 0 || u.used > 0 {
                out.insert(r.to_string(), u);
            }
        }
    }
    out
}

/// Every resource used beyond capacity: nextpnr's own count for each cell
/// type, and the package pin count for I/O.
pub fn overflow(target: &Target, cells: &BTreeMap<String, CellUse>) -> Vec<Overflow> {
    let io_cell = cell_for(target.family, "io");
    let mut out = Vec::new();
    for (cell, c) in cells {
        let available = if Some(cell.as_str()) == io_cell {
            c.available.min(target.capacity.io)
        } else {
            c.available
        };
        if c.used > available {
            let resource = RESOURCES
                .iter()
                .find(|r| cell_for(target.family, r) == Some(cell.as_str()))
                .map(|r| r.to_string())
                .unwrap_or_else(|| cell.clone());
            out.push(Overflow {
                resource,
                cell: cell.clone(),
                used: c.used,
                available,
                excess: c.used - available,
            });
        }
    }
    out
}

/// Post-route timing per clock: frequencies from the report JSON, the
/// logic/routing split from the log (or, if the log lacks it, summed from
/// the JSON critical path).
pub fn clocks(report: &nextpnr::Report, log: &nextpnr::Log) -> Vec<ClockTiming> {
    report
        .fmax
        .iter()
        .map(|(clock, f)| {
            let edge = format!("posedge {clock}");
            let json_path = report
                .critical_paths
                .iter()
                .find(|p| p.from == edge && p.to == edge);
            let split = log
                .clock_path(clock)
                .map(|p| (p.logic_ns, p.routing_ns))
                .or_else(|| json_path.map(|p| p.split_ns()));
            ClockTiming {
                clock: clock.clone(),
                achieved_mhz: f.achieved,
                target_mhz: f.constraint,
                met: f.achieved >= f.constraint,
                logic_ns: split.map(|s| s.0),
                routing_ns: split.map(|s| s.1),
                critical_path: json_path.map(|p| p.signals()).unwrap_or_default(),
            }
        })
        .collect()
}

/// What place and route established, derived from nextpnr's outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct PnrAnalysis {
    /// nextpnr's cell counts (report JSON, or the log's last table).
    pub cells: BTreeMap<String, CellUse>,
    pub utilization: BTreeMap<String, Usage>,
    pub fits: bool,
    pub overflow: Vec<Overflow>,
    pub fit_error: Option<String>,
    pub clocks: Vec<ClockTiming>,
    pub fmax_mhz: Option<f64>,
    pub timing_met: Option<bool>,
}

/// Why nextpnr's outputs give no analysis.
#[derive(Debug, Clone, PartialEq)]
pub enum PnrProblem {
    /// nextpnr succeeded but its report is missing or invalid.
    ReportUnreadable(String),
    /// nextpnr failed and no resource is over capacity: its first error line.
    Failed(Option<String>),
}

/// Interprets one nextpnr run: `succeeded` is its exit status, `report`
/// the `--report` JSON text if the file exists, `log` its log. A failed run
/// whose utilisation table shows a resource over capacity is "does not
/// fit"; any other failure is a `PnrProblem::Failed`.
pub fn analyze_pnr(
    target: &Target,
    succeeded: bool,
    report: Option<&str>,
    log: &str,
    yosys: &CellSummary,
) -> Result<PnrAnalysis, PnrProblem> {
    let plog = nextpnr::parse_log(log);
    let (cells, clocks, fit_error) = if succeeded {
        let text =
            report.ok_or_else(|| PnrProblem::ReportUnreadable("the file is missing".into()))?;
        let r = nextpnr::Report::parse(text)
            .map_err(|e| PnrProblem::ReportUnreadable(e.to_string()))?;
        let cells = if r.utilization.is_empty() {
            plog.utilisation.iter().cloned().collect()
        } else {
            r.utilization.clone()
        };
        (cells, clocks(&r, &plog), None)
    } else {
        let cells: BTreeMap<String, CellUse> = plog.utilisation.iter().cloned().collect();
        if overflow(target, &cells).is_empty() {
            return Err(PnrProblem::Failed(plog.errors.first().cloned()));
        }
        (cells, Vec::new(), plog.errors.first().cloned())
    };
    let over = overflow(target, &cells);
    let fits = succeeded && over.is_empty();
    let fmax = fmax_mhz(&clocks);
    let timing_met = (fits && !clocks.is_empty()).then(|| clocks.iter().all(|c| c.met));
    Ok(PnrAnalysis {
        utilization: utilization(target, &cells, yosys),
        cells,
        fits,
        overflow: over,
        fit_error,
        clocks,
        fmax_mhz: fmax,
        timing_met,
    })
}

/// Slowest clock's Fmax.
pub fn fmax_mhz(clocks: &[ClockTiming]) -> Option<f64> {
    clocks
        .iter()
        .map(|c| c.achieved_mhz)
        .fold(None, |m: Option<f64>, f| Some(m.map_or(f, |m| m.min(f))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(rows: &[(&str, u64, u64)]) -> BTreeMap<String, CellUse> {
        rows.iter()
            .map(|&(k, used, available)| (k.to_string(), CellUse { used, available }))
            .collect()
    }

    #[test]
    fn io_checked_against_package_pins() {
        let t = Target::from_name("ice40-up5k").unwrap();
        let o = overflow(t, &cells(&[("SB_IO", 65, 96), ("ICESTORM_LC", 100, 5280)]));
        assert_eq!(o.len(), 1);
        assert_eq!(
            (o[0].resource.as_str(), o[0].available, o[0].excess),
            ("io", 39, 26)
        );
        let u = utilization(t, &cells(&[("SB_IO", 3, 96)]), &CellSummary::default());
        assert_eq!(u["io"].available, 39);
    }

    #[test]
    fn ice40_ff_from_yosys() {
        let t = Target::from_name("ice40-hx8k").unwrap();
        let y = CellSummary {
            ffs: 28,
            ..Default::default()
        };
        let u = utilization(
            t,
            &cells(&[("ICESTORM_LC", 35, 7680), ("ICESTORM_RAM", 0, 32)]),
            &y,
        );
        assert_eq!(u["ff"].used, 28);
        assert_eq!(u["ff"].source, Source::Yosys);
        assert!(!u.contains_key("spram") && !u.contains_key("dsp"));
    }

    #[test]
    fn fmax_is_slowest_clock() {
        let c = |f| ClockTiming {
            clock: "c".into(),
            achieved_mhz: f,
            target_mhz: 10.0,
            met: true,
            logic_ns: None,
            routing_ns: None,
            critical_path: Vec::new(),
        };
        assert_eq!(fmax_mhz(&[c(50.0), c(40.0)]), Some(40.0));
        assert_eq!(fmax_mhz(&[]), None);
    }
}
