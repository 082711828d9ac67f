//! Deployable builds and `hitnet deploy`: new model parameters into a
//! placed and routed design without synthesis or place and route.
//!
//! Every model parameter is a memory image (weights, biases, gate scales,
//! LFSR seeds; docs/architecture.md). A deployable build (`hitnet synth
//! --deployable`) synthesizes, places and routes with random placeholder
//! images in those memories ([`PLACEHOLDER_DIR`]), then deploys its own
//! model into the result; `hitnet deploy` deploys another model of the
//! same shape into a copy of the build. Deploying replaces the contents by
//! `icebram`'s rule on iCE40 and `ecpbram`'s on ECP5 ([`hitnet_fpga::bram`];
//! why not the tools themselves: see [`hitnet_fpga::bram::patch_asc`]) in
//! the placed design (the `.asc`, or nextpnr-ecp5's `.config`), then runs
//! the build's `pack.sh` (icepack, ecppack), and in the netlists that the
//! verification simulates: the synthesized `design.json` (written out as
//! `netlist.v`) and the routed `routed.json`. The placed design and
//! `routed.json` must then hold the same block-RAM contents.
//!
//! On ECP5 a deployable build infers its weight banks from images rather
//! than instantiating DP16KD with the weights in INITVAL
//! ([`hitnet_rtl::generate_for`] says why and what it costs).
use crate::ends::Ends;
use crate::{io, FlowError, Result};
use hitnet_arch::lm::FlashLayout;
use hitnet_fpga::bram::{self, Image, Replacements};
use hitnet_fpga::scripts::{self, files};
use hitnet_fpga::Family;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::{Command, Stdio};

/// What a deployable build records about itself (in the build folder).
pub const DEPLOY_FILE: &str = "hitnet_deploy.json";
/// The placeholder images the build was synthesized with.
pub const PLACEHOLDER_DIR: &str = "placeholder";
/// The placed design as routed (placeholders), what deploying patches:
/// `placeholder.asc` (iCE40) or `placeholder.config` (ECP5).
pub fn placeholder_placed(family: Family) -> &'static str {
    match family {
        Family::Ice40 => "placeholder.asc",
        Family::Ecp5 => "placeholder.config",
    }
}
/// The routed netlist as placed (placeholders).
pub const PLACEHOLDER_ROUTED: &str = "routed_placeholder.json";

pub use hitnet_rtl::ParamMemory as Memory;

/// The memories of `plan` (and its `ends`) that hold model parameters.
pub fn memories(plan: &hitnet_arch::Plan, ends: &Ends) -> Vec<Memory> {
    ends.memories(plan)
}

/// [`DEPLOY_FILE`]: the shape a deployable build fixes and the model it
/// holds now.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeployInfo {
    pub target: String,
    pub array: crate::synth::Array,
    pub memories: Vec<Memory>,
    /// SHA-256 of every generated file that is logic or a fixed table
    /// (Verilog, activation tables): a deployed model must generate them
    /// byte for byte.
    pub fixed: BTreeMap<String, String>,
    /// The manifest's keys that describe the shape, to name a difference.
    pub shape: serde_json::Value,
    /// design_sha256 of the model the bitstream holds.
    pub model_design_sha256: String,
    pub model: serde_json::Value,
    /// The ends' flash store: its words are not in the bitstream but in
    /// the flash image a deployment writes (same layout required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flash: Option<FlashLayout>,
}

const SHAPE_KEYS: [&str; 7] = [
    "array",
    "widths",
    "formats",
    "interface",
    "ports",
    "schedule",
    "cycles_per_token",
];

fn info_of(
    target: &hitnet_fpga::Target,
    plan: &hitnet_arch::Plan,
    ends: &Ends,
    design: &hitnet_rtl::Design,
    model: serde_json::Value,
) -> DeployInfo {
    let mems = memories(plan, ends);
    // The manifest's file hashes (hitnet_rtl computes them once), but for
    // the memories' images and the flash image: what a deployment changes.
    let fixed = design.manifest["files"]
        .as_object()
        .expect("a manifest lists its files")
        .iter()
        .filter(|(n, _)| !mems.iter().any(|m| &m.file == *n))
        .filter(|(n, _)| {
            n.as_str() != hitnet_arch::lm::FLASH_BIN && n.as_str() != hitnet_arch::lm::FLASH_HEX
        })
        .map(|(n, h)| (n.clone(), h.as_str().unwrap_or_default().to_string()))
        .collect();
    let shape = SHAPE_KEYS
        .iter()
        .map(|k| (k.to_string(), design.manifest[*k].clone()))
        .collect::<serde_json::Map<_, _>>();
    DeployInfo {
        target: target.name.to_string(),
        array: crate::synth::Array {
            rows: plan.rows,
            cols: plan.cols,
            lanes: plan.lanes,
        },
        memories: mems,
        fixed,
        shape: serde_json::Value::Object(shape),
        model_design_sha256: design.sha256(),
        model,
        flash: ends.flash(),
    }
}

/// The placeholder images of `mems`: random, every bit slice non-zero and
/// unique across the design, and the same for every build of the shape.
/// Refused (a user error: exit 2): a memory too shallow for unique slices.
fn placeholders(mems: &[Memory]) -> Result<Vec<Image>> {
    let mut taken = HashSet::new();
    mems.iter()
        .enumerate()
        .map(|(i, m)| {
            bram::placeholder(m.width, m.depth, 0x4e17_0000 + i as u64, &mut taken)
                .map_err(|e| FlowError::Input(format!("--deployable: {}: {e}", m.file)))
        })
        .collect()
}

/// Before synthesis: puts the placeholders in place of the model's images
/// in `out/gen` (what the flow copies and Yosys reads) and keeps a copy in
/// `out/placeholder`. Returns what [`finish`] needs.
pub fn prepare(
    out: &Path,
    target: &hitnet_fpga::Target,
    plan: &hitnet_arch::Plan,
    ends: &Ends,
    design: &hitnet_rtl::Design,
    model: serde_json::Value,
) -> Result<DeployInfo> {
    let info = info_of(target, plan, ends, design, model);
    let pdir = out.join(PLACEHOLDER_DIR);
    std::fs::create_dir_all(&pdir).map_err(io(&pdir))?;
    for (m, img) in info.memories.iter().zip(placeholders(&info.memories)?) {
        for dir in [&out.join("gen"), &pdir] {
            let p = dir.join(&m.file);
            std::fs::write(&p, img.to_hex()).map_err(io(&p))?;
        }
    }
    Ok(info)
}

/// Before a run that starts after place and route (`--from pack`): the
/// placed design as it was routed, with its placeholders, back in place.
pub fn restore_placed(out: &Path, family: Family) -> Result<()> {
    for (ph, f) in [
        (PLACEHOLDER_ROUTED, files::ROUTED_JSON),
        (placeholder_placed(family), scripts::routed_file(family)),
    ] {
        let (ph, f) = (out.join(ph), out.join(f));
        if ph.is_file() {
            std::fs::copy(&ph, &f).map_err(io(&ph))?;
        }
    }
    Ok(())
}

/// The replacements from the build's placeholders to `design`'s images.
fn replacements(
    build: &Path,
    info: &DeployInfo,
    design: &hitnet_rtl::Design,
) -> Result<Replacements> {
    let mut reps = Replacements::new(family_of(info)?);
    for m in &info.memories {
        let p = build.join(PLACEHOLDER_DIR).join(&m.file);
        let text = std::fs::read_to_string(&p).map_err(io(&p))?;
        let from = Image::parse_hex(&text, m.width, &m.file).map_err(bram_err)?;
        let to_text = design
            .files
            .iter()
            .find(|(n, _)| n == &m.file)
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .ok_or_else(|| FlowError::Input(format!("the new design has no {}", m.file)))?;
        let to = Image::parse_hex(&to_text, m.width, &m.file).map_err(bram_err)?;
        reps.add(&m.file, &from, &to).map_err(bram_err)?;
    }
    Ok(reps)
}

fn family_of(info: &DeployInfo) -> Result<Family> {
    hitnet_fpga::Target::from_name(&info.target)
        .map(|t| t.family)
        .map_err(|e| FlowError::Input(format!("the deploy record: {e}")))
}

fn bram_err(e: bram::BramError) -> FlowError {
    FlowError::Input(format!("deploy: {e}"))
}

fn read_json(p: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(p).map_err(io(p))?;
    serde_json::from_str(&text).map_err(|e| FlowError::Input(format!("{}: {e}", p.display())))
}

fn tool(name: &str) -> Result<std::path::PathBuf> {
    hitnet_fpga::tools::find_program(name)
        .ok_or_else(|| FlowError::Input(hitnet_fpga::tools::install_hint(name)))
}

fn run_tool(prog: &Path, dir: &Path, args: &[&str]) -> Result<()> {
    let o = Command::new(prog)
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(io(prog))?;
    if !o.status.success() {
        return Err(FlowError::Input(format!(
            "{} {}: {} ({})",
            prog.display(),
            args.join(" "),
            String::from_utf8_lossy(&o.stderr).trim(),
            o.status
        )));
    }
    Ok(())
}

/// The synthesized netlist with `design`'s contents: `design.json`
/// patched and written as `netlist.v` (what the netlist check simulates);
/// returns the block RAMs changed.
pub fn model_netlist(out: &Path, info: &DeployInfo, design: &hitnet_rtl::Design) -> Result<usize> {
    let mut reps = replacements(out, info, design)?;
    let mut doc = read_json(&out.join(files::NETLIST_JSON))?;
    let n = bram::patch_json(&mut doc, &mut reps).map_err(bram_err)?;
    reps.check().map_err(bram_err)?;
    let p = out.join("design_model.json");
    std::fs::write(&p, doc.to_string()).map_err(io(&p))?;
    // The Yosys that wrote design.json (0.23 cannot read 0.70's).
    let yosys = hitnet_fpga::tools::Toolchain::for_family(family_of(info)?).yosys;
    run_tool(
        &tool(&yosys)?,
        out,
        &[
            "-q",
            "-p",
            "read_json design_model.json; write_verilog -noattr netlist.v",
        ],
    )?;
    let _ = std::fs::remove_file(p);
    Ok(n)
}

/// What a deployment did.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Deployed {
    pub bitstream: String,
    /// The memories replaced (image files).
    pub replaced: Vec<String>,
    /// Block RAMs whose contents changed, in the routed design.
    pub block_rams: usize,
    pub seconds: f64,
    pub build: String,
    pub model_design_sha256: String,
    pub model: serde_json::Value,
    /// The ends' flash image of the model (the flash store), to program
    /// next to the bitstream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flash: Option<crate::synth::FlashImage>,
}

/// After place and route (and pack): puts `design`'s images into the
/// placed design in `out`: the `.asc` or `.config` and the build's
/// `pack.sh` when the build has one, and `routed.json` in every case.
/// `build` holds the placeholders (the same folder, or the build `out` was
/// copied from). With `fresh`, the flow has just written `routed.json`
/// (and the placed design) with the placeholders; they become the
/// placeholder copies.
pub fn finish(
    build: &Path,
    out: &Path,
    info: &DeployInfo,
    design: &hitnet_rtl::Design,
    model: serde_json::Value,
    fresh: bool,
) -> Result<Deployed> {
    let t0 = std::time::Instant::now();
    let family = family_of(info)?;
    let routed_ph = out.join(PLACEHOLDER_ROUTED);
    let placed_ph = out.join(placeholder_placed(family));
    let placed = out.join(scripts::routed_file(family));
    if fresh {
        let r = out.join(files::ROUTED_JSON);
        std::fs::rename(&r, &routed_ph).map_err(io(&r))?;
        let _ = std::fs::remove_file(&placed_ph);
        if placed.is_file() {
            std::fs::rename(&placed, &placed_ph).map_err(io(&placed))?;
        }
    }
    let reps = replacements(build, info, design)?;
    // Each application counts its own finds (every slice once).
    let mut on_routed = reps.clone();
    let mut routed = read_json(&routed_ph)?;
    let changed = bram::patch_json(&mut routed, &mut on_routed).map_err(bram_err)?;
    on_routed.check().map_err(bram_err)?;
    // The bitstream: the placed design patched by the same rule, then the
    // build's own packing step.
    let mut bitstream = String::new();
    if placed_ph.is_file() {
        let text = std::fs::read_to_string(&placed_ph).map_err(io(&placed_ph))?;
        let mut on_placed = reps.clone();
        let (text, _) = bram::patch_placed(family, &text, &mut on_placed).map_err(bram_err)?;
        on_placed.check().map_err(bram_err)?;
        let mut theirs: Vec<Vec<bool>> = bram::placed_contents(family, &text)
            .map_err(bram_err)?
            .into_iter()
            .filter(|v| v.iter().any(|&b| b))
            .collect();
        std::fs::write(&placed, &text).map_err(io(&placed))?;
        // The bitstream and the routed netlist: the same RAMs.
        let mut ours: Vec<Vec<bool>> = bram::json_contents(&mut routed)
            .map_err(bram_err)?
            .into_iter()
            .filter(|v| v.iter().any(|&b| b))
            .collect();
        theirs.sort();
        ours.sort();
        if theirs != ours {
            return Err(FlowError::NetlistDiffers(format!(
                "deploy: {} and the patched routed netlist hold different block-RAM contents ({} and {} non-empty RAMs)",
                placed.display(),
                theirs.len(),
                ours.len()
            )));
        }
        run_tool(Path::new("sh"), out, &[files::PACK_SH])?;
        bitstream = out
            .join(scripts::bitstream_file(family))
            .display()
            .to_string();
    }
    let r = out.join(files::ROUTED_JSON);
    std::fs::write(&r, routed.to_string()).map_err(io(&r))?;
    let mut info = info.clone();
    info.model_design_sha256 = design.sha256();
    info.model = model.clone();
    let p = out.join(DEPLOY_FILE);
    std::fs::write(
        &p,
        serde_json::to_string_pretty(&info).expect("deploy info serializes") + "\n",
    )
    .map_err(io(&p))?;
    Ok(Deployed {
        bitstream,
        replaced: reps.names().map(str::to_string).collect(),
        block_rams: changed,
        seconds: t0.elapsed().as_secs_f64(),
        build: build.display().to_string(),
        model_design_sha256: design.sha256(),
        model,
        flash: match info.flash {
            Some(f) => Some(crate::synth::write_flash_image(out, &f, design)?),
            None => None,
        },
    })
}

/// Reads a deployable build's [`DEPLOY_FILE`].
pub fn read_info(build: &Path) -> Result<DeployInfo> {
    let p = build.join(DEPLOY_FILE);
    let text = std::fs::read_to_string(&p).map_err(|e| {
        FlowError::Input(format!(
            "{}: {e}; --build must be a folder of `hitnet synth --deployable`",
            p.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| {
        FlowError::Input(format!(
            "{}: not a deploy record of this hitnet ({e})",
            p.display()
        ))
    })
}

/// Refuses a model that does not fit the build: names what differs.
pub fn check_same_shape(info: &DeployInfo, new: &DeployInfo) -> Result<()> {
    let mut diffs = Vec::new();
    for k in SHAPE_KEYS {
        if info.shape[k] != new.shape[k] {
            diffs.push(format!("`{k}`"));
        }
    }
    for (f, h) in &info.fixed {
        match new.fixed.get(f) {
            Some(n) if n == h => {}
            Some(_) => diffs.push(format!("{f} (logic or a fixed table)")),
            None => diffs.push(format!("{f} (missing)")),
        }
    }
    if info.memories != new.memories {
        diffs.push("the memories' widths or depths".into());
    }
    if info.flash != new.flash {
        diffs.push("the flash store's layout or offset".into());
    }
    if diffs.is_empty() {
        return Ok(());
    }
    Err(FlowError::Input(format!(
        "the model does not fit this build: it differs in {}; only memory contents can be deployed (weights, biases, gate scales, LFSR and sampler seeds, the ends' tables and flash image); a different shape, width, quantization format or activation threshold needs hitnet synth",
        diffs.join(", ")
    )))
}

/// `hitnet deploy`: `loaded` into a copy `out` of the deployable `build`.
pub struct Job<'a> {
    pub loaded: &'a hitnet_model::Loaded,
    pub build: &'a Path,
    pub out: &'a Path,
}

/// Plans the new model at the build's shape, refuses what does not fit,
/// copies the build and deploys.
pub fn run(job: &Job) -> Result<Deployed> {
    let t0 = std::time::Instant::now();
    let info = read_info(job.build)?;
    let target = hitnet_fpga::Target::from_name(&info.target)
        .map_err(|e| FlowError::Input(format!("{}: {e}", job.build.display())))?;
    let shape = hitnet_arch::Shape::of(&job.loaded.config.hw)
        .at(info.array.rows, info.array.cols)
        .with_lanes(info.array.lanes);
    let plan =
        hitnet_arch::Plan::new(&job.loaded.int, shape).map_err(|source| FlowError::Plan {
            what: "the new model at the build's shape".into(),
            source,
        })?;
    let ends = Ends::of(job.loaded, &plan)?;
    let design = ends.generate(
        &plan,
        crate::config_json(job.loaded),
        crate::bram_for_target(target.name),
        true,
    );
    let model = crate::model_json(job.loaded);
    let new = info_of(target, &plan, &ends, &design, model.clone());
    check_same_shape(&info, &new)?;
    let same = std::fs::canonicalize(job.build).ok() == std::fs::canonicalize(job.out).ok();
    if !same {
        if job.out.exists()
            && std::fs::read_dir(job.out)
                .map_err(io(job.out))?
                .next()
                .is_some()
        {
            return Err(FlowError::Input(format!(
                "--out {} exists and is not empty; give a new folder (or --out the build itself to deploy in place)",
                job.out.display()
            )));
        }
        copy_dir(job.build, job.out)?;
    }
    // The generated design of the new model, for the RTL side of a
    // routed verification of the deployed build.
    design.write(&job.out.join("gen"))?;
    let mut d = finish(job.out, job.out, &info, &design, model, false)?;
    model_netlist(job.out, &info, &design)?;
    d.build = job.build.display().to_string();
    d.seconds = t0.elapsed().as_secs_f64();
    Ok(d)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    for e in std::fs::read_dir(from).map_err(io(from))? {
        let e = e.map_err(io(from))?;
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(io(&src))?;
        }
    }
    Ok(())
}
