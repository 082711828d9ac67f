//! Datapath widths, each from a worst-case bound (docs/arithmetic.md,
//! "Widths"). The hardware plan takes its register widths from here; the
//! tests drive the golden model to the extremes and check every observed
//! value lies inside its bound.
use crate::config::CellKind;
use crate::fixed::signed_bits;
use crate::golden::IntModel;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bounds (largest magnitude or [lo, hi]) and the widths that hold them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Widths {
    /// N: most nonzero weights in any row of any gate. |acc| <= N.
    pub acc_bound: i64,
    pub acc: u32,
    /// Largest scale multiplier (unsigned).
    pub mult_bound: i64,
    pub mult: u32,
    /// Largest |bias| (Fp fraction bits).
    pub bias_bound: i64,
    pub bias: u32,
    /// |p| <= max over gates of mult_g * N_g + max |bias_g|.
    pub pre_bound: i64,
    pub pre: u32,
    /// GRU: |n_x + round(r * n_h / 2^F)| <= max|n_x| + max|n_h|.
    pub gru_sum_bound: i64,
    pub gru_sum: u32,
    /// Table index width K.
    pub index: u32,
    /// Gate values and table entries lie in [-2^F, 2^F].
    pub act: u32,
    /// Cell state [-(2^(ci+F)), 2^(ci+F) - 1] (LSTM) or [-2^F, 2^F] (GRU).
    pub cell_lo: i64,
    pub cell_hi: i64,
    pub cell: u32,
    /// LSTM: f*c + i*g; GRU: u*(s - n). Both with 2F fraction bits.
    pub cell_sum_lo: i64,
    pub cell_sum_hi: i64,
    pub cell_sum: u32,
    /// h before quantization: [-2^F, 2^F].
    pub h_pre: u32,
    /// LFSR state.
    pub lfsr: u32,
}

impl Widths {
    pub fn derive(m: &IntModel) -> Widths {
        let f = &m.formats;
        let one = f.one();
        // The bounds of values that come from the model file (scales,
        // biases) are computed in i128: a huge scale must give a huge width
        // (and a refusal), never a wrapped small one.
        let mut n_max = 0i64;
        let mut mult_max = 0i128;
        let mut bias_max = 0i128;
        let mut pre_max = 0i128;
        let mut gru_sum_max = 0i128;
        for layer in &m.layers {
            let mut gate_pre = Vec::new();
            for g in &layer.gates {
                let n = g.w.max_row_nonzeros() as i64;
                let b = g.bias.iter().map(|&b| (b as i128).abs()).max().unwrap_or(0);
                n_max = n_max.max(n);
                mult_max = mult_max.max((g.mult as i128).abs());
                bias_max = bias_max.max(b);
                let p = (g.mult as i128).abs() * n as i128 + b;
                pre_max = pre_max.max(p);
                gate_pre.push(p);
            }
            if m.cell == CellKind::Gru {
                gru_sum_max = gru_sum_max.max(gate_pre[2] + gate_pre[3]);
            }
        }
        let sat = |v: i128| v.min(i64::MAX as i128) as i64;
        let (cell_lo, cell_hi, sum_lo, sum_hi) = match m.cell {
            CellKind::Lstm => {
                let (lo, hi) = (f.cell_min(), f.cell_max());
                // f in [0, 2^F], c in [lo, hi], i in [0, 2^F], g in [-2^F, 2^F].
                (lo, hi, one * lo - one * one, one * hi + one * one)
            }
            // s, n in [-2^F, 2^F]; u in [0, 2^F]; |s - n| <= 2^(F+1).
            CellKind::Gru => (-one, one, -2 * one * one, 2 * one * one),
        };
        Widths {
            acc_bound: n_max,
            acc: signed_bits(-n_max, n_max),
            mult_bound: sat(mult_max),
            mult: unsigned_bits_wide(mult_max),
            bias_bound: sat(bias_max),
            bias: signed_bits_wide(bias_max),
            pre_bound: sat(pre_max),
            pre: signed_bits_wide(pre_max),
            gru_sum_bound: sat(gru_sum_max),
            gru_sum: if m.cell == CellKind::Gru {
                signed_bits_wide(gru_sum_max)
            } else {
                0
            },
            index: f.lut_bits,
            act: signed_bits(-one, one),
            cell_lo,
            cell_hi,
            cell: signed_bits(cell_lo, cell_hi),
            cell_sum_lo: sum_lo,
            cell_sum_hi: sum_hi,
            cell_sum: signed_bits(sum_lo, sum_hi),
            h_pre: signed_bits(-one, one),
            lfsr: crate::lfsr::LFSR_BITS,
        }
    }

    /// The declared [lo, hi] of a tracked quantity (see [`Ranges`]).
    pub fn bound_of(&self, name: &str, m: &IntModel) -> (i64, i64) {
        let one = m.formats.one();
        match name {
            "acc" => (-self.acc_bound, self.acc_bound),
            "pre" => (-self.pre_bound, self.pre_bound),
            "act" | "h_pre" => (-one, one),
            "cell" => (self.cell_lo, self.cell_hi),
            "cell_sum" => (self.cell_sum_lo, self.cell_sum_hi),
            "h_prod" => (-one * one, one * one),
            "gru_rprod" => (-one * self.pre_bound, one * self.pre_bound),
            "gru_sum" => (-self.gru_sum_bound, self.gru_sum_bound),
            "gru_diff" => (-2 * one, 2 * one),
            other => panic!("no bound for {other}"),
        }
    }

    /// One line per width, for `hitnet check`.
    pub fn table(&self) -> Vec<(&'static str, u32, String)> {
        let mut v = vec![
            (
                "accumulator",
                self.acc,
                format!("|acc| <= N = {}", self.acc_bound),
            ),
            (
                "scale multiplier",
                self.mult,
                format!("<= {}", self.mult_bound),
            ),
            ("bias", self.bias, format!("|b| <= {}", self.bias_bound)),
            (
                "pre-activation",
                self.pre,
                format!("|p| <= {}", self.pre_bound),
            ),
        ];
        if self.gru_sum > 0 {
            v.push((
                "GRU n sum",
                self.gru_sum,
                format!("|n| <= {}", self.gru_sum_bound),
            ));
        }
        v.extend([
            ("table index", self.index, "K".to_string()),
            ("gate value", self.act, "[-2^F, 2^F]".to_string()),
            (
                "cell state",
                self.cell,
                format!("[{}, {}]", self.cell_lo, self.cell_hi),
            ),
            (
                "cell update sum",
                self.cell_sum,
                format!("[{}, {}]", self.cell_sum_lo, self.cell_sum_hi),
            ),
            ("h before quantizer", self.h_pre, "[-2^F, 2^F]".to_string()),
            ("LFSR", self.lfsr, "32-bit Galois".to_string()),
        ]);
        v
    }
}

/// Bits of a two's-complement value in [-m, m], for any m >= 0 (up to 128).
fn signed_bits_wide(m: i128) -> u32 {
    if m <= i64::MAX as i128 {
        signed_bits(-(m as i64), m as i64)
    } else {
        129 - m.leading_zeros()
    }
}

/// Bits of an unsigned value up to m.
fn unsigned_bits_wide(m: i128) -> u32 {
    (128 - m.leading_zeros()).max(1)
}

/// Observed [min, max] per named intermediate value.
#[derive(Clone, Debug, Default)]
pub struct Ranges {
    pub seen: BTreeMap<&'static str, (i64, i64)>,
}

impl Ranges {
    #[inline]
    pub fn see(&mut self, name: &'static str, v: i64) {
        let e = self.seen.entry(name).or_insert((v, v));
        e.0 = e.0.min(v);
        e.1 = e.1.max(v);
    }

    /// `see` for each (name, value).
    #[inline]
    pub fn see_all(&mut self, values: &[(&'static str, i64)]) {
        for &(name, v) in values {
            self.see(name, v);
        }
    }
}
