//! The FPGA targets: devices, packages, capacities and the tools that build
//! for them.
//!
//! Capacities are the numbers nextpnr reports as `available` for each device
//! (checked against nextpnr-ice40 0.4 and nextpnr-ecp5 0.11), except I/O,
//! which nextpnr counts per die: the package pin counts come from the
//! icestorm pin database (sg48: 39, ct256: 206) and Project Trellis'
//! `iodb.json` (CABGA381: 197 / 203 / 205 for 25k / 45k / 85k).

use serde::{Deserialize, Serialize};

use crate::error::{FpgaError, Result};

/// Device family; decides the tools and the cell names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Ice40,
    Ecp5,
}

impl Family {
    /// Lower-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Family::Ice40 => "ice40",
            Family::Ecp5 => "ecp5",
        }
    }
}

/// What a device offers. `logic` counts iCE40 logic cells (LUT4 + DFF +
/// carry) or ECP5 LUT4s; every logic cell carries one flip-flop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capacity {
    /// LCs (iCE40) or LUT4s (ECP5).
    pub logic: u64,
    /// Flip-flops.
    pub ff: u64,
    /// Block RAMs.
    pub bram: u64,
    /// Bits per block RAM.
    pub bram_bits: u64,
    /// UltraPlus single-port RAMs (256 Kbit each); 0 elsewhere.
    pub spram: u64,
    /// Hard multipliers: SB_MAC16 (iCE40 UP) or MULT18X18D (ECP5).
    pub dsp: u64,
    /// User I/O pins of the package.
    pub io: u64,
}

/// One buildable device + package.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    /// Name used on the command line, e.g. `ice40-up5k`.
    pub name: &'static str,
    pub family: Family,
    /// Part as Lattice names it.
    pub device: &'static str,
    /// nextpnr's device switch, e.g. `--up5k`.
    pub nextpnr_device: &'static str,
    /// Package as nextpnr names it.
    pub package: &'static str,
    /// ECP5 speed grade given to nextpnr (iCE40 has none).
    pub speed: Option<u8>,
    pub capacity: Capacity,
    /// What `logic` counts, for tables: "LC" or "LUT4".
    pub logic_kind: &'static str,
    /// Block RAM primitive.
    pub bram_kind: &'static str,
    /// Hard multiplier primitive, if any.
    pub dsp_kind: Option<&'static str>,
    /// Whether synthesis may use the DSPs (`synth_ice40 -dsp`, UltraPlus only).
    pub use_dsp: bool,
    /// Board whose pin file in fpga/ fits this target, if any.
    pub board: Option<&'static str>,
}

/// Every target, in the order shown to users.
pub static TARGETS: &[Target] = &[
    Target {
        name: "ice40-up5k",
        family: Family::Ice40,
        device: "iCE40UP5K",
        nextpnr_device: "--up5k",
        package: "sg48",
        speed: None,
        capacity: Capacity {
            logic: 5280,
            ff: 5280,
            bram: 30,
            bram_bits: 4096,
            spram: 4,
            dsp: 8,
            io: 39,
        },
        logic_kind: "LC",
        bram_kind: "SB_RAM40_4K",
        dsp_kind: Some("SB_MAC16"),
        use_dsp: true,
        board: Some("iCEBreaker (fpga/icebreaker.pcf)"),
    },
    Target {
        name: "ice40-hx8k",
        family: Family::Ice40,
        device: "iCE40HX8K",
        nextpnr_device: "--hx8k",
        package: "ct256",
        speed: None,
        capacity: Capacity {
            logic: 7680,
            ff: 7680,
            bram: 32,
            bram_bits: 4096,
            spram: 0,
            dsp: 0,
            io: 206,
        },
        logic_kind: "LC",
        bram_kind: "SB_RAM40_4K",
        dsp_kind: None,
        use_dsp: false,
        board: Some("iCE40-HX8K Breakout Board (fpga/hx8k_breakout.pcf)"),
    },
    Target {
        name: "ecp5-25k",
        family: Family::Ecp5,
        device: "LFE5U-25F",
        nextpnr_device: "--25k",
        package: "CABGA381",
        speed: Some(6),
        capacity: Capacity {
            logic: 24288,
            ff: 24288,
            bram: 56,
            bram_bits: 18432,
            spram: 0,
            dsp: 28,
            io: 197,
        },
        logic_kind: "LUT4",
        bram_kind: "DP16KD",
        dsp_kind: Some("MULT18X18D"),
        use_dsp: true,
        board: Some("ULX3S 25F (fpga/ulx3s.lpf)"),
    },
    Target {
        name: "ecp5-45k",
        family: Family::Ecp5,
        device: "LFE5U-45F",
        nextpnr_device: "--45k",
        package: "CABGA381",
        speed: Some(6),
        capacity: Capacity {
            logic: 43848,
            ff: 43848,
            bram: 108,
            bram_bits: 18432,
            spram: 0,
            dsp: 72,
            io: 203,
        },
        logic_kind: "LUT4",
        bram_kind: "DP16KD",
        dsp_kind: Some("MULT18X18D"),
        use_dsp: true,
        board: Some("ULX3S 45F (fpga/ulx3s.lpf)"),
    },
    Target {
        name: "ecp5-85k",
        family: Family::Ecp5,
        device: "LFE5U-85F",
        nextpnr_device: "--85k",
        package: "CABGA381",
        speed: Some(6),
        capacity: Capacity {
            logic: 83640,
            ff: 83640,
            bram: 208,
            bram_bits: 18432,
            spram: 0,
            dsp: 156,
            io: 205,
        },
        logic_kind: "LUT4",
        bram_kind: "DP16KD",
        dsp_kind: Some("MULT18X18D"),
        use_dsp: true,
        board: Some("ULX3S 85F (fpga/ulx3s.lpf)"),
    },
];

impl Target {
    /// Looks a target up by name (case-insensitive).
    pub fn from_name(name: &str) -> Result<&'static Target> {
        let wanted = name.trim().to_ascii_lowercase();
        TARGETS
            .iter()
            .find(|t| t.name == wanted)
            .ok_or_else(|| FpgaError::UnknownTarget {
                name: name.to_string(),
                valid: Target::names().join(", "),
            })
    }

    /// All target names.
    pub fn names() -> Vec<&'static str> {
        TARGETS.iter().map(|t| t.name).collect()
    }

    /// All targets.
    pub fn all() -> &'static [Target] {
        TARGETS
    }

    /// Default tool programs for this target's family.
    pub fn toolchain(&self) -> crate::tools::Toolchain {
        crate::tools::Toolchain::for_family(self.family)
    }

    /// Extension of the constraints file nextpnr takes for this family.
    pub fn constraints_ext(&self) -> &'static str {
        match self.family {
            Family::Ice40 => "pcf",
            Family::Ecp5 => "lpf",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_is_found_by_name() {
        for t in TARGETS {
            assert_eq!(Target::from_name(t.name).unwrap().name, t.name);
        }
        assert_eq!(
            Target::from_name(" ICE40-UP5K ").unwrap().name,
            "ice40-up5k"
        );
    }

    #[test]
    fn the_config_accepts_exactly_these_targets() {
        // hitnet-model validates hw.target with its own list (it cannot
        // depend on this crate): the two must name the same targets.
        assert_eq!(Target::names(), hitnet_model::config::TARGET_NAMES);
    }

    #[test]
    fn unknown_target_lists_valid_names() {
        let e = Target::from_name("ice40-up3k").unwrap_err().to_string();
        assert!(e.contains("unknown FPGA target 'ice40-up3k'"), "{e}");
        for t in TARGETS {
            assert!(e.contains(t.name), "{e}");
        }
    }

    #[test]
    fn capacities_are_consistent() {
        for t in TARGETS {
            assert!(t.capacity.ff >= t.capacity.logic, "{}", t.name);
            assert_eq!(t.dsp_kind.is_some(), t.capacity.dsp > 0, "{}", t.name);
            assert!(!t.use_dsp || t.capacity.dsp > 0, "{}", t.name);
        }
    }
}
