//! A weight bank: the words one array row reads, one per issue cycle, in
//! the plan's order. A synchronous-read memory initialised from a $readmemh
//! image, which Yosys maps to block RAM (SB_RAM40_4K, DP16KD).
use super::{readmem, Ctx};
use crate::dynblock::DynBlock;
use crate::vlog::Body;

pub fn build(c: &Ctx, row: usize) -> DynBlock {
    let p = c.p;
    let cw = 2 * p.cols;
    let mut m = DynBlock::new();
    m.input("clk", 1)
        .input("en", 1)
        .input("addr", c.ab as usize);
    m.output("data", cw);
    let mut b = Body::default();
    b.line(format!(
        "reg [{}:0] mem [0:{}];",
        cw - 1,
        p.weight_depth - 1
    ));
    b.line(readmem("mem", &format!("w_{row}.hex")));
    b.line("always @(posedge clk) begin");
    b.line("    if (en) data <= mem[addr];");
    b.line("end");
    m.body = b.s;
    m
}

/// The $readmemh image of bank `row`.
pub fn image(c: &Ctx, row: usize) -> String {
    let p = c.p;
    let mut s = String::new();
    for w in &p.images().weights[row] {
        s.push_str(&w.hex(p.cols));
        s.push('\n');
    }
    s
}
