//! A post lane: scale, bias and activation table for one row sum per cycle.
//! PL1 operands (bias memory read), PL2 product m * acc, PL3 + bias,
//! PL4 table index (rounding shift, saturation), PL5 table read. GRU's
//! n_x and n_h bypass the table as raw pre-activations.
use super::{image_memory, quoted, Ctx};
use crate::hier::Module;
use crate::vlog::{mul_reg, pipe, rsr, sat, sx, Body, Record};
use hitnet_arch::POST_STAGES;
use hitnet_model::config::CellKind;

// The lane below is PL1..PL5 (operands, product, bias, index, table); a
// different POST_STAGES needs a different lane, so it is refused here
// rather than silently mistimed.
const _: () = assert!(
    POST_STAGES == 5,
    "hitnet_arch::POST_STAGES changed: blocks/post.rs implements 5 stages (PL1..PL5)"
);

/// The control that travels with a row sum through the lane: valid, gate,
/// serial step, layer, beat flags (bv, last, inr) and the state address.
pub fn control(c: &Ctx) -> Record {
    Record::new(&[
        ("valid", 1),
        ("gate", 2),
        ("step", c.kb),
        ("layer", c.lb),
        ("bv", 1),
        ("last", 1),
        ("inr", 1),
        ("saddr", c.sa_bits),
    ])
}

/// The lane's result, one per cycle, to the element-wise lane: the control
/// and the activation (or, for GRU's n_x and n_h, the raw pre-activation).
pub fn result(c: &Ctx) -> Record {
    control(c).with("val", c.p.widths.store)
}

/// One module for every lane; a lane's bias image is its BIAS_IMAGE.
pub fn build(c: &Ctx) -> Module {
    let p = c.p;
    let w = &p.widths;
    let f = &p.formats;
    let (lb, kb, sa_bits) = (c.lb, c.kb, c.sa_bits);
    let (aw, mw, bw, prw, pw, kw, actw, sw) = (
        w.acc, w.mult, w.bias, w.prod, w.pre, w.index, w.act, w.store,
    );
    let mut m = Module::clocked("post");
    m.param("BIAS_IMAGE", &quoted("b_0.hex"));
    m.input("sv", 1)
        .input("k", kb as usize)
        .input("gate", 2)
        .input("layer", lb as usize)
        .input("bv", 1)
        .input("blast", 1)
        .input("inr", 1)
        .input("acc", aw as usize)
        // The gate's scale m, read by the top from the mult memory: valid
        // in the cycle the bias memory is addressed (PL0), registered here.
        .input("m0", mw as usize)
        .input("baddr", c.ba_bits as usize)
        .input("saddr", sa_bits as usize);
    let ctl_rec = control(c);
    let res = result(c);
    m.output("ra", sa_bits as usize)
        .output("res", res.width() as usize);
    let mut b = Body::default();
    let ctl0 = ctl_rec.pack(|f| {
        match f {
            "valid" => "sv",
            "step" => "k",
            "last" => "blast",
            other => other,
        }
        .to_string()
    });
    b.line(format!("wire [{}:0] ctl0 = {ctl0};", ctl_rec.width() - 1));
    // Reset, so no valid bit is unknown after reset in a four-state simulator
    // (the data registers need none: nothing reads them without a valid).
    let ctl = pipe(
        &mut b,
        "ctl",
        ctl_rec.width(),
        "ctl0",
        POST_STAGES as usize,
        true,
    );
    b.comment("PL1: operands. The bias memory is read in serial order; m0 is the top's.");
    let bd = p.bias_depth;
    image_memory(&mut b, "bmem", bw, bd, "BIAS_IMAGE", c.deployable);
    b.line(format!("reg [{}:0] b1;", bw - 1));
    b.line(format!("reg [{}:0] a1;", aw - 1));
    b.line(format!("reg [{}:0] m1;", mw - 1));
    b.line("always @(posedge clk) begin");
    b.line("    if (en) begin b1 <= bmem[baddr]; a1 <= acc; m1 <= m0; end");
    b.line("end");

    b.comment("PL2: m * acc.");
    mul_reg(&mut b, "p2", "a1", aw, "m1", mw, prw);
    b.line(format!("reg [{}:0] b2;", bw - 1));
    b.line("always @(posedge clk) begin");
    b.line("    if (en) b2 <= b1;");
    b.line("end");

    b.comment("PL3: + bias (Fp fraction bits).");
    b.line(format!(
        "wire [{}:0] prc = {} + {};",
        pw - 1,
        sx("p2", prw, pw),
        sx("b2", bw, pw)
    ));
    b.line(format!("reg [{}:0] pre3;", pw - 1));
    b.line("always @(posedge clk) begin");
    b.line("    if (en) pre3 <= prc;");
    b.line("end");

    b.comment("PL4: table index = sat(rshift_round(pre, Fp - Fi)); the address is offset binary.");
    let iw = rsr(&mut b, "ir", "pre3", pw, f.pre_frac - f.lut_frac);
    sat(&mut b, "ic", "ir", iw, kw);
    b.line(format!("reg [{}:0] idx4;", kw - 1));
    b.line(format!("reg [{}:0] pre4;", pw - 1));
    b.line("always @(posedge clk) begin");
    b.line("    if (en) begin idx4 <= ic; pre4 <= pre3; end");
    b.line("end");

    b.comment("PL5: the table (sigmoid entries, then tanh entries).");
    let g4 = ctl_rec.get(&ctl.at(4), "gate");
    let tanh_sel = match p.cell {
        CellKind::Lstm => format!("({g4} == 2'd2)"),
        CellKind::Gru => "1'b0".to_string(),
    };
    image_memory(&mut b, "rom", actw, 2usize << kw, &quoted("act.hex"), false);
    b.line(format!("reg [{}:0] lut5;", actw - 1));
    b.line(format!("reg [{}:0] pre5;", pw - 1));
    b.line("always @(posedge clk) begin");
    b.line(format!(
        "    if (en) begin lut5 <= rom[{{{tanh_sel}, ~idx4[{}], idx4[{}:0]}}]; pre5 <= pre4; end",
        kw - 1,
        kw - 2
    ));
    b.line("end");
    // GRU's n_x and n_h (the gate field's high bit set) bypass the table as
    // raw pre-activations; LSTM has none, so its pre5 goes unread.
    let lut_ext = sx("lut5", actw, sw);
    let val = match p.cell {
        CellKind::Lstm => {
            b.line("wire unused_pre5 = ^pre5;");
            lut_ext
        }
        CellKind::Gru => {
            assert!(sw >= pw, "GRU stores hold raw pre-activations");
            // The gate field's bit indexed directly: a bit-select of a
            // part-select is not Verilog-2005 (Icarus rejects it).
            let raw = ctl_rec.bit(&ctl.at(5), "gate", 1);
            format!("({raw} ? {} : {lut_ext})", sx("pre5", pw, sw))
        }
    };
    b.line("always @(*) begin");
    let out = res.pack(|f| match f {
        "val" => val.clone(),
        other => ctl_rec.get(&ctl.at(5), other),
    });
    b.line(format!("    res = {out};"));
    // The element-wise lane reads its state memories two cycles ahead of PL5.
    b.line(format!("    ra = {};", ctl_rec.get(&ctl.at(3), "saddr")));
    b.line("end");
    m.body = b.s;
    m
}

/// The shared table image: sigmoid then tanh entries, F+2 bits each.
pub fn table_image(c: &Ctx) -> String {
    crate::vlog::hex_image(c.p.images().post_table.iter().copied(), c.p.widths.act)
}

/// Lane `lane`'s bias image.
pub fn bias_image(c: &Ctx, lane: usize) -> String {
    crate::vlog::hex_image(c.p.images().biases[lane].iter().copied(), c.p.widths.bias)
}

/// The mult memory's image: gate g of layer l's scale at
/// [`hitnet_arch::Plan::mult_addr`], zero elsewhere.
pub fn mult_image(c: &Ctx) -> String {
    let p = c.p;
    let mut words = vec![0i64; p.mult_depth()];
    for (l, ms) in p.images().mults.iter().enumerate() {
        for (g, &m) in ms.iter().enumerate() {
            words[p.mult_addr(l, g)] = m;
        }
    }
    crate::vlog::hex_image(words.into_iter(), c.p.widths.mult)
}
