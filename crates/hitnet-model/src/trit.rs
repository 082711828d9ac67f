//! The one trit encoding of the hardware (docs/arithmetic.md): two bits per
//! trit, 00 = 0, 01 = +1, 11 = -1, which is also the trit's value as a
//! 2-bit two's complement number; 10 never occurs. Memories, streams, the
//! UART protocol and the host script (fpga/host.py, checked against this
//! by a test) all use it.

pub const ZERO: u8 = 0b00;
pub const PLUS: u8 = 0b01;
pub const MINUS: u8 = 0b11;
/// The code no trit has.
pub const UNUSED: u8 = 0b10;

/// The code of trit `t`, `None` when `t` is not -1, 0 or +1.
pub fn encode(t: i8) -> Option<u8> {
    match t {
        0 => Some(ZERO),
        1 => Some(PLUS),
        -1 => Some(MINUS),
        _ => None,
    }
}

/// The trit of the low two bits of `code`, `None` for the unused code.
pub fn decode(code: u8) -> Option<i8> {
    match code & 0b11 {
        ZERO => Some(0),
        PLUS => Some(1),
        MINUS => Some(-1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_two_bit_values() {
        for t in [-1i8, 0, 1] {
            let c = encode(t).unwrap();
            // Sign-extending the 2-bit code gives the trit back.
            assert_eq!(((c << 6) as i8) >> 6, t);
            assert_eq!(decode(c), Some(t));
        }
        assert_eq!(encode(2), None);
        assert_eq!(decode(UNUSED), None);
    }
}
