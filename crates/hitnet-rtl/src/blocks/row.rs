//! One array row: `cols` ternary PEs (native rust-hdl blocks), a pipelined
//! adder tree with a register on every level (the BRIEF's calibration: an
//! unpipelined reduction closes timing at 13 MHz on ECP5, the pipelined one
//! at 250 MHz), the row accumulator and its output-bank register.
use super::Ctx;
use crate::hier::{Leaf, Module};
use crate::leaf::TernaryPe;
use crate::vlog::{delay_line, sx, trit, Body};

pub fn build(c: &Ctx) -> Module {
    let p = c.p;
    let cols = p.cols;
    let cw = 2 * cols;
    let a = p.widths.acc;
    let mut m = Module::new("row");
    m.input("clk", 1)
        .input("en", 1)
        .input("w", cw)
        .input("z", cw)
        .input("cv", 1)
        .input("cf", 1)
        .input("cl", 1);
    // With a prefix (token overlap) group 0 interleaves its segments, so
    // each segment keeps its own accumulator.
    let per_seg = c.per_seg;
    if per_seg {
        m.input("cg", 2);
    }
    m.output("bank", a as usize);
    let mut b = Body::default();
    // The weight word passes WORD_REGS registers after the block-RAM read
    // (hitnet_arch::WORD_REGS says why): the bank's output register, then
    // these; the last one feeds the PEs.
    let wq = delay_line(
        &mut b,
        "wq",
        cw as u32,
        "w",
        hitnet_arch::WORD_REGS as usize - 1,
        false,
    );
    let pe = Leaf::new("pe", TernaryPe::default());
    for k in 0..cols {
        m.inst(&format!("pe{k}"), pe.clone())
            .to("w", trit(&wq, k))
            .to("z", trit("z", k));
    }
    // Level 0: the products (2-bit two's complement trits).
    let tw = &p.widths.tree;
    let mut names: Vec<String> = (0..cols).map(|k| format!("pe{k}_p")).collect();
    for (lvl, &w) in tw.iter().enumerate().skip(1) {
        let prev_w = tw[lvl - 1];
        let n = names.len().div_ceil(2);
        let mut next = Vec::with_capacity(n);
        for i in 0..n {
            let name = format!("t{lvl}_{i}");
            b.line(format!("reg [{}:0] {name};", w - 1));
            let lhs = sx(&names[2 * i], prev_w, w);
            let expr = if 2 * i + 1 < names.len() {
                format!("{lhs} + {}", sx(&names[2 * i + 1], prev_w, w))
            } else {
                lhs
            };
            b.line(format!(
                "always @(posedge clk) begin if (en) {name} <= {expr}; end"
            ));
            next.push(name);
        }
        names = next;
    }
    let root_w = *tw.last().unwrap();
    let root = sx(&names[0], root_w, a);
    // One accumulator, or one per segment read and written through `cg`.
    let n = hitnet_arch::SEGMENTS;
    let write = if per_seg {
        for g in 0..n {
            b.line(format!("reg [{}:0] acc{g};", a - 1));
        }
        let arms: Vec<String> = (0..n).map(|g| format!("2'd{g}: acc = acc{g};")).collect();
        b.line(format!("reg [{}:0] acc;", a - 1));
        b.line(format!(
            "always @(*) begin case (cg) {} endcase end",
            arms.join(" ")
        ));
        let sets: Vec<String> = (0..n).map(|g| format!("2'd{g}: acc{g} <= sum;")).collect();
        format!("case (cg) {} endcase", sets.join(" "))
    } else {
        b.line(format!("reg [{}:0] acc;", a - 1));
        "acc <= sum;".to_string()
    };
    b.line(format!("wire [{}:0] root = {root};", a - 1));
    b.line(format!("wire [{}:0] sum = cf ? root : acc + root;", a - 1));
    b.line("always @(posedge clk) begin");
    b.line("    if (en & cv) begin");
    b.line(format!("        {write}"));
    b.line("        if (cl) bank <= sum;");
    b.line("    end");
    b.line("end");
    m.body = b.s;
    m
}
