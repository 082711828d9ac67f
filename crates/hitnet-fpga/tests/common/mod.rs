//! Shared by the tests that build the real generated accelerator: a config
//! text -> model, plan, and `hitnet gen`'s output folder.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub struct Generated {
    pub loaded: hitnet_model::config::Config,
    pub model: hitnet_model::IntModel,
    pub plan: hitnet_arch::Plan,
    pub dir: PathBuf,
    pub manifest: serde_json::Value,
}

/// Generates the accelerator of `config` (TOML text) into `dir`, built for
/// its hw.target as `hitnet synth` builds it (DP16KD weight banks on ECP5).
pub fn generate(config: &str, dir: &Path) -> Generated {
    let cfg = hitnet_model::Config::parse(config, "<test config>").expect("config");
    let loaded = hitnet_model::load(&cfg).expect("model");
    let hw = &cfg.hw;
    let plan = hitnet_arch::Plan::new(&loaded.int, hitnet_arch::Shape::of(hw)).expect("plan");
    let design = hitnet_rtl::generate_with(
        &plan,
        serde_json::json!({}),
        match hitnet_fpga::Target::from_name(&hw.target) {
            Ok(t) if t.family == hitnet_fpga::Family::Ecp5 => hitnet_rtl::Bram::Dp16kd,
            _ => hitnet_rtl::Bram::Inferred,
        },
    );
    design.write(dir).expect("write the design");
    Generated {
        loaded: cfg,
        model: loaded.int,
        plan,
        dir: dir.to_path_buf(),
        manifest: design.manifest,
    }
}

/// The `.hex` images of a generated folder.
pub fn images(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("generated folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "hex"))
        .collect();
    v.sort();
    v
}

/// A file under tests/fixtures.
pub fn fixture_file(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Writes an executable shell script `name` into `dir` (a stand-in tool)
/// and returns its path.
pub fn fake_tool(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    p.to_str().unwrap().to_string()
}

/// A one-file design in `dir`: `t.v` holding `verilog` (its top module
/// `t`), at 12 MHz.
pub fn tiny_design(dir: &Path, verilog: &str) -> hitnet_fpga::Design {
    let v = dir.join("t.v");
    std::fs::write(&v, verilog).unwrap();
    hitnet_fpga::Design::new(vec![v], "t", 12.0)
}

/// The body of a stand-in yosys that logs `run` to runs.txt and, asked for
/// DSPs, maps 12 multipliers to SB_MAC16 (the UP5K has 8) plus `more_cells`
/// (further JSON members, e.g. `, "SB_LUT4": 10`); asked for none, it
/// copies the captured UP5K stat.json.
pub fn dsp_yosys(run: &str, more_cells: &str) -> String {
    format!(
        "echo {run} >> runs.txt\n\
         if grep -q -- '-dsp' synth.ys; then\n\
           echo '{{\"creator\": \"Yosys 0.23\", \"design\": {{\"num_cells_by_type\": {{\"SB_MAC16\": 12{more_cells}}}}}}}' > stat.json\n\
         else cp '{}' stat.json; fi\n\
         echo '{{}}' > design.json\necho 'Yosys log' > synth.log",
        fixture_file("ice40_up5k_uart/stat.json").display()
    )
}
