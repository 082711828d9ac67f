//! Fixed-point formats and the two primitive operations of the arithmetic
//! contract: round-half-up right shift and saturation. Every format is
//! derived here from the quantization parameters; docs/arithmetic.md gives
//! the reasoning.
use crate::config::QuantParams;
use crate::error::{ModelError, Result};
use serde::{Deserialize, Serialize};

/// `x / 2^s` rounded half up (towards +inf on ties): `(x + 2^(s-1)) >> s`
/// with an arithmetic shift. `s == 0` is the identity.
#[inline]
pub fn rshift_round(x: i64, s: u32) -> i64 {
    if s == 0 {
        x
    } else {
        (x + (1i64 << (s - 1))) >> s
    }
}

#[inline]
pub fn sat(x: i64, lo: i64, hi: i64) -> i64 {
    x.clamp(lo, hi)
}

/// Smallest two's complement width holding every value in `[lo, hi]`.
pub fn signed_bits(lo: i64, hi: i64) -> u32 {
    debug_assert!(lo <= hi);
    let mut w = 1;
    while w < 64 && !(lo >= -(1i64 << (w - 1)) && hi < (1i64 << (w - 1))) {
        w += 1;
    }
    w
}

/// Smallest unsigned width holding every value in `[0, hi]`.
pub fn unsigned_bits(hi: u64) -> u32 {
    (64 - hi.leading_zeros()).max(1)
}

/// Where `sigma(y)` is within half an LSB (2^-(F+1)) of 1: y = ln(2^(F+1)).
pub fn sigmoid_saturation(frac_bits: u32) -> f64 {
    ((frac_bits + 1) as f64) * std::f64::consts::LN_2
}

/// All fixed-point formats of the datapath (docs/arithmetic.md, "Formats").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Formats {
    /// F: fraction bits of gate values, the cell state, h before quantization.
    pub frac: u32,
    /// K: activation tables have 2^K entries, indexed by a K-bit signed index.
    pub lut_bits: u32,
    /// Fi: fraction bits of the table index (pre-activation units, before slope).
    pub lut_frac: u32,
    /// The table covers pre-activations in [-2^r, 2^r).
    pub lut_range_log2: i32,
    /// Fp: fraction bits of pre-activations (scale * acc + bias).
    pub pre_frac: u32,
    /// Integer bits of the cell state.
    pub cell_int: u32,
    /// Threshold-mode threshold T in Q.F (h = +1 when h_pre > T).
    pub act_threshold: i64,
}

impl Formats {
    /// Derives the formats. `min_scale` is the smallest nonzero TTQ scale of
    /// the model: Fp is raised until that scale has `scale_bits` significant
    /// bits, so every gate's scale is represented to better than 2^-(scale_bits-1).
    pub fn derive(q: &QuantParams, min_scale: Option<f64>) -> Result<Formats> {
        q.validate()?;
        let x_sat = sigmoid_saturation(q.frac_bits) / q.slope;
        let r = x_sat.log2().ceil() as i32;
        let lut_frac = q.lut_bits as i32 - 1 - r;
        if lut_frac < 0 {
            return Err(ModelError::invalid(
                "quant.lut_bits",
                format!(
                    "{} index bits cannot cover pre-activations up to {x_sat:.1} at slope {} with integer resolution; raise quant.lut_bits or quant.slope",
                    q.lut_bits, q.slope
                ),
            ));
        }
        let lut_frac = lut_frac as u32;
        let mut pre_frac = lut_frac + 2;
        if let Some(a) = min_scale {
            if !(a.is_finite() && a > 0.0) {
                return Err(ModelError::invalid(
                    "scale",
                    format!("gate scale {a} is not a positive finite number"),
                ));
            }
            let want = (1u64 << (q.scale_bits - 1)) as f64;
            while (a * (1u64 << pre_frac) as f64).round() < want {
                pre_frac += 1;
                if pre_frac > 40 {
                    return Err(ModelError::invalid(
                        "scale",
                        format!(
                            "gate scale {a:e} is too small to represent with {} bits; the weights are degenerate",
                            q.scale_bits
                        ),
                    ));
                }
            }
        }
        let act_threshold = (q.act_threshold * (1u64 << q.frac_bits) as f64).round() as i64;
        Ok(Formats {
            frac: q.frac_bits,
            lut_bits: q.lut_bits,
            lut_frac,
            lut_range_log2: r,
            pre_frac,
            cell_int: q.cell_int_bits,
            act_threshold,
        })
    }

    /// 1.0 in Q.F.
    pub fn one(&self) -> i64 {
        1i64 << self.frac
    }
    pub fn index_min(&self) -> i64 {
        -(1i64 << (self.lut_bits - 1))
    }
    pub fn index_max(&self) -> i64 {
        (1i64 << (self.lut_bits - 1)) - 1
    }
    pub fn cell_min(&self) -> i64 {
        -(1i64 << (self.cell_int + self.frac))
    }
    pub fn cell_max(&self) -> i64 {
        (1i64 << (self.cell_int + self.frac)) - 1
    }
    /// Table index of a pre-activation with Fp fraction bits.
    #[inline]
    pub fn pre_to_index(&self, p: i64) -> i64 {
        sat(
            rshift_round(p, self.pre_frac - self.lut_frac),
            self.index_min(),
            self.index_max(),
        )
    }
    /// Table index of a cell state with F fraction bits.
    #[inline]
    pub fn cell_to_index(&self, c: i64) -> i64 {
        let v = if self.frac >= self.lut_frac {
            rshift_round(c, self.frac - self.lut_frac)
        } else {
            c << (self.lut_frac - self.frac)
        };
        sat(v, self.index_min(), self.index_max())
    }
    /// A real scale or bias as an integer with Fp fraction bits.
    /// `v` in pre-activation fixed point. A value beyond the i64 range
    /// saturates (`as` does), and so gives a width no design accepts.
    pub fn to_pre(&self, v: f64) -> i64 {
        (v * (1u64 << self.pre_frac) as f64).round() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rounding_is_half_up() {
        assert_eq!(rshift_round(3, 1), 2); // 1.5 -> 2
        assert_eq!(rshift_round(-3, 1), -1); // -1.5 -> -1
        assert_eq!(rshift_round(5, 2), 1); // 1.25 -> 1
        assert_eq!(rshift_round(-5, 2), -1); // -1.25 -> -1
        assert_eq!(rshift_round(-6, 2), -1); // -1.5 -> -1
        assert_eq!(rshift_round(7, 0), 7);
    }

    proptest! {
        #[test]
        fn rshift_round_is_nearest(x in -1_000_000_000i64..1_000_000_000, s in 1u32..20) {
            let r = rshift_round(x, s) as f64;
            let exact = x as f64 / (1u64 << s) as f64;
            prop_assert!((r - exact).abs() <= 0.5);
            // Ties go up.
            prop_assert!(r - exact > -0.5);
        }

        #[test]
        fn signed_bits_is_minimal(lo in -100_000i64..0, hi in 0i64..100_000) {
            let w = signed_bits(lo, hi);
            prop_assert!(lo >= -(1i64 << (w - 1)) && hi < (1i64 << (w - 1)));
            let w1 = w - 1;
            prop_assert!(w1 == 0 || !(lo >= -(1i64 << (w1 - 1)) && hi < (1i64 << (w1 - 1))));
        }
    }

    #[test]
    fn default_formats() {
        let f = Formats::derive(&QuantParams::default(), Some(0.05)).unwrap();
        // slope 2, F 10: sigma saturates at 7.6/2 = 3.8 -> range [-4, 4).
        assert_eq!(f.lut_range_log2, 2);
        assert_eq!(f.lut_frac, 5);
        assert!(f.pre_frac >= f.lut_frac + 2);
        // 0.05 * 2^Fp has at least 12 significant bits.
        assert!(f.to_pre(0.05) >= 1 << 11);
        assert_eq!(f.act_threshold, 512);
    }

    /// The index functions by hand from docs/arithmetic.md ("Tables"),
    /// default formats: F = 10, K = 8, range [-4, 4) so Fi = 5; an index
    /// is sat(rshift_round(x, F - Fi), -128, 127), ties towards +inf.
    #[test]
    fn index_functions_known_answers() {
        let f = Formats::derive(&QuantParams::default(), Some(0.05)).unwrap();
        assert_eq!(
            (f.frac, f.lut_frac, f.index_min(), f.index_max()),
            (10, 5, -128, 127)
        );
        for (c, want) in [
            (0, 0),
            (1024, 32), // 1.0 = 32 steps of 2^-5
            (16, 1),    // half a step: rounds up
            (15, 0),
            (-16, 0), // -half a step: ties towards +inf
            (-17, -1),
            (4095, 127),   // 3.999: 128 rounds past the top, saturates
            (-4096, -128), // -4.0 exactly
            (-16384, -128),
            (16383, 127),
        ] {
            assert_eq!(f.cell_to_index(c), want, "c = {c}");
        }
        // Pre-activations have Fp fraction bits: the same with s = Fp - 5.
        let s = f.pre_frac - 5;
        let one = 1i64 << f.pre_frac;
        assert_eq!(f.pre_to_index(one), 32);
        assert_eq!(f.pre_to_index(1i64 << (s - 1)), 1);
        assert_eq!(f.pre_to_index(-(1i64 << (s - 1))), 0);
        assert_eq!(f.pre_to_index(-(1i64 << (s - 1)) - 1), -1);
        assert_eq!(f.pre_to_index(5 * one), 127);
        assert_eq!(f.pre_to_index(-5 * one), -128);
        assert_eq!(sat(5, -3, 3), 3);
        assert_eq!(sat(-5, -3, 3), -3);
        assert_eq!(sat(2, -3, 3), 2);
    }

    #[test]
    fn table_range_covers_saturation() {
        for slope in [0.25, 0.5, 1.0, 2.0, 3.0, 8.0, 64.0] {
            let q = QuantParams {
                slope,
                ..QuantParams::default()
            };
            let f = Formats::derive(&q, None).unwrap();
            let range = 2f64.powi(f.lut_range_log2);
            assert!(range * slope >= sigmoid_saturation(q.frac_bits));
            assert!(range * slope / 2.0 < sigmoid_saturation(q.frac_bits));
        }
    }

    #[test]
    fn degenerate_scale_is_an_error() {
        assert!(Formats::derive(&QuantParams::default(), Some(1e-15)).is_err());
        assert!(Formats::derive(&QuantParams::default(), Some(f64::NAN)).is_err());
    }
}
