//! # hitnet-arch: the plan
//!
//! From a lowered model ([`hitnet_model::IntModel`]) and an array shape this
//! crate computes, once, everything that fixes what each hardware unit does
//! in each cycle: the widths (from proven bounds), the memory layouts and
//! their contents, the schedule and its closed-form cycle count. The RTL
//! generator and the cycle simulator both consume a [`Plan`]; neither
//! recomputes any of it. docs/architecture.md describes the machine.
use hitnet_model::config::{ActMode, CellKind};
use hitnet_model::fixed::{signed_bits, unsigned_bits};
use hitnet_model::model::GateAct;
use hitnet_model::IntModel;
use serde::Serialize;

pub mod cls;
mod images;
pub mod lm;
pub use images::TritWord;

/// Errors in the array shape or the design it implies.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("invalid value for `{key}`: {msg}")]
    Shape { key: String, msg: String },
}

fn shape_err(key: &str, msg: String) -> PlanError {
    PlanError::Shape {
        key: key.into(),
        msg,
    }
}

/// Fixed pipeline latencies (register stages) of the datapath. They are
/// constants of the microarchitecture; docs/architecture.md draws them.
/// Segments per layer: LSTM's i, f, g, o; GRU's r, u, n_x, n_h. The
/// element-wise lane stores the first ones' values; the last one's sums
/// trigger the element-wise update.
pub const SEGMENTS: usize = 4;
/// The segment whose sums trigger the element-wise stage.
pub const EW_SEGMENT: usize = SEGMENTS - 1;
pub const POST_STAGES: u64 = 5;
/// E1..E8, the quantizer, and the register of its beat: the beat then
/// leaves the lane from a flip-flop for the h buffer and the output FIFO,
/// which sit by the array (on the UP5K the quantizer's carry chain and that
/// route in one cycle were the critical path on 2 of 3 nextpnr seeds).
pub const EW_STAGES: u64 = 10;
/// Registers on the weight and z words between the block-RAM read register
/// and the PEs. Two: the weight bank's output register, which on ECP5 is the
/// DP16KD's own (REGMODE OUTREG: 0.96 ns clock-to-out against 5.83 ns
/// without, so the long wires from the block RAMs to the array start early),
/// and one by the row. A fabric register there instead was placed by the
/// PEs and the block-RAM output crossed the die in one cycle (84.7 MHz).
pub const WORD_REGS: u64 = 2;
/// With overlap, cycles by which an h beat reaches the h buffer after the
/// output stream (the beat is registered before its in-place write).
pub const HBUF_LATE: u64 = 1;
/// Widest array column count: a z word is one u64 per bitplane in the simulator.
pub const MAX_COLS: usize = 64;

/// The array shape requested by the config.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Shape {
    pub rows: usize,
    pub cols: usize,
    /// Post-processing lanes; `None` lets the plan choose.
    pub lanes: Option<usize>,
    /// Hide the last layer's tail under the next token (`hw.overlap`).
    pub overlap: bool,
}

impl Shape {
    /// `rows` x `cols`, the plan choosing the post lanes.
    pub fn new(rows: usize, cols: usize) -> Shape {
        Shape {
            rows,
            cols,
            lanes: None,
            overlap: true,
        }
    }

    /// This shape with token overlap on or off.
    pub fn with_overlap(self, overlap: bool) -> Shape {
        Shape { overlap, ..self }
    }

    /// This shape with `rows` x `cols` (lanes and overlap kept).
    pub fn at(self, rows: usize, cols: usize) -> Shape {
        Shape { rows, cols, ..self }
    }

    /// This shape with `lanes` post lanes.
    pub fn with_lanes(self, lanes: usize) -> Shape {
        Shape {
            lanes: Some(lanes),
            ..self
        }
    }

    /// The shape a config's `[hw]` section asks for.
    pub fn of(hw: &hitnet_model::config::HwSection) -> Shape {
        Shape {
            rows: hw.rows,
            cols: hw.cols,
            lanes: hw.post_lanes,
            overlap: hw.overlap(),
        }
    }
}

/// One gate's pass over a group of `rows` units: a run of column blocks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// Gate index within the layer (0..4), also the segment order.
    pub gate: usize,
    pub name: String,
    pub act: GateAct,
    /// First column block of z (block b covers z[b*C, b*C+C)).
    pub block_start: usize,
    pub blocks: usize,
    /// The gate's columns in z: [col_start, col_end). Weights outside are 0.
    pub col_start: usize,
    pub col_end: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LayerPlan {
    pub input_size: usize,
    pub hidden_size: usize,
    /// Column blocks of z = [x; h].
    pub z_blocks: usize,
    /// Groups of `rows` units: ceil(H / rows).
    pub groups: usize,
    pub segments: Vec<Segment>,
    /// Issue cycles of the layer: groups * sum of segment blocks.
    pub mvm_cycles: u64,
    /// Cycles from the last issue until the next layer may issue.
    pub tail_cycles: u64,
    /// First weight-memory address of the layer.
    pub weight_base: usize,
    /// First bias-memory address of the layer (per lane).
    pub bias_base: usize,
    /// First state-memory address of the layer (per lane).
    pub state_base: usize,
    /// Beat index, within the last group, of the beat holding unit H-1.
    pub last_beat: usize,
    /// Column blocks of every segment that group 0 issues ahead of the
    /// rest (x-only blocks, so they need nothing of h_{t-1}); 0 without
    /// overlap. Group 0 then runs every segment's first `prefix` blocks,
    /// the bubble, then every segment's remaining blocks.
    pub prefix: usize,
    /// `runs[group][segment]`: where the segment's weight words lie.
    #[serde(skip)]
    pub runs: Vec<Vec<Vec<Run>>>,
    /// `ends[group][segment]`: slot of the segment's last issue, counted
    /// from the layer's first slot (the bubble's slots included).
    #[serde(skip)]
    pub ends: Vec<Vec<u64>>,
}

/// A run of consecutive issues of one segment: weight addresses
/// `addr..addr + blocks` against z blocks `block..block + blocks`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    pub addr: usize,
    pub block: usize,
    pub blocks: usize,
}

/// One issue of a layer's schedule, in issue order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Issue {
    pub group: usize,
    pub seg: usize,
    /// z block (absolute within the layer's z).
    pub block: usize,
}

impl LayerPlan {
    /// The layer's issues in order (the weight memories' order).
    pub fn issues(&self) -> Vec<Issue> {
        let mut v = Vec::with_capacity(self.mvm_cycles as usize);
        for q in 0..self.groups {
            let pre = if q == 0 { self.prefix } else { 0 };
            let mut phase = |lo: usize, hi: Option<usize>| {
                for (si, seg) in self.segments.iter().enumerate() {
                    let end = hi.unwrap_or(seg.blocks);
                    for b in lo..end {
                        v.push(Issue {
                            group: q,
                            seg: si,
                            block: seg.block_start + b,
                        });
                    }
                }
            };
            if pre > 0 {
                phase(0, Some(pre));
            }
            phase(pre, None);
        }
        v
    }
}

/// Where a trit of a z word comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ZSrc {
    /// Trit k of the active input buffer (layer 0's x).
    X(usize),
    /// Trit j of layer l's h buffer written in this token (x of layer l+1).
    New(usize, usize),
    /// Trit j of layer l's h buffer of the previous token (zero at sequence start).
    Old(usize, usize),
    /// Padding past the end of z.
    Zero,
}

/// Widths of every register of the datapath, from proven bounds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HwWidths {
    /// Adder-tree level k (k = 1..depth) holds sums of up to `tree_span[k]` products.
    pub tree_span: Vec<usize>,
    pub tree: Vec<u32>,
    pub acc: u32,
    pub mult: u32,
    pub bias: u32,
    pub prod: u32,
    pub pre: u32,
    pub index: u32,
    pub act: u32,
    /// Gate store entries (activations, or GRU raw n_x pre-activations).
    pub store: u32,
    pub cell: u32,
    pub cell_sum: u32,
    pub h_pre: u32,
    /// GRU: r * n_h, the n sum, s - n.
    pub gru_rprod: u32,
    pub gru_sum: u32,
    pub gru_diff: u32,
    pub lfsr: u32,
    pub weight_addr: u32,
    pub bias_addr: u32,
    pub state_addr: u32,
}

/// The plan: everything both the RTL and the cycle simulator need.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub cell: CellKind,
    pub activation: ActMode,
    pub rows: usize,
    pub cols: usize,
    pub lanes: usize,
    /// rows / lanes: serial steps per segment.
    pub steps: usize,
    pub tree_depth: u32,
    /// Cycles from an issue to its sum being in the output bank.
    pub bank_latency: u64,
    pub layers: Vec<LayerPlan>,
    pub widths: HwWidths,
    pub formats: hitnet_model::fixed::Formats,
    /// Input stream: trits per beat and beats per token.
    pub in_trits: usize,
    pub in_beats: usize,
    /// Output stream: trits per beat (= lanes) and beats per layer vector.
    pub out_trits: usize,
    pub out_beats: usize,
    pub weight_depth: usize,
    pub bias_depth: usize,
    pub state_depth: usize,
    pub cycles: CycleCount,
    /// Token overlap (`hw.overlap`): the next token starts at the last
    /// layer's last issue; see [`Plan::bubble`] and [`Plan::flag_delay`].
    pub overlap: bool,
    /// Overlap: idle slots after layer 0's prefix, so that no issue reads
    /// an h trit of the previous token before it is written, the
    /// serializer is free and the delayed token flags have turned.
    pub bubble: u64,
    /// Overlap: cycles by which the element-wise end sees the token flags
    /// (sequence start, h-buffer parity) after the controller: the last
    /// layer's tail, so the previous token's tail still sees its own.
    pub flag_delay: u64,
    #[serde(skip)]
    pub images: images::Images,
}

/// The closed-form cycle count and its ideal bound.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CycleCount {
    /// Compute cycles per token: 1 + sum over layers (mvm + tail).
    pub compute_per_token: u64,
    /// Input cycles per token: 1 + in_beats (one beat per cycle).
    pub input_per_token: u64,
    /// Steady-state cycles per token with a continuous input stream.
    pub per_token: u64,
    /// sum over layers of gates * H * (I + H) / (rows * cols).
    pub bound_per_token: f64,
    pub utilization: f64,
    /// Cycles from reset to the first token's start when input beats arrive every cycle.
    pub first_start: u64,
    pub formula: String,
}

/// Structural bound of the adder tree: a level-k node adds two disjoint
/// level-(k-1) nodes, so it covers at most min(2^k, cols) products.
fn tree_spans(cols: usize) -> Vec<usize> {
    let mut spans = vec![1usize];
    let mut n = cols;
    while n > 1 {
        let prev = *spans.last().unwrap();
        spans.push((prev * 2).min(cols));
        n = n.div_ceil(2);
    }
    spans
}

/// Column-block ranges of each gate (docs/architecture.md, "Schedule").
fn segments(m: &IntModel, l: usize, cols: usize) -> Vec<Segment> {
    let layer = &m.layers[l];
    let zlen = layer.input_size + layer.hidden_size;
    layer
        .gates
        .iter()
        .enumerate()
        .map(|(g, gate)| {
            let col_start = gate.col_offset;
            let col_end = gate.col_offset + gate.w.cols;
            debug_assert!(col_end <= zlen);
            let block_start = col_start / cols;
            let block_end = col_end.div_ceil(cols);
            Segment {
                gate: g,
                name: gate.name.clone(),
                act: gate.act,
                block_start,
                blocks: block_end - block_start,
                col_start,
                col_end,
            }
        })
        .collect()
}

/// The weight runs and the end slots (bubble-free) of every segment of a
/// layer, from its issue order.
#[allow(clippy::type_complexity)]
fn runs_and_ends(lp: &LayerPlan) -> (Vec<Vec<Vec<Run>>>, Vec<Vec<u64>>) {
    let ns = lp.segments.len();
    let mut runs = vec![vec![Vec::<Run>::new(); ns]; lp.groups];
    let mut ends = vec![vec![0u64; ns]; lp.groups];
    for (j, is) in lp.issues().into_iter().enumerate() {
        let addr = lp.weight_base + j;
        let r = &mut runs[is.group][is.seg];
        match r.last_mut() {
            Some(last)
                if last.addr + last.blocks == addr && last.block + last.blocks == is.block =>
            {
                last.blocks += 1
            }
            _ => r.push(Run {
                addr,
                block: is.block,
                blocks: 1,
            }),
        }
        ends[is.group][is.seg] = j as u64;
    }
    (runs, ends)
}

/// Overlap: the idle slots after layer 0's prefix (docs/architecture.md,
/// "Token overlap") and the delay of the token flags. Times are relative
/// to S', the IDLE cycle after token t's last issue, in which token t+1
/// starts at the earliest; bubble-free slot j of token t+1 issues at
/// S' + 1 + j (+ the bubble once past the prefix).
fn overlap_bubble(
    layers: &[LayerPlan],
    rows: usize,
    cols: usize,
    lanes: usize,
    bank_latency: u64,
) -> (u64, u64) {
    let steps = rows / lanes;
    let last = layers.last().unwrap();
    let l0 = &layers[0];
    let delay = last.tail_cycles;
    let ew = EW_SEGMENT.min(l0.segments.len() - 1);
    let mut w: i64 = 0;
    // The serializer: token t's last segment takes `steps` cycles from
    // S' - 1 + bank latency; token t+1's first ends at S' + 1 + j + W + BL.
    w = w.max(steps as i64 - 2 - l0.ends[0][0] as i64);
    // The token flags: token t+1's element-wise end (from its first
    // element-wise segment's serial step on) sees them `delay` late.
    w = w.max(delay as i64 - bank_latency as i64 - l0.ends[0][ew] as i64);
    if layers.len() == 1 {
        // h_t: the beat of unit u is readable from e + k + POST + EW, e the
        // bank event of its group's last segment.
        let (i, h) = (l0.input_size, l0.hidden_size);
        let mvm = l0.mvm_cycles as i64;
        let vis = |u: usize| {
            let (q, k) = (u / rows, (u % rows) / lanes);
            l0.ends[q][ew] as i64 - mvm
                + bank_latency as i64
                + k as i64
                + (POST_STAGES + EW_STAGES + HBUF_LATE) as i64
        };
        let bpos = l0.prefix * l0.segments.len();
        for (j, is) in l0.issues().into_iter().enumerate().skip(bpos) {
            let lo = (is.block * cols).max(i);
            let hi = (is.block * cols + cols).min(i + h);
            for u in lo.saturating_sub(i)..hi.saturating_sub(i) {
                w = w.max(vis(u) - 1 - j as i64);
            }
        }
    }
    (w.max(0) as u64, delay)
}

impl Plan {
    /// Plans the accelerator for `m` on a `shape` array.
    pub fn new(m: &IntModel, shape: Shape) -> Result<Plan, PlanError> {
        let (rows, cols) = (shape.rows, shape.cols);
        let h = m.hidden_size;
        if rows == 0 || cols == 0 {
            return Err(shape_err(
                "hw.rows",
                "the array needs at least one row and one column".into(),
            ));
        }
        if rows > h {
            return Err(shape_err(
                "hw.rows",
                format!("{rows} rows exceed hidden_size {h}: rows beyond {h} would never hold a unit; use at most {h}"),
            ));
        }
        let min_z = (0..m.layers.len())
            .map(|l| m.layer_input(l) + h)
            .min()
            .unwrap();
        if cols > min_z {
            return Err(shape_err(
                "hw.cols",
                format!("{cols} columns exceed the shortest layer input I+H = {min_z}: the extra columns would never hold a weight; use at most {min_z}"),
            ));
        }
        if cols > MAX_COLS {
            return Err(shape_err(
                "hw.cols",
                format!("{cols} exceeds the supported maximum {MAX_COLS}"),
            ));
        }
        let segs: Vec<Vec<Segment>> = (0..m.layers.len()).map(|l| segments(m, l, cols)).collect();
        let min_blocks = segs.iter().flatten().map(|s| s.blocks).min().unwrap();
        // Overlap hides the tail behind the next token's x-only blocks; that
        // needs one layer (a deeper stack's layer 0 reads nothing late) and
        // x-only blocks at the head of every segment (LSTM; not GRU's n_h).
        let xonly: Vec<usize> = if shape.overlap && m.layers.len() == 1 {
            let i0 = m.layer_input(0);
            segs[0]
                .iter()
                .map(|s| (i0 / cols).saturating_sub(s.block_start).min(s.blocks))
                .collect()
        } else {
            Vec::new()
        };
        let has_prefix = !xonly.is_empty() && xonly.iter().all(|&x| x > 0);
        // With a prefix, group 0's segments end only their h blocks apart,
        // and the serializer must keep that pace too.
        let h_cap = if has_prefix {
            segs[0]
                .iter()
                .zip(&xonly)
                .map(|(s, x)| s.blocks - x)
                .min()
                .unwrap()
        } else {
            usize::MAX
        };
        // Lanes: serialising a segment's `rows` sums must finish before the
        // next segment's sums arrive (rows / lanes <= shortest segment), and
        // at most 8 steps keep the tail latency short.
        let lanes = match shape.lanes {
            Some(p) => {
                if p == 0 || rows % p != 0 {
                    return Err(shape_err(
                        "hw.post_lanes",
                        format!("{p} does not divide hw.rows = {rows}"),
                    ));
                }
                if rows / p > min_blocks {
                    // The hint must itself be accepted: the smallest lane
                    // count that divides rows and fits the segment.
                    let ok = (1..=rows)
                        .find(|&q| rows % q == 0 && rows / q <= min_blocks)
                        .unwrap_or(rows);
                    return Err(shape_err(
                        "hw.post_lanes",
                        format!(
                            "{p} lanes need {} cycles per segment but the shortest segment lasts {min_blocks}; use {ok} lanes or more (a divisor of hw.rows = {rows})",
                            rows / p,
                        ),
                    ));
                }
                p
            }
            None => {
                let cap = min_blocks.min(8).min(h_cap.max(1));
                (1..=rows)
                    .find(|&p| rows % p == 0 && rows / p <= cap)
                    .unwrap_or(rows)
            }
        };
        let steps = rows / lanes;
        let spans = tree_spans(cols);
        let tree_depth = (spans.len() - 1) as u32;
        // Issue, block-RAM read register, WORD_REGS more registers on the
        // weight and z words (so no PE sits behind a block-RAM output), the
        // tree levels, then the accumulator/bank register.
        let bank_latency = tree_depth as u64 + 2 + WORD_REGS;

        let w = &m.widths;
        let f = &m.formats;
        // The root covers all `cols` products; the accumulator holds it unextended.
        let acc_tree = signed_bits(-(cols as i64), cols as i64);
        let acc = w.acc.max(acc_tree);
        debug_assert_eq!(*spans.last().unwrap(), cols);
        // |m_g * acc| <= m_g * N_g per gate: tighter than max m times max N,
        // and never above the pre-activation bound.
        let prod_bound = m
            .layers
            .iter()
            .flat_map(|l| {
                l.gates
                    .iter()
                    .map(|g| g.mult * g.w.max_row_nonzeros() as i64)
            })
            .max()
            .unwrap_or(0);
        debug_assert!(prod_bound <= w.pre_bound);
        let act = w.act;
        let pre = w.pre;
        let store = if m.cell == CellKind::Gru {
            act.max(pre)
        } else {
            act
        };
        let one = f.one();

        let mut layers = Vec::new();
        let (mut wbase, mut bbase, mut sbase) = (0usize, 0usize, 0usize);
        for (l, segments) in segs.into_iter().enumerate() {
            let i = m.layer_input(l);
            let groups = h.div_ceil(rows);
            let per_group: usize = segments.iter().map(|s| s.blocks).sum();
            let mvm = (groups * per_group) as u64;
            let last_beat = ((h - 1) % rows) / lanes;
            // Last issue at t = S + M - 1; its sums are readable from the bank at
            // e = t + bank_latency; beat k of the last segment is readable in the
            // h buffer at e + k + POST + EW, which is the next layer's first issue.
            // With overlap the h buffer takes each beat one cycle after the
            // output stream does (HBUF_LATE): the next layer waits one more.
            let late = if shape.overlap { HBUF_LATE } else { 0 };
            let tail = bank_latency + last_beat as u64 + POST_STAGES + EW_STAGES - 1 + late;
            // Every segment's x-only head, but never so much that a segment
            // ends less than `steps` issues after the one before it.
            let prefix = if has_prefix && l == 0 {
                segments
                    .iter()
                    .zip(&xonly)
                    .map(|(s, &x)| x.min(s.blocks.saturating_sub(steps)))
                    .min()
                    .unwrap()
            } else {
                0
            };
            layers.push(LayerPlan {
                input_size: i,
                hidden_size: h,
                z_blocks: (i + h).div_ceil(cols),
                groups,
                segments,
                mvm_cycles: mvm,
                tail_cycles: tail,
                weight_base: wbase,
                bias_base: bbase,
                state_base: sbase,
                last_beat,
                prefix,
                runs: Vec::new(),
                ends: Vec::new(),
            });
            let lp = layers.last_mut().unwrap();
            let (runs, ends) = runs_and_ends(lp);
            lp.runs = runs;
            lp.ends = ends;
            wbase += mvm as usize;
            bbase += groups * 4 * steps;
            sbase += groups * steps;
        }
        let in_trits = cols;
        let in_beats = m.input_size.div_ceil(in_trits);
        let gates = m.cell.gates() as f64;
        let bound: f64 = layers
            .iter()
            .map(|lp| gates * (h * (lp.input_size + h)) as f64 / (rows * cols) as f64)
            .sum();
        let nl = layers.len();
        let (bubble, flag_delay) = if shape.overlap {
            overlap_bubble(&layers, rows, cols, lanes, bank_latency)
        } else {
            (0, 0)
        };
        if bubble > 0 {
            // The bubble sits after layer 0's prefix: every end is behind it.
            for e in layers[0].ends.iter_mut().flatten() {
                *e += bubble;
            }
        }
        let tails: u64 = if shape.overlap {
            layers[..nl - 1].iter().map(|lp| lp.tail_cycles).sum()
        } else {
            layers.iter().map(|lp| lp.tail_cycles).sum()
        };
        let compute = 1 + bubble + tails + layers.iter().map(|lp| lp.mvm_cycles).sum::<u64>();
        let input = 1 + in_beats as u64;
        let per_token = compute.max(input);
        let formula = if shape.overlap {
            format!(
                "max(1 + bubble + sum_l groups_l * sum_s blocks_s + sum_(l < L-1) tail_l, 1 + in_beats) = max(1 + {bubble} + {} + {}, {input}) = {per_token}; the last layer's tail ({}) runs under the next token (overlap); prefix {} blocks per segment",
                layers.iter().map(|lp| lp.mvm_cycles.to_string()).collect::<Vec<_>>().join(" + "),
                tails,
                layers[nl - 1].tail_cycles,
                layers[0].prefix,
            )
        } else {
            format!(
                "max(1 + sum_l [groups_l * sum_s blocks_s + tail_l], 1 + in_beats) = max(1 + {}, {input}) = {per_token}; tail_l = (tree depth {tree_depth} + {}) + last beat + {POST_STAGES} + {EW_STAGES} - 1",
                layers
                    .iter()
                    .map(|lp| format!("[{} + {}]", lp.mvm_cycles, lp.tail_cycles))
                    .collect::<Vec<_>>()
                    .join(" + "),
                bank_latency - tree_depth as u64
            )
        };
        let widths = HwWidths {
            tree_span: spans.clone(),
            tree: spans
                .iter()
                .map(|&s| signed_bits(-(s as i64), s as i64))
                .collect(),
            acc,
            mult: w.mult + 1,
            bias: w.bias,
            prod: signed_bits(-prod_bound, prod_bound),
            pre,
            index: f.lut_bits,
            act,
            store,
            cell: w.cell,
            cell_sum: w.cell_sum,
            h_pre: w.h_pre,
            gru_rprod: signed_bits(-one * w.pre_bound, one * w.pre_bound),
            gru_sum: w.gru_sum.max(1),
            gru_diff: signed_bits(-2 * one, 2 * one),
            lfsr: w.lfsr,
            weight_addr: unsigned_bits(wbase.saturating_sub(1) as u64),
            bias_addr: unsigned_bits(bbase.saturating_sub(1) as u64),
            state_addr: unsigned_bits(sbase.saturating_sub(1) as u64),
        };
        let mut plan = Plan {
            cell: m.cell,
            activation: m.quant.activation,
            rows,
            cols,
            lanes,
            steps,
            tree_depth,
            bank_latency,
            layers,
            widths,
            formats: f.clone(),
            in_trits,
            in_beats,
            out_trits: lanes,
            out_beats: h.div_ceil(lanes),
            weight_depth: wbase,
            bias_depth: bbase,
            state_depth: sbase,
            cycles: CycleCount {
                compute_per_token: compute,
                input_per_token: input,
                per_token,
                bound_per_token: bound,
                utilization: bound / per_token as f64,
                first_start: in_beats as u64,
                formula,
            },
            overlap: shape.overlap,
            bubble,
            flag_delay,
            images: images::Images::default(),
        };
        plan.images = images::Images::build(m, &plan);
        Ok(plan)
    }

    /// This plan with another bubble: for tests that show the plan's
    /// bubble is the shortest safe one (one slot less reads a stale h).
    #[doc(hidden)]
    pub fn with_bubble(mut self, bubble: u64) -> Plan {
        assert!(self.overlap, "only an overlapped plan has a bubble");
        let old = self.bubble;
        for e in self.layers[0].ends.iter_mut().flatten() {
            *e = *e + bubble - old;
        }
        self.bubble = bubble;
        let c = &mut self.cycles;
        c.compute_per_token = c.compute_per_token + bubble - old;
        c.per_token = c.compute_per_token.max(c.input_per_token);
        c.utilization = c.bound_per_token / c.per_token as f64;
        self
    }

    /// Where each trit of z word `block` of layer `l` comes from.
    pub fn z_sources(&self, l: usize, block: usize) -> Vec<ZSrc> {
        let lp = &self.layers[l];
        (0..self.cols)
            .map(|c| {
                let k = block * self.cols + c;
                if k < lp.input_size {
                    if l == 0 {
                        ZSrc::X(k)
                    } else {
                        ZSrc::New(l - 1, k)
                    }
                } else if k < lp.input_size + lp.hidden_size {
                    ZSrc::Old(l, k - lp.input_size)
                } else {
                    ZSrc::Zero
                }
            })
            .collect()
    }

    /// Bias-memory address of layer `layer`'s segment `seg` in group
    /// `group` at serial step `step`: biases are stored in serial order.
    pub fn bias_addr(&self, layer: usize, group: usize, seg: usize, step: usize) -> usize {
        self.layers[layer].bias_base + (group * SEGMENTS + seg) * self.steps + step
    }

    /// State-memory address (cell or GRU state, LFSR state, seed) of the
    /// units of layer `layer`, group `group`, serial step `step`.
    pub fn state_addr(&self, layer: usize, group: usize, step: usize) -> usize {
        self.layers[layer].state_base + group * self.steps + step
    }

    /// Address of gate `gate`'s scale m of layer `layer` in the mult memory
    /// (`{layer, gate}`).
    pub fn mult_addr(&self, layer: usize, gate: usize) -> usize {
        (layer << 2) | gate
    }

    /// Words of the mult memory: every `{layer, gate}` address, and at
    /// least 256, so that each of its bits fills a 256-word bit slice of a
    /// block RAM, the unit in which `icebram` finds and replaces contents.
    pub fn mult_depth(&self) -> usize {
        (1usize << (self.layer_bits() + 2)).max(256)
    }

    /// Words of a lane's LFSR memory: the running LFSR states at the state
    /// addresses, then the seeds at `seed_addr`, so a sequence start reads
    /// its seed through the same port (no seeds ROM in logic).
    pub fn lfsr_depth(&self) -> usize {
        2usize << self.widths.state_addr
    }

    /// Where the seed of the unit at state address `saddr` lives in the
    /// LFSR memory: the upper half (address bit `state_addr` set).
    pub fn seed_addr(&self, saddr: usize) -> usize {
        (1usize << self.widths.state_addr) | saddr
    }

    /// Unit j handled by lane `lane` at serial step `step` of group `group`.
    pub fn unit(&self, group: usize, step: usize, lane: usize) -> usize {
        group * self.rows + step * self.lanes + lane
    }

    pub fn images(&self) -> &images::Images {
        &self.images
    }

    /// The h-buffer length of a layer in trits: whole beats.
    pub fn hbuf_trits(&self) -> usize {
        self.out_beats * self.out_trits
    }

    /// The input buffer length in trits: whole beats.
    pub fn xbuf_trits(&self) -> usize {
        self.in_beats * self.in_trits
    }

    /// Layer-index width of the output stream.
    pub fn layer_bits(&self) -> u32 {
        unsigned_bits(self.layers.len().saturating_sub(1) as u64)
    }

    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }
}

#[cfg(test)]
mod tests;
