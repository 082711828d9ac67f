//! The ONE activation table generator. The golden model looks values up in
//! these tables and the RTL generator writes the very same entries into its
//! ROMs, so software and hardware cannot drift apart (the hls4ml lesson).
use crate::fixed::Formats;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActFn {
    Sigmoid,
    Tanh,
}

impl ActFn {
    pub fn eval(self, y: f64) -> f64 {
        match self {
            ActFn::Sigmoid => 1.0 / (1.0 + (-y).exp()),
            ActFn::Tanh => y.tanh(),
        }
    }
    /// Largest slope of the function (Lipschitz constant).
    pub fn lipschitz(self) -> f64 {
        match self {
            ActFn::Sigmoid => 0.25,
            ActFn::Tanh => 1.0,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            ActFn::Sigmoid => "sigmoid",
            ActFn::Tanh => "tanh",
        }
    }
}

/// A sloped activation table: `entries[a] = round(f(slope * idx / 2^Fi) * 2^F)`
/// where `idx = a - 2^(K-1)` is the signed table index. The address is the
/// index in offset binary, i.e. the two's complement index with its MSB
/// inverted, which is what the hardware does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActTable {
    pub func: ActFn,
    pub index_bits: u32,
    pub index_frac: u32,
    pub out_frac: u32,
    pub entries: Vec<i32>,
}

/// Builds a table. Rounding is half away from zero (`f64::round`), so the
/// sigmoid table is symmetric (`s(-x) = 2^F - s(x)`) and tanh odd.
pub fn act_table(func: ActFn, slope: f64, formats: &Formats) -> ActTable {
    let k = formats.lut_bits;
    let n = 1usize << k;
    let half = 1i64 << (k - 1);
    let scale_in = 1.0 / (1u64 << formats.lut_frac) as f64;
    let scale_out = (1u64 << formats.frac) as f64;
    let entries = (0..n)
        .map(|a| {
            let idx = a as i64 - half;
            let y = func.eval(slope * idx as f64 * scale_in);
            (y * scale_out).round() as i32
        })
        .collect();
    ActTable {
        func,
        index_bits: k,
        index_frac: formats.lut_frac,
        out_frac: formats.frac,
        entries,
    }
}

impl ActTable {
    /// Looks up a (saturated) signed index.
    #[inline]
    pub fn lookup(&self, idx: i64) -> i64 {
        let half = 1i64 << (self.index_bits - 1);
        debug_assert!((-half..half).contains(&idx), "index {idx} not saturated");
        self.entries[(idx + half) as usize] as i64
    }
    /// Width of an entry as a signed value (entries lie in [-2^F, 2^F]).
    pub fn entry_bits(&self) -> u32 {
        self.out_frac + 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::QuantParams;

    fn fm() -> Formats {
        Formats::derive(&QuantParams::default(), Some(0.1)).unwrap()
    }

    #[test]
    fn sigmoid_table_shape() {
        let f = fm();
        let t = act_table(ActFn::Sigmoid, 2.0, &f);
        assert_eq!(t.entries.len(), 256);
        assert_eq!(t.lookup(0), 512); // sigma(0) = 0.5
        assert!(t.entries.windows(2).all(|w| w[0] <= w[1]), "monotone");
        assert!(t.entries.iter().all(|&e| (0..=1024).contains(&e)));
        // Symmetric about 0.5 where both sides exist.
        for i in 1..128 {
            assert_eq!(t.lookup(i) + t.lookup(-i), 1024, "idx {i}");
        }
        // Saturated at the ends to within one LSB.
        assert!(t.lookup(127) >= 1023);
        assert!(t.lookup(-128) <= 1);
    }

    #[test]
    fn tanh_table_shape() {
        let f = fm();
        let t = act_table(ActFn::Tanh, 2.0, &f);
        assert_eq!(t.lookup(0), 0);
        assert!(t.entries.windows(2).all(|w| w[0] <= w[1]));
        for i in 1..128 {
            assert_eq!(t.lookup(i), -t.lookup(-i));
        }
        assert_eq!(t.lookup(127), 1024);
        assert_eq!(t.lookup(-128), -1024);
    }

    #[test]
    fn known_entries() {
        // slope 2, Fi 5: index 16 is x = 0.5, sigma(1.0) = 0.7310586 -> 748.6 -> 749.
        let f = fm();
        let s = act_table(ActFn::Sigmoid, 2.0, &f);
        assert_eq!(s.lookup(16), 749);
        let t = act_table(ActFn::Tanh, 2.0, &f);
        // tanh(1.0) = 0.7615942 -> 779.87 -> 780.
        assert_eq!(t.lookup(16), 780);
    }

    /// Whole tables against an independent Python generator written from
    /// docs/arithmetic.md (entries[a] = round half away from zero of
    /// f(slope (a - 2^(K-1)) / 2^Fi) 2^F, with math.exp / math.tanh): the
    /// sum and the position-weighted sum of the entries pin every entry,
    /// which golden model and ROMs share and so cannot check each other.
    #[test]
    fn whole_tables_known_answers() {
        let alt = QuantParams {
            slope: 0.5,
            frac_bits: 12,
            lut_bits: 10,
            ..QuantParams::default()
        };
        let cases = [
            (
                QuantParams::default(),
                (8, 5),
                [(130_560, 24_735_836), (-1024, 16_430_288)],
            ),
            (
                alt,
                (10, 4),
                [(2_095_104, 1_603_719_410), (-4096, 1_068_193_368)],
            ),
        ];
        for (q, (k, fi), sums) in cases {
            let f = Formats::derive(&q, Some(0.1)).unwrap();
            assert_eq!((f.lut_bits, f.lut_frac), (k, fi), "slope {}", q.slope);
            for (func, want) in [ActFn::Sigmoid, ActFn::Tanh].into_iter().zip(sums) {
                let t = act_table(func, q.slope, &f);
                let sum: i64 = t.entries.iter().map(|&e| e as i64).sum();
                let weighted: i64 = t
                    .entries
                    .iter()
                    .enumerate()
                    .map(|(a, &e)| (a as i64 + 1) * e as i64)
                    .sum();
                assert_eq!((sum, weighted), want, "{} slope {}", func.name(), q.slope);
            }
        }
    }
}
