//! The ends of a sequence classifier, in exact integer arithmetic
//! (docs/arithmetic.md, "10. Sequence classification"):
//!
//! - the input quantizer: real-valued feature frames (IMU axes, LPC
//!   coefficients) become the RNN's x_t trits. A sample is first a 16-bit
//!   fixed-point integer, `x = clamp(round(v * 2^frac_bits))`, then each
//!   input trit compares one channel against two integer thresholds:
//!   `u = [x >= hi] - [x <= lo]`, the trit is `u`, or `-u` when `neg`.
//!   This is "per-feature affine, then threshold" with the affine folded
//!   into the thresholds, so software and hardware need only comparators.
//! - the head: int8 weights W (classes x hidden) and int32 biases b in one
//!   scale, on the ternary h of the last layer. `last` pooling:
//!   `logit = W h_T + b`; `mean` pooling: `logit = W (sum_t h_t) + T b`
//!   (T times the mean-pooled logit, which has the same argmax). The class
//!   is the first index of the largest logit.
use crate::error::{ModelError, Result};
use serde::{Deserialize, Serialize};

/// Samples are 16-bit signed fixed-point integers.
pub const SAMPLE_MIN: i32 = -32768;
pub const SAMPLE_MAX: i32 = 32767;

/// One input trit: which channel it reads and its two thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputTrit {
    pub channel: usize,
    /// -1 when the sample is <= lo ...
    pub lo: i32,
    /// ... +1 when it is >= hi (lo < hi), else 0; negated when `neg`.
    pub hi: i32,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub neg: bool,
}

/// Real-valued frames to x_t trits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputQuantizer {
    /// Features per frame.
    pub channels: usize,
    /// Fraction bits of the fixed-point samples (0..=24).
    pub frac_bits: u32,
    /// One entry per RNN input (`input_size` of them).
    pub trits: Vec<InputTrit>,
}

impl InputQuantizer {
    /// The fixed-point sample of a real value (round half away from zero,
    /// saturating; NaN is 0).
    pub fn sample(&self, v: f64) -> i32 {
        let x = (v * f64::from(1u32 << self.frac_bits)).round();
        if x.is_nan() {
            0
        } else {
            x.clamp(SAMPLE_MIN as f64, SAMPLE_MAX as f64) as i32
        }
    }

    /// The fixed-point samples of one frame.
    pub fn samples(&self, frame: &[f32]) -> Vec<i32> {
        frame.iter().map(|&v| self.sample(v as f64)).collect()
    }

    /// The x_t trits of one frame of fixed-point samples (`channels` long).
    pub fn trits(&self, x: &[i32]) -> Vec<i8> {
        self.trits
            .iter()
            .map(|t| {
                let v = x[t.channel];
                let u = i8::from(v >= t.hi) - i8::from(v <= t.lo);
                if t.neg {
                    -u
                } else {
                    u
                }
            })
            .collect()
    }

    fn validate(&self, input_size: usize) -> std::result::Result<(), String> {
        if self.channels == 0 {
            return Err("classifier.input.channels: must be at least 1".into());
        }
        if self.frac_bits > 24 {
            return Err(format!(
                "classifier.input.frac_bits: {} is not in 0..=24",
                self.frac_bits
            ));
        }
        if self.trits.len() != input_size {
            return Err(format!(
                "classifier.input.trits: {} entries, but the RNN's input_size is {input_size}",
                self.trits.len()
            ));
        }
        for (k, t) in self.trits.iter().enumerate() {
            if t.channel >= self.channels {
                return Err(format!(
                    "classifier.input.trits[{k}].channel: {} is not below channels = {}",
                    t.channel, self.channels
                ));
            }
            if t.lo >= t.hi {
                return Err(format!(
                    "classifier.input.trits[{k}]: lo = {} must be below hi = {}",
                    t.lo, t.hi
                ));
            }
        }
        Ok(())
    }
}

/// How the head sees the sequence of h.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pool {
    /// The last step's h.
    Last,
    /// The mean of h over the sequence (as its sum; see the module doc).
    Mean,
}

impl Pool {
    pub fn name(self) -> &'static str {
        match self {
            Pool::Last => "last",
            Pool::Mean => "mean",
        }
    }
}

/// The classification head on the last layer's ternary h.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassHead {
    pub pool: Pool,
    /// Class names, in logit order.
    pub classes: Vec<String>,
    /// One row of `hidden_size` int8 weights per class.
    pub weight: Vec<Vec<i8>>,
    /// One bias per class, in the weights' unit.
    pub bias: Vec<i32>,
    /// Real value of one weight unit (reported logits = scale * integer).
    pub scale: f64,
}

impl ClassHead {
    /// Integer logits from the pooled h: `acc` is h_T (last) or sum_t h_t
    /// (mean) over `steps` >= 1 steps.
    pub fn logits(&self, acc: &[i64], steps: u64) -> Vec<i64> {
        let t = match self.pool {
            Pool::Last => 1,
            Pool::Mean => steps as i64,
        };
        self.weight
            .iter()
            .zip(&self.bias)
            .map(|(w, &b)| {
                w.iter().zip(acc).map(|(&w, &a)| w as i64 * a).sum::<i64>() + t * b as i64
            })
            .collect()
    }

    fn validate(&self, hidden_size: usize) -> std::result::Result<(), String> {
        let n = self.classes.len();
        if n < 2 {
            return Err(format!(
                "classifier.head.classes: {n} classes, at least 2 are needed"
            ));
        }
        for (i, c) in self.classes.iter().enumerate() {
            if self.classes[..i].contains(c) {
                return Err(format!("classifier.head.classes: `{c}` is listed twice"));
            }
        }
        if self.weight.len() != n || self.bias.len() != n {
            return Err(format!(
                "classifier.head: {n} classes, but {} weight rows and {} biases",
                self.weight.len(),
                self.bias.len()
            ));
        }
        if let Some((r, w)) = (self.weight.iter().enumerate()).find(|(_, w)| w.len() != hidden_size)
        {
            return Err(format!(
                "classifier.head.weight[{r}]: {} weights, but hidden_size is {hidden_size}",
                w.len()
            ));
        }
        if !(self.scale.is_finite() && self.scale > 0.0) {
            return Err(format!(
                "classifier.head.scale: {} is not a finite number > 0",
                self.scale
            ));
        }
        Ok(())
    }
}

/// The first index of the largest value (ties: the lowest class).
pub fn argmax(v: &[i64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// Input quantizer and head of a sequence classifier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Classifier {
    pub input: InputQuantizer,
    pub head: ClassHead,
}

impl Classifier {
    /// Checks the ends against the RNN's sizes; the error names the key.
    pub fn validate(&self, input_size: usize, hidden_size: usize) -> Result<()> {
        let bad = |msg: String| ModelError::Invalid {
            key: "classifier".into(),
            msg,
        };
        self.input.validate(input_size).map_err(bad)?;
        self.head.validate(hidden_size).map_err(bad)
    }

    /// Classifies one sequence of fixed-point frames, with `step(x, first)`
    /// the RNN (golden model or accelerator) returning the last layer's h;
    /// `first` starts the sequence (state and LFSRs reset). Returns the
    /// class and the integer logits; `None` for an empty sequence.
    pub fn run<E>(
        &self,
        frames: &[Vec<i32>],
        mut step: impl FnMut(&[i8], bool) -> std::result::Result<Vec<i8>, E>,
    ) -> std::result::Result<Option<(usize, Vec<i64>)>, E> {
        let mut acc = vec![0i64; self.head.weight.first().map_or(0, |w| w.len())];
        for (t, f) in frames.iter().enumerate() {
            let h = step(&self.input.trits(f), t == 0)?;
            for (a, &v) in acc.iter_mut().zip(&h) {
                match self.head.pool {
                    Pool::Last => *a = v as i64,
                    Pool::Mean => *a += v as i64,
                }
            }
        }
        if frames.is_empty() {
            return Ok(None);
        }
        let lg = self.head.logits(&acc, frames.len() as u64);
        Ok(Some((argmax(&lg), lg)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quantizer() -> InputQuantizer {
        InputQuantizer {
            channels: 2,
            frac_bits: 8,
            trits: vec![
                InputTrit {
                    channel: 0,
                    lo: -10,
                    hi: 10,
                    neg: false,
                },
                InputTrit {
                    channel: 1,
                    lo: 0,
                    hi: 5,
                    neg: true,
                },
            ],
        }
    }

    #[test]
    fn samples_round_and_saturate() {
        let q = quantizer();
        assert_eq!(q.sample(1.0), 256);
        assert_eq!(q.sample(-0.5 / 256.0), -1); // half away from zero
        assert_eq!(q.sample(1e9), SAMPLE_MAX);
        assert_eq!(q.sample(-1e9), SAMPLE_MIN);
        assert_eq!(q.sample(f64::NAN), 0);
    }

    #[test]
    fn thresholds_are_inclusive_and_neg_flips() {
        let q = quantizer();
        assert_eq!(q.trits(&[10, 5]), vec![1, -1]);
        assert_eq!(q.trits(&[9, 4]), vec![0, 0]);
        assert_eq!(q.trits(&[-10, 0]), vec![-1, 1]);
        assert_eq!(q.trits(&[-9, 1]), vec![0, 0]);
    }

    #[test]
    fn head_pools_and_argmax_ties_low() {
        let mut head = ClassHead {
            pool: Pool::Last,
            classes: vec!["a".into(), "b".into()],
            weight: vec![vec![1, -1], vec![-1, 1]],
            bias: vec![0, 1],
            scale: 0.5,
        };
        assert_eq!(head.logits(&[1, 0], 9), vec![1, 0]);
        head.pool = Pool::Mean;
        // sum h = [3, -1] over 4 steps: W s + 4 b.
        assert_eq!(head.logits(&[3, -1], 4), vec![4, 0]);
        assert_eq!(argmax(&[2, 2, 1]), 0);
        assert_eq!(argmax(&[-3, -1, -1]), 1);
    }

    /// Two classes whose logits are the pooled trits of `quantizer()`.
    fn identity_classifier(pool: Pool) -> Classifier {
        Classifier {
            input: quantizer(),
            head: ClassHead {
                pool,
                classes: vec!["a".into(), "b".into()],
                weight: vec![vec![1, 0], vec![0, 1]],
                bias: vec![0, 0],
                scale: 1.0,
            },
        }
    }

    #[test]
    fn run_resets_on_first_and_pools() {
        let c = identity_classifier(Pool::Mean);
        let frames = vec![vec![20, 0], vec![20, 9], vec![0, 9]];
        let mut firsts = Vec::new();
        let r = c
            .run::<()>(&frames, |x, first| {
                firsts.push(first);
                Ok(x.to_vec())
            })
            .unwrap()
            .unwrap();
        // x trits: [1, 1], [1, -1], [0, -1] -> sums [2, -1].
        assert_eq!(r, (0, vec![2, -1]));
        assert_eq!(firsts, vec![true, false, false]);
        assert_eq!(c.run::<()>(&[], |x, _| Ok(x.to_vec())).unwrap(), None);
    }

    #[test]
    fn validation_names_the_key() {
        let mut c = identity_classifier(Pool::Last);
        assert!(c.validate(2, 2).is_ok());
        let e = c.validate(3, 2).unwrap_err().to_string();
        assert!(e.contains("input_size is 3"), "{e}");
        let e = c.validate(2, 3).unwrap_err().to_string();
        assert!(e.contains("weight[0]"), "{e}");
        c.input.trits[1].lo = 5;
        let e = c.validate(2, 2).unwrap_err().to_string();
        assert!(e.contains("trits[1]"), "{e}");
        c.input.trits[1].lo = 0;
        c.head.classes[1] = "a".into();
        let e = c.validate(2, 2).unwrap_err().to_string();
        assert!(e.contains("listed twice"), "{e}");
    }
}
