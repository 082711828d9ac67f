//! Resource estimates of a design without synthesis or place and route
//! (iCE40), so `hitnet explore --estimate-only` can rank every shape that
//! fits a target and place and route only the best few.
//!
//! - **Block RAM** from the generated Verilog itself: every memory
//!   (`reg [W-1:0] m [0:D-1]`) with its instance count, mapped the way
//!   Yosys's `memory_libmap` does for iCE40 (a memory goes to SB_RAM40_4K
//!   when that is cheaper than logic: 64 per block, plus 2 per bit of an
//!   emulated combinational read, against 1 per bit of RAM and 1/16 per
//!   bit of ROM; `ram_style = "block"` forces it), plus the UART wrapper's
//!   receive FIFO.
//! - **DSP** (SB_MAC16): per lane, from the calibration.
//! - **Logic cells and flip-flops**: least squares on features of the plan
//!   (PEs, rows, adder-tree registers, lanes, z/h buffer bits), fitted on
//!   measured post-route results (`fpga/results/resource-model/ice40.json`).
//!   The calibration table reports each design's leave-one-out error: the
//!   prediction of a fit that did not see that design.
use crate::{FlowError, Result};
use hitnet_arch::Plan;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One memory of the design: its shape and how many instances there are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Memory {
    pub module: String,
    pub name: String,
    pub width: u64,
    pub depth: u64,
    /// Written by the design (a RAM), else a ROM.
    pub ram: bool,
    /// `ram_style = "block"`: Yosys must use block RAM.
    pub block: bool,
    /// Read combinationally (`wire v = m[a]`): block RAM then needs its
    /// read register emulated, which Yosys charges per data bit.
    pub async_read: bool,
    pub instances: u64,
}

/// The memories of a generated design, with the instance count of each
/// module below `top`.
pub fn memories(design: &hitnet_rtl::Design, top: &str) -> Vec<Memory> {
    let texts: BTreeMap<String, String> = design
        .files
        .iter()
        .filter(|(n, _)| n.ends_with(".v"))
        .map(|(n, b)| {
            (
                n.trim_end_matches(".v").to_string(),
                String::from_utf8_lossy(b).into(),
            )
        })
        .collect();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    instances(&texts, top, 1, &mut counts);
    let mut out = Vec::new();
    for (module, n) in &counts {
        let Some(text) = texts.get(module) else {
            continue;
        };
        for line in text.lines() {
            if let Some(m) = memory_decl(line, text) {
                out.push(Memory {
                    module: module.clone(),
                    instances: *n,
                    ..m
                });
            }
        }
    }
    out
}

/// Adds `times` instances of `module` and, recursively, of what it instantiates.
fn instances(
    texts: &BTreeMap<String, String>,
    module: &str,
    times: u64,
    out: &mut BTreeMap<String, u64>,
) {
    *out.entry(module.to_string()).or_default() += times;
    let Some(text) = texts.get(module) else {
        return;
    };
    let mut children: BTreeMap<&str, u64> = BTreeMap::new();
    for line in text.lines() {
        let t = line.trim_start();
        let Some(name) = t.split([' ', '#', '(']).next() else {
            continue;
        };
        if name != module && texts.contains_key(name) && t.contains('(') {
            *children.entry(name).or_default() += 1;
        }
    }
    for (c, n) in children {
        instances(texts, c, times * n, out);
    }
}

/// `reg [W-1:0] name [0:D-1];` (with an optional `(* ram_style ... *)`).
fn memory_decl(line: &str, text: &str) -> Option<Memory> {
    let block = line.contains("ram_style = \"block\"");
    let rest = line[line.find("reg [")? + 5..].trim_start();
    let (msb, rest) = rest.split_once(':')?;
    let rest = rest.split_once(']')?.1.trim_start();
    let (name, rest) = rest.split_once(' ')?;
    let rest = rest.trim_start().strip_prefix("[0:")?;
    let (last, _) = rest.split_once(']')?;
    let width = msb.trim().parse::<u64>().ok()? + 1;
    let depth = last.trim().parse::<u64>().ok()? + 1;
    // A RAM is written: `name[...] <= ...` (a read has it after the `<=`).
    let pat = format!("{name}[");
    let ram = text.lines().any(|l| match (l.find(&pat), l.find("<=")) {
        (Some(at), Some(assign)) => at < assign,
        _ => false,
    });
    let async_read = text.lines().any(|l| {
        let l = l.trim_start();
        (l.starts_with("wire") || l.starts_with("assign")) && l.contains(&format!("= {pat}"))
    });
    Some(Memory {
        module: String::new(),
        name: name.to_string(),
        width,
        depth,
        ram,
        block,
        async_read,
        instances: 1,
    })
}

/// SB_RAM40_4K blocks for a `width` x `depth` memory: its width split into
/// slices of the 256x16, 512x8, 1024x4 and 2048x2 modes, each slice
/// ceil(depth / mode depth) blocks deep, the split that needs fewest
/// (Yosys mixes modes: 24 x 576 is 16 bits in 3 blocks + 8 in 2).
pub fn ice40_blocks(width: u64, depth: u64) -> u64 {
    const MODES: [(u64, u64); 4] = [(16, 256), (8, 512), (4, 1024), (2, 2048)];
    // best[w]: fewest blocks for w bits of width.
    let mut best = vec![0u64; width as usize + 1];
    for w in 1..=width as usize {
        best[w] = MODES
            .iter()
            .map(|&(mw, md)| best[w.saturating_sub(mw as usize)] + depth.div_ceil(md))
            .min()
            .unwrap_or(0);
    }
    best[width as usize]
}

/// The blocks Yosys gives one instance of `m` (0: mapped to logic).
pub fn ice40_mapped_blocks(m: &Memory) -> u64 {
    let blocks = ice40_blocks(m.width, m.depth);
    if m.block {
        return blocks;
    }
    let bits = m.width * m.depth;
    let logic = if m.ram { bits } else { bits / 16 };
    // Yosys's FACTOR_EMU (2) per bit of the emulated read register.
    let emulation = if m.async_read { 2 * m.width } else { 0 };
    if 64 * blocks + emulation < logic {
        blocks
    } else {
        0
    }
}

/// The UART wrapper's receive FIFO (8 x 2^7): one block.
pub const UART_FIFO_BLOCKS: u64 = 1;

/// What the regression sees of a design.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Features {
    pub pes: f64,
    pub rows: f64,
    /// Adder-tree register bits per row summed: rows x depth.
    pub tree: f64,
    pub lanes: f64,
    /// Lanes of a GRU (its element-wise stage differs).
    pub gru_lanes: f64,
    /// Trits of the x and h buffers, in bits (two of each).
    pub buffer_bits: f64,
}

impl Features {
    pub fn of(plan: &Plan, model: &hitnet_model::IntModel) -> Features {
        let l = model.layers.len() as f64;
        let gru = model.cell == hitnet_model::CellKind::Gru;
        Features {
            pes: (plan.rows * plan.cols) as f64,
            rows: plan.rows as f64,
            tree: (plan.rows as u32 * plan.tree_depth) as f64,
            lanes: plan.lanes as f64,
            gru_lanes: if gru { plan.lanes as f64 } else { 0.0 },
            buffer_bits: 4.0 * (model.input_size as f64 + model.hidden_size as f64 * l),
        }
    }

    fn vector(&self) -> [f64; 7] {
        [
            1.0,
            self.pes,
            self.rows,
            self.tree,
            self.lanes,
            self.gru_lanes,
            self.buffer_bits,
        ]
    }
}

/// A measured design of the calibration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measured {
    pub name: String,
    /// The config (TOML, relative to the repository) and the array built.
    pub config_file: String,
    pub rows: usize,
    pub cols: usize,
    pub design_sha256: String,
    pub logic: u64,
    pub ff: u64,
    pub bram: u64,
    pub dsp: u64,
    /// Placed and routed. A design that did not fit the target has Yosys's
    /// counts, which check block RAM and DSP only (not fitted).
    pub fits: bool,
    /// Where the numbers come from (a results file or explore.json).
    pub source: String,
    /// [`Features::of`] the design (written by the `calibrate` example,
    /// checked by tests/resource_model.rs), so fitting needs no config.
    pub features: Features,
}

/// The calibration file: measured designs of one family and toolchain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    pub family: String,
    pub tools: String,
    /// SB_MAC16 per post/element-wise lane: LSTM, GRU.
    pub dsp_per_lane_lstm: u64,
    pub dsp_per_lane_gru: u64,
    pub designs: Vec<Measured>,
}

/// The committed iCE40 calibration.
pub const ICE40_CALIBRATION: &str = include_str!("../../../fpga/results/resource-model/ice40.json");

/// Least-squares coefficients of `ys` on `xs` (ridge 1e-9 for stability).
fn fit(xs: &[[f64; 7]], ys: &[f64]) -> [f64; 7] {
    const N: usize = 7;
    let mut a = [[0f64; N + 1]; N];
    for (x, &y) in xs.iter().zip(ys) {
        for i in 0..N {
            for j in 0..N {
                a[i][j] += x[i] * x[j];
            }
            a[i][N] += x[i] * y;
        }
    }
    for (i, row) in a.iter_mut().enumerate() {
        row[i] += 1e-9;
    }
    // Gaussian elimination with partial pivoting.
    for c in 0..N {
        let p = (c..N)
            .max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))
            .unwrap_or(c);
        a.swap(c, p);
        let d = a[c][c];
        if d.abs() < 1e-12 {
            continue;
        }
        let pivot = a[c];
        for (r, row) in a.iter_mut().enumerate() {
            if r != c {
                let f = row[c] / d;
                for (x, p) in row.iter_mut().zip(pivot).skip(c) {
                    *x -= f * p;
                }
            }
        }
    }
    let mut out = [0f64; N];
    for i in 0..N {
        out[i] = if a[i][i].abs() < 1e-12 {
            0.0
        } else {
            a[i][N] / a[i][i]
        };
    }
    out
}

fn dot(a: &[f64; 7], b: &[f64; 7]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A fitted model of logic cells and flip-flops.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Model {
    pub logic: [f64; 7],
    pub ff: [f64; 7],
    pub dsp_per_lane_lstm: u64,
    pub dsp_per_lane_gru: u64,
}

/// One design's features and measurements, ready to fit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Point {
    pub measured: Measured,
    pub features: Features,
    /// Block RAM from the memory rule (not fitted).
    pub bram_estimate: u64,
}

impl Model {
    /// The least-squares fit of every design of `c`.
    pub fn fit(c: &Calibration) -> Model {
        let fitted: Vec<&Measured> = c.designs.iter().filter(|m| m.fits).collect();
        let xs: Vec<[f64; 7]> = fitted.iter().map(|m| m.features.vector()).collect();
        let col = |f: fn(&Measured) -> u64| fitted.iter().map(|m| f(m) as f64).collect::<Vec<_>>();
        Model {
            logic: fit(&xs, &col(|m| m.logic)),
            ff: fit(&xs, &col(|m| m.ff)),
            dsp_per_lane_lstm: c.dsp_per_lane_lstm,
            dsp_per_lane_gru: c.dsp_per_lane_gru,
        }
    }

    pub fn predict(&self, f: &Features) -> (f64, f64) {
        let v = f.vector();
        (dot(&self.logic, &v), dot(&self.ff, &v))
    }

    /// Fitted logic and FF (rounded, at least 0), DSP per lane, and the
    /// block RAM the memory rule gave.
    pub fn estimate(&self, f: &Features, bram: u64) -> Estimate {
        let (logic, ff) = self.predict(f);
        Estimate {
            logic: logic.round().max(0.0) as u64,
            ff: ff.round().max(0.0) as u64,
            bram,
            dsp: self.dsp(f),
        }
    }

    pub fn dsp(&self, f: &Features) -> u64 {
        let gru = f.gru_lanes as u64;
        (f.lanes as u64 - gru) * self.dsp_per_lane_lstm + gru * self.dsp_per_lane_gru
    }
}

/// An estimate of one design.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub logic: u64,
    pub ff: u64,
    pub bram: u64,
    pub dsp: u64,
}

/// Block RAM of a design by the memory rule, with the UART FIFO when the
/// wrapper is the board's UART top.
pub fn bram(design: &hitnet_rtl::Design, uart: bool) -> u64 {
    let b: u64 = memories(design, hitnet_rtl::TOP)
        .iter()
        .map(|m| ice40_mapped_blocks(m) * m.instances)
        .sum();
    b + if uart { UART_FIFO_BLOCKS } else { 0 }
}

/// The plan and design of a measured point, from its config.
pub fn point(root: &std::path::Path, m: &Measured) -> Result<(Point, String)> {
    let loaded = crate::load::model(Some(&root.join(&m.config_file)))?;
    let plan = hitnet_arch::Plan::new(
        &loaded.int,
        hitnet_arch::Shape::of(&loaded.config.hw).at(m.rows, m.cols),
    )
    .map_err(|source| FlowError::Plan {
        what: m.name.clone(),
        source,
    })?;
    let design =
        hitnet_rtl::generate_with(&plan, serde_json::json!({}), hitnet_rtl::Bram::Inferred);
    let p = Point {
        measured: m.clone(),
        features: Features::of(&plan, &loaded.int),
        bram_estimate: bram(&design, true),
    };
    Ok((p, design.sha256()))
}

/// One row of the predicted-vs-measured table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    pub name: String,
    pub measured: Estimate,
    /// Leave-one-out: the fit without this design.
    pub predicted: Estimate,
    /// Relative errors of logic cells and flip-flops (placed designs only).
    pub logic_error: f64,
    pub ff_error: f64,
    pub fits: bool,
}

/// Leave-one-out predictions of every calibration design.
pub fn leave_one_out(c: &Calibration, points: &[Point]) -> Vec<Check> {
    (0..points.len())
        .map(|i| {
            let mut rest = c.clone();
            rest.designs.remove(i);
            let model = Model::fit(&rest);
            let p = &points[i];
            let (logic, ff) = model.predict(&p.features);
            let m = &p.measured;
            Check {
                name: m.name.clone(),
                measured: Estimate {
                    logic: m.logic,
                    ff: m.ff,
                    bram: m.bram,
                    dsp: m.dsp,
                },
                predicted: model.estimate(&p.features, p.bram_estimate),
                logic_error: if m.fits {
                    logic / m.logic as f64 - 1.0
                } else {
                    0.0
                },
                ff_error: if m.fits { ff / m.ff as f64 - 1.0 } else { 0.0 },
                fits: m.fits,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_follow_the_ice40_modes() {
        assert_eq!(ice40_blocks(32, 256), 2);
        assert_eq!(ice40_blocks(12, 512), 2);
        assert_eq!(ice40_blocks(15, 16), 1);
        assert_eq!(ice40_blocks(2, 2048), 1);
        assert_eq!(ice40_blocks(64, 1024), 16);
        assert_eq!(ice40_blocks(24, 576), 5);
        assert_eq!(ice40_blocks(0, 576), 0);
    }

    /// The decisions Yosys 0.23 logged for the UP5K builds of the default
    /// design and the BasicMotions classifier ("mapping memory ... via
    /// $__ICE40_RAM4K_" / "using FF mapping").
    #[test]
    fn mapping_matches_the_logged_decisions() {
        let m = |width, depth, ram, block| Memory {
            module: String::new(),
            name: String::new(),
            width,
            depth,
            ram,
            block,
            async_read: false,
            instances: 1,
        };
        let st = |depth| Memory {
            async_read: true,
            ..m(12, depth, true, false)
        };
        // Default 64/64 (one lane): cmem, lmem, st, trom, bmem, rom, wbank in
        // block RAM; seeds in logic (2 blocks cost 128, logic 2048/16).
        assert_eq!(ice40_mapped_blocks(&m(15, 64, true, false)), 1);
        assert_eq!(ice40_mapped_blocks(&m(32, 64, true, false)), 2);
        assert_eq!(ice40_mapped_blocks(&st(8)), 1);
        assert_eq!(ice40_mapped_blocks(&m(12, 256, false, false)), 1);
        assert_eq!(ice40_mapped_blocks(&m(16, 256, false, false)), 1);
        assert_eq!(ice40_mapped_blocks(&m(12, 512, false, false)), 2);
        assert_eq!(ice40_mapped_blocks(&m(32, 256, false, true)), 2);
        assert_eq!(ice40_mapped_blocks(&m(32, 64, false, false)), 0);
        // BasicMotions (two lanes of 16 units): st (12 x 4) and bmem
        // (16 x 64) in logic, cmem (15 x 16) still in block RAM.
        assert_eq!(ice40_mapped_blocks(&st(4)), 0);
        // 6 x 16 (groups of 6): the gate stores (12 x 6) in logic too.
        assert_eq!(ice40_mapped_blocks(&st(6)), 0);
        assert_eq!(ice40_mapped_blocks(&m(16, 64, false, false)), 0);
        assert_eq!(ice40_mapped_blocks(&m(15, 16, true, false)), 1);
    }

    #[test]
    fn the_default_design_has_its_measured_28_blocks() {
        let cfg = hitnet_model::Config::parse(hitnet_model::config::DEFAULT_CONFIG, "d").unwrap();
        let l = hitnet_model::load(&cfg).unwrap();
        let plan = Plan::new(&l.int, hitnet_arch::Shape::of(&cfg.hw)).unwrap();
        let d = hitnet_rtl::generate_with(&plan, serde_json::json!({}), hitnet_rtl::Bram::Inferred);
        let mems = memories(&d, hitnet_rtl::TOP);
        let wbanks: u64 = mems
            .iter()
            .filter(|m| m.module == "hitnet_wbank")
            .map(|m| m.instances)
            .sum();
        assert_eq!(wbanks, 8);
        // The seeds live in the LFSR memory, the scales in the mult memory.
        assert!(!mems.iter().any(|m| m.name == "seeds"));
        assert!(mems.iter().any(|m| m.name == "mmem"));
        assert!(mems.iter().any(|m| m.name == "cmem" && m.ram));
        assert_eq!(bram(&d, true), 28);
    }

    #[test]
    fn overlapped_designs_are_refused_not_mispredicted() {
        let mut cfg =
            hitnet_model::Config::parse(hitnet_model::config::DEFAULT_CONFIG, "d").unwrap();
        let t = hitnet_fpga::Target::from_name("ice40-up5k").unwrap();
        let l = hitnet_model::load(&cfg).unwrap();
        assert!(!rank(&l, t, true, 50.0).unwrap().is_empty());
        cfg.hw.overlap = Some(true);
        let l = hitnet_model::load(&cfg).unwrap();
        let e = rank(&l, t, true, 50.0).unwrap_err().to_string();
        assert!(e.contains("overlap = false"), "{e}");
    }

    #[test]
    fn least_squares_recovers_a_linear_law() {
        let xs: Vec<[f64; 7]> = (0..12)
            .map(|i| {
                let i = i as f64;
                [
                    1.0,
                    i * i,
                    i,
                    (i * 7.0) % 5.0,
                    (i * 3.0) % 4.0,
                    (i * 5.0) % 3.0,
                    i * i * i,
                ]
            })
            .collect();
        let truth = [5.0, 2.0, -1.0, 0.5, 3.0, 0.25, 0.01];
        let ys: Vec<f64> = xs.iter().map(|x| dot(&truth, x)).collect();
        let got = fit(&xs, &ys);
        for (g, t) in got.iter().zip(&truth) {
            assert!((g - t).abs() < 1e-6, "{got:?}");
        }
    }
}

/// One candidate shape of `hitnet explore --estimate-only`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ranked {
    pub shape: String,
    pub rows: usize,
    pub cols: usize,
    pub lanes: usize,
    pub cycles_per_token: u64,
    pub estimate: Estimate,
    pub fits: bool,
    /// What exceeds the target, when it does not fit.
    pub over: Vec<String>,
    /// At the clock target.
    pub tokens_per_second: f64,
}

/// The calibrated model for `target`, or why there is none.
pub fn model_for(target: &hitnet_fpga::Target) -> Result<Model> {
    if target.name != "ice40-up5k" {
        return Err(FlowError::Input(format!(
            "the resource model is calibrated for ice40-up5k only (fpga/results/resource-model); {} needs measured designs first (run `hitnet explore --shapes ...` and add them)",
            target.name
        )));
    }
    let cal: Calibration =
        serde_json::from_str(ICE40_CALIBRATION).expect("committed calibration parses");
    Ok(Model::fit(&cal))
}

/// Candidate shapes of a model: rows that divide H or are powers of two
/// (up to 64), columns in steps of 4 (up to 128), each as the plan allows.
pub fn candidates(int: &hitnet_model::IntModel) -> Vec<(usize, usize)> {
    let h = int.hidden_size;
    let min_z = (0..int.layers.len())
        .map(|l| int.layer_input(l) + h)
        .min()
        .unwrap_or(0);
    let rows: Vec<usize> = (1..=h.min(64))
        .filter(|&r| h.is_multiple_of(r) || r.is_power_of_two())
        .collect();
    let cols: Vec<usize> = (1..=min_z.min(128) / 4).map(|k| 4 * k).collect();
    rows.iter()
        .flat_map(|&r| cols.iter().map(move |&c| (r, c)))
        .collect()
}

/// Estimates every candidate shape of `loaded` on `target`, best first:
/// shapes that fit before those that do not, then fewest cycles per token,
/// then fewest logic cells.
pub fn rank(
    loaded: &hitnet_model::Loaded,
    target: &hitnet_fpga::Target,
    uart: bool,
    clock_mhz: f64,
) -> Result<Vec<Ranked>> {
    let model = model_for(target)?;
    if loaded.config.hw.overlap() {
        // Its extra lane, accumulators and flag delay are not in the fit.
        return Err(FlowError::Input(
            "the resource model is calibrated on designs without token overlap; set `[hw] overlap = false` to rank shapes, or build them (`hitnet explore --shapes ...`)".into(),
        ));
    }
    let cap = &target.capacity;
    let mut out = Vec::new();
    for (r, c) in candidates(&loaded.int) {
        let shape = hitnet_arch::Shape::of(&loaded.config.hw).at(r, c);
        let Ok(plan) = Plan::new(
            &loaded.int,
            hitnet_arch::Shape {
                lanes: None,
                ..shape
            },
        ) else {
            continue;
        };
        let design =
            hitnet_rtl::generate_with(&plan, serde_json::json!({}), hitnet_rtl::Bram::Inferred);
        let e = model.estimate(&Features::of(&plan, &loaded.int), bram(&design, uart));
        let mut over = Vec::new();
        for (what, used, avail) in [
            ("logic", e.logic, cap.logic),
            ("ff", e.ff, cap.ff),
            ("bram", e.bram, cap.bram),
            ("dsp", e.dsp, cap.dsp),
        ] {
            if used > avail {
                over.push(format!("{what} {used} / {avail}"));
            }
        }
        out.push(Ranked {
            shape: format!("{r}x{c}"),
            rows: r,
            cols: c,
            lanes: plan.lanes,
            cycles_per_token: plan.cycles.per_token,
            fits: over.is_empty(),
            over,
            estimate: e,
            tokens_per_second: clock_mhz * 1e6 / plan.cycles.per_token as f64,
        });
    }
    out.sort_by(|a, b| {
        (!a.fits, a.cycles_per_token, a.estimate.logic).cmp(&(
            !b.fits,
            b.cycles_per_token,
            b.estimate.logic,
        ))
    });
    Ok(out)
}

/// The ranking as a Markdown table (the first `n` rows).
pub fn ranking_markdown(rows: &[Ranked], target: &hitnet_fpga::Target, n: usize) -> String {
    let mut s = format!(
        "| rank | shape | lanes | cycles/token | est. {} / {} | est. FF | est. BRAM / {} | est. DSP / {} | tokens/s at target clock | fits |\n|---|---|---|---|---|---|---|---|---|---|\n",
        target.logic_kind, target.capacity.logic, target.capacity.bram, target.capacity.dsp
    );
    for (i, r) in rows.iter().take(n).enumerate() {
        let e = &r.estimate;
        s += &format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.0} | {} |\n",
            i + 1,
            r.shape,
            r.lanes,
            r.cycles_per_token,
            e.logic,
            e.ff,
            e.bram,
            e.dsp,
            r.tokens_per_second,
            if r.fits {
                "yes".to_string()
            } else {
                format!("no: {}", r.over.join(", "))
            }
        );
    }
    s
}
