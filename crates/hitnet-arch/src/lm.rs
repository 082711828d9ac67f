//! The plan of the on-chip language-model ends (`hitnet_lm` around
//! `hitnet_top`): the widths, memory layouts and contents and the closed
//! form of the head's latency, from the integer ends
//! ([`hitnet_model::lm::LmEnds`], docs/arithmetic.md section 11) and the
//! core's [`Plan`]. The RTL generator and the cycle simulator consume it;
//! docs/architecture.md ("Model ends on the chip") draws the block.
use crate::{shape_err, Plan, PlanError};
use hitnet_model::fixed::{signed_bits, unsigned_bits};
use hitnet_model::lm::{LmEnds, MAX_BIAS, MAX_NOISE, NOISE_ENTRIES};

/// Bits of the feed count of a token word: up to 65,535 tokens are fed
/// back after one input token.
pub const FEED_BITS: u32 = 16;
/// Bits of a bias word (|b| <= MAX_BIAS = 2^23 - 1).
pub const BIAS_BITS: u32 = 24;
/// Bits of a noise-table word (|noise| <= MAX_NOISE = 2^15 - 1).
pub const NOISE_WORD_BITS: u32 = 16;
/// Register stages from the last h beat's handshake to the token besides
/// the adder tree's: the start register, then after the last issue the
/// memory read, the words registered in fabric, the lanes' terms, the
/// accumulator and the running best.
/// The token is visible `head_depth + HEAD_STAGES + tree_levels` cycles
/// after the last h beat's handshake.
pub const HEAD_STAGES: u64 = 6;
/// Cycles from a token word's acceptance (or the handshake of a fed-back
/// token) to the core's first input beat: the token register, then the
/// embedding ROM's read.
pub const FEED_LATENCY: u64 = 2;

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LmPlan {
    /// Tokens (rows of the embedding and of the head).
    pub vocab: usize,
    /// Units of the last layer's h (the head's inputs).
    pub hidden: usize,
    /// Head weights read per cycle (`P`).
    pub head_lanes: usize,
    /// Cycles per head row: ceil(hidden / head_lanes).
    pub chunks: usize,
    /// Registered levels of the head's adder tree: ceil(log2 head_lanes).
    pub tree_levels: u32,
    /// Bits of a token id.
    pub token_bits: u32,
    /// Bits of the beat index in an embedding address: token t's beat b is
    /// word `t << beat_bits | b` (a power-of-two stride, no multiplier).
    pub beat_bits: u32,
    /// Embedding words: `vocab << beat_bits`, in_beats used per token.
    pub emb_depth: usize,
    /// Bits of an embedding word: the core's s_data.
    pub emb_width: u32,
    /// Head weight words: `vocab * chunks`, row r's chunk c at r * chunks + c.
    pub head_depth: usize,
    /// Bits of a head word: head_lanes int8 weights, lane j in bits [8j+7:8j].
    pub head_width: u32,
    /// Width of the accumulator and the score (signed): holds
    /// MAX_BIAS + 127 * chunks * head_lanes + MAX_NOISE.
    pub score_bits: u32,
    /// The core's last layer, whose beats the head takes.
    pub last_layer: usize,
    /// The sampler's LFSR state at every sequence start (logic: a
    /// deployment refuses a model whose seed differs).
    pub seed: u32,
    /// The vocabulary's tokens by id (a char model's characters): the
    /// host maps text with them.
    pub tokens: Vec<String>,
    /// Cycles from the last h beat's handshake to the token being visible:
    /// head_depth issues + HEAD_STAGES + tree_levels.
    pub head_cycles: u64,
    #[serde(skip)]
    pub images: LmImages,
}

/// The memory contents of the ends.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LmImages {
    /// `emb_depth` words of in_trits trits (zero past in_beats, past the
    /// input size).
    pub embedding: Vec<Vec<i8>>,
    /// `head_depth` words of head_lanes weights (zero past hidden).
    pub head: Vec<Vec<i8>>,
    /// One bias per row.
    pub bias: Vec<i64>,
    /// NOISE_ENTRIES noise values.
    pub noise: Vec<i64>,
}

impl LmPlan {
    /// The ends' plan on core `plan` with `head_lanes` weights per cycle.
    pub fn new(plan: &Plan, ends: &LmEnds, head_lanes: usize) -> Result<LmPlan, PlanError> {
        let vocab = ends.vocab();
        let last_layer = plan.layers.len() - 1;
        let hidden = plan.layers[last_layer].hidden_size;
        let input = plan.layers[0].input_size;
        if !(1..=64).contains(&head_lanes) {
            return Err(shape_err(
                "lm.head_lanes",
                format!("{head_lanes} is not in 1..=64"),
            ));
        }
        if vocab < 2 || ends.head.weight.len() != vocab || ends.head.bias.len() != vocab {
            return Err(shape_err(
                "lm",
                format!(
                    "{vocab} embedding rows, {} head rows and {} biases: they must agree (at least 2)",
                    ends.head.weight.len(),
                    ends.head.bias.len()
                ),
            ));
        }
        if let Some(t) = ends.embedding.iter().position(|r| r.len() != input) {
            return Err(shape_err(
                "embedding",
                format!(
                    "row {t} has {} trits, but the core takes {input}",
                    ends.embedding[t].len()
                ),
            ));
        }
        if let Some(r) = ends.head.weight.iter().position(|w| w.len() != hidden) {
            return Err(shape_err(
                "output",
                format!(
                    "head row {r} has {} weights, but the last layer has {hidden} units",
                    ends.head.weight[r].len()
                ),
            ));
        }
        if ends.noise.len() != NOISE_ENTRIES
            || ends.noise.iter().any(|&n| (n as i64).abs() > MAX_NOISE)
            || ends.head.bias.iter().any(|&b| (b as i64).abs() > MAX_BIAS)
            || ends.head.weight.iter().flatten().any(|&w| w == i8::MIN)
            || ends.seed == 0
        {
            return Err(shape_err(
                "lm",
                "the ends are not in the ranges of docs/arithmetic.md section 11 (noise table of 256 within +-(2^15-1), biases within +-(2^23-1), weights in -127..=127, seed nonzero)".into(),
            ));
        }
        let chunks = hidden.div_ceil(head_lanes);
        let beat_bits = unsigned_bits(plan.in_beats.saturating_sub(1) as u64);
        let token_bits = unsigned_bits((vocab - 1) as u64);
        let emb_depth = vocab << beat_bits;
        let mut embedding = vec![vec![0i8; plan.in_trits]; emb_depth];
        for (t, row) in ends.embedding.iter().enumerate() {
            for (k, &x) in row.iter().enumerate() {
                embedding[(t << beat_bits) + k / plan.in_trits][k % plan.in_trits] = x;
            }
        }
        let mut head = vec![vec![0i8; head_lanes]; vocab * chunks];
        for (r, w) in ends.head.weight.iter().enumerate() {
            for (j, &v) in w.iter().enumerate() {
                head[r * chunks + j / head_lanes][j % head_lanes] = v;
            }
        }
        let reach = MAX_BIAS + 127 * (chunks * head_lanes) as i64 + MAX_NOISE;
        let head_depth = vocab * chunks;
        let tree_levels = usize::BITS - (head_lanes - 1).leading_zeros();
        Ok(LmPlan {
            vocab,
            hidden,
            head_lanes,
            chunks,
            token_bits,
            beat_bits,
            emb_depth,
            emb_width: 2 * plan.in_trits as u32,
            head_depth,
            head_width: 8 * head_lanes as u32,
            score_bits: signed_bits(-reach, reach),
            last_layer,
            seed: ends.seed,
            tokens: ends.head.classes.clone(),
            tree_levels,
            head_cycles: head_depth as u64 + HEAD_STAGES + tree_levels as u64,
            images: LmImages {
                embedding,
                head,
                bias: ends.head.bias.iter().map(|&b| b as i64).collect(),
                noise: ends.noise.iter().map(|&n| n as i64).collect(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_cover_the_reach() {
        // 127 * 64 + 2^23 - 1 + 2^15 - 1 needs 25 bits signed.
        let reach = MAX_BIAS + 127 * 64 + MAX_NOISE;
        assert_eq!(signed_bits(-reach, reach), 25);
    }
}
