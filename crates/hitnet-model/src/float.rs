//! The float reference model (f32), in two flavours:
//! - full precision: float weights, continuous h fed back (the FP baseline);
//! - quantized-float: weights alpha * trit, h ternarized by the same quantizer
//!   as the integer model (same LFSR draws), real sigmoid/tanh.
//!
//! Equations (docs/arithmetic.md, "Cell equations"), slope lambda:
//! LSTM: i,f,o = sigma(lambda p), g = tanh(lambda p), c' = f c + i g,
//!       h_pre = o tanh(lambda c')
//! GRU:  r,u = sigma(lambda p), n = tanh(lambda (p_nx + r p_nh)),
//!       s' = n + u (s - n), h_pre = s'
use crate::config::{ActMode, CellKind, QuantParams};
use crate::lfsr;
use crate::model::{gate_specs, FloatModel, GateAct, QuantModel};

#[derive(Clone, Debug)]
pub struct DenseGate {
    pub act: GateAct,
    pub col_offset: usize,
    pub cols: usize,
    /// rows x cols, row-major.
    pub w: Vec<f32>,
    pub bias: Vec<f32>,
}

#[derive(Clone, Debug)]
pub struct DenseLayer {
    pub input_size: usize,
    pub hidden_size: usize,
    pub gates: Vec<DenseGate>,
}

/// A gate before assembly: activation, column offset, columns, weights, biases.
type RawGate = (GateAct, usize, usize, Vec<f32>, Vec<f32>);

/// How h is fed back and passed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HMode {
    /// Continuous h (full-precision baseline).
    Continuous,
    /// Ternarized with the model's quantizer (BTQ via the unit LFSRs, or threshold).
    Ternary,
}

#[derive(Clone, Debug)]
pub struct FloatNet {
    pub cell: CellKind,
    pub input_size: usize,
    pub hidden_size: usize,
    pub layers: Vec<DenseLayer>,
    pub quant: QuantParams,
    pub mode: HMode,
}

impl FloatNet {
    /// Full precision, continuous activations.
    pub fn full_precision(m: &FloatModel, q: &QuantParams) -> FloatNet {
        let layers = m.layers.iter().enumerate().map(|(l, layer)| {
            let gates = gate_specs(m.cell, layer.input_size, layer.hidden_size)
                .iter()
                .map(|spec| {
                    let (w, b) = m.gate_matrix(l, spec);
                    let (w, b) = (w.iter().map(|&v| v as f32), b.iter().map(|&v| v as f32));
                    (
                        spec.act,
                        spec.col_offset,
                        spec.cols,
                        w.collect(),
                        b.collect(),
                    )
                })
                .collect();
            (layer.input_size, layer.hidden_size, gates)
        });
        let dims = (m.cell, m.input_size, m.hidden_size);
        Self::assemble(dims, layers, q, HMode::Continuous)
    }

    /// Quantized weights (alpha * trit), ternary h.
    pub fn quantized(m: &QuantModel, q: &QuantParams) -> FloatNet {
        let layers = m.layers.iter().map(|layer| {
            let gates = layer
                .gates
                .iter()
                .map(|g| {
                    let alpha = g.scale as f32;
                    let w = (0..g.w.rows)
                        .flat_map(|r| g.w.row_trits(r).into_iter().map(move |t| t as f32 * alpha))
                        .collect();
                    let bias = g.bias.iter().map(|&b| b as f32).collect();
                    (g.act, g.col_offset, g.w.cols, w, bias)
                })
                .collect();
            (layer.input_size, layer.hidden_size, gates)
        });
        let dims = (m.cell, m.input_size, m.hidden_size);
        Self::assemble(dims, layers, q, HMode::Ternary)
    }

    /// The net of (cell, input size, hidden size) from per-layer (input
    /// size, hidden size, gates), each gate as (activation, column offset,
    /// columns, weights, biases).
    fn assemble(
        (cell, input_size, hidden_size): (CellKind, usize, usize),
        layers: impl Iterator<Item = (usize, usize, Vec<RawGate>)>,
        q: &QuantParams,
        mode: HMode,
    ) -> FloatNet {
        let layers = layers
            .map(|(input_size, hidden_size, gates)| DenseLayer {
                input_size,
                hidden_size,
                gates: gates
                    .into_iter()
                    .map(|(act, col_offset, cols, w, bias)| DenseGate {
                        act,
                        col_offset,
                        cols,
                        w,
                        bias,
                    })
                    .collect(),
            })
            .collect();
        FloatNet {
            cell,
            input_size,
            hidden_size,
            layers,
            quant: q.clone(),
            mode,
        }
    }

    pub fn initial_state(&self) -> FloatState {
        let n = self.hidden_size;
        FloatState {
            layers: lfsr::initial_seeds(self.quant.lfsr_seed, self.layers.len(), n)
                .into_iter()
                .map(|lfsr| FloatLayerState {
                    h: vec![0.0; n],
                    c: vec![0.0; n],
                    lfsr,
                })
                .collect(),
        }
    }

    /// One token through every layer; returns each layer's h (ternary values
    /// as -1.0/0.0/1.0 in ternary mode).
    pub fn step(&self, st: &mut FloatState, x: &[f32]) -> Vec<Vec<f32>> {
        let mut outs: Vec<Vec<f32>> = Vec::with_capacity(self.layers.len());
        let mut scratch = StepScratch::default();
        for l in 0..self.layers.len() {
            let input: &[f32] = if l == 0 { x } else { &outs[l - 1] };
            let ls = &mut st.layers[l];
            let (c, hp) = self.cell_step(l, input, &ls.h, &ls.c, &mut scratch);
            let h: Vec<f32> = match self.mode {
                HMode::Continuous => hp,
                HMode::Ternary => hp
                    .iter()
                    .zip(ls.lfsr.iter_mut())
                    .map(|(&v, s)| self.quantize_h(v, s))
                    .collect(),
            };
            ls.c = c;
            ls.h.clone_from(&h);
            outs.push(h);
        }
        outs
    }

    /// Ternarizes a real h_pre in [-1, 1]; BTQ uses the unit's LFSR draw u
    /// (F bits): h = sign(h_pre) when u / 2^F < |h_pre|.
    pub fn quantize_h(&self, v: f32, lfsr_state: &mut u32) -> f32 {
        match self.quant.activation {
            ActMode::Bernoulli => {
                let u = lfsr::draw(lfsr_state, self.quant.frac_bits) as f32
                    / (1u32 << self.quant.frac_bits) as f32;
                if u < v.abs() {
                    v.signum()
                } else {
                    0.0
                }
            }
            ActMode::Threshold => threshold_trit(v, self.quant.act_threshold as f32),
        }
    }

    /// One cell update from explicit state: returns (new c or s, h_pre).
    pub fn cell_step(
        &self,
        l: usize,
        x: &[f32],
        h: &[f32],
        c: &[f32],
        s: &mut StepScratch,
    ) -> (Vec<f32>, Vec<f32>) {
        let layer = &self.layers[l];
        let hd = layer.hidden_size;
        s.z.clear();
        s.z.extend_from_slice(x);
        s.z.extend_from_slice(h);
        s.pre.resize(layer.gates.len(), Vec::new());
        for (g, gate) in layer.gates.iter().enumerate() {
            let zs = &s.z[gate.col_offset..gate.col_offset + gate.cols];
            let out = &mut s.pre[g];
            out.resize(hd, 0.0);
            matvec_f32(&gate.w, gate.cols, zs, &gate.bias, out);
        }
        let lam = self.quant.slope as f32;
        let sig = |v: f32| 1.0 / (1.0 + (-lam * v).exp());
        let th = |v: f32| (lam * v).tanh();
        let mut c_new = vec![0.0f32; hd];
        let mut hp = vec![0.0f32; hd];
        let p = &s.pre;
        for j in 0..hd {
            match self.cell {
                CellKind::Lstm => {
                    let (i, f, g, o) = (sig(p[0][j]), sig(p[1][j]), th(p[2][j]), sig(p[3][j]));
                    c_new[j] = f * c[j] + i * g;
                    hp[j] = o * th(c_new[j]);
                }
                CellKind::Gru => {
                    let (r, u) = (sig(p[0][j]), sig(p[1][j]));
                    let n = th(p[2][j] + r * p[3][j]);
                    c_new[j] = n + u * (c[j] - n);
                    hp[j] = c_new[j];
                }
            }
        }
        (c_new, hp)
    }
}

#[derive(Default)]
pub struct StepScratch {
    z: Vec<f32>,
    pre: Vec<Vec<f32>>,
}

#[derive(Clone, Debug)]
pub struct FloatLayerState {
    pub h: Vec<f32>,
    pub c: Vec<f32>,
    pub lfsr: Vec<u32>,
}

#[derive(Clone, Debug)]
pub struct FloatState {
    pub layers: Vec<FloatLayerState>,
}

/// out = W z + b. Eight independent partial sums let the compiler vectorize
/// (float addition is not reassociated otherwise); this keeps the float
/// baseline of the benchmark honest.
/// The threshold quantizer on a real h_pre: +1 above `t`, -1 below `-t`,
/// else 0 (the training straight-through estimator uses it too).
pub fn threshold_trit(v: f32, t: f32) -> f32 {
    if v > t {
        1.0
    } else if v < -t {
        -1.0
    } else {
        0.0
    }
}

pub fn matvec_f32(w: &[f32], cols: usize, z: &[f32], bias: &[f32], out: &mut [f32]) {
    for (r, o) in out.iter_mut().enumerate() {
        let row = &w[r * cols..(r + 1) * cols];
        let mut acc = [0.0f32; 8];
        let chunks = row.chunks_exact(8);
        let rem = chunks.remainder();
        for (wc, zc) in chunks.zip(z.chunks_exact(8)) {
            for k in 0..8 {
                acc[k] += wc[k] * zc[k];
            }
        }
        let mut sum: f32 = acc.iter().sum();
        let base = cols - rem.len();
        for (k, &wv) in rem.iter().enumerate() {
            sum += wv * z[base + k];
        }
        *o = sum + bias[r];
    }
}
