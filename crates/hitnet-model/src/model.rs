//! Float and quantized models, and the TTQ weight quantizer.
//!
//! Layout: a layer's input to its matrix-vector products is the ternary
//! vector z = [x_t ; h_{t-1}] of length I + H. Each gate owns one ternary
//! matrix over a column range of z, one TTQ scale, and one bias per unit:
//!
//! | cell | gate | columns of z | activation |
//! |------|------|--------------|------------|
//! | LSTM | i, f, o | [0, I+H) | sigmoid |
//! | LSTM | g | [0, I+H) | tanh |
//! | GRU  | r, z | [0, I+H) | sigmoid |
//! | GRU  | n_x | [0, I) | raw (enters tanh with r * n_h) |
//! | GRU  | n_h | [I, I+H) | raw |
use crate::config::{CellKind, QuantParams};
use crate::error::{ModelError, Result};
use serde::{Deserialize, Serialize};

/// What happens to a gate's pre-activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GateAct {
    Sigmoid,
    Tanh,
    /// Kept as a pre-activation (GRU n_x, n_h).
    Raw,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GateSpec {
    pub name: &'static str,
    pub act: GateAct,
    pub col_offset: usize,
    pub cols: usize,
    /// Row block of PyTorch's stacked weights (i,f,g,o or r,z,n).
    pub torch_index: usize,
    /// Which of PyTorch's matrices feed this gate: (uses weight_ih, uses weight_hh).
    pub torch_parts: (bool, bool),
}

/// The gates of a layer in their fixed order.
pub fn gate_specs(cell: CellKind, input: usize, hidden: usize) -> Vec<GateSpec> {
    let both = input + hidden;
    let g = |name, act, col_offset, cols, torch_index, torch_parts| GateSpec {
        name,
        act,
        col_offset,
        cols,
        torch_index,
        torch_parts,
    };
    match cell {
        CellKind::Lstm => vec![
            g("i", GateAct::Sigmoid, 0, both, 0, (true, true)),
            g("f", GateAct::Sigmoid, 0, both, 1, (true, true)),
            g("g", GateAct::Tanh, 0, both, 2, (true, true)),
            g("o", GateAct::Sigmoid, 0, both, 3, (true, true)),
        ],
        CellKind::Gru => vec![
            g("r", GateAct::Sigmoid, 0, both, 0, (true, true)),
            g("z", GateAct::Sigmoid, 0, both, 1, (true, true)),
            g("n_x", GateAct::Raw, 0, input, 2, (true, false)),
            g("n_h", GateAct::Raw, input, hidden, 2, (false, true)),
        ],
    }
}

/// A ternary matrix as two bitplanes per row (bit set in `pos` for +1, in
/// `neg` for -1), so a dot product with a ternary vector is four ANDs and
/// two popcounts per 64 columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TernaryMatrix {
    pub rows: usize,
    pub cols: usize,
    words: usize,
    pos: Vec<u64>,
    neg: Vec<u64>,
}

impl TernaryMatrix {
    pub fn zeros(rows: usize, cols: usize) -> TernaryMatrix {
        let words = cols.div_ceil(64);
        TernaryMatrix {
            rows,
            cols,
            words,
            pos: vec![0; rows * words],
            neg: vec![0; rows * words],
        }
    }

    /// From row-major trits in {-1, 0, +1}.
    pub fn from_trits(rows: usize, cols: usize, trits: &[i8]) -> TernaryMatrix {
        assert_eq!(trits.len(), rows * cols);
        let mut m = TernaryMatrix::zeros(rows, cols);
        for r in 0..rows {
            for c in 0..cols {
                m.set(r, c, trits[r * cols + c]);
            }
        }
        m
    }

    #[inline]
    pub fn get(&self, r: usize, c: usize) -> i8 {
        let w = r * self.words + c / 64;
        let b = 1u64 << (c % 64);
        (self.pos[w] & b != 0) as i8 - (self.neg[w] & b != 0) as i8
    }

    pub fn set(&mut self, r: usize, c: usize, v: i8) {
        assert!(r < self.rows && c < self.cols);
        let w = r * self.words + c / 64;
        let b = 1u64 << (c % 64);
        self.pos[w] &= !b;
        self.neg[w] &= !b;
        match v {
            1 => self.pos[w] |= b,
            -1 => self.neg[w] |= b,
            0 => {}
            _ => panic!("not a trit: {v}"),
        }
    }

    pub fn words_per_row(&self) -> usize {
        self.words
    }

    /// Bitplanes of row `r`.
    #[inline]
    pub fn row_planes(&self, r: usize) -> (&[u64], &[u64]) {
        let s = r * self.words;
        (&self.pos[s..s + self.words], &self.neg[s..s + self.words])
    }

    pub fn row_trits(&self, r: usize) -> Vec<i8> {
        (0..self.cols).map(|c| self.get(r, c)).collect()
    }

    pub fn nonzeros_in_row(&self, r: usize) -> usize {
        let (p, n) = self.row_planes(r);
        p.iter().chain(n).map(|w| w.count_ones() as usize).sum()
    }

    pub fn max_row_nonzeros(&self) -> usize {
        (0..self.rows)
            .map(|r| self.nonzeros_in_row(r))
            .max()
            .unwrap_or(0)
    }

    pub fn nonzeros(&self) -> usize {
        self.pos
            .iter()
            .chain(&self.neg)
            .map(|w| w.count_ones() as usize)
            .sum()
    }
}

/// A ternary vector packed like a matrix row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TritPlanes {
    pub pos: Vec<u64>,
    pub neg: Vec<u64>,
}

impl TritPlanes {
    pub fn pack(trits: &[i8]) -> TritPlanes {
        let words = trits.len().div_ceil(64);
        let mut p = TritPlanes {
            pos: vec![0; words],
            neg: vec![0; words],
        };
        for (c, &t) in trits.iter().enumerate() {
            let b = 1u64 << (c % 64);
            match t {
                1 => p.pos[c / 64] |= b,
                -1 => p.neg[c / 64] |= b,
                _ => {}
            }
        }
        p
    }
}

/// One gate's quantized parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantGate {
    pub name: String,
    pub act: GateAct,
    pub col_offset: usize,
    pub w: TernaryMatrix,
    /// TTQ scale alpha (the real weight is alpha * trit).
    pub scale: f64,
    pub bias: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct QuantLayer {
    pub input_size: usize,
    pub hidden_size: usize,
    pub gates: Vec<QuantGate>,
}

/// Ternary token embedding: row `t` is the ternary x_0 of token `t`.
#[derive(Clone, Debug, PartialEq)]
pub struct Embedding {
    pub table: TernaryMatrix,
}

/// Full-precision output layer, outside the accelerator: logits = W h + b.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputLayer {
    pub rows: usize,
    pub cols: usize,
    /// Row-major `rows x cols`.
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VocabLevel {
    Char,
    Word,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Vocab {
    pub level: VocabLevel,
    pub tokens: Vec<String>,
}

/// A HitNet model with ternary weights: what the accelerator runs.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantModel {
    pub cell: CellKind,
    pub input_size: usize,
    pub hidden_size: usize,
    pub layers: Vec<QuantLayer>,
    /// Quantization the model was made (trained) with.
    pub quant: QuantParams,
    pub embedding: Option<Embedding>,
    pub output: Option<OutputLayer>,
    pub vocab: Option<Vocab>,
    /// Input quantizer and class head of a sequence classifier.
    pub classifier: Option<crate::classify::Classifier>,
    /// Free-form provenance (training command, corpus, metrics).
    pub meta: serde_json::Value,
}

impl QuantModel {
    /// A model whose every weight is the trit `w`, every gate scale `scale`
    /// and every bias `bias`: the extremes the width bounds are proven at
    /// (all +1, all -1, all 0) and test fixtures for the hardware.
    #[allow(clippy::too_many_arguments)]
    pub fn uniform(
        cell: CellKind,
        input_size: usize,
        hidden_size: usize,
        layers: usize,
        w: i8,
        scale: f64,
        bias: f64,
        quant: &QuantParams,
    ) -> QuantModel {
        let h = hidden_size;
        let layers = (0..layers)
            .map(|l| {
                let li = if l == 0 { input_size } else { h };
                QuantLayer {
                    input_size: li,
                    hidden_size: h,
                    gates: gate_specs(cell, li, h)
                        .iter()
                        .map(|s| QuantGate {
                            name: s.name.into(),
                            act: s.act,
                            col_offset: s.col_offset,
                            w: TernaryMatrix::from_trits(h, s.cols, &vec![w; h * s.cols]),
                            scale,
                            bias: vec![bias; h],
                        })
                        .collect(),
                }
            })
            .collect();
        QuantModel::core(cell, input_size, hidden_size, layers, quant)
    }

    /// The recurrent core alone: no embedding, output layer, vocabulary,
    /// classifier or meta (not validated).
    pub fn core(
        cell: CellKind,
        input_size: usize,
        hidden_size: usize,
        layers: Vec<QuantLayer>,
        quant: &QuantParams,
    ) -> QuantModel {
        QuantModel {
            cell,
            input_size,
            hidden_size,
            layers,
            quant: quant.clone(),
            embedding: None,
            output: None,
            vocab: None,
            classifier: None,
            meta: serde_json::Value::Null,
        }
    }

    pub fn layer_input(&self, l: usize) -> usize {
        if l == 0 {
            self.input_size
        } else {
            self.hidden_size
        }
    }

    /// Smallest nonzero TTQ scale over all gates (drives the Fp format).
    pub fn min_scale(&self) -> Option<f64> {
        self.layers
            .iter()
            .flat_map(|l| l.gates.iter().map(|g| g.scale))
            .filter(|&s| s > 0.0)
            .min_by(|a, b| a.total_cmp(b))
    }

    pub fn weight_count(&self) -> usize {
        self.layers
            .iter()
            .flat_map(|l| l.gates.iter().map(|g| g.w.rows * g.w.cols))
            .sum()
    }

    pub fn nonzero_count(&self) -> usize {
        self.layers
            .iter()
            .flat_map(|l| l.gates.iter().map(|g| g.w.nonzeros()))
            .sum()
    }

    pub fn zero_fraction(&self) -> f64 {
        1.0 - self.nonzero_count() as f64 / self.weight_count().max(1) as f64
    }

    /// Checks structural consistency (shapes, gate names, finite numbers).
    pub fn validate(&self) -> Result<()> {
        let bad = |key: String, msg: String| Err(ModelError::invalid(key, msg));
        if self.layers.is_empty() {
            return bad("layers".into(), "the model has no layers".into());
        }
        for (l, layer) in self.layers.iter().enumerate() {
            let i = self.layer_input(l);
            let h = self.hidden_size;
            if layer.input_size != i || layer.hidden_size != h {
                return bad(
                    format!("layers[{l}]"),
                    format!(
                        "sizes {}x{} do not match the model's {i}x{h}",
                        layer.input_size, layer.hidden_size
                    ),
                );
            }
            let specs = gate_specs(self.cell, i, h);
            if layer.gates.len() != specs.len() {
                return bad(
                    format!("layers[{l}].gates"),
                    format!(
                        "{} gates, a {} has {}",
                        layer.gates.len(),
                        self.cell.name(),
                        specs.len()
                    ),
                );
            }
            for (g, (gate, spec)) in layer.gates.iter().zip(&specs).enumerate() {
                let key = format!("layers[{l}].gates[{g}]");
                if gate.name != spec.name
                    || gate.act != spec.act
                    || gate.col_offset != spec.col_offset
                    || gate.w.cols != spec.cols
                    || gate.w.rows != h
                {
                    return bad(
                        key,
                        format!(
                            "expected gate `{}` {h}x{} at column {}, found `{}` {}x{} at column {}",
                            spec.name,
                            spec.cols,
                            spec.col_offset,
                            gate.name,
                            gate.w.rows,
                            gate.w.cols,
                            gate.col_offset
                        ),
                    );
                }
                if !(gate.scale.is_finite() && gate.scale >= 0.0) {
                    return bad(
                        format!("{key}.scale"),
                        format!("{} is not finite and >= 0", gate.scale),
                    );
                }
                if gate.bias.len() != h {
                    return bad(
                        format!("{key}.bias"),
                        format!("{} values, expected {h}", gate.bias.len()),
                    );
                }
                if let Some(k) = gate.bias.iter().position(|b| !b.is_finite()) {
                    return bad(format!("{key}.bias[{k}]"), "not a finite number".into());
                }
            }
        }
        if let Some(e) = &self.embedding {
            if e.table.cols != self.input_size {
                return bad(
                    "embedding".into(),
                    format!(
                        "width {} does not match input_size {}",
                        e.table.cols, self.input_size
                    ),
                );
            }
        }
        if let Some(o) = &self.output {
            if o.cols != self.hidden_size
                || o.weight.len() != o.rows * o.cols
                || o.bias.len() != o.rows
            {
                return bad(
                    "output".into(),
                    format!(
                        "shape {}x{} does not fit hidden_size {}",
                        o.rows, o.cols, self.hidden_size
                    ),
                );
            }
            if o.weight.iter().chain(&o.bias).any(|v| !v.is_finite()) {
                return bad("output".into(), "contains a non-finite number".into());
            }
        }
        if let (Some(v), Some(o)) = (&self.vocab, &self.output) {
            if v.tokens.len() != o.rows {
                return bad(
                    "vocab".into(),
                    format!(
                        "{} tokens but the output layer has {} rows",
                        v.tokens.len(),
                        o.rows
                    ),
                );
            }
        }
        if let Some(c) = &self.classifier {
            if self.embedding.is_some() || self.output.is_some() {
                return bad(
                    "classifier".into(),
                    "a model has an embedding and output layer (a language model) or a classifier, not both".into(),
                );
            }
            c.validate(self.input_size, self.hidden_size)?;
        }
        if let (Some(v), Some(e)) = (&self.vocab, &self.embedding) {
            if v.tokens.len() != e.table.rows {
                return bad(
                    "vocab".into(),
                    format!(
                        "{} tokens but the embedding has {} rows",
                        v.tokens.len(),
                        e.table.rows
                    ),
                );
            }
        }
        Ok(())
    }
}

/// A float layer in PyTorch's layout: `w_ih` is (G*H) x I, `w_hh` (G*H) x H,
/// row-major, gates stacked i,f,g,o (LSTM) or r,z,n (GRU).
#[derive(Clone, Debug, PartialEq)]
pub struct FloatLayer {
    pub input_size: usize,
    pub hidden_size: usize,
    pub w_ih: Vec<f64>,
    pub w_hh: Vec<f64>,
    pub b_ih: Vec<f64>,
    pub b_hh: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FloatModel {
    pub cell: CellKind,
    pub input_size: usize,
    pub hidden_size: usize,
    pub layers: Vec<FloatLayer>,
}

/// Threshold ternary quantization of one matrix: D = t * mean|W|;
/// trits are sign(w) where |w| > D; alpha = mean |w| over those entries.
/// A matrix with no entry above the threshold gets alpha = 0.
pub fn ttq(values: &[f64], threshold_factor: f64) -> (Vec<i8>, f64) {
    let n = values.len().max(1) as f64;
    let mean_abs = values.iter().map(|v| v.abs()).sum::<f64>() / n;
    let d = threshold_factor * mean_abs;
    let mut sum = 0.0;
    let mut count = 0usize;
    let trits = values
        .iter()
        .map(|&v| {
            if v > d {
                sum += v;
                count += 1;
                1
            } else if v < -d {
                sum -= v;
                count += 1;
                -1
            } else {
                0
            }
        })
        .collect();
    let alpha = if count > 0 { sum / count as f64 } else { 0.0 };
    (trits, alpha)
}

impl FloatModel {
    pub fn validate(&self) -> Result<()> {
        let g = self.cell.gates();
        for (l, layer) in self.layers.iter().enumerate() {
            let i = if l == 0 {
                self.input_size
            } else {
                self.hidden_size
            };
            let h = self.hidden_size;
            let checks: [(&str, &Vec<f64>, usize); 4] = [
                ("w_ih", &layer.w_ih, g * h * i),
                ("w_hh", &layer.w_hh, g * h * h),
                ("b_ih", &layer.b_ih, g * h),
                ("b_hh", &layer.b_hh, g * h),
            ];
            for (name, v, n) in checks {
                if v.len() != n {
                    return Err(ModelError::invalid(
                        format!("layers[{l}].{name}"),
                        format!("{} values, expected {n}", v.len()),
                    ));
                }
                if let Some(k) = v.iter().position(|x| !x.is_finite()) {
                    return Err(ModelError::invalid(
                        format!("layers[{l}].{name}[{k}]"),
                        "not a finite number".to_string(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The gate's float matrix over its columns of z (rows x cols, row-major)
    /// and its combined bias.
    pub fn gate_matrix(&self, l: usize, spec: &GateSpec) -> (Vec<f64>, Vec<f64>) {
        let layer = &self.layers[l];
        let i = layer.input_size;
        let h = layer.hidden_size;
        let (use_ih, use_hh) = spec.torch_parts;
        let mut m = Vec::with_capacity(h * spec.cols);
        let mut b = Vec::with_capacity(h);
        for j in 0..h {
            let row = spec.torch_index * h + j;
            if use_ih {
                m.extend_from_slice(&layer.w_ih[row * i..(row + 1) * i]);
            }
            if use_hh {
                m.extend_from_slice(&layer.w_hh[row * h..(row + 1) * h]);
            }
            let bias = (if use_ih { layer.b_ih[row] } else { 0.0 })
                + (if use_hh { layer.b_hh[row] } else { 0.0 });
            b.push(bias);
        }
        (m, b)
    }

    /// TTQ-quantizes every gate matrix (one scale per gate).
    pub fn quantize(&self, q: &QuantParams) -> Result<QuantModel> {
        self.validate()?;
        q.validate()?;
        let mut layers = Vec::new();
        for (l, layer) in self.layers.iter().enumerate() {
            let specs = gate_specs(self.cell, layer.input_size, layer.hidden_size);
            let gates = specs
                .iter()
                .map(|spec| {
                    let (m, b) = self.gate_matrix(l, spec);
                    let (trits, scale) = ttq(&m, q.weight_threshold);
                    QuantGate {
                        name: spec.name.to_string(),
                        act: spec.act,
                        col_offset: spec.col_offset,
                        w: TernaryMatrix::from_trits(layer.hidden_size, spec.cols, &trits),
                        scale,
                        bias: b,
                    }
                })
                .collect();
            layers.push(QuantLayer {
                input_size: layer.input_size,
                hidden_size: layer.hidden_size,
                gates,
            });
        }
        let m = QuantModel::core(self.cell, self.input_size, self.hidden_size, layers, q);
        m.validate()?;
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttq_by_hand() {
        // mean|w| = (0.1 + 0.5 + 0.9 + 0.3) / 4 = 0.45, D = 0.315.
        let (t, a) = ttq(&[0.1, -0.5, 0.9, 0.3], 0.7);
        assert_eq!(t, vec![0, -1, 1, 0]);
        assert!((a - 0.7).abs() < 1e-12);
        let (t, a) = ttq(&[0.0, 0.0], 0.7);
        assert_eq!(t, vec![0, 0]);
        assert_eq!(a, 0.0);
    }

    #[test]
    fn ternary_matrix_roundtrip_and_counts() {
        let trits: Vec<i8> = (0..3 * 70).map(|k| ((k * 7) % 3) as i8 - 1).collect();
        let m = TernaryMatrix::from_trits(3, 70, &trits);
        for r in 0..3 {
            assert_eq!(m.row_trits(r), trits[r * 70..(r + 1) * 70].to_vec());
        }
        assert_eq!(m.nonzeros(), trits.iter().filter(|&&t| t != 0).count());
    }

    #[test]
    fn gate_layout() {
        let s = gate_specs(CellKind::Gru, 5, 3);
        assert_eq!(s[2].cols, 5);
        assert_eq!((s[3].col_offset, s[3].cols), (5, 3));
        let s = gate_specs(CellKind::Lstm, 5, 3);
        assert!(s.iter().all(|g| g.cols == 8 && g.col_offset == 0));
    }
}
