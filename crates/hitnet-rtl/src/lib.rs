//! # hitnet-rtl: the RTL generator
//!
//! Turns a [`Plan`] into synthesizable Verilog (`hitnet_top.v`), the memory
//! images it loads with `$readmemh`, and `manifest.json`. The blocks
//! (`blocks/`) build a hierarchy of modules with run-time widths
//! (`hier.rs`), whose one printer emits each distinct module once; the two
//! fixed-width leaves are native rust-hdl blocks (`leaf.rs`), printed by
//! rust-hdl.
//! Output is deterministic: the same plan gives byte-identical files.
pub mod blocks;
pub mod cls;
mod ends;
pub mod hier;
pub mod leaf;
pub mod lint;
pub mod lm;
pub mod vlog;

use blocks::Ctx;
use hitnet_arch::Plan;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub const TOP: &str = "hitnet_top";

/// Simulation model of the ECP5 DP16KD block RAM, appended to hitnet_top.v
/// when the design instantiates it (Yosys skips it: `ifndef SYNTHESIS).
pub const DP16KD_MODEL: &str = include_str!("../../../sim/models/dp16kd_model.v");

/// How the weight banks are built on block RAM.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bram {
    /// Behavioural memories from $readmemh images; Yosys infers the block
    /// RAM (iCE40, simulation, any other flow).
    #[default]
    Inferred,
    /// ECP5 DP16KD primitives with REGMODE OUTREG and the weights in
    /// INITVAL (`blocks::wbank` says why); banks deeper than 2048 words
    /// stay inferred.
    Dp16kd,
}

#[derive(Debug, thiserror::Error)]
pub enum RtlError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: output folder exists and is not a folder hitnet generated (no manifest.json); choose another --out or remove it", .0.display())]
    NotOurs(PathBuf),
    #[error("{}: no \"verilog\" file list; regenerate the design with `hitnet gen`", .0.display())]
    Manifest(PathBuf),
}

/// A memory whose contents are model parameters: what a deployment
/// replaces in a placed design.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ParamMemory {
    /// Its image file in the generated design (`w_0.hex`, `m.hex`, ...).
    pub file: String,
    pub width: usize,
    pub depth: usize,
}

/// The memories of `plan` that hold model parameters, named as
/// [`generate_for`] names their images (inferred weight banks): the
/// weight banks, each lane's biases and LFSR memory (seeds), the scales.
pub fn parameter_memories(plan: &Plan) -> Vec<ParamMemory> {
    let m = |file: String, width: u32, depth: usize| ParamMemory {
        file,
        width: width as usize,
        depth,
    };
    let mut v: Vec<ParamMemory> = (0..plan.rows)
        .map(|r| {
            m(
                format!("w_{r}.hex"),
                2 * plan.cols as u32,
                plan.weight_depth,
            )
        })
        .collect();
    for lane in 0..plan.lanes {
        v.push(m(
            format!("b_{lane}.hex"),
            plan.widths.bias,
            plan.bias_depth,
        ));
        if plan.activation == hitnet_model::ActMode::Bernoulli {
            v.push(m(format!("lfsr_{lane}.hex"), 32, plan.lfsr_depth()));
        }
    }
    v.push(m("m.hex".into(), plan.widths.mult, plan.mult_depth()));
    v
}

/// A generated design: file names and contents, in a fixed order.
#[derive(Clone, Debug)]
pub struct Design {
    pub files: Vec<(String, Vec<u8>)>,
    pub manifest: serde_json::Value,
}

/// A top-level port, as the manifest describes it.
#[derive(Serialize)]
pub struct Port {
    pub name: &'static str,
    pub dir: &'static str,
    pub width: usize,
    pub description: &'static str,
}

/// The top-level ports (docs/architecture.md, "Interface"): the one list
/// the top module is built from and the manifest describes.
pub fn ports(p: &Plan) -> Vec<Port> {
    let lb = p.layer_bits() as usize;
    vec![
        Port {
            name: "clk",
            dir: "in",
            width: 1,
            description: "clock",
        },
        Port {
            name: "rst",
            dir: "in",
            width: 1,
            description: "synchronous reset, active high",
        },
        Port {
            name: "s_valid",
            dir: "in",
            width: 1,
            description: "input beat valid",
        },
        Port {
            name: "s_ready",
            dir: "out",
            width: 1,
            description: "input beat accepted when valid & ready",
        },
        Port {
            name: "s_data",
            dir: "in",
            width: 2 * p.in_trits,
            description:
                "in_trits trits of x_t; trit k in bits [2k+1:2k] (00 = 0, 01 = +1, 11 = -1)",
        },
        Port {
            name: "s_first",
            dir: "in",
            width: 1,
            description: "with a token's first beat: start a new sequence",
        },
        Port {
            name: "m_valid",
            dir: "out",
            width: 1,
            description: "output beat valid",
        },
        Port {
            name: "m_ready",
            dir: "in",
            width: 1,
            description: "output beat taken; low stalls the accelerator",
        },
        Port {
            name: "m_data",
            dir: "out",
            width: 2 * p.out_trits,
            description: "out_trits trits of h_t, units in ascending order, zero past H",
        },
        Port {
            name: "m_layer",
            dir: "out",
            width: lb,
            description: "layer of the beat",
        },
        Port {
            name: "m_last",
            dir: "out",
            width: 1,
            description: "last beat of a layer's h_t",
        },
        Port {
            name: "idle",
            dir: "out",
            width: 1,
            description: "no token in flight and no beat pending",
        },
    ]
}

/// The manifest entries of a design whose top is a pair of model ends
/// (`top`) around the core: the top, the core, the Verilog files, every
/// file's hash and the design's.
pub(crate) fn ends_manifest(d: &mut Design, top: &str) {
    let hashes: serde_json::Map<String, serde_json::Value> = d
        .files
        .iter()
        .map(|(n, b)| (n.clone(), serde_json::Value::String(sha(b))))
        .collect();
    let m = &mut d.manifest;
    m["top"] = top.into();
    m["core"] = TOP.into();
    m["verilog"] = d
        .files
        .iter()
        .map(|(n, _)| n.clone())
        .filter(|n| n.ends_with(".v"))
        .collect::<Vec<_>>()
        .into();
    m["files"] = hashes.into();
    m["design_sha256"] = design_sha256(&d.files).into();
}

pub(crate) fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// The design's identity: SHA-256 over "name sha256\n" of every generated
/// file (Verilog and memory images), sorted by name. Results files record
/// it, and a test fails when the generator no longer produces that design.
pub fn design_sha256(files: &[(String, Vec<u8>)]) -> String {
    let mut lines: Vec<String> = files
        .iter()
        .map(|(n, b)| format!("{n} {}\n", sha(b)))
        .collect();
    lines.sort();
    sha(lines.concat().as_bytes())
}

/// The Verilog files of a generated design folder, top first, as its
/// manifest.json lists them.
pub fn verilog_files(dir: &Path) -> Result<Vec<PathBuf>, RtlError> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|source| RtlError::Io {
        path: path.clone(),
        source,
    })?;
    let names: Option<Vec<String>> = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|m| serde_json::from_value(m["verilog"].clone()).ok());
    match names {
        Some(n) if !n.is_empty() => Ok(n.iter().map(|n| dir.join(n)).collect()),
        _ => Err(RtlError::Manifest(path)),
    }
}

/// The Verilog of a generated design folder in one text, top first.
pub fn read_verilog(dir: &Path) -> Result<String, RtlError> {
    let mut parts = Vec::new();
    for f in verilog_files(dir)? {
        parts.push(std::fs::read_to_string(&f).map_err(|source| RtlError::Io { path: f, source })?);
    }
    Ok(parts.join("\n"))
}

/// Generates the design with inferred block RAM (any target).
/// `config` is echoed into the manifest.
pub fn generate(plan: &Plan, config: serde_json::Value) -> Design {
    generate_with(plan, config, Bram::Inferred)
}

/// Generates the design with the weight banks built as `bram` says.
pub fn generate_with(plan: &Plan, config: serde_json::Value, bram: Bram) -> Design {
    generate_for(plan, config, bram, false)
}

/// [`generate_with`]; with `deployable`, every memory that holds model
/// parameters asks for block RAM (a deployment replaces block-RAM
/// contents; without it Yosys may keep a small bias memory in logic), and
/// the weight banks are inferred from their images even where `bram` says
/// DP16KD: a DP16KD bank carries the weights in INITVAL parameters of the
/// Verilog, which would make them logic that differs between two models.
/// The price is the bank's output register in fabric instead of the
/// block RAM's own (slower clock-to-out on the long wires to the array).
pub fn generate_for(
    plan: &Plan,
    config: serde_json::Value,
    bram: Bram,
    deployable: bool,
) -> Design {
    let bram = if deployable { Bram::Inferred } else { bram };
    let mut c = Ctx::new(plan, bram);
    c.deployable = deployable;
    let ebr = blocks::wbank::layout(&c);
    let top = blocks::top::build(&c);
    let modules = hier::print(&top);
    let h = &plan.layers[0];
    let header = format!(
        "// {TOP}: HitNet {} accelerator, generated by hitnet-hw {} (`hitnet gen`). Do not edit.\n\
         // Model: {} inputs, {} hidden, {} layer(s). Array {} x {}, {} lane(s).\n\
         // Arithmetic: docs/arithmetic.md. Microarchitecture and timing: docs/architecture.md.\n\
         // One module per file; manifest.json lists the files (\"verilog\"), {TOP}.v first.\n",
        plan.cell.name().to_uppercase(),
        env!("CARGO_PKG_VERSION"),
        plan.layers[0].input_size,
        h.hidden_size,
        plan.layers.len(),
        plan.rows,
        plan.cols,
        plan.lanes
    );
    let mut files: Vec<(String, Vec<u8>)> = modules
        .iter()
        .map(|(name, text)| {
            let head = if name == TOP {
                header.clone()
            } else {
                format!(
                    "// {name}: part of {TOP}, generated by hitnet-hw {}. Do not edit.\n",
                    env!("CARGO_PKG_VERSION")
                )
            };
            (
                format!("{name}.v"),
                format!("{head}{}\n", text.trim_end()).into_bytes(),
            )
        })
        .collect();
    if ebr.is_some() {
        files.push(("DP16KD.v".into(), DP16KD_MODEL.as_bytes().to_vec()));
    }
    // DP16KD banks carry their weights in INITVAL: no image to load.
    if ebr.is_none() {
        for r in 0..plan.rows {
            files.push((
                format!("w_{r}.hex"),
                blocks::wbank::image(&c, r).into_bytes(),
            ));
        }
    }
    for lane in 0..plan.lanes {
        files.push((
            format!("b_{lane}.hex"),
            blocks::post::bias_image(&c, lane).into_bytes(),
        ));
        if plan.activation == hitnet_model::ActMode::Bernoulli {
            files.push((
                format!("lfsr_{lane}.hex"),
                blocks::ew::lfsr_image(&c, lane).into_bytes(),
            ));
        }
    }
    files.push(("m.hex".into(), blocks::post::mult_image(&c).into_bytes()));
    files.push(("act.hex".into(), blocks::post::table_image(&c).into_bytes()));
    files.push(("tanh.hex".into(), blocks::ew::tanh_image(&c).into_bytes()));
    let hashes: serde_json::Map<String, serde_json::Value> = files
        .iter()
        .map(|(n, b)| (n.clone(), serde_json::Value::String(sha(b))))
        .collect();
    let design_sha = design_sha256(&files);
    let manifest = serde_json::json!({
        "generator": format!("hitnet-hw {}", env!("CARGO_PKG_VERSION")),
        "top": TOP,
        "verilog": files.iter().map(|(n, _)| n.clone()).filter(|n| n.ends_with(".v")).collect::<Vec<_>>(),
        "config": config,
        "interface": {
            "input_size": plan.layers[0].input_size,
            "hidden_size": h.hidden_size,
            "layers": plan.layers.len(),
            "in_trits": plan.in_trits,
            "in_beats": plan.in_beats,
            "out_trits": plan.out_trits,
            "out_beats_per_layer": plan.out_beats,
            "layer_bits": plan.layer_bits(),
            "trit_encoding": "00 = 0, 01 = +1, 11 = -1; trit k in bits [2k+1:2k]",
        },
        "ports": ports(plan),
        "array": {"rows": plan.rows, "cols": plan.cols, "lanes": plan.lanes, "tree_depth": plan.tree_depth},
        "formats": plan.formats,
        "widths": plan.widths,
        "memories": {
            "weight_banks": plan.rows,
            "weight_words": plan.weight_depth,
            "weight_word_bits": 2 * plan.cols,
            "weight_bram": match ebr {
                Some(e) => serde_json::json!({
                    "primitive": "DP16KD", "regmode": "OUTREG", "width": e.width,
                    "blocks_per_bank": e.blocks, "blocks": e.blocks * plan.rows,
                }),
                None => serde_json::json!({"primitive": "inferred", "requested": bram}),
            },
            "bias_words_per_lane": plan.bias_depth,
            "state_words_per_lane": plan.state_depth,
            "table_entries": plan.images().post_table.len(),
        },
        "schedule": plan.layers.iter().map(|l| serde_json::json!({
            "groups": l.groups,
            "segments": l.segments.iter().map(|s| serde_json::json!({
                "gate": s.name, "block_start": s.block_start, "blocks": s.blocks,
            })).collect::<Vec<_>>(),
            "mvm_cycles": l.mvm_cycles,
            "tail_cycles": l.tail_cycles,
        })).collect::<Vec<_>>(),
        "cycles_per_token": plan.cycles.per_token,
        "bound_cycles_per_token": plan.cycles.bound_per_token,
        "utilization": plan.cycles.utilization,
        "cycle_formula": plan.cycles.formula,
        "files": hashes,
        "design_sha256": design_sha,
    });
    Design { files, manifest }
}

impl Design {
    /// See [`design_sha256`].
    pub fn sha256(&self) -> String {
        design_sha256(&self.files)
    }

    /// The Verilog files, top first (the manifest's "verilog").
    pub fn verilog_files(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files
            .iter()
            .filter(|(n, _)| n.ends_with(".v"))
            .map(|(n, b)| (n.as_str(), std::str::from_utf8(b).expect("utf-8")))
    }

    /// All Verilog files in one text, top first: for tools given one file
    /// (the co-simulation's Verilator build) and for snapshots.
    pub fn verilog(&self) -> String {
        self.verilog_files()
            .map(|(_, t)| t)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Writes the design into `out`: everything goes to a temporary folder
    /// next to it first, then replaces `out`, so a failure leaves nothing
    /// half-written. An existing `out` is replaced only if hitnet made it.
    pub fn write(&self, out: &Path) -> Result<(), RtlError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| RtlError::Io { path, source }
        };
        if out.exists() && !(out.is_dir() && out.join("manifest.json").exists()) {
            let empty = out.is_dir()
                && std::fs::read_dir(out)
                    .map(|mut d| d.next().is_none())
                    .unwrap_or(false);
            if !empty {
                return Err(RtlError::NotOurs(out.to_path_buf()));
            }
        }
        let parent = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let tmp = parent.join(format!(".{name}.tmp{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        // Errors name the folder the user gave, not the temporary one
        // (".out.tmp<pid>", which is gone when the message is read).
        std::fs::create_dir_all(&tmp).map_err(io(out))?;
        let result = (|| {
            for (n, b) in &self.files {
                std::fs::write(tmp.join(n), b).map_err(io(&out.join(n)))?;
            }
            let m = serde_json::to_string_pretty(&self.manifest).expect("json") + "\n";
            std::fs::write(tmp.join("manifest.json"), m).map_err(io(&out.join("manifest.json")))?;
            if out.exists() {
                std::fs::remove_dir_all(out).map_err(io(out))?;
            }
            std::fs::rename(&tmp, out).map_err(io(out))
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        result
    }
}
