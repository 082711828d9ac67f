//! The built-in default model: seeded random float weights with the spread
//! of trained RNN weights (roughly Gaussian with heavier tails), TTQ-quantized
//! like any imported model. Every command works with no weight file.
use crate::config::{CellKind, QuantParams};
use crate::error::Result;
use crate::golden::IntModel;
use crate::model::{FloatLayer, FloatModel};
use crate::rng::Rng;

/// Float weights for the given sizes. Weights are a 90/10 mixture of
/// N(0, s^2) and N(0, (3s)^2) with s chosen so a pre-activation over a
/// uniformly random ternary z has standard deviation about 1.5; biases are
/// N(0, 0.2^2), plus 1.0 on the LSTM forget gate (the usual initialisation).
pub fn default_float_model(
    cell: CellKind,
    input_size: usize,
    hidden_size: usize,
    layers: usize,
    seed: u64,
) -> FloatModel {
    let mut rng = Rng::new(seed);
    let g = cell.gates();
    let h = hidden_size;
    let layers = (0..layers)
        .map(|l| {
            let i = if l == 0 { input_size } else { h };
            // Var(p) = (I+H) * 2/3 * 1.8 s^2 = 1.5^2.
            let s = 1.5 / (1.2 * (i + h) as f64).sqrt();
            let mut w = |n: usize| -> Vec<f64> {
                (0..n)
                    .map(|_| {
                        let wide = rng.uniform() < 0.1;
                        rng.normal() * s * if wide { 3.0 } else { 1.0 }
                    })
                    .collect()
            };
            let w_ih = w(g * h * i);
            let w_hh = w(g * h * h);
            let mut b = |forget: bool| -> Vec<f64> {
                (0..g * h)
                    .map(|k| {
                        let fg = forget && cell == CellKind::Lstm && k / h == 1;
                        rng.normal() * 0.2 + if fg { 1.0 } else { 0.0 }
                    })
                    .collect()
            };
            let b_ih = b(true);
            let b_hh = b(false);
            FloatLayer {
                input_size: i,
                hidden_size: h,
                w_ih,
                w_hh,
                b_ih,
                b_hh,
            }
        })
        .collect();
    FloatModel {
        cell,
        input_size,
        hidden_size,
        layers,
    }
}

/// The default float model for the given sizes, quantized with `q` and
/// lowered to the integer model the hardware runs.
pub fn default_int_model(
    cell: CellKind,
    input_size: usize,
    hidden_size: usize,
    layers: usize,
    seed: u64,
    q: &QuantParams,
) -> Result<IntModel> {
    let fm = default_float_model(cell, input_size, hidden_size, layers, seed);
    IntModel::new(&fm.quantize(q)?, q)
}
