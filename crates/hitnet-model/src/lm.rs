//! The ends of a language model in exact integer arithmetic, as the chip
//! is to run them (docs/arithmetic.md, "11. Language-model ends"):
//!
//! - the embedding: token id -> the ternary x_t of layer 0 (a table);
//! - the output head: int8 weights W (vocab x hidden) and integer biases b
//!   in one scale s, on the last layer's ternary h: `logit = W h + b`, so
//!   it needs adders only (h is -1, 0 or +1);
//! - the choice of the next token by the Gumbel-max rule: `score_r =
//!   logit_r + noise[u_r]`, the token is the first index of the largest
//!   score. `u_r` is 8 bits drawn from a 32-bit LFSR (the BTQ one,
//!   [`crate::lfsr`]) for each row in order, and `noise` is a 256-entry
//!   integer table, `round(T * G((u + 1/2) / 256) / s)` with G(p) =
//!   -ln(-ln p) the inverse Gumbel CDF. argmax(logit/T + Gumbel) draws
//!   from softmax(logit / T), so this samples with temperature T with no
//!   exponential and no division in hardware, and software and hardware
//!   draw the same token. T = 0 is greedy decoding (the table is zero).
//!
//! The temperature lives in the table, so it is a memory content like the
//! weights, not logic.
use crate::classify::{ClassHead, Pool};
use crate::error::{ModelError, Result};
use crate::golden::Golden;
use crate::lfsr;
use crate::model::QuantModel;

/// Entries of the noise table: one per 8-bit draw.
pub const NOISE_ENTRIES: usize = 256;
/// LFSR bits drawn per head row.
pub const NOISE_BITS: u32 = 8;
/// Bound on |bias| and |noise| in logit units, so that every score fits
/// the hardware's fixed widths (docs/arithmetic.md, section 11).
pub const MAX_BIAS: i64 = (1 << 23) - 1;
pub const MAX_NOISE: i64 = (1 << 15) - 1;
/// Largest temperature accepted: beyond it the draw is near uniform and
/// the noise table saturates.
pub const MAX_TEMPERATURE: f64 = 100.0;

/// The embedding, head and sampler of a language model, as integers.
#[derive(Clone, Debug, PartialEq)]
pub struct LmEnds {
    /// Row `t`: the ternary x_0 of token `t` (input_size trits).
    pub embedding: Vec<Vec<i8>>,
    /// int8 head on the last layer's h (`pool = last`; classes are the
    /// vocabulary's tokens).
    pub head: ClassHead,
    /// Gumbel noise per 8-bit draw, in logit units (all 0 when greedy).
    pub noise: Vec<i32>,
    /// Sampling temperature the noise table was made for.
    pub temperature: f64,
    /// LFSR state at the start of every sequence (never 0).
    pub seed: u32,
}

/// One input word of the chip's ends: a token, whether it starts a
/// sequence, and how many chosen tokens to feed back after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenWord {
    pub token: usize,
    pub first: bool,
    pub feed: usize,
}

impl TokenWord {
    /// The words of a prompt followed by `feed` generated steps: the
    /// protocol [`LmEnds::generate`] follows.
    pub fn prompt(prompt: &[usize], feed: usize) -> Vec<TokenWord> {
        let n = prompt.len();
        prompt
            .iter()
            .enumerate()
            .map(|(k, &token)| TokenWord {
                token,
                first: k == 0,
                feed: if k + 1 == n { feed } else { 0 },
            })
            .collect()
    }
}

/// The inverse Gumbel CDF at the midpoint of draw `u`: -ln(-ln p),
/// p = (u + 1/2) / 256.
pub fn gumbel(u: usize) -> f64 {
    let p = (u as f64 + 0.5) / NOISE_ENTRIES as f64;
    -(-p.ln()).ln()
}

/// The noise table for temperature `t` and a head whose logit unit is
/// worth `scale`: `round(t * G(u) / scale)` (half away from zero),
/// saturated to +-MAX_NOISE.
pub fn noise_table(t: f64, scale: f64) -> Vec<i32> {
    (0..NOISE_ENTRIES)
        .map(|u| round_sat(t * gumbel(u) / scale, MAX_NOISE) as i32)
        .collect()
}

/// Bits of the sampler's seed: it is stored as the last word of the
/// chip's 24-bit bias memory (a deployment replaces it), the LFSR's top 8
/// bits start at 0.
pub const SEED_BITS: u32 = 24;

/// The seed of the sampler's LFSR from a user seed: SEED_BITS bits, never
/// 0 (the LFSR's fixed point); the same mixing as the BTQ unit seeds.
pub fn sampler_seed(seed: u64) -> u32 {
    let s = crate::rng::splitmix64(seed ^ 0x4C4D_5F53_414D_504C) as u32 & ((1 << SEED_BITS) - 1); // "LM_SAMPL"
    if s == 0 {
        1
    } else {
        s
    }
}

/// A temperature the ends accept: finite, in 0..=MAX_TEMPERATURE.
pub fn check_temperature(t: f64) -> Result<()> {
    if t.is_finite() && (0.0..=MAX_TEMPERATURE).contains(&t) {
        Ok(())
    } else {
        Err(ModelError::invalid(
            "lm.temperature",
            format!("{t} is not in 0..={MAX_TEMPERATURE} (0 is greedy decoding)"),
        ))
    }
}

/// Rounds half away from zero, saturating.
fn round_sat(v: f64, max: i64) -> i64 {
    let r = v.round();
    if r.is_nan() {
        0
    } else {
        r.clamp(-max as f64, max as f64) as i64
    }
}

impl LmEnds {
    /// The integer ends of `m`: its ternary embedding as is, its float
    /// output layer quantized to int8 with one scale
    /// `s = max|W| / 127`: `w = round(W / s)`, `b = round(B / s)`
    /// (half away from zero). `temperature` 0 decodes greedily.
    pub fn from_model(m: &QuantModel, temperature: f64, seed: u64) -> Result<LmEnds> {
        let bad = |key: &str, msg: String| ModelError::invalid(key, msg);
        let emb = m.embedding.as_ref().ok_or_else(|| {
            bad(
                "embedding",
                "the model has no embedding table; on-chip ends need a language model trained with `hitnet train --corpus`".into(),
            )
        })?;
        let out = m.output.as_ref().ok_or_else(|| {
            bad(
                "output",
                "the model has no output layer; on-chip ends need a language model".into(),
            )
        })?;
        check_temperature(temperature)?;
        let vocab = out.rows;
        if emb.table.rows != vocab {
            return Err(bad(
                "embedding",
                format!("{} rows, but the output layer has {vocab}", emb.table.rows),
            ));
        }
        if emb.table.cols != m.input_size {
            return Err(bad(
                "embedding",
                format!(
                    "{} columns, but the RNN's input_size is {}",
                    emb.table.cols, m.input_size
                ),
            ));
        }
        if out.cols != m.hidden_size || out.weight.len() != vocab * out.cols {
            return Err(bad(
                "output",
                format!(
                    "{} x {} weights, but vocab x hidden_size is {vocab} x {}",
                    out.rows, out.cols, m.hidden_size
                ),
            ));
        }
        if vocab < 2 || out.bias.len() != vocab {
            return Err(bad(
                "output.bias",
                format!("{} biases for {vocab} rows (at least 2)", out.bias.len()),
            ));
        }
        if let Some(k) = (out.weight.iter().chain(&out.bias)).position(|v| !v.is_finite()) {
            return Err(bad("output", format!("value {k} is not a finite number")));
        }
        let wmax = out
            .weight
            .iter()
            .fold(0f64, |a, &w| a.max((w as f64).abs()));
        // An all-zero head: any positive scale gives zero weights.
        let scale = if wmax > 0.0 { wmax / 127.0 } else { 1.0 };
        let weight: Vec<Vec<i8>> = out
            .weight
            .chunks(out.cols)
            .map(|r| {
                r.iter()
                    .map(|&w| round_sat(w as f64 / scale, 127) as i8)
                    .collect()
            })
            .collect();
        let bias: Vec<i32> = out
            .bias
            .iter()
            .map(|&b| round_sat(b as f64 / scale, MAX_BIAS) as i32)
            .collect();
        let classes = match &m.vocab {
            Some(v) if v.tokens.len() == vocab => v.tokens.clone(),
            _ => (0..vocab).map(|t| format!("#{t}")).collect(),
        };
        let embedding = (0..vocab).map(|t| emb.table.row_trits(t)).collect();
        Ok(LmEnds {
            embedding,
            head: ClassHead {
                pool: Pool::Last,
                classes,
                weight,
                bias,
                scale,
            },
            noise: noise_table(temperature, scale),
            temperature,
            seed: sampler_seed(seed),
        })
    }

    pub fn vocab(&self) -> usize {
        self.embedding.len()
    }

    /// The integer logits on the last layer's h.
    pub fn logits(&self, h: &[i8]) -> Vec<i64> {
        let acc: Vec<i64> = h.iter().map(|&v| v as i64).collect();
        self.head.logits(&acc, 1)
    }

    /// The next token after h: each row draws 8 bits from `lfsr` in row
    /// order (also when greedy, so that the LFSR's schedule does not depend
    /// on the temperature), the first index of the largest score wins.
    pub fn choose(&self, h: &[i8], lfsr_state: &mut u32) -> usize {
        let lg = self.logits(h);
        let scores: Vec<i64> = lg
            .iter()
            .map(|&l| l + self.noise[lfsr::draw(lfsr_state, NOISE_BITS) as usize] as i64)
            .collect();
        crate::classify::argmax(&scores)
    }

    /// Runs `prompt` (token ids; a new sequence: state and LFSR reset) and
    /// then feeds the chosen token back `feed` times. Returns one chosen
    /// token per step: `prompt.len() + feed` of them, the last `feed + 1`
    /// being the generated text. This is the chip's protocol: the head runs
    /// after every step, prompt steps included, and the LFSR advances on
    /// each.
    pub fn generate(&self, g: &mut Golden, prompt: &[usize], feed: usize) -> Vec<usize> {
        let mut state = self.seed;
        let mut out = Vec::with_capacity(prompt.len() + feed);
        for w in TokenWord::prompt(prompt, feed) {
            out.extend(self.answer(g, &mut state, &w));
        }
        out
    }

    /// The answer of one token word (the chip's input protocol): a new
    /// sequence if `w.first` (state and `lfsr_state` reset), one step on
    /// `w.token`, then `w.feed` steps on the chosen token. Returns the
    /// `w.feed + 1` chosen tokens.
    pub fn answer(&self, g: &mut Golden, lfsr_state: &mut u32, w: &TokenWord) -> Vec<usize> {
        if w.first {
            g.reset();
            *lfsr_state = self.seed;
        }
        let mut out = Vec::with_capacity(w.feed + 1);
        let mut tok = w.token;
        for _ in 0..=w.feed {
            let h = g.step_last(&self.embedding[tok]);
            tok = self.choose(&h, lfsr_state);
            out.push(tok);
        }
        out
    }

    /// Token ids of a text, by the vocabulary's tokens (characters of a
    /// char model); `None` names the first character not in it.
    pub fn encode(&self, text: &str) -> std::result::Result<Vec<usize>, char> {
        text.chars()
            .map(|ch| {
                let s = ch.to_string();
                self.head.classes.iter().position(|t| *t == s).ok_or(ch)
            })
            .collect()
    }

    /// The text of token ids.
    pub fn decode(&self, tokens: &[usize]) -> String {
        tokens
            .iter()
            .map(|&t| self.head.classes[t].as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CellKind, Config};
    use crate::golden::IntModel;
    use crate::model::{Embedding, OutputLayer, TernaryMatrix, Vocab, VocabLevel};

    /// A small char LM with seeded ternary embedding and float head.
    fn lm(vocab: usize, hidden: usize) -> QuantModel {
        let q = Config::new(CellKind::Lstm, 8, hidden, 1)
            .quant_params(None)
            .unwrap();
        let mut m = crate::defaults::default_float_model(CellKind::Lstm, 8, hidden, 1, 1)
            .quantize(&q)
            .unwrap();
        let mut s = 7u64;
        let mut rnd = || {
            s = crate::rng::splitmix64(s);
            s
        };
        let trits: Vec<i8> = (0..vocab * 8).map(|_| (rnd() % 3) as i8 - 1).collect();
        m.embedding = Some(Embedding {
            table: TernaryMatrix::from_trits(vocab, 8, &trits),
        });
        m.output = Some(OutputLayer {
            rows: vocab,
            cols: hidden,
            weight: (0..vocab * hidden)
                .map(|_| (rnd() % 2001) as f32 / 1000.0 - 1.0)
                .collect(),
            bias: (0..vocab)
                .map(|_| (rnd() % 201) as f32 / 100.0 - 1.0)
                .collect(),
        });
        m.vocab = Some(Vocab {
            level: VocabLevel::Char,
            tokens: (0..vocab)
                .map(|k| ((b'a' + k as u8) as char).to_string())
                .collect(),
        });
        m
    }

    #[test]
    fn head_is_int8_in_one_scale() {
        let m = lm(5, 16);
        let e = LmEnds::from_model(&m, 0.0, 1).unwrap();
        let out = m.output.as_ref().unwrap();
        let wmax = out.weight.iter().fold(0f32, |a, w| a.max(w.abs()));
        assert!((e.head.scale - wmax as f64 / 127.0).abs() < 1e-12);
        assert!(e.head.weight.iter().flatten().any(|&w| w.abs() == 127));
        // Each weight within half a unit of the float one.
        for (r, row) in e.head.weight.iter().enumerate() {
            for (c, &w) in row.iter().enumerate() {
                let f = out.weight[r * 16 + c] as f64 / e.head.scale;
                assert!((w as f64 - f).abs() <= 0.5 + 1e-9);
            }
        }
        assert!(e.noise.iter().all(|&n| n == 0));
        assert_eq!(e.encode("cab").unwrap(), vec![2, 0, 1]);
        assert_eq!(e.encode("az"), Err('z'));
        assert_eq!(e.decode(&[4, 0]), "ea");
    }

    #[test]
    fn greedy_is_the_argmax_of_the_logits() {
        let m = lm(6, 16);
        let e = LmEnds::from_model(&m, 0.0, 1).unwrap();
        let h: Vec<i8> = (0..16).map(|k| (k % 3) as i8 - 1).collect();
        let lg = e.logits(&h);
        let mut s = e.seed;
        assert_eq!(e.choose(&h, &mut s), crate::classify::argmax(&lg));
        // Six rows drew 8 bits each.
        let mut t = e.seed;
        for _ in 0..6 * 8 {
            lfsr::step(&mut t);
        }
        assert_eq!(s, t);
    }

    #[test]
    fn noise_table_is_the_scaled_inverse_gumbel_cdf() {
        let n = noise_table(1.0, 0.01);
        assert_eq!(n.len(), 256);
        assert!(n.windows(2).all(|w| w[0] <= w[1]), "monotone");
        assert_eq!(n[0], (gumbel(0) * 100.0).round() as i32);
        assert_eq!(n[0], -183); // -ln(-ln(0.5/256)) = -1.8307
        assert_eq!(n[255], 624); // -ln(-ln(255.5/256)) = 6.2374
        assert!(noise_table(100.0, 1e-6)
            .iter()
            .all(|v| v.abs() as i64 == MAX_NOISE));
    }

    /// Gumbel-max with the table draws close to softmax(logit / T): three
    /// tokens with fixed logits, 30,000 draws from the LFSR.
    #[test]
    fn sampling_follows_the_softmax() {
        let scale = 0.01;
        let noise = noise_table(1.0, scale);
        let logits = [0.0f64, 1.0, 2.0];
        let mut state = sampler_seed(3);
        let mut counts = [0usize; 3];
        let n = 30_000;
        for _ in 0..n {
            let s: Vec<i64> = logits
                .iter()
                .map(|&l| (l / scale) as i64 + noise[lfsr::draw(&mut state, 8) as usize] as i64)
                .collect();
            counts[crate::classify::argmax(&s)] += 1;
        }
        let z: f64 = logits.iter().map(|l| l.exp()).sum();
        for (k, &c) in counts.iter().enumerate() {
            let p = logits[k].exp() / z;
            let got = c as f64 / n as f64;
            // 256-level noise is a slightly coarse Gumbel: 2 points of slack.
            assert!(
                (got - p).abs() < 0.02,
                "token {k}: {got:.4} vs softmax {p:.4}"
            );
        }
    }

    #[test]
    fn generation_feeds_back_and_is_deterministic() {
        let m = lm(7, 16);
        let q = m.quant.clone();
        let im = IntModel::new(&m, &q).unwrap();
        let e = LmEnds::from_model(&m, 0.8, 5).unwrap();
        let mut g = Golden::new(&im);
        let a = e.generate(&mut g, &[1, 2, 3], 10);
        assert_eq!(a.len(), 13);
        let b = e.generate(&mut g, &[1, 2, 3], 10);
        assert_eq!(a, b, "a new prompt resets state and LFSR");
        // The same run by hand: step k feeds the token chosen at k - 1.
        let mut g2 = Golden::new(&im);
        let mut st = e.seed;
        let mut prev = 0;
        for k in 0..13 {
            let tok = if k < 3 { [1, 2, 3][k] } else { prev };
            let h = g2.step_last(&e.embedding[tok]);
            prev = e.choose(&h, &mut st);
            assert_eq!(prev, a[k], "step {k}");
        }
        // Another seed draws other text.
        let e2 = LmEnds::from_model(&m, 0.8, 6).unwrap();
        assert_ne!(
            e2.generate(&mut g, &[1, 2, 3], 30)[3..],
            e.generate(&mut g, &[1, 2, 3], 30)[3..]
        );
        assert!(e.generate(&mut g, &[], 4).is_empty());
    }

    #[test]
    fn refusals_name_the_key() {
        let mut m = lm(4, 16);
        let e = LmEnds::from_model(&m, -1.0, 1).unwrap_err().to_string();
        assert!(e.contains("lm.temperature"), "{e}");
        let e = LmEnds::from_model(&m, f64::NAN, 1).unwrap_err().to_string();
        assert!(e.contains("lm.temperature"), "{e}");
        m.output.as_mut().unwrap().bias[2] = f32::INFINITY;
        let e = LmEnds::from_model(&m, 0.0, 1).unwrap_err().to_string();
        assert!(e.contains("output") && e.contains("finite"), "{e}");
        m.output = None;
        let e = LmEnds::from_model(&m, 0.0, 1).unwrap_err().to_string();
        assert!(e.contains("output layer"), "{e}");
        m.embedding = None;
        let e = LmEnds::from_model(&m, 0.0, 1).unwrap_err().to_string();
        assert!(e.contains("embedding"), "{e}");
    }
}
