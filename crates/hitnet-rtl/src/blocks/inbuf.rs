//! The input stream: fills one of two x buffers beat by beat (AXI-Stream
//! valid/ready) while the controller computes with the other. Not stalled by
//! the output: a stalled output does not block input.
use super::Ctx;
use crate::hier::Module;
use crate::vlog::{lit, shift_in, ubits, Body};

pub fn build(c: &Ctx) -> Module {
    let p = c.p;
    let c2 = 2 * p.in_trits;
    let xw = 2 * p.xbuf_trits();
    let mut m = Module::new("inbuf");
    m.input("clk", 1)
        .input("rst", 1)
        .input("s_valid", 1)
        .input("s_data", c2)
        .input("s_first", 1)
        .input("start", 1);
    m.output("s_ready", 1)
        .output("fill_full", 1)
        .output("x_active", xw)
        .output("token_first", 1);
    let beats = p.in_beats as u64;
    let cb = ubits(beats - 1);
    let mut b = Body::default();
    b.line(format!("reg [{}:0] xb0;", xw - 1));
    b.line(format!("reg [{}:0] xb1;", xw - 1));
    b.line("reg fp;   // buffer being filled");
    b.line("reg ap;   // buffer being computed on");
    b.line("reg full;");
    b.line("reg ff;   // s_first of the buffered token");
    b.line("reg tf;");
    b.line("reg after_reset;");
    b.line(format!("reg [{}:0] cnt;", cb - 1));
    b.line("wire take = s_valid & ~full;");
    b.line(format!(
        "wire last_beat = cnt == {};",
        lit(cb, beats as i64 - 1)
    ));
    b.line("always @(posedge clk) begin");
    b.line("    if (rst) begin");
    b.line(format!(
        "        fp <= 1'b0; ap <= 1'b0; full <= 1'b0; ff <= 1'b0; tf <= 1'b0; after_reset <= 1'b1; cnt <= {};",
        lit(cb, 0)
    ));
    b.line("    end else if (start) begin");
    b.comment("A token starts: compute on the full buffer, fill the other. The first");
    b.comment("token after reset always starts a sequence.");
    b.line(
        "        full <= 1'b0; fp <= ~fp; ap <= fp; tf <= ff | after_reset; after_reset <= 1'b0;",
    );
    b.line("    end else if (take) begin");
    b.line(format!(
        "        cnt <= last_beat ? {} : cnt + {};",
        lit(cb, 0),
        lit(cb, 1)
    ));
    b.line(format!("        if (cnt == {}) ff <= s_first;", lit(cb, 0)));
    b.line("        if (last_beat) full <= 1'b1;");
    b.line("    end");
    b.line("end");
    let shifted = |x: &str| shift_in("s_data", x, xw, c2);
    b.comment("Beats shift in from the top, so beat k ends at trits [k*C, k*C+C).");
    b.line("always @(posedge clk) begin");
    b.line("    if (~rst & ~start & take) begin");
    b.line(format!(
        "        if (fp) xb1 <= {}; else xb0 <= {};",
        shifted("xb1"),
        shifted("xb0")
    ));
    b.line("    end");
    b.line("end");
    b.line("always @(*) begin");
    b.line("    s_ready = ~full;");
    b.line("    fill_full = full;");
    b.line("    x_active = ap ? xb1 : xb0;");
    b.line("    token_first = tf;");
    b.line("end");
    m.body = b.s;
    m
}
