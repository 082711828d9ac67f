//! The plan of the on-chip classifier ends (`hitnet_cls` around
//! `hitnet_top`, issue 13): the input quantizer that turns fixed-point
//! feature frames into the core's x_t trits and the class head on the last
//! step's h, from the integer [`Classifier`] (docs/arithmetic.md section
//! 10) and the core's [`Plan`]. Every parameter of the ends (thresholds,
//! channel selects, head weights and biases) is a word of one memory,
//! `ram`, so two models of the same shape differ only in its contents:
//! block RAM with initial contents ("rom"), or the UP5K's SPRAM loaded from
//! the configuration flash ("flash"). The RTL generator, the cycle
//! simulator and the benches consume this plan; docs/architecture.md
//! ("Classifier ends") draws the block.
//!
//! Memory layout (word fields from the least significant bit):
//! - words `[0, quant_entries)`: quantizer entry k, the core's input trit
//!   k (beat k / in_trits, lane k % in_trits): `lo` (16 bits), `hi` (16),
//!   `channel` (chan_bits), `neg`, `ge_on`, `le_on`. The trit is
//!   `u = ge_on & [x >= hi] - le_on & [x <= lo]`, negated when `neg`;
//!   entries past the input size have both enables off (trit 0).
//! - from `head_base = quant_entries`, class r's row of `hidden + 1`
//!   words: its bias (24 bits), then its int8 weights on h_0 .. h_{H-1}.
use crate::lm::{FlashLayout, LmStore, BIAS_BITS};
use crate::{shape_err, Plan, PlanError};
use hitnet_model::classify::{Classifier, Pool, SAMPLE_MAX, SAMPLE_MIN};
use hitnet_model::fixed::{signed_bits, unsigned_bits};
use hitnet_model::lm::MAX_BIAS;

/// Bits of one fixed-point sample.
pub const SAMPLE_BITS: u32 = 16;
/// Register stages of the quantizer after its last table read: the RAM's
/// output registered in fabric, the channel's sample and the entry's
/// fields registered, the two compares registered (the path through them
/// into the x buffer was critical at 39 MHz on the UP5K), the trit shifted
/// into the x buffer. A frame's trits are complete
/// `quant_entries + QUANT_STAGES` cycles after its first read.
pub const QUANT_STAGES: u64 = 4;
/// Register stages of the head after its last issue: the RAM read, the
/// word registered in fabric, the term, the accumulator's score, the
/// compare with the running best, the best (a compare and update in one
/// cycle was critical at 44 MHz on the UP5K). The class is visible `head_issues + 1 + HEAD_STAGES`
/// cycles after the last layer's last h beat (`go` takes one cycle).
pub const HEAD_STAGES: u64 = 6;

/// One quantizer entry as the RAM holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuantEntry {
    pub lo: i32,
    pub hi: i32,
    pub channel: usize,
    pub neg: bool,
    pub ge_on: bool,
    pub le_on: bool,
}

impl QuantEntry {
    /// The trit of sample `x` (the arithmetic of `InputQuantizer::trits`).
    pub fn trit(&self, x: i32) -> i8 {
        let u = i8::from(self.ge_on && x >= self.hi) - i8::from(self.le_on && x <= self.lo);
        if self.neg {
            -u
        } else {
            u
        }
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ClsPlan {
    /// Samples per frame.
    pub channels: usize,
    /// Bits of the frame word: channel c in bits [16c+15:16c].
    pub frame_bits: u32,
    /// Fraction bits of the samples (the host's fixed-point conversion).
    pub frac_bits: u32,
    pub classes: usize,
    /// Class names, in logit order.
    pub class_names: Vec<String>,
    /// Bits of a class index.
    pub class_bits: u32,
    /// Units of the last layer's h (the head's inputs).
    pub hidden: usize,
    /// Quantizer entries: the core's in_beats * in_trits input trits.
    pub quant_entries: usize,
    /// Bits of an entry's channel select (0 for one channel).
    pub chan_bits: u32,
    /// Bits of a RAM word: the widest of an entry and a bias.
    pub width: u32,
    /// RAM words: entries, then classes * (hidden + 1) head words.
    pub depth: usize,
    pub head_base: usize,
    /// Head words issued per sequence: classes * (hidden + 1).
    pub head_issues: usize,
    /// Width of the accumulator and the score (signed): |bias| + 128 * hidden.
    pub score_bits: u32,
    /// Cycles from a frame's first table read to its trits in the x buffer.
    pub quant_cycles: u64,
    /// Cycles from the last h beat of a sequence's last frame to the class.
    pub head_cycles: u64,
    pub last_layer: usize,
    pub store: LmStore,
    pub flash: Option<FlashLayout>,
    #[serde(skip)]
    pub entries: Vec<QuantEntry>,
    /// The RAM's words, `width` bits each.
    #[serde(skip)]
    pub words: Vec<u64>,
}

impl ClsPlan {
    /// The ends' plan of classifier `c` on core `plan`. Refused: mean
    /// pooling (not built in hardware), biases past 24 bits.
    pub fn new(plan: &Plan, c: &Classifier) -> Result<ClsPlan, PlanError> {
        let last_layer = plan.layers.len() - 1;
        let hidden = plan.layers[last_layer].hidden_size;
        let input = plan.layers[0].input_size;
        if c.head.pool != Pool::Last {
            return Err(shape_err(
                "classifier.head.pool",
                format!(
                    "`{}` pooling is not built in hardware (its sums need a multiplier per weight); train with `last` pooling to run the ends on the chip",
                    c.head.pool.name()
                ),
            ));
        }
        if c.input.trits.len() != input || c.head.weight.iter().any(|w| w.len() != hidden) {
            return Err(shape_err(
                "classifier",
                format!("the ends take {} input trits and head rows of {}, but the core has {input} inputs and {hidden} units in its last layer",
                    c.input.trits.len(), c.head.weight.first().map_or(0, |w| w.len())),
            ));
        }
        if let Some(r) = c
            .head
            .bias
            .iter()
            .position(|&b| (b as i64).abs() > MAX_BIAS)
        {
            return Err(shape_err(
                "classifier.head.bias",
                format!(
                    "bias {r} is {}, past the hardware's 24 bits (|b| <= {MAX_BIAS})",
                    c.head.bias[r]
                ),
            ));
        }
        let classes = c.head.classes.len();
        let channels = c.input.channels;
        // One channel needs no select.
        let chan_bits = if channels == 1 {
            0
        } else {
            unsigned_bits((channels - 1) as u64)
        };
        let quant_entries = plan.in_beats * plan.in_trits;
        let off = QuantEntry {
            lo: 0,
            hi: 0,
            channel: 0,
            neg: false,
            ge_on: false,
            le_on: false,
        };
        let mut entries = vec![off; quant_entries];
        for (k, t) in c.input.trits.iter().enumerate() {
            // A threshold outside the samples' range is a comparator
            // that never fires (or always does: clamped to the range).
            entries[k] = QuantEntry {
                lo: t.lo.clamp(SAMPLE_MIN, SAMPLE_MAX),
                hi: t.hi.clamp(SAMPLE_MIN, SAMPLE_MAX),
                channel: t.channel,
                neg: t.neg,
                ge_on: t.hi <= SAMPLE_MAX,
                le_on: t.lo >= SAMPLE_MIN,
            };
        }
        let width = (2 * SAMPLE_BITS + chan_bits + 3).max(BIAS_BITS);
        let head_issues = classes * (hidden + 1);
        let reach = MAX_BIAS + 128 * hidden as i64;
        let mut p = ClsPlan {
            channels,
            frame_bits: SAMPLE_BITS * channels as u32,
            frac_bits: c.input.frac_bits,
            classes,
            class_names: c.head.classes.clone(),
            class_bits: unsigned_bits((classes - 1) as u64),
            hidden,
            quant_entries,
            chan_bits,
            width,
            depth: quant_entries + head_issues,
            head_base: quant_entries,
            head_issues,
            score_bits: signed_bits(-reach, reach),
            quant_cycles: quant_entries as u64 + QUANT_STAGES,
            head_cycles: head_issues as u64 + 1 + HEAD_STAGES,
            last_layer,
            store: LmStore::Rom,
            flash: None,
            entries,
            words: Vec::new(),
        };
        p.words = p.entries.iter().map(|e| p.entry_word(e)).collect();
        let mask = |v: i64, bits: u32| (v as u64) & ((1u64 << bits) - 1);
        for (w, &b) in c.head.weight.iter().zip(&c.head.bias) {
            p.words.push(mask(b as i64, BIAS_BITS));
            p.words.extend(w.iter().map(|&v| mask(v as i64, 8)));
        }
        Ok(p)
    }

    fn entry_word(&self, e: &QuantEntry) -> u64 {
        let s16 = |v: i32| (v as u64) & 0xffff;
        let cb = self.chan_bits;
        s16(e.lo)
            | s16(e.hi) << 16
            | (e.channel as u64) << 32
            | (e.neg as u64) << (32 + cb)
            | (e.ge_on as u64) << (33 + cb)
            | (e.le_on as u64) << (34 + cb)
    }

    /// The same ends in `store`. Refused: a flash RAM larger than the
    /// UP5K's four SPRAMs or past the flash.
    pub fn with_store(mut self, store: LmStore) -> Result<ClsPlan, PlanError> {
        self.store = store;
        self.flash = match store {
            LmStore::Rom => None,
            LmStore::Flash { offset } => Some(FlashLayout::new(
                offset,
                self.width,
                self.depth,
                self.head_base,
                "classifier.store",
                "the model is too large for the flash store",
            )?),
        };
        Ok(self)
    }

    /// The RAM words as `$readmemh` text (the "rom" store's image).
    pub fn hex(&self) -> String {
        let digits = self.width.div_ceil(4) as usize;
        self.words
            .iter()
            .map(|w| format!("{w:0digits$x}\n"))
            .collect()
    }

    /// The flash store's image: each word as `word_bytes` big-endian
    /// bytes (the order the loader shifts them in, MSB first). None for
    /// the "rom" store.
    pub fn flash_image(&self) -> Option<Vec<u8>> {
        let f = self.flash?;
        let n = f.word_bytes as usize;
        Some(
            self.words
                .iter()
                .flat_map(|w| (0..n).rev().map(move |i| (w >> (8 * i)) as u8))
                .collect(),
        )
    }

    /// [`Self::flash_image`], one byte per line (the benches' flash model).
    pub fn flash_hex(&self) -> Option<String> {
        self.flash_image().map(|b| crate::lm::flash_hex(&b))
    }

    /// First cycle after reset at which a frame can be accepted.
    pub fn ready_cycle(&self) -> u64 {
        crate::lm::FlashLayout::ready_cycle(self.flash)
    }

    /// The x_t trits of one frame, as the quantizer entries compute them
    /// (the core's input size long).
    pub fn trits(&self, frame: &[i32], input_size: usize) -> Vec<i8> {
        self.entries[..input_size]
            .iter()
            .map(|e| e.trit(frame[e.channel]))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hitnet_model::classify::{InputQuantizer, InputTrit};

    #[test]
    fn clamped_thresholds_keep_the_arithmetic() {
        let q = InputQuantizer {
            channels: 1,
            frac_bits: 0,
            trits: vec![
                InputTrit {
                    channel: 0,
                    lo: -40000,
                    hi: 40000,
                    neg: false,
                },
                InputTrit {
                    channel: 0,
                    lo: 32767,
                    hi: 40000,
                    neg: true,
                },
                InputTrit {
                    channel: 0,
                    lo: -50000,
                    hi: -40000,
                    neg: false,
                },
            ],
        };
        for (k, t) in q.trits.iter().enumerate() {
            let e = QuantEntry {
                lo: t.lo.clamp(SAMPLE_MIN, SAMPLE_MAX),
                hi: t.hi.clamp(SAMPLE_MIN, SAMPLE_MAX),
                channel: 0,
                neg: t.neg,
                ge_on: t.hi <= SAMPLE_MAX,
                le_on: t.lo >= SAMPLE_MIN,
            };
            for x in [SAMPLE_MIN, -1, 0, 1, SAMPLE_MAX] {
                assert_eq!(e.trit(x), q.trits(&[x])[k], "entry {k}, sample {x}");
            }
        }
    }
}
