//! Memory images: the contents of every memory of the accelerator, computed
//! once. The RTL generator writes them as $readmemh files; the cycle
//! simulator reads them directly; co-simulation can corrupt a copy to prove
//! the comparison catches it.
use crate::Plan;
use hitnet_model::lfsr::unit_seed;
use hitnet_model::IntModel;

/// A word of up to 64 trits as two bitplanes (bit c set in `pos` for +1,
/// in `neg` for -1). Hex images store trit c in bits [2c+1:2c].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TritWord {
    pub pos: u64,
    pub neg: u64,
}

impl TritWord {
    pub fn get(&self, c: usize) -> i8 {
        ((self.pos >> c) & 1) as i8 - ((self.neg >> c) & 1) as i8
    }
    pub fn set(&mut self, c: usize, t: i8) {
        let b = 1u64 << c;
        self.pos &= !b;
        self.neg &= !b;
        match t {
            1 => self.pos |= b,
            -1 => self.neg |= b,
            _ => {}
        }
    }
    /// Dot product of two words.
    #[inline]
    pub fn dot(&self, z: &TritWord) -> i64 {
        let plus = ((self.pos & z.pos) | (self.neg & z.neg)).count_ones() as i64;
        let minus = ((self.pos & z.neg) | (self.neg & z.pos)).count_ones() as i64;
        plus - minus
    }
    /// The 2-bit code of trit c as the memories store it (00 = 0,
    /// 01 = +1, 11 = -1), in bits [2c+1:2c] of a word.
    pub fn code(&self, c: usize) -> u8 {
        hitnet_model::trit::encode(self.get(c)).expect("a word holds trits")
    }
    /// Hex digits of the 2*width-bit encoding (MSB first), as $readmemh reads.
    pub fn hex(&self, width: usize) -> String {
        let bits = 2 * width;
        let digits = bits.div_ceil(4);
        let mut v = vec![0u8; digits];
        for c in 0..width {
            let bit = 2 * c;
            v[bit / 4] |= self.code(c) << (bit % 4);
        }
        v.iter()
            .rev()
            .map(|d| char::from_digit(*d as u32, 16).unwrap())
            .collect()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Images {
    /// `weights[row][address]`: the weight word row `row` reads at issue `address`.
    pub weights: Vec<Vec<TritWord>>,
    /// `biases[lane][address]` (Fp fraction bits).
    pub biases: Vec<Vec<i64>>,
    /// `seeds[lane][address]`: LFSR seed of the unit at that state address.
    pub seeds: Vec<Vec<u32>>,
    /// `mults[layer][gate]`.
    pub mults: Vec<[i64; crate::SEGMENTS]>,
    /// Post-lane table: sigmoid entries then tanh entries (2^(K+1)).
    pub post_table: Vec<i64>,
    /// Element-wise table: tanh (2^K).
    pub tanh_table: Vec<i64>,
}

impl Images {
    pub(crate) fn build(m: &IntModel, p: &Plan) -> Images {
        let rows = p.rows;
        let cols = p.cols;
        let mut weights = vec![vec![TritWord::default(); p.weight_depth]; rows];
        let mut biases = vec![vec![0i64; p.bias_depth]; p.lanes];
        let mut seeds = vec![vec![1u32; p.state_depth]; p.lanes];
        let mut mults = Vec::new();
        for (l, lp) in p.layers.iter().enumerate() {
            let layer = &m.layers[l];
            // Weight words in issue order: the address is the issue count.
            for (j, is) in lp.issues().into_iter().enumerate() {
                let seg = &lp.segments[is.seg];
                let gate = &layer.gates[seg.gate];
                for (r, bank) in weights.iter_mut().enumerate() {
                    let u = is.group * rows + r;
                    if u >= lp.hidden_size {
                        continue;
                    }
                    let mut w = TritWord::default();
                    for c in 0..cols {
                        let k = is.block * cols + c;
                        if k >= seg.col_start && k < seg.col_end {
                            w.set(c, gate.w.get(u, k - seg.col_start));
                        }
                    }
                    bank[lp.weight_base + j] = w;
                }
            }
            for q in 0..lp.groups {
                for seg in &lp.segments {
                    let gate = &layer.gates[seg.gate];
                    // Biases in serial order: step k, lane p holds row k*lanes + p.
                    for k in 0..p.steps {
                        let a = p.bias_addr(l, q, seg.gate, k);
                        for (lane, lane_biases) in biases.iter_mut().enumerate() {
                            let j = p.unit(q, k, lane);
                            if j < lp.hidden_size {
                                lane_biases[a] = gate.bias[j];
                            }
                        }
                    }
                }
                for k in 0..p.steps {
                    let a = p.state_addr(l, q, k);
                    for (lane, lane_seeds) in seeds.iter_mut().enumerate() {
                        let j = p.unit(q, k, lane);
                        if j < lp.hidden_size {
                            lane_seeds[a] = unit_seed(m.quant.lfsr_seed, l, j);
                        }
                    }
                }
            }
            let mut ms = [0i64; crate::SEGMENTS];
            for (g, gate) in layer.gates.iter().enumerate() {
                ms[g] = gate.mult;
            }
            mults.push(ms);
        }
        let post_table = m
            .sigmoid
            .entries
            .iter()
            .chain(&m.tanh.entries)
            .map(|&e| e as i64)
            .collect();
        let tanh_table = m.tanh.entries.iter().map(|&e| e as i64).collect();
        Images {
            weights,
            biases,
            seeds,
            mults,
            post_table,
            tanh_table,
        }
    }
}
