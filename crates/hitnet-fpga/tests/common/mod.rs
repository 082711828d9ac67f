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
