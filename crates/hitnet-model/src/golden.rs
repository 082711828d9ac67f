//! The integer-exact golden model: bit for bit what the accelerator computes
//! (docs/arithmetic.md). It is independent of the array shape: any rows x cols
//! produces these outputs.
use crate::config::{ActMode, CellKind, QuantParams};
use crate::error::{ModelError, Result};
use crate::fixed::{rshift_round, sat, Formats};
use crate::lfsr;
use crate::model::{GateAct, QuantModel, TernaryMatrix, TritPlanes};
use crate::tables::{act_table, ActFn, ActTable};
use crate::widths::{Ranges, Widths};

/// A gate in the integer domain: p = mult * acc + bias[j] (Fp fraction bits).
#[derive(Clone, Debug, PartialEq)]
pub struct IntGate {
    pub name: String,
    pub act: GateAct,
    pub col_offset: usize,
    pub w: TernaryMatrix,
    /// round(alpha * 2^Fp)
    pub mult: i64,
    /// round(b_j * 2^Fp)
    pub bias: Vec<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct IntLayer {
    pub input_size: usize,
    pub hidden_size: usize,
    pub gates: Vec<IntGate>,
}

/// A quantized model lowered to integers, with its tables and widths.
#[derive(Clone, Debug, PartialEq)]
pub struct IntModel {
    pub cell: CellKind,
    pub input_size: usize,
    pub hidden_size: usize,
    pub quant: QuantParams,
    pub formats: Formats,
    pub layers: Vec<IntLayer>,
    pub sigmoid: ActTable,
    pub tanh: ActTable,
    pub widths: Widths,
}

impl IntModel {
    /// Lowers `m` with the resolved quantization parameters `q`.
    pub fn new(m: &QuantModel, q: &QuantParams) -> Result<IntModel> {
        m.validate()?;
        let formats = Formats::derive(q, m.min_scale()).map_err(|e| match e {
            // The smallest scale sets the format: name its gate.
            ModelError::Invalid { key, msg } if key == "scale" => {
                let at = m.layers.iter().enumerate().find_map(|(l, ql)| {
                    ql.gates
                        .iter()
                        .find(|g| Some(g.scale) == m.min_scale())
                        .map(|g| format!("layers[{l}].gates.{}.scale", g.name))
                });
                ModelError::invalid(at.unwrap_or(key), msg)
            }
            other => other,
        })?;
        let layers = m
            .layers
            .iter()
            .map(|l| IntLayer {
                input_size: l.input_size,
                hidden_size: l.hidden_size,
                gates: l
                    .gates
                    .iter()
                    .map(|g| IntGate {
                        name: g.name.clone(),
                        act: g.act,
                        col_offset: g.col_offset,
                        w: g.w.clone(),
                        mult: formats.to_pre(g.scale),
                        bias: g.bias.iter().map(|&b| formats.to_pre(b)).collect(),
                    })
                    .collect(),
            })
            .collect();
        let sigmoid = act_table(ActFn::Sigmoid, q.slope, &formats);
        let tanh = act_table(ActFn::Tanh, q.slope, &formats);
        let mut im = IntModel {
            cell: m.cell,
            input_size: m.input_size,
            hidden_size: m.hidden_size,
            quant: q.clone(),
            formats,
            layers,
            sigmoid,
            tanh,
            widths: Widths::default(),
        };
        im.widths = Widths::derive(&im);
        let w = &im.widths;
        if w.pre > 48 || w.mult > 48 || w.bias > 48 {
            // Name the gate with the widest scale * N + |bias|.
            let mut worst = (0i128, 0usize, String::new(), 0.0f64, 0.0f64);
            for (l, (ql, il)) in m.layers.iter().zip(&im.layers).enumerate() {
                for (qg, ig) in ql.gates.iter().zip(&il.gates) {
                    let n = ig.w.max_row_nonzeros() as i128;
                    let b = ig
                        .bias
                        .iter()
                        .map(|&b| (b as i128).abs())
                        .max()
                        .unwrap_or(0);
                    let p = (ig.mult as i128).abs() * n.max(1) + b;
                    if p >= worst.0 {
                        let bmax = qg.bias.iter().fold(0.0f64, |a, &b| a.max(b.abs()));
                        worst = (p, l, qg.name.clone(), qg.scale, bmax);
                    }
                }
            }
            return Err(ModelError::invalid(
                format!("layers[{}].gates.{}", worst.1, worst.2),
                format!(
                    "scale {:e} and largest |bias| {:e} make pre-activations need {} bits (at most 48); the gate's scale or biases are far out of range, is the model file right?",
                    worst.3, worst.4, w.pre.max(w.mult).max(w.bias)
                ),
            ));
        }
        Ok(im)
    }

    pub fn layer_input(&self, l: usize) -> usize {
        if l == 0 {
            self.input_size
        } else {
            self.hidden_size
        }
    }

    /// Initial state of a sequence: h = 0, c = 0, LFSRs at their seeds.
    pub fn initial_state(&self) -> State {
        let n = self.hidden_size;
        State {
            layers: lfsr::initial_seeds(self.quant.lfsr_seed, self.layers.len(), n)
                .into_iter()
                .map(|lfsr| LayerState {
                    h: vec![0; n],
                    c: vec![0; n],
                    lfsr,
                })
                .collect(),
        }
    }

    /// The table of a gate's activation.
    pub fn table(&self, act: GateAct) -> Option<&ActTable> {
        match act {
            GateAct::Sigmoid => Some(&self.sigmoid),
            GateAct::Tanh => Some(&self.tanh),
            GateAct::Raw => None,
        }
    }

    /// Ternarizes h_pre (Q.F, in [-2^F, 2^F]) for unit state `lfsr_state`.
    #[inline]
    pub fn quantize_h(&self, h_pre: i64, lfsr_state: &mut u32) -> i8 {
        quantize_h(self.quant.activation, &self.formats, h_pre, lfsr_state)
    }
}

/// Recurrent state of one layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerState {
    /// Ternary h_{t-1}.
    pub h: Vec<i8>,
    /// LSTM cell state c, or the GRU's continuous state s (Q.F).
    pub c: Vec<i64>,
    /// Per-unit LFSR states.
    pub lfsr: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    pub layers: Vec<LayerState>,
}

/// What one layer produced in one step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LayerOut {
    /// Ternary h_t (the accelerator's output).
    pub h: Vec<i8>,
    /// h before quantization (Q.F).
    pub h_pre: Vec<i64>,
    /// New cell state (LSTM) or continuous state (GRU), Q.F.
    pub c: Vec<i64>,
}

/// The h quantizer (docs/arithmetic.md, "Activation quantizer"): BTQ draws
/// F bits u from the unit's LFSR and gives sign(h_pre) when u < |h_pre|;
/// the threshold quantizer gives sign(h_pre) when |h_pre| > T. The golden
/// model and the cycle simulator both call this one definition.
#[inline]
pub fn quantize_h(mode: ActMode, f: &Formats, h_pre: i64, lfsr_state: &mut u32) -> i8 {
    match mode {
        ActMode::Bernoulli => {
            let u = lfsr::draw(lfsr_state, f.frac) as i64;
            if u < h_pre.abs() {
                h_pre.signum() as i8
            } else {
                0
            }
        }
        ActMode::Threshold => {
            let t = f.act_threshold;
            if h_pre > t {
                1
            } else if h_pre < -t {
                -1
            } else {
                0
            }
        }
    }
}

type MatVec = fn(&TernaryMatrix, &[u64], &[u64], &mut [i64]);

/// Runs an [`IntModel`] over a stream, one token at a time.
pub struct Golden<'a> {
    pub model: &'a IntModel,
    pub state: State,
    matvec: MatVec,
    acc: Vec<Vec<i64>>,
    /// Observed value ranges, when tracking is on (width tests).
    pub ranges: Option<Ranges>,
    /// Table entries looked up, when tracking is on (coverage tests).
    pub coverage: Option<TableCoverage>,
}

/// Which entries of the two tables a stream has looked up, per physical
/// table of the hardware (hitnet_arch::Images): the post lanes' `act.hex`
/// (sigmoid entries, then tanh entries for the LSTM's g gate) and the
/// element-wise units' `tanh.hex` (the LSTM's tanh(c), the GRU's tanh(n)).
/// The same tanh entries live in both ROMs, so a lookup is marked in the
/// one the hardware reads it from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableCoverage {
    /// `act.hex`, 2^(K+1) entries: sigmoid at [0, 2^K), tanh at [2^K, 2^(K+1)).
    pub act: Vec<bool>,
    /// `tanh.hex`, 2^K entries.
    pub tanh: Vec<bool>,
    /// Entries of `act.hex` the cell can read: a GRU's post lanes apply
    /// only the sigmoid (n's tanh is taken in the element-wise unit).
    act_reachable: usize,
}

impl TableCoverage {
    fn new(k: u32, cell: CellKind) -> TableCoverage {
        TableCoverage {
            act: vec![false; 2 << k],
            tanh: vec![false; 1 << k],
            act_reachable: match cell {
                CellKind::Lstm => 2 << k,
                CellKind::Gru => 1 << k,
            },
        }
    }
    /// Reachable entries never looked up: (act.hex, tanh.hex).
    pub fn missing(&self) -> (usize, usize) {
        (
            self.act[..self.act_reachable]
                .iter()
                .filter(|&&b| !b)
                .count(),
            self.tanh.iter().filter(|&&b| !b).count(),
        )
    }
}

impl<'a> Golden<'a> {
    pub fn new(model: &'a IntModel) -> Golden<'a> {
        Golden {
            model,
            state: model.initial_state(),
            matvec: select_matvec(),
            acc: vec![vec![0; model.hidden_size]; 4],
            ranges: None,
            coverage: None,
        }
    }

    /// Records every table entry looked up from now on.
    pub fn track_coverage(&mut self) {
        self.coverage = Some(TableCoverage::new(
            self.model.formats.lut_bits,
            self.model.cell,
        ));
    }

    /// Records the range of every intermediate value from now on.
    pub fn track_ranges(&mut self) {
        self.ranges = Some(Ranges::default());
    }

    pub fn reset(&mut self) {
        self.state = self.model.initial_state();
    }

    /// One token through every layer; returns each layer's output.
    pub fn step(&mut self, x: &[i8]) -> Vec<LayerOut> {
        assert_eq!(x.len(), self.model.input_size, "input length");
        let mut outs: Vec<LayerOut> = Vec::with_capacity(self.model.layers.len());
        for l in 0..self.model.layers.len() {
            let input: &[i8] = if l == 0 { x } else { &outs[l - 1].h };
            let out = self.layer_step(l, input);
            outs.push(out);
        }
        outs
    }

    /// Only the last layer's ternary h (cheaper for long streams).
    pub fn step_last(&mut self, x: &[i8]) -> Vec<i8> {
        let mut outs = self.step(x);
        outs.pop().map(|o| o.h).unwrap_or_default()
    }

    fn layer_step(&mut self, l: usize, x: &[i8]) -> LayerOut {
        let m = self.model;
        let layer = &m.layers[l];
        let h_dim = layer.hidden_size;
        let st = &self.state.layers[l];
        let mut z = Vec::with_capacity(x.len() + h_dim);
        z.extend_from_slice(x);
        z.extend_from_slice(&st.h);
        let zp = TritPlanes::pack(&z);
        let hp = TritPlanes::pack(&st.h);
        for (g, gate) in layer.gates.iter().enumerate() {
            let (p, n) = if gate.col_offset == 0 {
                (&zp.pos[..], &zp.neg[..])
            } else {
                debug_assert_eq!(gate.col_offset, layer.input_size);
                (&hp.pos[..], &hp.neg[..])
            };
            (self.matvec)(&gate.w, p, n, &mut self.acc[g]);
        }
        let f = &m.formats;
        let fb = f.frac;
        let mut out = LayerOut {
            h: vec![0; h_dim],
            h_pre: vec![0; h_dim],
            c: vec![0; h_dim],
        };
        let st = &mut self.state.layers[l];
        let track = self.ranges.as_mut();
        let mut r = track;
        for j in 0..h_dim {
            // Pre-activations of all gates of unit j.
            let mut pre = [0i64; 4];
            for (g, gate) in layer.gates.iter().enumerate() {
                let acc = self.acc[g][j];
                pre[g] = gate.mult * acc + gate.bias[j];
                if let Some(r) = r.as_deref_mut() {
                    r.see("acc", acc);
                    r.see("pre", pre[g]);
                }
            }
            let half = 1i64 << (f.lut_bits - 1);
            let cov = &mut self.coverage;
            let mut sig = |idx: i64| {
                if let Some(c) = cov.as_mut() {
                    c.act[(idx + half) as usize] = true;
                }
                m.sigmoid.lookup(idx)
            };
            let (c_new, h_pre) = match m.cell {
                CellKind::Lstm => {
                    let i = sig(f.pre_to_index(pre[0]));
                    let fg = sig(f.pre_to_index(pre[1]));
                    let o = sig(f.pre_to_index(pre[3]));
                    let gi = f.pre_to_index(pre[2]);
                    let g = m.tanh.lookup(gi);
                    let sum = fg * st.c[j] + i * g;
                    let c = sat(rshift_round(sum, fb), f.cell_min(), f.cell_max());
                    let ci = f.cell_to_index(c);
                    let tc = m.tanh.lookup(ci);
                    if let Some(cv) = self.coverage.as_mut() {
                        // g: the post lane's table; tanh(c): the unit's.
                        cv.act[(2 * half + gi + half) as usize] = true;
                        cv.tanh[(ci + half) as usize] = true;
                    }
                    let prod = o * tc;
                    let hpre = rshift_round(prod, fb);
                    if let Some(r) = r.as_deref_mut() {
                        r.see_all(&[
                            ("act", i),
                            ("act", fg),
                            ("act", g),
                            ("act", o),
                            ("act", tc),
                            ("cell_sum", sum),
                            ("cell", c),
                            ("h_prod", prod),
                            ("h_pre", hpre),
                        ]);
                    }
                    (c, hpre)
                }
                CellKind::Gru => {
                    let rg = sig(f.pre_to_index(pre[0]));
                    let u = sig(f.pre_to_index(pre[1]));
                    let rprod = rg * pre[3];
                    let npre = pre[2] + rshift_round(rprod, fb);
                    let ni = f.pre_to_index(npre);
                    let n = m.tanh.lookup(ni);
                    if let Some(cv) = self.coverage.as_mut() {
                        cv.tanh[(ni + half) as usize] = true;
                    }
                    let diff = st.c[j] - n;
                    let uprod = u * diff;
                    let s = n + rshift_round(uprod, fb);
                    if let Some(r) = r.as_deref_mut() {
                        r.see_all(&[
                            ("act", rg),
                            ("act", u),
                            ("act", n),
                            ("gru_rprod", rprod),
                            ("gru_sum", npre),
                            ("gru_diff", diff),
                            ("cell_sum", uprod),
                            ("cell", s),
                            ("h_pre", s),
                        ]);
                    }
                    (s, s)
                }
            };
            let h = m.quantize_h(h_pre, &mut st.lfsr[j]);
            st.c[j] = c_new;
            out.h[j] = h;
            out.h_pre[j] = h_pre;
            out.c[j] = c_new;
        }
        st.h.copy_from_slice(&out.h);
        out
    }
}

#[inline(always)]
fn matvec_body(w: &TernaryMatrix, zp: &[u64], zn: &[u64], out: &mut [i64]) {
    let words = w.words_per_row();
    let zp = &zp[..words];
    let zn = &zn[..words];
    for (r, o) in out.iter_mut().enumerate().take(w.rows) {
        let (wp, wn) = w.row_planes(r);
        let mut plus = 0u32;
        let mut minus = 0u32;
        for k in 0..words {
            plus += ((wp[k] & zp[k]) | (wn[k] & zn[k])).count_ones();
            minus += ((wp[k] & zn[k]) | (wn[k] & zp[k])).count_ones();
        }
        *o = plus as i64 - minus as i64;
    }
}

crate::popcnt_dispatch!(
    select_matvec,
    matvec_body,
    fn(w: &TernaryMatrix, zp: &[u64], zn: &[u64], out: &mut [i64])
);

/// Ternary matrix-vector product, for callers outside the golden model.
pub fn ternary_matvec(w: &TernaryMatrix, z: &TritPlanes) -> Vec<i64> {
    let mut out = vec![0; w.rows];
    select_matvec()(w, &z.pos, &z.neg, &mut out);
    out
}
