//! Small Verilog text helpers for the run-time-width module bodies. Every
//! helper produces expressions whose operand widths match exactly, so
//! `verilator -Wall` has no width warning to give. Values are two's
//! complement in plain vectors and every extension is explicit, so no
//! expression depends on Verilog's signedness rules (a known source of
//! simulator/synthesizer disagreement).
use std::fmt::Write;

/// A module body under construction.
#[derive(Default)]
pub struct Body {
    pub s: String,
}

impl Body {
    pub fn line(&mut self, l: impl AsRef<str>) {
        self.s.push_str(l.as_ref());
        self.s.push('\n');
    }
    pub fn comment(&mut self, c: &str) {
        let _ = writeln!(self.s, "// {c}");
    }
}

/// Bits needed to count 0..=max (at least 1).
pub fn ubits(max: u64) -> u32 {
    (64 - max.leading_zeros()).max(1)
}

/// Sign-extends the identifier `x` from `from` to `to` bits.
pub fn sx(x: &str, from: u32, to: u32) -> String {
    assert!(to >= from, "sx {x}: {from} -> {to}");
    if to == from {
        x.to_string()
    } else if from == 1 {
        format!("{{{to}{{{x}}}}}")
    } else {
        format!("{{{{{n}{{{x}[{m}]}}}}, {x}}}", n = to - from, m = from - 1)
    }
}

/// Zero-extends the identifier `x` from `from` to `to` bits.
pub fn zx(x: &str, from: u32, to: u32) -> String {
    assert!(to >= from);
    if to == from {
        x.to_string()
    } else {
        format!("{{{}'d0, {x}}}", to - from)
    }
}

/// An unsigned constant of width `w` (two's complement bit pattern for negatives).
pub fn lit(w: u32, v: i64) -> String {
    let mask = if w >= 64 { u64::MAX } else { (1u64 << w) - 1 };
    format!("{w}'h{:x}", (v as u64) & mask)
}

/// A delay line of `n` enabled registers `{base}1 .. {base}n` (width `w`)
/// fed by `src`, in one always block; with `reset`, a synchronous reset
/// clears them (control that carries valid bits). Returns the last name.
pub fn delay_line(b: &mut Body, base: &str, w: u32, src: &str, n: usize, reset: bool) -> String {
    assert!(n >= 1, "delay line {base}: no stages");
    for k in 1..=n {
        b.line(format!("reg [{}:0] {base}{k};", w - 1));
    }
    let prev = |k: usize| {
        if k == 1 {
            src.to_string()
        } else {
            format!("{base}{}", k - 1)
        }
    };
    let shift: Vec<String> = (1..=n)
        .map(|k| format!("{base}{k} <= {};", prev(k)))
        .collect();
    b.line("always @(posedge clk) begin");
    if reset {
        let clear: Vec<String> = (1..=n)
            .map(|k| format!("{base}{k} <= {};", lit(w, 0)))
            .collect();
        b.line(format!("    if (rst) begin {} end", clear.join(" ")));
        b.line(format!("    else if (en) begin {} end", shift.join(" ")));
    } else {
        b.line(format!("    if (en) begin {} end", shift.join(" ")));
    }
    b.line("end");
    format!("{base}{n}")
}

/// Declares `out = rshift_round(x, s)` for a signed `x` of width `w`
/// (round half up: add 2^(s-1), arithmetic shift). Returns out's width.
pub fn rsr(b: &mut Body, out: &str, x: &str, w: u32, s: u32) -> u32 {
    if s == 0 {
        b.line(format!("wire [{}:0] {out} = {x};", w - 1));
        return w;
    }
    let we = w.max(s + 1) + 1;
    b.line(format!(
        "wire [{}:0] {out}_t = {} + {we}'d{};",
        we - 1,
        sx(x, w, we),
        1u64 << (s - 1)
    ));
    b.line(format!(
        "wire [{}:0] {out} = {out}_t[{}:{s}];",
        we - 1 - s,
        we - 1
    ));
    // The bits shifted out are dropped by definition.
    b.line(format!("wire unused_{out} = ^{out}_t[{}:0];", s - 1));
    we - s
}

/// Declares `out` = `x` (signed, width `w`) saturated to `v` bits.
pub fn sat(b: &mut Body, out: &str, x: &str, w: u32, v: u32) {
    if w <= v {
        b.line(format!("wire [{}:0] {out} = {};", v - 1, sx(x, w, v)));
        return;
    }
    let hi = w - 1;
    let lo = v - 1;
    b.line(format!(
        "wire {out}_ok = (&{x}[{hi}:{lo}]) | ~(|{x}[{hi}:{lo}]);"
    ));
    b.line(format!(
        "wire [{}:0] {out} = {out}_ok ? {x}[{}:0] : ({x}[{hi}] ? {{1'b1, {{{lo}{{1'b0}}}}}} : {{1'b0, {{{lo}{{1'b1}}}}}});",
        v - 1,
        v - 1
    ));
}

/// Declares `out = a * b` (two's complement) in `w` bits; the caller proves
/// `w` holds it. Both operands are sign-extended to the product width, whose
/// low bits are the signed product. The multiply is marked `$signed` (same
/// low bits) so synthesis sees the extension bits as sign copies and shrinks
/// the multiplier to the operands' real widths (one DSP block, not four).
pub fn mul(b: &mut Body, out: &str, a: &str, wa: u32, x: &str, wb: u32, w: u32) {
    let we = w.max(wa).max(wb);
    b.line(format!(
        "wire [{}:0] {out}_f = $signed({}) * $signed({});",
        we - 1,
        sx(a, wa, we),
        sx(x, wb, we)
    ));
    if we == w {
        b.line(format!("wire [{}:0] {out} = {out}_f;", w - 1));
    } else {
        b.line(format!("wire [{}:0] {out} = {out}_f[{}:0];", w - 1, w - 1));
        b.line(format!("wire unused_{out} = ^{out}_f[{}:{}];", we - 1, w));
    }
}

/// Declares the registered product `out = a * x` (two's complement, `w`
/// bits; the caller proves `w` holds it), updated when `en`. The register
/// holds the product at its own width, min(w, wa + wb), and `out` is that
/// register sign-extended to `w` bits *after* the register. Why: Yosys's
/// iCE40 DSP packer (0.23 and 0.70, `synth_ice40 -dsp`) absorbs a product
/// register into the SB_MAC16 output register only for the product's own
/// bits; the sign-extension bits of a wider register were left undriven
/// (`'hx` in the netlist), so the shipped LSTM computed wrong values
/// (docs/fpga-flow.md). `out_q` is the register, `out_m` the product.
pub fn mul_reg(b: &mut Body, out: &str, a: &str, wa: u32, x: &str, wb: u32, w: u32) {
    let pn = w.min(wa + wb);
    let m = format!("{out}_m");
    mul(b, &m, a, wa, x, wb, pn);
    b.line(format!("reg [{}:0] {out}_q;", pn - 1));
    b.line(format!(
        "always @(posedge clk) begin if (en) {out}_q <= {m}; end"
    ));
    b.line(format!(
        "wire [{}:0] {out} = {};",
        w - 1,
        sx(&format!("{out}_q"), pn, w)
    ));
}

/// Hex lines of a $readmemh image of signed values of width `w`.
pub fn hex_image(values: impl Iterator<Item = i64>, w: u32) -> String {
    let digits = (w as usize).div_ceil(4);
    let mask = if w >= 64 { u64::MAX } else { (1u64 << w) - 1 };
    let mut s = String::new();
    for v in values {
        let _ = writeln!(s, "{:0digits$x}", (v as u64) & mask);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_syntax() {
        assert_eq!(sx("a", 3, 3), "a");
        assert_eq!(sx("a", 3, 5), "{{2{a[2]}}, a}");
        assert_eq!(sx("a", 1, 4), "{4{a}}");
        assert_eq!(zx("a", 3, 5), "{2'd0, a}");
        assert_eq!(lit(4, -1), "4'hf");
        assert_eq!(lit(8, 5), "8'h5");
    }

    #[test]
    fn rounding_shift_text() {
        let mut b = Body::default();
        let w = rsr(&mut b, "r", "x", 8, 3);
        assert_eq!(w, 6);
        assert!(
            b.s.contains("wire [8:0] r_t = {{1{x[7]}}, x} + 9'd4;"),
            "{}",
            b.s
        );
        assert!(b.s.contains("wire [5:0] r = r_t[8:3];"), "{}", b.s);
    }
}
