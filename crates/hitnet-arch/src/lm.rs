//! The plan of the on-chip language-model ends (`hitnet_lm` around
//! `hitnet_top`): the widths, memory layouts and contents and the closed
//! form of the head's latency, from the integer ends
//! ([`hitnet_model::lm::LmEnds`], docs/arithmetic.md section 11) and the
//! core's [`Plan`]. The RTL generator and the cycle simulator consume it;
//! docs/architecture.md ("Model ends on the chip") draws the block.
use crate::{shape_err, Plan, PlanError};
use hitnet_model::fixed::{signed_bits, unsigned_bits};
use hitnet_model::lm::{LmEnds, MAX_BIAS, MAX_NOISE, NOISE_ENTRIES, SEED_BITS};

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

/// Where the embedding and head words live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LmStore {
    /// Block RAM with initial contents (the images in the bitstream).
    Rom,
    /// One single-port RAM (the UP5K's SPRAM) loaded at reset from the
    /// configuration flash at byte `offset`.
    Flash { offset: u64 },
}

/// SPI clocks of the wake-up command (0xAB, release from power-down).
pub const FLASH_WAKE_CYCLES: u64 = 16;
/// Cycles with the flash deselected after the wake-up (tRES1 is 3 us:
/// 368 cycles are 7.4 us at 50 MHz, 31 us at the iCEBreaker's 12 MHz).
/// The READ then starts at cycle 384, a multiple of 64, so the header's
/// bit index is bits [5:1] of the loader's counter (no subtractor).
pub const FLASH_WAKE_WAIT: u64 = 368;
/// Cycles of the READ command (0x03) and its 24-bit address, clk/2 per bit.
pub const FLASH_HEADER_CYCLES: u64 = 64;
/// Cycles per byte read (clk/2 per bit).
pub const FLASH_BYTE_CYCLES: u64 = 16;
/// Single-port RAM words of one UP5K SPRAM (16 bits each) and their count.
pub const SPRAM_DEPTH: usize = 16384;
pub const SPRAM_WIDTH: u32 = 16;
pub const SPRAM_COUNT: usize = 4;

/// The flash image as the benches' flash model reads it: one byte per line.
pub const FLASH_HEX: &str = "lm_flash.hex";
/// The flash image as `iceprog -o OFFSET` writes it.
pub const FLASH_BIN: &str = "lm_flash.bin";

/// The flash store's RAM: embedding words at `[0, emb_depth)`, then the
/// head words from `head_base`, each `width` bits (the narrower kind in
/// the low bits), in the flash as big-endian bytes, word after word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FlashLayout {
    pub offset: u64,
    /// Bits of a RAM word: max(emb_width, head_width).
    pub width: u32,
    /// Bytes of a word in the flash: ceil(width / 8), the padding bits
    /// first (they fall off the loader's shift register).
    pub word_bytes: u32,
    /// Words: emb_depth + head_depth.
    pub depth: usize,
    /// Address of head word 0 (= emb_depth).
    pub head_base: usize,
    /// Bytes read from the flash: depth * word_bytes.
    pub bytes: u64,
    /// Cycles from reset to the first word accepted: wake-up, wait,
    /// header, 16 per byte.
    pub load_cycles: u64,
    /// SPRAM blocks the RAM takes on the UP5K.
    pub sprams: usize,
}

/// A flash image as the benches' flash model reads it: one byte per line.
pub fn flash_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}\n")).collect()
}

impl FlashLayout {
    /// First cycle after reset at which ends with the store `flash` (None:
    /// the "rom" store, ready at once) can take an input: the load's end.
    pub fn ready_cycle(flash: Option<FlashLayout>) -> u64 {
        flash.map_or(0, |f| f.load_cycles)
    }

    /// The layout of a RAM of `depth` words of `width` bits loaded from
    /// flash byte `offset`. Refused (naming `key`, with `hint`): a RAM
    /// larger than the UP5K's four SPRAMs, an image past 16 MiB.
    pub fn new(
        offset: u64,
        width: u32,
        depth: usize,
        head_base: usize,
        key: &str,
        hint: &str,
    ) -> Result<FlashLayout, PlanError> {
        let word_bytes = width.div_ceil(8);
        let sprams = width.div_ceil(SPRAM_WIDTH) as usize * depth.div_ceil(SPRAM_DEPTH);
        if sprams > SPRAM_COUNT {
            return Err(shape_err(
                key,
                format!(
                    "the flash store needs {depth} words of {width} bits, {sprams} SPRAMs; the UP5K has {SPRAM_COUNT}: {hint}"
                ),
            ));
        }
        let bytes = depth as u64 * word_bytes as u64;
        if offset + bytes > 1 << 24 {
            return Err(shape_err(
                &key.replace(".store", ".flash_offset"),
                format!("{offset:#x} + {bytes} bytes is past the flash's 24-bit address space"),
            ));
        }
        Ok(FlashLayout {
            offset,
            width,
            word_bytes,
            depth,
            head_base,
            bytes,
            load_cycles: FLASH_WAKE_CYCLES
                + FLASH_WAKE_WAIT
                + FLASH_HEADER_CYCLES
                + FLASH_BYTE_CYCLES * bytes,
            sprams,
        })
    }
}

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
    /// The sampler's LFSR state at every sequence start: SEED_BITS bits,
    /// the bias memory's last word (entry `vocab`), so a deployment
    /// replaces it with the biases.
    pub seed: u32,
    /// The vocabulary's tokens by id (a char model's characters): the
    /// host maps text with them.
    pub tokens: Vec<String>,
    /// Cycles from the last h beat's handshake to the token being visible:
    /// head_depth issues + HEAD_STAGES + tree_levels.
    pub head_cycles: u64,
    /// Block RAM images, or the flash store's layout.
    pub store: LmStore,
    pub flash: Option<FlashLayout>,
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
    /// The bias memory: one bias per row, then the sampler's seed (entry
    /// `vocab`, read while the head is idle).
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
            || ends.seed >> SEED_BITS != 0
        {
            return Err(shape_err(
                "lm",
                "the ends are not in the ranges of docs/arithmetic.md section 11 (noise table of 256 within +-(2^15-1), biases within +-(2^23-1), weights in -127..=127, seed in 1..2^24)".into(),
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
            store: LmStore::Rom,
            flash: None,
            images: LmImages {
                embedding,
                head,
                bias: ends
                    .head
                    .bias
                    .iter()
                    .map(|&b| b as i64)
                    .chain(std::iter::once(ends.seed as i64))
                    .collect(),
                noise: ends.noise.iter().map(|&n| n as i64).collect(),
            },
        })
    }

    /// The same ends with their embedding and head words in `store`.
    /// Refused: a flash RAM larger than the UP5K's four SPRAMs.
    pub fn with_store(mut self, store: LmStore) -> Result<LmPlan, PlanError> {
        self.store = store;
        self.flash = match store {
            LmStore::Rom => None,
            LmStore::Flash { offset } => Some(FlashLayout::new(
                offset,
                self.emb_width.max(self.head_width),
                self.emb_depth + self.head_depth,
                self.emb_depth,
                "lm.store",
                "use fewer lm.head_lanes",
            )?),
        };
        Ok(self)
    }

    /// The flash store's image: every RAM word (embedding words, then
    /// head words; trits in the one encoding, 2 bits each, int8 weights 8
    /// bits each, the first in the least significant bits; zero-extended
    /// to whole bytes) as big-endian bytes, the order in which the
    /// loader shifts them in, MSB first. None for the "rom" store.
    pub fn flash_image(&self) -> Option<Vec<u8>> {
        let f = self.flash?;
        let mut out = Vec::with_capacity(f.bytes as usize);
        let mut put = |fields: &mut dyn Iterator<Item = (u64, u32)>| {
            let mut bits = vec![false; 8 * f.word_bytes as usize];
            let mut at = 0usize;
            for (v, w) in fields {
                for b in 0..w as usize {
                    bits[at + b] = (v >> b) & 1 == 1;
                }
                at += w as usize;
            }
            for byte in (0..f.word_bytes as usize).rev() {
                out.push((0..8).fold(0u8, |a, b| a | ((bits[8 * byte + b] as u8) << b)));
            }
        };
        for w in &self.images.embedding {
            put(&mut w
                .iter()
                .map(|&t| (hitnet_model::trit::encode(t).expect("a trit") as u64, 2)));
        }
        for w in &self.images.head {
            put(&mut w.iter().map(|&v| (v as u8 as u64, 8)));
        }
        Some(out)
    }

    /// [`Self::flash_image`] as the text of [`FLASH_HEX`].
    pub fn flash_hex(&self) -> Option<String> {
        self.flash_image().map(|b| flash_hex(&b))
    }

    /// First cycle after reset at which a token word can be accepted.
    pub fn ready_cycle(&self) -> u64 {
        FlashLayout::ready_cycle(self.flash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ends(seed: u32) -> LmEnds {
        LmEnds {
            embedding: vec![vec![1, 0, -1]; 3],
            head: hitnet_model::classify::ClassHead {
                pool: hitnet_model::classify::Pool::Last,
                classes: vec!["a".into(), "b".into(), "c".into()],
                weight: vec![vec![3, -4]; 3],
                bias: vec![-5, 6, 7],
                scale: 0.5,
            },
            noise: vec![0; NOISE_ENTRIES],
            temperature: 0.0,
            seed,
        }
    }

    /// The sampler's seed is the bias memory's word `vocab` (a memory
    /// content a deployment replaces); seeds of more than SEED_BITS bits
    /// and 0 are refused.
    #[test]
    fn the_seed_is_the_bias_memory_last_word() {
        let q = hitnet_model::config::QuantParams::default();
        let m = hitnet_model::defaults::default_int_model(
            hitnet_model::config::CellKind::Lstm,
            3,
            2,
            1,
            1,
            &q,
        )
        .unwrap();
        let plan = Plan::new(&m, crate::Shape::new(2, 4)).unwrap();
        let p = LmPlan::new(&plan, &ends(0xABCDEF), 2).unwrap();
        assert_eq!(p.images.bias, vec![-5, 6, 7, 0xABCDEF]);
        assert_eq!(p.seed, 0xABCDEF);
        for bad in [0, 1 << SEED_BITS, u32::MAX] {
            let e = LmPlan::new(&plan, &ends(bad), 2).unwrap_err().to_string();
            assert!(e.contains("seed in 1..2^24"), "{e}");
        }
        assert!(hitnet_model::lm::sampler_seed(7) >> SEED_BITS == 0);
    }

    #[test]
    fn widths_cover_the_reach() {
        // 127 * 64 + 2^23 - 1 + 2^15 - 1 needs 25 bits signed.
        let reach = MAX_BIAS + 127 * 64 + MAX_NOISE;
        assert_eq!(signed_bits(-reach, reach), 25);
    }
}
