//! Reference model of the behavioural stand-in `fpga/standin/hitnet_top.v`,
//! used as the expected output of the UART co-simulation until the
//! generated accelerator and the golden model take its place. It is NOT a
//! HitNet cell; it only has the same ports, stream rules and statefulness.

use std::collections::BTreeMap;

use crate::uart::{Token, UartParams};

/// Sizes of the stand-in (its `HITNET_STANDIN_*` macros).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StandinSizes {
    pub i: usize,
    pub h: usize,
    pub layers: usize,
    pub in_trits: usize,
    pub out_trits: usize,
    pub layer_bits: usize,
    /// Cycles between the last input beat and the first output beat.
    pub latency: usize,
}

impl StandinSizes {
    /// The macros that size the Verilog stand-in.
    pub fn defines(&self) -> BTreeMap<String, String> {
        [
            ("HITNET_STANDIN_I", self.i),
            ("HITNET_STANDIN_H", self.h),
            ("HITNET_STANDIN_LAYERS", self.layers),
            ("HITNET_STANDIN_IN_TRITS", self.in_trits),
            ("HITNET_STANDIN_OUT_TRITS", self.out_trits),
            ("HITNET_STANDIN_LAYER_BITS", self.layer_bits),
            ("HITNET_STANDIN_LATENCY", self.latency),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// Wrapper parameters that match these sizes.
    pub fn uart_params(
        &self,
        clk_hz: u64,
        baud: u64,
        all_layers: bool,
        rx_fifo_log2: u32,
    ) -> UartParams {
        UartParams {
            clk_hz,
            baud,
            i: self.i,
            h: self.h,
            layers: self.layers,
            in_trits: self.in_trits,
            out_trits: self.out_trits,
            layer_bits: self.layer_bits,
            all_layers,
            rx_fifo_log2,
        }
    }
}

/// Every layer's h for every token:
/// h[j] = clamp(u[(3j + l) mod U] + h_prev[(j + 1) mod H] - c(j, l), -1, 1),
/// c(j, l) = ((j + l) mod 3) - 1, u = x (layer 0) or the new h of layer l-1,
/// h_prev = 0 at the start of a sequence.
pub fn model(s: &StandinSizes, tokens: &[Token]) -> Vec<Vec<Vec<i8>>> {
    let mut h = vec![vec![0i8; s.h]; s.layers];
    let mut out = Vec::with_capacity(tokens.len());
    for tok in tokens {
        let prev = if tok.first {
            vec![vec![0i8; s.h]; s.layers]
        } else {
            h.clone()
        };
        let mut new: Vec<Vec<i8>> = Vec::with_capacity(s.layers);
        for l in 0..s.layers {
            let u: &[i8] = if l == 0 { &tok.x } else { &new[l - 1] };
            let hl = (0..s.h)
                .map(|j| {
                    let c = ((j + l) % 3) as i8 - 1;
                    let v = u[(3 * j + l) % u.len()] + prev[l][(j + 1) % s.h] - c;
                    v.clamp(-1, 1)
                })
                .collect();
            new.push(hl);
        }
        h = new;
        out.push(h.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_start_resets_state() {
        let s = StandinSizes {
            i: 4,
            h: 3,
            layers: 2,
            in_trits: 2,
            out_trits: 2,
            layer_bits: 1,
            latency: 1,
        };
        let t = |first| Token {
            first,
            x: vec![1, 0, -1, 1],
        };
        let a = model(&s, &[t(true), t(false), t(true)]);
        assert_eq!(a[0], a[2]);
        // Layer 0, j = 0: u[0] = 1, h_prev = 0, c(0,0) = -1 -> clamp(2) = 1.
        assert_eq!(a[0][0][0], 1);
        assert_eq!(s.defines()["HITNET_STANDIN_LATENCY"], "1");
    }
}
