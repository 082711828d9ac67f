//! The training-time quantizers, each a straight-through estimator (STE):
//! the forward pass produces exactly the quantized values, the backward pass
//! hands the gradient to the latent float tensor unchanged.
//!
//! - TTQ on gate matrices: `hitnet_model::model::ttq` itself, applied to the
//!   gate groups of `hitnet_model::model::gate_specs` (LSTM gates jointly
//!   over [W_ih | W_hh], GRU n_x and n_h alone), gathered in the order of
//!   `FloatModel::gate_matrix`, so training sees bit for bit the trits and
//!   scales that the exported model gets.
//! - Ternary embedding: TTQ trits of the whole table, without the scale
//!   (the accelerator's layer-0 input is a pure trit vector).
//! - BTQ on h: sign(h) * Bernoulli(|h|), unbiased.
use crate::error::Result;
use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};
use hitnet_model::model::{gate_specs, ttq};
use hitnet_model::rng::Rng;
use hitnet_model::CellKind;

/// Forward: the given values; backward: identity.
struct Ste {
    values: Vec<f32>,
}

impl CustomOp1 for Ste {
    fn name(&self) -> &'static str {
        "straight-through"
    }

    fn cpu_fwd(
        &self,
        _s: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        if layout.shape().elem_count() != self.values.len() {
            candle_core::bail!(
                "straight-through: {} values for shape {:?}",
                self.values.len(),
                layout.shape()
            );
        }
        Ok((CpuStorage::F32(self.values.clone()), layout.shape().clone()))
    }

    fn bwd(
        &self,
        _arg: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        Ok(Some(grad.clone()))
    }
}

/// `latent` in the forward pass replaced by `values` (same element order),
/// with the gradient passed straight through.
pub fn straight_through(latent: &Tensor, values: Vec<f32>) -> Result<Tensor> {
    Ok(latent.apply_op1(Ste { values })?)
}

/// Row-major f32 contents of a tensor.
pub fn flat(t: &Tensor) -> Result<Vec<f32>> {
    Ok(t.flatten_all()?.to_vec1::<f32>()?)
}

/// TTQ of one layer in the training layout: `w_x` is I x (G*H) and `w_h`
/// is H x (G*H), row-major, column `g*H + j` = PyTorch row `g*H + j`.
/// Returns the quantized matrices (alpha * trit, same layout) and the
/// per-gate (trits in `gate_matrix` order, alpha).
pub struct LayerTtq {
    pub w_x: Vec<f32>,
    pub w_h: Vec<f32>,
    pub gates: Vec<(Vec<i8>, f64)>,
}

/// A weight matrix in the training layout (`rows` x `gh`, row-major) in
/// PyTorch's layout (`gh` x `rows`), as f64.
pub fn pytorch_layout(w: &[f32], rows: usize, gh: usize) -> Vec<f64> {
    (0..gh * rows)
        .map(|n| w[(n % rows) * gh + n / rows] as f64)
        .collect()
}

pub fn ttq_layer(
    cell: CellKind,
    input: usize,
    hidden: usize,
    w_x: &[f32],
    w_h: &[f32],
    threshold: f64,
) -> LayerTtq {
    let gh = cell.gates() * hidden;
    debug_assert_eq!(w_x.len(), input * gh);
    debug_assert_eq!(w_h.len(), hidden * gh);
    let mut qx = vec![0f32; w_x.len()];
    let mut qh = vec![0f32; w_h.len()];
    let mut gates = Vec::new();
    for spec in gate_specs(cell, input, hidden) {
        let (use_ih, use_hh) = spec.torch_parts;
        // Gather exactly as FloatModel::gate_matrix does: row j = [W_ih row, W_hh row].
        let mut m = Vec::with_capacity(hidden * spec.cols);
        for j in 0..hidden {
            let row = spec.torch_index * hidden + j;
            if use_ih {
                m.extend((0..input).map(|k| w_x[k * gh + row] as f64));
            }
            if use_hh {
                m.extend((0..hidden).map(|k| w_h[k * gh + row] as f64));
            }
        }
        let (trits, alpha) = ttq(&m, threshold);
        let a = alpha as f32;
        let mut it = trits.iter();
        for j in 0..hidden {
            let row = spec.torch_index * hidden + j;
            if use_ih {
                for k in 0..input {
                    qx[k * gh + row] = a * *it.next().expect("trit") as f32;
                }
            }
            if use_hh {
                for k in 0..hidden {
                    qh[k * gh + row] = a * *it.next().expect("trit") as f32;
                }
            }
        }
        gates.push((trits, alpha));
    }
    LayerTtq {
        w_x: qx,
        w_h: qh,
        gates,
    }
}

/// Trits of a ternary embedding table (TTQ threshold, scale dropped).
pub fn embedding_trits(table: &[f32], threshold: f64) -> Vec<i8> {
    let v: Vec<f64> = table.iter().map(|&x| x as f64).collect();
    ttq(&v, threshold).0
}

/// Bernoulli ternary quantization of values in [-1, 1]:
/// sign(v) with probability |v|, else 0, so E[q] = v.
pub fn btq_sample(values: &[f32], rng: &mut Rng) -> Vec<f32> {
    values
        .iter()
        .map(|&v| {
            if (rng.uniform() as f32) < v.abs() {
                v.signum()
            } else {
                0.0
            }
        })
        .collect()
}

/// Threshold ternarization (the accelerator's threshold mode) with STE on
/// a tensor of h_pre values.
pub fn threshold_ste(h_pre: &Tensor, t: f64) -> Result<Tensor> {
    let v = flat(h_pre)?;
    let trits = v
        .iter()
        .map(|&x| hitnet_model::float::threshold_trit(x, t as f32))
        .collect();
    straight_through(h_pre, trits)
}

/// BTQ with STE on a tensor of h_pre values.
pub fn btq_ste(h_pre: &Tensor, rng: &mut Rng) -> Result<Tensor> {
    let v = flat(h_pre)?;
    straight_through(h_pre, btq_sample(&v, rng))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};
    use hitnet_model::model::{FloatLayer, FloatModel};
    use hitnet_model::QuantParams;

    fn randv(rng: &mut Rng, n: usize) -> Vec<f32> {
        (0..n).map(|_| rng.normal() as f32 * 0.3).collect()
    }

    /// Training-layout TTQ equals `FloatModel::quantize` on the same weights
    /// (i.e. `hitnet_model::model::ttq` per gate group), for both cells.
    #[test]
    fn ttq_matches_model_quantizer() {
        for cell in [CellKind::Lstm, CellKind::Gru] {
            let (i, h) = (5, 7);
            let gh = cell.gates() * h;
            let mut rng = Rng::new(3);
            let w_x = randv(&mut rng, i * gh);
            let w_h = randv(&mut rng, h * gh);
            let q = ttq_layer(cell, i, h, &w_x, &w_h, 0.7);
            // The same weights in PyTorch layout.
            let w_ih = pytorch_layout(&w_x, i, gh);
            let w_hh = pytorch_layout(&w_h, h, gh);
            let fm = FloatModel {
                cell,
                input_size: i,
                hidden_size: h,
                layers: vec![FloatLayer {
                    input_size: i,
                    hidden_size: h,
                    w_ih,
                    w_hh,
                    b_ih: vec![0.0; gh],
                    b_hh: vec![0.0; gh],
                }],
            };
            let qm = fm.quantize(&QuantParams::default()).unwrap();
            for (g, gate) in qm.layers[0].gates.iter().enumerate() {
                let want: Vec<i8> = (0..h).flat_map(|r| gate.w.row_trits(r)).collect();
                assert_eq!(q.gates[g].0, want, "{cell:?} gate {}", gate.name);
                assert_eq!(q.gates[g].1, gate.scale);
                // And the quantized matrices hold alpha * trit at the gate's positions.
                let spec = &gate_specs(cell, i, h)[g];
                for j in 0..h {
                    let row = spec.torch_index * h + j;
                    for c in 0..spec.cols {
                        let k = spec.col_offset + c;
                        let got = if k < i {
                            q.w_x[k * gh + row]
                        } else {
                            q.w_h[(k - i) * gh + row]
                        };
                        let t = gate.w.get(j, c) as f32 * gate.scale as f32;
                        assert_eq!(got, t);
                    }
                }
            }
        }
    }

    #[test]
    fn ste_forward_is_exact_and_backward_is_identity() {
        let dev = Device::Cpu;
        let w = Var::from_vec(vec![0.1f32, -0.5, 0.9, 0.3], (2, 2), &dev).unwrap();
        let values: Vec<f32> = {
            let (t, a) = ttq(&[0.1, -0.5, 0.9, 0.3].map(|v: f32| v as f64), 0.7);
            t.iter().map(|&t| t as f32 * a as f32).collect()
        };
        let q = straight_through(w.as_tensor(), values.clone()).unwrap();
        assert_eq!(flat(&q).unwrap(), values);
        let loss = (q * 3.0).unwrap().sum_all().unwrap();
        let g = loss.backward().unwrap();
        assert_eq!(flat(g.get(w.as_tensor()).unwrap()).unwrap(), vec![3.0; 4]);
    }

    #[test]
    fn btq_is_ternary_and_unbiased() {
        let mut rng = Rng::new(5);
        for &v in &[-0.9f32, -0.3, 0.0, 0.25, 0.6, 1.0] {
            let n = 40000;
            let q = btq_sample(&vec![v; n], &mut rng);
            assert!(q.iter().all(|&x| x == 0.0 || x == v.signum()));
            let mean = q.iter().sum::<f32>() / n as f32;
            // Standard error <= 0.5/sqrt(n) = 0.0025; allow 4 sigma.
            assert!((mean - v).abs() < 0.01, "v {v} mean {mean}");
        }
    }
}
