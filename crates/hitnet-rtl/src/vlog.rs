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

/// Bits needed to count 0..=max (at least 1): the model's one definition.
pub use hitnet_model::fixed::unsigned_bits as ubits;

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

/// The range of a declaration of `width` bits: `[w-1:0] `, or nothing for
/// one bit.
pub fn range(width: usize) -> String {
    if width == 1 {
        String::new()
    } else {
        format!("[{}:0] ", width - 1)
    }
}

/// The register `reg` (`w` bits) with the beat `beat` (`bw` bits) shifted
/// in at the top, `{beat, reg[w-1:bw]}`; the beat alone when it fills the
/// register.
pub fn shift_in(beat: &str, reg: &str, w: usize, bw: usize) -> String {
    if w == bw {
        beat.to_string()
    } else {
        format!("{{{beat}, {reg}[{}:{bw}]}}", w - 1)
    }
}

/// Trit `k` of a trit vector: bits [2k+1:2k] (hitnet_arch::TritWord's
/// code, 00 = 0, 01 = +1, 11 = -1).
pub fn trit(bus: &str, k: usize) -> String {
    format!("{bus}[{}:{}]", 2 * k + 1, 2 * k)
}

/// A packed record: named fields, the first in the most significant bits.
/// Packing and every field select are computed from the field list, so no
/// bit offset is written by hand and adding a field moves nothing else.
#[derive(Clone, Debug)]
pub struct Record {
    fields: Vec<(String, u32)>,
}

impl Record {
    pub fn new(fields: &[(&str, u32)]) -> Record {
        let mut r = Record { fields: Vec::new() };
        for &(n, w) in fields {
            r = r.with(n, w);
        }
        r
    }
    /// The record with one more field (least significant).
    pub fn with(mut self, name: &str, width: u32) -> Record {
        assert!(width > 0, "field {name} has zero width");
        assert!(
            !self.fields.iter().any(|(n, _)| n == name),
            "field {name} twice"
        );
        self.fields.push((name.to_string(), width));
        self
    }
    pub fn width(&self) -> u32 {
        self.fields.iter().map(|f| f.1).sum()
    }
    /// Width and lowest bit of field `name`.
    fn place(&self, name: &str) -> (u32, u32) {
        let mut hi = self.width();
        for (n, w) in &self.fields {
            if n == name {
                return (*w, hi - w);
            }
            hi -= w;
        }
        panic!("no field {name} in {:?}", self.fields)
    }
    /// `{a, b, ...}`, or `a` alone.
    pub fn concat(parts: &[String]) -> String {
        if parts.len() == 1 {
            parts[0].clone()
        } else {
            format!("{{{}}}", parts.join(", "))
        }
    }
    /// `{a, b, ...}`: each field's value from `value(field name)`.
    pub fn pack(&self, value: impl Fn(&str) -> String) -> String {
        let parts: Vec<String> = self.fields.iter().map(|(n, _)| value(n)).collect();
        format!("{{{}}}", parts.join(", "))
    }
    /// Field `name` of the packed vector `bus`.
    pub fn get(&self, bus: &str, name: &str) -> String {
        let (w, lo) = self.place(name);
        if self.width() == 1 {
            bus.to_string()
        } else if w == 1 {
            format!("{bus}[{lo}]")
        } else {
            format!("{bus}[{}:{lo}]", lo + w - 1)
        }
    }
    /// Bit `i` of field `name` of `bus` (a bit-select of a part-select is
    /// not Verilog-2005).
    pub fn bit(&self, bus: &str, name: &str, i: u32) -> String {
        let (w, lo) = self.place(name);
        assert!(i < w, "bit {i} of the {w}-bit field {name}");
        format!("{bus}[{}]", lo + i)
    }
    /// `wire [..] prefix<field> = bus[..];` for every field.
    pub fn unpack(&self, b: &mut Body, bus: &str, prefix: &str) {
        for (n, w) in &self.fields {
            b.line(format!(
                "wire {}{prefix}{n} = {};",
                range(*w as usize),
                self.get(bus, n)
            ));
        }
    }
}

/// The registers of a delay line: stage `k` is `{base}{k}`, 0 the input.
/// Stage names are computed, never written: asking for a stage the line
/// does not have is a generator bug, caught here.
#[derive(Clone, Debug)]
pub struct Pipe {
    base: String,
    stages: usize,
}

impl Pipe {
    pub fn at(&self, k: usize) -> String {
        assert!(
            k <= self.stages,
            "{}: stage {k} of {}",
            self.base,
            self.stages
        );
        format!("{}{k}", self.base)
    }
    pub fn last(&self) -> String {
        self.at(self.stages)
    }
    pub fn stages(&self) -> usize {
        self.stages
    }
}

/// A delay line of `n` enabled registers `{base}1 .. {base}n` (width `w`)
/// fed by `src`, in one always block; with `reset`, a synchronous reset
/// clears them (control that carries valid bits).
pub fn pipe(b: &mut Body, base: &str, w: u32, src: &str, n: usize, reset: bool) -> Pipe {
    delay_line(b, base, w, src, n, reset);
    Pipe {
        base: base.to_string(),
        stages: n,
    }
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

    #[test]
    fn records_place_fields_by_name() {
        let r = Record::new(&[("valid", 1), ("gate", 2), ("addr", 6)]);
        assert_eq!(r.width(), 9);
        assert_eq!(r.get("c", "valid"), "c[8]");
        assert_eq!(r.get("c", "gate"), "c[7:6]");
        assert_eq!(r.get("c", "addr"), "c[5:0]");
        assert_eq!(r.bit("c", "gate", 1), "c[7]");
        assert_eq!(r.pack(|f| format!("x_{f}")), "{x_valid, x_gate, x_addr}");
        // A field added at the end moves no other field's offset up from 0.
        let r2 = r.clone().with("val", 12);
        assert_eq!(r2.get("c", "addr"), "c[17:12]");
        assert_eq!(r2.get("c", "val"), "c[11:0]");
        let one = Record::new(&[("v", 1)]);
        assert_eq!(one.get("c", "v"), "c");
        let mut b = Body::default();
        r.unpack(&mut b, "c", "r_");
        assert_eq!(
            b.s,
            "wire r_valid = c[8];\nwire [1:0] r_gate = c[7:6];\nwire [5:0] r_addr = c[5:0];\n"
        );
        assert_eq!(trit("w", 3), "w[7:6]");
    }

    #[test]
    #[should_panic(expected = "no field nope")]
    fn a_missing_field_is_a_generator_bug() {
        Record::new(&[("a", 1)]).get("c", "nope");
    }

    #[test]
    fn pipes_name_their_stages_and_refuse_others() {
        let mut b = Body::default();
        let p = pipe(&mut b, "ctl", 4, "ctl0", 5, true);
        assert_eq!(
            (p.at(0), p.at(3), p.last()),
            ("ctl0".into(), "ctl3".into(), "ctl5".into())
        );
        assert!(b.s.contains("reg [3:0] ctl5;") && !b.s.contains("ctl6"));
        assert!(std::panic::catch_unwind(|| p.at(6)).is_err());
    }
}
