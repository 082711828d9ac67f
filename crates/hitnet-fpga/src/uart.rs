//! The byte protocol of the UART board wrapper (`fpga/hitnet_uart.v`) and
//! its parameters. fpga/README.md describes the protocol for people;
//! `fpga/host.py` implements the same for a real board.
//!
//! Host -> device, per token: a header byte (bit 0 = this token starts a new
//! sequence; bits 7..1 reserved, 0), then ceil(I/4) bytes of trits, four per
//! byte, trit k in bits [2(k%4)+1 : 2(k%4)] of byte k/4 (00 = 0, 01 = +1,
//! 11 = -1). Device -> host, per token: the h vector of the last layer, or of
//! every layer in layer order, each ceil(H/4) bytes packed the same way.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{FpgaError, Result};

/// Parameters of `hitnet_uart` (and of the board tops, which fix CLK_HZ).
/// Take I, H, LAYERS, IN_TRITS, OUT_TRITS and LAYER_BITS from the
/// generated manifest.json.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UartParams {
    pub clk_hz: u64,
    pub baud: u64,
    /// Input trits per token.
    pub i: usize,
    /// Hidden trits per layer.
    pub h: usize,
    pub layers: usize,
    pub in_trits: usize,
    pub out_trits: usize,
    pub layer_bits: usize,
    /// Reply with every layer's h (true) or the last layer's only.
    pub all_layers: bool,
    /// RX FIFO holds 2^rx_fifo_log2 bytes.
    pub rx_fifo_log2: u32,
}

impl UartParams {
    /// Bytes the host sends per token.
    pub fn token_bytes(&self) -> usize {
        1 + self.i.div_ceil(4)
    }

    /// Bytes the device answers per token.
    pub fn reply_bytes(&self) -> usize {
        self.h.div_ceil(4) * if self.all_layers { self.layers } else { 1 }
    }

    /// Clock cycles per serial bit, rounded as the Verilog does.
    pub fn clks_per_bit(&self) -> u64 {
        (self.clk_hz + self.baud / 2) / self.baud.max(1)
    }

    /// Checks the combinations the hardware cannot handle.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(FpgaError::InvalidDesign(m));
        if self.i == 0
            || self.h == 0
            || self.layers == 0
            || self.in_trits == 0
            || self.out_trits == 0
        {
            return bad(
                "UART wrapper: I, H, LAYERS, IN_TRITS and OUT_TRITS must be at least 1".into(),
            );
        }
        if self.layer_bits == 0 || (self.layers - 1) >> self.layer_bits.min(63) != 0 {
            return bad(format!(
                "UART wrapper: LAYER_BITS = {} cannot number {} layers",
                self.layer_bits, self.layers
            ));
        }
        if self.clks_per_bit() < 4 {
            return bad(format!(
                "UART wrapper: {} Hz is too slow a clock for {} baud (needs at least 4 cycles per bit)",
                self.clk_hz, self.baud
            ));
        }
        if self.rx_fifo_log2 < 1 || (1usize << self.rx_fifo_log2.min(30)) < self.token_bytes() {
            return bad(format!(
                "UART wrapper: the RX FIFO (2^{} bytes) must hold a whole token ({} bytes)",
                self.rx_fifo_log2,
                self.token_bytes()
            ));
        }
        Ok(())
    }

    /// Parameters of the board tops (`icebreaker_top`, `hx8k_breakout_top`, `ulx3s_top`), which
    /// fix CLK_HZ to their oscillator.
    pub fn board_params(&self) -> BTreeMap<String, i64> {
        let mut p = BTreeMap::new();
        p.insert("BAUD".into(), self.baud as i64);
        p.insert("I".into(), self.i as i64);
        p.insert("H".into(), self.h as i64);
        p.insert("LAYERS".into(), self.layers as i64);
        p.insert("IN_TRITS".into(), self.in_trits as i64);
        p.insert("OUT_TRITS".into(), self.out_trits as i64);
        p.insert("LAYER_BITS".into(), self.layer_bits as i64);
        p.insert("ALL_LAYERS".into(), self.all_layers as i64);
        p.insert("RX_FIFO_LOG2".into(), self.rx_fifo_log2 as i64);
        p
    }

    /// Parameters of `hitnet_uart` itself (board parameters + CLK_HZ).
    pub fn wrapper_params(&self) -> BTreeMap<String, i64> {
        let mut p = self.board_params();
        p.insert("CLK_HZ".into(), self.clk_hz as i64);
        p
    }
}

/// Code of one trit: 0 -> 00, +1 -> 01, -1 -> 11.
pub fn trit_code(t: i8) -> Result<u8> {
    hitnet_model::trit::encode(t)
        .ok_or_else(|| FpgaError::InvalidDesign(format!("trit value {t} is not -1, 0 or +1")))
}

/// Trit of a code; `10` never occurs on the wire and reads as 0.
pub fn trit_value(code: u8) -> i8 {
    hitnet_model::trit::decode(code).unwrap_or(0)
}

/// Packs trits four per byte, zero-padded.
pub fn pack_trits(trits: &[i8]) -> Result<Vec<u8>> {
    trits
        .chunks(4)
        .map(|c| {
            c.iter()
                .enumerate()
                .try_fold(0u8, |b, (k, &t)| Ok(b | trit_code(t)? << (2 * k)))
        })
        .collect()
}

/// Unpacks the first `n` trits.
pub fn unpack_trits(bytes: &[u8], n: usize) -> Vec<i8> {
    (0..n)
        .map(|k| {
            let b = bytes.get(k / 4).copied().unwrap_or(0);
            trit_value(b >> (2 * (k % 4)))
        })
        .collect()
}

/// One token as the host sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// Starts a new sequence (state reset).
    pub first: bool,
    /// I input trits.
    pub x: Vec<i8>,
}

/// Bytes of one word of the language-model ends' UART top
/// (`fpga/hitnet_lm_uart.v`): flags (bit 0 = a new sequence), the token
/// id, the feed count low and high byte.
pub fn encode_lm_word(first: bool, token: usize, feed: usize) -> Result<[u8; 4]> {
    if token > 255 || feed > 0xFFFF {
        return Err(FpgaError::InvalidDesign(format!(
            "token {token} / feed {feed}: the LM UART word carries ids up to 255 and feeds up to 65535"
        )));
    }
    Ok([first as u8, token as u8, feed as u8, (feed >> 8) as u8])
}

/// Bytes of one frame of the classifier ends' UART top
/// (`fpga/hitnet_cls_uart.v`): flags (bit 0 = the first frame of a
/// sequence, bit 1 = its last), then each channel's 16-bit sample,
/// little-endian.
pub fn encode_cls_frame(first: bool, last: bool, samples: &[i32]) -> Result<Vec<u8>> {
    let mut b = vec![first as u8 | (last as u8) << 1];
    for &x in samples {
        let v = i16::try_from(x).map_err(|_| {
            FpgaError::InvalidDesign(format!(
                "sample {x}: the classifier's UART frame carries 16-bit samples"
            ))
        })?;
        b.extend_from_slice(&v.to_le_bytes());
    }
    Ok(b)
}

/// Bytes of the logit that follow the class byte in the classifier's
/// answer: `score_bits` rounded up to bytes.
pub fn cls_score_bytes(score_bits: u32) -> usize {
    score_bits.div_ceil(8) as usize
}

/// The answer of the classifier's UART top to a sequence: the class byte,
/// then the logit, two's complement, little-endian.
pub fn encode_cls_answer(class: usize, score: i64, score_bits: u32) -> Vec<u8> {
    let mut b = vec![class as u8];
    b.extend_from_slice(&score.to_le_bytes()[..cls_score_bytes(score_bits)]);
    b
}

/// The class and logit of an answer ([`encode_cls_answer`]'s bytes).
pub fn decode_cls_answer(bytes: &[u8]) -> Option<(usize, i64)> {
    let (&c, s) = bytes.split_first()?;
    if s.is_empty() || s.len() > 8 {
        return None;
    }
    let mut v = [if s[s.len() - 1] & 0x80 != 0 { 0xFF } else { 0 }; 8];
    v[..s.len()].copy_from_slice(s);
    Some((c as usize, i64::from_le_bytes(v)))
}

/// Bytes of one token: header + packed trits.
pub fn encode_token(p: &UartParams, token: &Token) -> Result<Vec<u8>> {
    if token.x.len() != p.i {
        return Err(FpgaError::InvalidDesign(format!(
            "token has {} trits, the accelerator takes I = {}",
            token.x.len(),
            p.i
        )));
    }
    let mut out = vec![token.first as u8];
    out.extend(pack_trits(&token.x)?);
    Ok(out)
}

/// Bytes the device answers for one token, given every layer's h (layer
/// order); with `all_layers` false only the last layer is sent.
pub fn encode_reply(p: &UartParams, h_per_layer: &[Vec<i8>]) -> Result<Vec<u8>> {
    if h_per_layer.len() != p.layers || h_per_layer.iter().any(|h| h.len() != p.h) {
        return Err(FpgaError::InvalidDesign(format!(
            "reply needs {} layers of {} trits",
            p.layers, p.h
        )));
    }
    let chosen: &[Vec<i8>] = if p.all_layers {
        h_per_layer
    } else {
        &h_per_layer[p.layers - 1..]
    };
    let mut out = Vec::with_capacity(p.reply_bytes());
    for h in chosen {
        out.extend(pack_trits(h)?);
    }
    Ok(out)
}

/// Splits a reply into the h vectors it carries.
pub fn decode_reply(p: &UartParams, bytes: &[u8]) -> Vec<Vec<i8>> {
    bytes
        .chunks(p.h.div_ceil(4))
        .map(|c| unpack_trits(c, p.h))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifier_frames_and_answers() {
        assert_eq!(
            encode_cls_frame(true, false, &[1, -2, 32767, -32768]).unwrap(),
            [1, 1, 0, 0xFE, 0xFF, 0xFF, 0x7F, 0x00, 0x80]
        );
        assert_eq!(encode_cls_frame(false, true, &[]).unwrap(), [2]);
        assert!(encode_cls_frame(false, false, &[40_000]).is_err());
        for (c, s, bits) in [
            (3, -5, 25),
            (0, 0, 2),
            (255, 8_388_607, 24),
            (7, -(1 << 31), 32),
        ] {
            let b = encode_cls_answer(c, s, bits);
            assert_eq!(b.len(), 1 + bits.div_ceil(8) as usize);
            assert_eq!(decode_cls_answer(&b), Some((c, s)));
        }
        assert_eq!(decode_cls_answer(&[1]), None);
    }

    fn params() -> UartParams {
        UartParams {
            clk_hz: 12_000_000,
            baud: 115_200,
            i: 10,
            h: 7,
            layers: 2,
            in_trits: 3,
            out_trits: 3,
            layer_bits: 1,
            all_layers: true,
            rx_fifo_log2: 7,
        }
    }

    #[test]
    fn packing_round_trip() {
        let t = [1, -1, 0, 1, -1];
        let b = pack_trits(&t).unwrap();
        assert_eq!(b, vec![0b01_00_11_01, 0b11]);
        assert_eq!(unpack_trits(&b, 5), t);
        assert!(pack_trits(&[2]).is_err());
        assert_eq!(trit_value(0b10), 0);
    }

    #[test]
    fn token_and_reply() {
        let p = params();
        assert_eq!(p.token_bytes(), 4);
        assert_eq!(p.reply_bytes(), 4);
        assert_eq!(p.clks_per_bit(), 104);
        let tok = Token {
            first: true,
            x: vec![1; 10],
        };
        assert_eq!(encode_token(&p, &tok).unwrap(), vec![1, 0x55, 0x55, 0x05]);
        let h = vec![vec![1, 0, 0, 0, 0, 0, -1], vec![0, 0, 0, 0, 0, 0, 1]];
        let r = encode_reply(&p, &h).unwrap();
        assert_eq!(r, vec![0x01, 0x30, 0x00, 0x10]);
        assert_eq!(decode_reply(&p, &r), h);
        let last_only = UartParams {
            all_layers: false,
            ..params()
        };
        assert_eq!(encode_reply(&last_only, &h).unwrap(), vec![0x00, 0x10]);
    }

    #[test]
    fn validation() {
        assert!(params().validate().is_ok());
        // (what is wrong, what the message names)
        let cases = [
            (
                UartParams {
                    rx_fifo_log2: 1,
                    ..params()
                },
                "RX FIFO",
            ),
            (
                UartParams {
                    layers: 3,
                    layer_bits: 1,
                    ..params()
                },
                "LAYER_BITS",
            ),
            (
                UartParams {
                    clk_hz: 300_000,
                    ..params()
                },
                "too slow",
            ),
        ];
        for (p, want) in cases {
            let e = p.validate().unwrap_err();
            assert!(e.to_string().contains(want), "{e}");
        }
    }
}
