//! What to build: Verilog files, top module, memory images, timing target,
//! pin constraints, top-level parameters and macros.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{FpgaError, Result};

/// A design handed to the flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Design {
    /// Verilog sources, read in this order.
    pub files: Vec<PathBuf>,
    /// Top module name.
    pub top: String,
    /// `$readmemh` / `$readmemb` images, copied next to the sources; the
    /// Verilog should name them without a directory (yosys looks next to the
    /// source file when the working directory lacks them).
    #[serde(default)]
    pub data_files: Vec<PathBuf>,
    /// Timing target in MHz (nextpnr `--freq`).
    pub clock_mhz_target: f64,
    /// Pin constraints: .pcf (iCE40) or .lpf (ECP5). Without one nextpnr
    /// places the pins itself.
    #[serde(default)]
    pub constraints: Option<PathBuf>,
    /// Parameters of the top module (yosys `chparam -set`).
    #[serde(default)]
    pub params: BTreeMap<String, i64>,
    /// Verilog macros (`read_verilog -DNAME=VALUE`).
    #[serde(default)]
    pub defines: BTreeMap<String, String>,
    /// Yosys selections of memories that must go to block RAM
    /// (`setattr -set ram_style "block" -set rom_style "block" SEL` before
    /// synthesis). Yosys keeps ROMs up to about 1 Kbit in logic otherwise,
    /// which costs hundreds of LUTs per weight bank. Caution: Yosys 0.23's
    /// `setattr` sets no attribute on a memory (checked with `select -list
    /// a:ram_style` after it), so this reaches cells and wires only; the
    /// generator writes `ram_style` into its Verilog instead.
    #[serde(default)]
    pub block_ram: Vec<String>,
    /// Map multipliers to DSPs: None = the target's default (UP5K and
    /// ECP5 yes, HX8K has none); Some(false) keeps them in logic.
    #[serde(default)]
    pub use_dsp: Option<bool>,
    /// A module kept as its own module through synthesis (Yosys
    /// `keep_hierarchy`), so the netlist that goes on to place and route
    /// contains it with its ports: `hitnet verify` simulates exactly that
    /// module of the shipped netlist against the golden model. nextpnr
    /// flattens the hierarchy when it reads the netlist.
    #[serde(default)]
    pub keep_module: Option<String>,
    /// nextpnr `--seed` (placement seed). Fmax varies by a few percent from
    /// seed to seed: quote a spread, not one lucky seed.
    #[serde(default = "default_seed")]
    pub pnr_seed: u64,
}

fn default_seed() -> u64 {
    1
}

impl Design {
    /// A design with no data files, constraints, parameters or macros.
    pub fn new(files: Vec<PathBuf>, top: impl Into<String>, clock_mhz_target: f64) -> Design {
        Design {
            files,
            top: top.into(),
            data_files: Vec::new(),
            clock_mhz_target,
            constraints: None,
            params: BTreeMap::new(),
            defines: BTreeMap::new(),
            block_ram: Vec::new(),
            use_dsp: None,
            keep_module: None,
            pnr_seed: 1,
        }
    }

    /// Asks for the memories matched by the yosys selection `sel` (e.g.
    /// `hitnet_wbank*/m:*`) to be mapped to block RAM.
    pub fn with_block_ram(mut self, sel: impl Into<String>) -> Design {
        self.block_ram.push(sel.into());
        self
    }

    /// Adds `$readmemh` images.
    pub fn with_data_files(mut self, files: Vec<PathBuf>) -> Design {
        self.data_files = files;
        self
    }

    /// Sets the pin constraints file.
    pub fn with_constraints(mut self, file: impl Into<PathBuf>) -> Design {
        self.constraints = Some(file.into());
        self
    }

    /// Sets one top-level parameter.
    pub fn with_param(mut self, name: impl Into<String>, value: i64) -> Design {
        self.params.insert(name.into(), value);
        self
    }

    /// Sets one macro.
    pub fn with_define(mut self, name: impl Into<String>, value: impl Into<String>) -> Design {
        self.defines.insert(name.into(), value.into());
        self
    }

    /// Checks everything the generated scripts rely on: files exist, names
    /// are plain (they go into shell and yosys command lines unquoted),
    /// basenames are unique (all sources land in one folder).
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(FpgaError::InvalidDesign(m));
        if self.files.is_empty() {
            return bad("no Verilog files given".into());
        }
        if !is_identifier(&self.top) {
            return bad(format!(
                "top module name '{}' is not a Verilog identifier",
                self.top
            ));
        }
        if !(self.clock_mhz_target.is_finite() && self.clock_mhz_target > 0.0) {
            return bad(format!(
                "clock target {} MHz must be a positive number",
                self.clock_mhz_target
            ));
        }
        for name in self.params.keys().chain(self.defines.keys()) {
            if !is_identifier(name) {
                return bad(format!(
                    "parameter or macro name '{name}' is not a Verilog identifier"
                ));
            }
        }
        for (name, value) in &self.defines {
            if !value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.+-".contains(c))
            {
                return bad(format!(
                    "macro {name}={value}: values may hold only letters, digits and _ . + -"
                ));
            }
        }
        for sel in &self.block_ram {
            // It goes unquoted into synth.ys: one word of selection syntax.
            if sel.is_empty()
                || !sel
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_$*/:.?[]".contains(c))
            {
                return bad(format!(
                    "block RAM selection '{sel}': use one yosys selection word (letters, digits, _ $ * / : . ? [ ])"
                ));
            }
        }
        let mut seen = BTreeMap::new();
        let all = self
            .files
            .iter()
            .chain(&self.data_files)
            .chain(self.constraints.iter());
        for f in all {
            let base = plain_file_name(f)?;
            if !f.is_file() {
                return bad(format!("file {} does not exist", f.display()));
            }
            if let Some(prev) = seen.insert(base.to_string(), f.clone()) {
                return bad(format!(
                    "{} and {} have the same file name; the build folder keeps one copy of each",
                    prev.display(),
                    f.display()
                ));
            }
        }
        Ok(())
    }
}

/// Verilog identifier without escapes.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// The file name of `p`, if it is safe to put unquoted into scripts.
pub(crate) fn plain_file_name(p: &Path) -> Result<&str> {
    let name = p.file_name().and_then(|s| s.to_str()).unwrap_or("");
    let ok = !name.is_empty()
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.+-".contains(c));
    if ok {
        Ok(name)
    } else {
        Err(FpgaError::InvalidDesign(format!(
            "file name of {} may hold only letters, digits and _ . + - (it goes into the build scripts)",
            p.display()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(is_identifier("hitnet_top"));
        assert!(is_identifier("_a$1"));
        assert!(!is_identifier("1a"));
        assert!(!is_identifier("a b"));
        assert!(!is_identifier(""));
    }

    #[test]
    fn validation_messages() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.v");
        std::fs::write(&a, "module a; endmodule\n").unwrap();
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let a2 = sub.join("a.v");
        std::fs::write(&a2, "").unwrap();

        assert!(Design::new(vec![a.clone()], "a", 12.0).validate().is_ok());
        // (a design with one thing wrong, what the message names)
        let of_a = |top: &str, mhz: f64| Design::new(vec![a.clone()], top, mhz);
        let cases = [
            (
                Design::new(vec![a.clone(), a2], "a", 12.0),
                "same file name",
            ),
            (
                Design::new(vec![dir.path().join("b.v")], "a", 12.0),
                "does not exist",
            ),
            (of_a("a;rm", 12.0), "not a Verilog identifier"),
            (of_a("a", 0.0), "positive"),
            (of_a("a", 12.0).with_define("X", "1 2"), "macro X"),
            (
                Design::new(vec![dir.path().join("a b.v")], "a", 12.0),
                "may hold only",
            ),
            (
                of_a("a", 12.0).with_block_ram("x y; rm"),
                "block RAM selection",
            ),
        ];
        for (d, want) in cases {
            let e = d.validate().unwrap_err();
            assert!(e.to_string().contains(want), "{e}");
        }
        assert!(Design::new(vec![a], "a", 12.0)
            .with_block_ram("hitnet_wbank*/m:*")
            .validate()
            .is_ok());
    }
}
