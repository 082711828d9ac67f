//! Fixed-width leaves written as native rust-hdl logic (`#[hdl_gen]`): the
//! ternary processing element and one step of the quantizer's LFSR. They are
//! simulated in rust-hdl's simulator in the unit tests and, like everything
//! else, judged by Verilator running the emitted Verilog.
use rust_hdl::core::prelude::*;

/// A ternary processing element: the product of a weight trit and an
/// activation trit, in the 2-bit two's complement trit code (00 = 0,
/// 01 = +1, 11 = -1), which is also the product's signed 2-bit value.
#[derive(LogicBlock)]
pub struct TernaryPe {
    pub w: Signal<In, Bits<2>>,
    pub z: Signal<In, Bits<2>>,
    pub p: Signal<Out, Bits<2>>,
    // Literals as sized constants: rust-hdl prints bare literals as 32 bits.
    zero: Constant<Bits<2>>,
    plus: Constant<Bits<2>>,
    minus: Constant<Bits<2>>,
}

impl Default for TernaryPe {
    fn default() -> Self {
        TernaryPe {
            w: Default::default(),
            z: Default::default(),
            p: Default::default(),
            zero: Constant::new(0.into()),
            plus: Constant::new(1.into()),
            minus: Constant::new(3.into()),
        }
    }
}

impl Logic for TernaryPe {
    #[hdl_gen]
    fn update(&mut self) {
        // Nonzero only when both are nonzero (bit 0); negative when exactly
        // one is negative (bit 1).
        self.p.next = self.zero.val();
        if self.w.val().get_bit(0) & self.z.val().get_bit(0) {
            if self.w.val().get_bit(1) ^ self.z.val().get_bit(1) {
                self.p.next = self.minus.val();
            } else {
                self.p.next = self.plus.val();
            }
        }
    }
}

/// One step of the 32-bit Galois LFSR x^32 + x^22 + x^2 + x + 1 shifting
/// right (hitnet_model::lfsr): `bit` is the bit shifted out.
#[derive(LogicBlock)]
pub struct LfsrStep {
    pub s: Signal<In, Bits<32>>,
    pub s_next: Signal<Out, Bits<32>>,
    pub out_bit: Signal<Out, Bit>,
    taps: Constant<Bits<32>>,
}

impl Default for LfsrStep {
    fn default() -> Self {
        LfsrStep {
            s: Default::default(),
            s_next: Default::default(),
            out_bit: Default::default(),
            taps: Constant::new(hitnet_model::lfsr::LFSR_TAPS.to_bits()),
        }
    }
}

impl Logic for LfsrStep {
    #[hdl_gen]
    fn update(&mut self) {
        self.out_bit.next = self.s.val().get_bit(0);
        self.s_next.next = self.s.val() >> 1;
        if self.s.val().get_bit(0) {
            self.s_next.next = (self.s.val() >> 1) ^ self.taps.val();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// rust-hdl's combinational settle loop: update until nothing changes.
    fn settle<B: Block>(b: &mut B) {
        for _ in 0..16 {
            b.update_all();
            if !b.has_changed() {
                return;
            }
        }
        panic!("did not settle");
    }

    fn code(t: i8) -> u64 {
        hitnet_model::trit::encode(t).unwrap() as u64
    }

    #[test]
    fn pe_truth_table_in_rust_hdl_simulation() {
        let mut pe = TernaryPe::default();
        pe.connect_all();
        for w in [-1i8, 0, 1] {
            for z in [-1i8, 0, 1] {
                pe.w.next = code(w).to_bits();
                pe.z.next = code(z).to_bits();
                settle(&mut pe);
                assert_eq!(pe.p.val().index() as u64, code(w * z), "{w} * {z}");
            }
        }
    }

    #[test]
    fn lfsr_step_matches_the_model_in_rust_hdl_simulation() {
        let mut st = LfsrStep::default();
        st.connect_all();
        let mut s = hitnet_model::lfsr::unit_seed(1, 0, 0);
        for _ in 0..200 {
            st.s.next = (s as u64).to_bits();
            settle(&mut st);
            let mut want = s;
            let bit = hitnet_model::lfsr::step(&mut want);
            assert_eq!(st.s_next.val().index() as u32, want);
            assert_eq!(st.out_bit.val(), bit == 1);
            s = want;
        }
    }

    #[test]
    fn leaves_emit_verilog() {
        let mut pe = TernaryPe::default();
        pe.connect_all();
        let v = generate_verilog(&pe);
        assert!(v.contains("module top"), "{v}");
        let mut st = LfsrStep::default();
        st.connect_all();
        let v = generate_verilog(&st);
        assert!(v.contains("32'h80200003"), "{v}");
    }
}
