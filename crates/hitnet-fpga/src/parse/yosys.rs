//! Yosys outputs: `stat -json` (serde) and the log (nom) for what the JSON
//! does not say: inferred latches (yosys maps them to LUT loops, so they
//! vanish from the cell counts), errors and `check` problems.
//!
//! Checked on Yosys 0.23 (Debian 12, iCE40 flow) and Yosys 0.70 (YoWASP,
//! ECP5 flow). 0.70 adds fields (num_ports, num_submodules, `$scopeinfo`
//! cells) that are ignored or filtered here.

use std::collections::BTreeMap;

use nom::bytes::complete::{tag, take_until};
use nom::character::complete::{char, digit1, space0};
use nom::combinator::map_res;
use nom::sequence::{delimited, preceded, terminated};
use nom::IResult;
use serde::{Deserialize, Serialize};

use crate::target::Family;

/// `stat -json` output.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Stat {
    /// "Yosys 0.23 (git sha1 ...)": the version that produced the numbers.
    #[serde(default)]
    pub creator: String,
    #[serde(default)]
    pub modules: BTreeMap<String, ModuleStat>,
    /// Whole design (printed when a top module is known).
    #[serde(default)]
    pub design: Option<ModuleStat>,
}

/// Counts of one module (or the design).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct ModuleStat {
    #[serde(default)]
    pub num_cells: u64,
    #[serde(default)]
    pub num_memories: u64,
    #[serde(default)]
    pub num_processes: u64,
    #[serde(default)]
    pub num_cells_by_type: BTreeMap<String, u64>,
}

impl Stat {
    /// Parses the JSON text.
    pub fn parse(text: &str) -> Result<Stat, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Cell counts of the whole design: the `design` section, else the sum
    /// over modules. `$scopeinfo` (hierarchy bookkeeping in 0.70) is dropped.
    pub fn cells(&self) -> BTreeMap<String, u64> {
        let mut cells = match &self.design {
            Some(d) => d.num_cells_by_type.clone(),
            None => {
                let mut sum = BTreeMap::new();
                for m in self.modules.values() {
                    for (k, v) in &m.num_cells_by_type {
                        *sum.entry(k.clone()).or_insert(0) += v;
                    }
                }
                sum
            }
        };
        cells.remove("$scopeinfo");
        cells
    }

    /// Short version, e.g. "0.23".
    pub fn version(&self) -> String {
        crate::tools::short_version(&self.creator)
    }
}

/// Synthesized cells sorted into the resources that matter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellSummary {
    /// LUT4s, counting each ECP5 CCU2C carry cell as its two LUT4s.
    pub luts: u64,
    pub ffs: u64,
    /// Carry cells (SB_CARRY / CCU2C).
    pub carries: u64,
    pub bram: u64,
    pub spram: u64,
    pub dsp: u64,
    /// Latch cells left in the netlist (usually 0: see `YosysLog::latches`).
    pub latch_cells: u64,
    /// Generic `$...` cells that were not mapped to the device.
    pub unmapped: BTreeMap<String, u64>,
}

/// Sorts cell counts by family.
pub fn summarize(cells: &BTreeMap<String, u64>, family: Family) -> CellSummary {
    let mut s = CellSummary::default();
    for (name, &n) in cells {
        let lname = name.to_ascii_lowercase();
        if lname.contains("dlatch") {
            s.latch_cells += n;
            continue;
        }
        match family {
            Family::Ice40 => match name.as_str() {
                "SB_LUT4" => s.luts += n,
                "SB_CARRY" => s.carries += n,
                "SB_SPRAM256KA" => s.spram += n,
                "SB_MAC16" => s.dsp += n,
                x if x.starts_with("SB_DFF") => s.ffs += n,
                x if x.starts_with("SB_RAM40_4K") => s.bram += n,
                _ => {}
            },
            Family::Ecp5 => match name.as_str() {
                "LUT4" => s.luts += n,
                "CCU2C" => {
                    s.carries += n;
                    s.luts += 2 * n;
                }
                "TRELLIS_FF" => s.ffs += n,
                "TRELLIS_SLICE" => {
                    s.luts += 2 * n;
                    s.ffs += 2 * n;
                }
                "DP16KD" | "PDPW16KD" => s.bram += n,
                "MULT18X18D" => s.dsp += n,
                _ => {}
            },
        }
        if name.starts_with('$') && !lname.contains("dlatch") {
            s.unmapped.insert(name.clone(), n);
        }
    }
    s
}

/// What the yosys log says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct YosysLog {
    /// Signals for which yosys inferred a latch ("module.signal").
    pub latches: Vec<String>,
    /// Lines with "ERROR:", text after it.
    pub errors: Vec<String>,
    /// Most problems any `check` pass reported (synth runs it more than
    /// once; an early pass can see what later optimization hides).
    pub check_problems: Option<u64>,
    /// "Warning:" texts, without the prefix, each once. "Resizing cell
    /// port" here means a port width mismatch between modules (for example
    /// wrapper parameters that do not match the generated accelerator).
    pub warnings: Vec<String>,
    /// Where each inferred memory went (`memory_libmap`), in log order.
    pub memories: Vec<MemoryMapping>,
}

/// One memory and what `memory_libmap` mapped it to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryMapping {
    /// Hierarchical name, e.g. "hitnet_top.wbank0.mem".
    pub memory: String,
    /// yosys' RAM cell ("$__ICE40_RAM4K_", "$__DP16KD_", "$__TRELLIS_DPR16X4_")
    /// or "logic" (flip-flops and LUTs).
    pub mapped_to: String,
}

impl MemoryMapping {
    /// Mapped to a block RAM (iCE40 EBR, ECP5 DP16KD / PDPW16KD), not to
    /// LUT RAM or logic.
    pub fn in_block_ram(&self) -> bool {
        let c = self.mapped_to.to_ascii_uppercase();
        c.contains("RAM4K") || c.contains("DP16KD") || c.contains("DPW16KD")
    }
}

/// "mapping memory top.m via $__ICE40_RAM4K_" -> (top.m, cell);
/// "using FF mapping for memory top.m" -> (top.m, "logic").
fn memory_line(i: &str) -> IResult<&str, (String, String)> {
    if let Ok((rest, name)) = preceded(tag("using FF mapping for memory "), rest_word)(i) {
        return Ok((rest, (name.to_string(), "logic".to_string())));
    }
    let (rest, (name, cell)) = preceded(
        tag("mapping memory "),
        nom::sequence::separated_pair(take_until(" via "), tag(" via "), rest_word),
    )(i)?;
    Ok((rest, (name.to_string(), cell.to_string())))
}

fn rest_word(i: &str) -> IResult<&str, &str> {
    nom::bytes::complete::take_till1(|c: char| c.is_whitespace())(i)
}

/// "Latch inferred for signal `\top.\q' from process ..."
fn latch_line(i: &str) -> IResult<&str, &str> {
    preceded(
        tag("Latch inferred for signal "),
        delimited(char('`'), take_until("'"), char('\'')),
    )(i)
}

/// "Found and reported 3 problems."
fn check_line(i: &str) -> IResult<&str, u64> {
    delimited(
        tag("Found and reported "),
        map_res(digit1, str::parse::<u64>),
        preceded(space0, tag("problem")),
    )(i)
}

/// "src/x.v:3: ERROR: ..." or "ERROR: ...": the text after "ERROR:".
fn error_text(i: &str) -> IResult<&str, &str> {
    preceded(terminated(take_until("ERROR:"), tag("ERROR:")), space0)(i)
}

/// Parses a yosys log; never fails.
pub fn parse_log(text: &str) -> YosysLog {
    let mut log = YosysLog::default();
    for raw in text.lines() {
        let line = raw.trim();
        if let Ok((_, sig)) = latch_line(line) {
            // `\top.\q` -> top.q
            let clean: String = sig.replace('\\', "");
            if !log.latches.contains(&clean) {
                log.latches.push(clean);
            }
        } else if let Ok((_, (memory, mapped_to))) = memory_line(line) {
            log.memories.push(MemoryMapping { memory, mapped_to });
        } else if let Ok((_, n)) = check_line(line) {
            log.check_problems = Some(log.check_problems.map_or(n, |m| m.max(n)));
        } else if let Some(w) = line.strip_prefix("Warning:") {
            let w = w.trim().to_string();
            if !log.warnings.contains(&w) {
                log.warnings.push(w);
            }
        } else if let Ok((rest, _)) = error_text(line) {
            log.errors.push(rest.to_string());
        }
    }
    log
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines() {
        let log = parse_log(
            "2.3.8. Executing PROC_DLATCH pass (convert process syncs to latches).\n\
Latch inferred for signal `\\latch_top.\\l' from process `\\latch_top.$proc$latch.v:3$1': $auto$x\n\
Warning: Replacing memory\n\
mapping memory hitnet_top.wbank0.mem via $__ICE40_RAM4K_\n\
using FF mapping for memory hitnet_top.ew0.seeds\n\
mapping memory hitnet_char.u_acc.ew0.st2 via $__TRELLIS_DPR16X4_\n\
Found and reported 2 problems.\n\
src/rom.v:3: ERROR:Can not open file `rom.hex` for \\$readmemh.\n",
        );
        assert_eq!(log.latches, vec!["latch_top.l".to_string()]);
        assert_eq!(log.check_problems, Some(2));
        let m: Vec<(&str, &str, bool)> = log
            .memories
            .iter()
            .map(|m| (m.memory.as_str(), m.mapped_to.as_str(), m.in_block_ram()))
            .collect();
        assert_eq!(
            m,
            vec![
                ("hitnet_top.wbank0.mem", "$__ICE40_RAM4K_", true),
                ("hitnet_top.ew0.seeds", "logic", false),
                ("hitnet_char.u_acc.ew0.st2", "$__TRELLIS_DPR16X4_", false),
            ]
        );
        assert_eq!(log.warnings, vec!["Replacing memory".to_string()]);
        assert_eq!(
            log.errors,
            vec!["Can not open file `rom.hex` for \\$readmemh.".to_string()]
        );
    }

    /// A cell count map as `Stat::cells` gives it.
    fn cells(counts: &[(&str, u64)]) -> BTreeMap<String, u64> {
        counts.iter().map(|&(k, v)| (k.to_string(), v)).collect()
    }

    #[test]
    fn summary_by_family() {
        let cells_ice40 = cells(&[
            ("SB_LUT4", 24),
            ("SB_DFF", 16),
            ("SB_DFFSR", 12),
            ("SB_CARRY", 11),
            ("SB_RAM40_4K", 2),
            ("$_DLATCH_P_", 1),
        ]);
        let s = summarize(&cells_ice40, Family::Ice40);
        assert_eq!(
            (s.luts, s.ffs, s.carries, s.bram, s.latch_cells),
            (24, 28, 11, 2, 1)
        );
        assert!(s.unmapped.is_empty());
        let cells_ecp5 = cells(&[
            ("LUT4", 2),
            ("CCU2C", 6),
            ("TRELLIS_FF", 28),
            ("PFUMX", 1),
            ("$mul", 1),
        ]);
        let s = summarize(&cells_ecp5, Family::Ecp5);
        assert_eq!((s.luts, s.ffs, s.carries), (14, 28, 6));
        assert_eq!(s.unmapped.get("$mul"), Some(&1));
    }

    #[test]
    fn garbage_does_not_panic() {
        assert!(Stat::parse("[").is_err());
        let l = parse_log("Latch inferred for signal `\n ERROR:\u{0}");
        // No half-parsed latch name; the error line is kept.
        assert!(l.latches.is_empty(), "{l:?}");
        assert_eq!(l.errors.len(), 1, "{l:?}");
        assert_eq!(parse_log(""), YosysLog::default());
    }
}
