//! An element-wise lane: gate stores, cell (or GRU state) memory, LFSR
//! memory and seeds, the cell update, tanh table, the h quantizer, and the
//! output register of its trit (E1..E7, docs/architecture.md).
use super::{readmem, Ctx};
use crate::dynblock::DynBlock;
use crate::leaf::LfsrStep;
use crate::vlog::{lit, mul, rsr, sat, sx, Body};
use hitnet_model::config::{ActMode, CellKind};
use rust_hdl::core::prelude::Block;

pub fn build(c: &Ctx, lane: usize) -> DynBlock {
    let p = c.p;
    let w = &p.widths;
    let f = &p.formats;
    let (lb, kb, sab) = (c.lb, c.kb, c.sab);
    let (actw, sw, kw, cellw, csw) = (w.act, w.store, w.index, w.cell, w.cell_sum);
    let fb = f.frac;
    let bern = p.activation == ActMode::Bernoulli;
    let steps = p.steps;
    let mut m = DynBlock::new();
    m.input("clk", 1)
        .input("en", 1)
        .input("first", 1)
        .input("ra", sab as usize)
        .input("v5", 1)
        .input("g5", 2)
        .input("k5", kb as usize)
        .input("l5", lb as usize)
        .input("bv5", 1)
        .input("last5", 1)
        .input("inr5", 1)
        .input("sa5", sab as usize)
        .input("val5", sw as usize);
    m.output("hn", 2)
        .output("wv", 1)
        .output("wl", lb as usize)
        .output("oh", 2)
        .output("ov", 1)
        .output("ol", lb as usize)
        .output("olast", 1);
    if bern {
        for i in 0..fb {
            let mut st = LfsrStep::default();
            st.connect_all();
            m.child(&format!("step{i}"), Box::new(st));
        }
    }
    let mut b = Body::default();
    let sd = p.state_depth;

    b.comment("Gate stores: the segments before the last one, indexed by serial step.");
    let idx = if steps > 1 { "[k5]" } else { "" };
    for g in 0..3 {
        if steps > 1 {
            b.line(format!("reg [{}:0] st{g} [0:{}];", sw - 1, steps - 1));
        } else {
            b.line(format!("reg [{}:0] st{g};", sw - 1));
        }
    }
    b.line("always @(posedge clk) begin");
    b.line("    if (en & v5) begin");
    for g in 0..3 {
        b.line(format!("        if (g5 == 2'd{g}) st{g}{idx} <= val5;"));
    }
    b.line("    end");
    b.line("end");
    for g in 0..3 {
        b.line(format!("wire [{}:0] s{g} = st{g}{idx};", sw - 1));
    }
    b.line("wire proc5 = v5 & (g5 == 2'd3);");

    b.comment("State memories, read at PL4 (address ra), data at PL5.");
    b.line(format!("reg [{}:0] cmem [0:{}];", cellw - 1, sd - 1));
    b.line(format!("reg [{}:0] c_rd;", cellw - 1));
    b.line("always @(posedge clk) begin");
    b.line("    if (en) c_rd <= cmem[ra];");
    b.line("end");
    b.line(format!(
        "wire [{}:0] c_old = first ? {} : c_rd;",
        cellw - 1,
        lit(cellw, 0)
    ));
    if bern {
        b.line(format!("reg [31:0] lmem [0:{}];", sd - 1));
        b.line(format!("reg [31:0] seeds [0:{}];", sd - 1));
        b.line(readmem("seeds", &format!("seed_{lane}.hex")));
        b.line("reg [31:0] l_rd;");
        b.line("reg [31:0] sd_rd;");
        b.line("always @(posedge clk) begin");
        b.line("    if (en) begin l_rd <= lmem[ra]; sd_rd <= seeds[ra]; end");
        b.line("end");
        b.line("wire [31:0] lf = first ? sd_rd : l_rd;");
        b.comment("F LFSR steps (native rust-hdl LfsrStep); bits out first-is-MSB.");
        b.line("always @(*) begin");
        b.line("    step0$s = lf;");
        for i in 1..fb {
            b.line(format!("    step{i}$s = step{}$s_next;", i - 1));
        }
        b.line("end");
        let bits: Vec<String> = (0..fb).map(|i| format!("step{i}$out_bit")).collect();
        b.line(format!(
            "wire [{}:0] u_draw = {{{}}};",
            fb - 1,
            bits.join(", ")
        ));
        b.line(format!("wire [31:0] lf_new = step{}$s_next;", fb - 1));
        b.line("always @(posedge clk) begin");
        b.line("    if (en & proc5) lmem[sa5] <= lf_new;");
        b.line("end");
    }

    // Control of the element-wise pipeline: valid beat flags and addresses.
    let cw = 1 + lb + 3 + sab;
    b.line(format!(
        "wire [{}:0] e0 = {{proc5, l5, bv5, last5, inr5, sa5}};",
        cw - 1
    ));
    for s in 1..=6 {
        b.line(format!("reg [{}:0] e{s};", cw - 1));
    }
    b.line("always @(posedge clk) begin");
    b.line("    if (en) begin e1 <= e0; e2 <= e1; e3 <= e2; e4 <= e3; e5 <= e4; e6 <= e5; end");
    b.line("end");
    let ubw = if bern { fb } else { 1 };
    for s in 1..=6 {
        b.line(format!("reg [{}:0] u{s};", ubw - 1));
    }
    b.line("always @(posedge clk) begin");
    let u0 = if bern {
        "u_draw".to_string()
    } else {
        "1'b0".to_string()
    };
    b.line(format!(
        "    if (en) begin u1 <= {u0}; u2 <= u1; u3 <= u2; u4 <= u3; u5 <= u4; u6 <= u5; end"
    ));
    b.line("end");
    let sa_of = |s: usize| format!("e{s}[{}:0]", sab - 1);
    let proc_of = |s: usize| format!("e{s}[{}]", cw - 1);

    let hpw = w.h_pre;
    match p.cell {
        CellKind::Lstm => {
            b.comment("E1: f * c and i * g.");
            b.line(format!("wire [{}:0] gi = s0[{}:0];", actw - 1, actw - 1));
            b.line(format!("wire [{}:0] gf = s1[{}:0];", actw - 1, actw - 1));
            b.line(format!("wire [{}:0] gg = s2[{}:0];", actw - 1, actw - 1));
            b.line(format!("wire [{}:0] go = val5[{}:0];", actw - 1, actw - 1));
            if sw > actw {
                b.line(format!(
                    "wire unused_st = ^{{s0[{}:{actw}], s1[{}:{actw}], s2[{}:{actw}], val5[{}:{actw}]}};",
                    sw - 1,
                    sw - 1,
                    sw - 1,
                    sw - 1
                ));
            }
            mul(&mut b, "fc", "gf", actw, "c_old", cellw, csw);
            mul(&mut b, "ig", "gi", actw, "gg", actw, csw);
            b.line(format!("reg [{}:0] fc1, ig1;", csw - 1));
            b.line(format!("reg [{}:0] o1, o2, o3, o4;", actw - 1));
            b.line("always @(posedge clk) begin");
            b.line("    if (en) begin fc1 <= fc; ig1 <= ig; o1 <= go; o2 <= o1; o3 <= o2; o4 <= o3; end");
            b.line("end");
            b.comment("E2: c' = sat(rshift_round(f c + i g, F)).");
            b.line(format!("wire [{}:0] csum = fc1 + ig1;", csw - 1));
            let rw = rsr(&mut b, "cr", "csum", csw, fb);
            sat(&mut b, "cn", "cr", rw, cellw);
            b.line(format!("reg [{}:0] c2;", cellw - 1));
            b.line("always @(posedge clk) begin");
            b.line("    if (en) c2 <= cn;");
            b.line("end");
            b.line("always @(posedge clk) begin");
            b.line(format!(
                "    if (en & {}) cmem[{}] <= c2;",
                proc_of(2),
                sa_of(2)
            ));
            b.line("end");
            b.comment("E3: tanh index of c'.");
            if fb >= f.lut_frac {
                let iw = rsr(&mut b, "ti", "c2", cellw, fb - f.lut_frac);
                sat(&mut b, "tic", "ti", iw, kw);
            } else {
                let sh = f.lut_frac - fb;
                b.line(format!("wire [{}:0] ti = {{c2, {sh}'d0}};", cellw + sh - 1));
                sat(&mut b, "tic", "ti", cellw + sh, kw);
            }
            b.line(format!("reg [{}:0] idx3;", kw - 1));
            b.line("always @(posedge clk) begin");
            b.line("    if (en) idx3 <= tic;");
            b.line("end");
            tanh_rom(&mut b, actw, kw);
            b.comment("E5: o * tanh(c').");
            let pw = 2 * actw;
            mul(&mut b, "hprod", "o4", actw, "t4", actw, pw);
            b.line(format!("reg [{}:0] hp5;", pw - 1));
            b.line("always @(posedge clk) begin");
            b.line("    if (en) hp5 <= hprod;");
            b.line("end");
            b.comment("E6: h_pre = rshift_round(o tanh(c'), F), in [-2^F, 2^F].");
            let hw = rsr(&mut b, "hr", "hp5", pw, fb);
            b.line(format!("reg [{}:0] hp6;", hpw - 1));
            b.line("always @(posedge clk) begin");
            b.line(format!("    if (en) hp6 <= hr[{}:0];", hpw - 1));
            b.line("end");
            if hw > hpw {
                b.line(format!("wire unused_hr = ^hr[{}:{hpw}];", hw - 1));
            }
        }
        CellKind::Gru => {
            let pw = w.pre;
            let rpw = w.gru_rprod;
            let gsw = w.gru_sum;
            let dw = w.gru_diff;
            b.comment("E1: r * n_h.");
            b.line(format!("wire [{}:0] gr = s0[{}:0];", actw - 1, actw - 1));
            b.line(format!("wire [{}:0] gu = s1[{}:0];", actw - 1, actw - 1));
            b.line(format!("wire [{}:0] nx = s2[{}:0];", pw - 1, pw - 1));
            b.line(format!("wire [{}:0] nh = val5[{}:0];", pw - 1, pw - 1));
            let mut sink = Vec::new();
            if sw > actw {
                sink.push(format!("s0[{}:{actw}], s1[{}:{actw}]", sw - 1, sw - 1));
            }
            if sw > pw {
                sink.push(format!("s2[{}:{pw}], val5[{}:{pw}]", sw - 1, sw - 1));
            }
            if !sink.is_empty() {
                b.line(format!("wire unused_st = ^{{{}}};", sink.join(", ")));
            }
            mul(&mut b, "rp", "gr", actw, "nh", pw, rpw);
            b.line(format!("reg [{}:0] rp1;", rpw - 1));
            b.line(format!("reg [{}:0] nx1;", pw - 1));
            b.line(format!("reg [{}:0] u1g, u2g, u3g, u4g;", actw - 1));
            b.line(format!("reg [{}:0] so1, so2, so3, so4;", cellw - 1));
            b.line("always @(posedge clk) begin");
            b.line("    if (en) begin rp1 <= rp; nx1 <= nx; u1g <= gu; u2g <= u1g; u3g <= u2g; u4g <= u3g;");
            b.line("        so1 <= c_old; so2 <= so1; so3 <= so2; so4 <= so3; end");
            b.line("end");
            b.comment("E2: n_x + rshift_round(r n_h, F).");
            let rw = rsr(&mut b, "rs", "rp1", rpw, fb);
            let ew = gsw.max(rw).max(pw);
            b.line(format!(
                "wire [{}:0] nsum = {} + {};",
                ew - 1,
                sx("nx1", pw, ew),
                sx("rs", rw, ew)
            ));
            b.line(format!("reg [{}:0] ns2;", ew - 1));
            b.line("always @(posedge clk) begin");
            b.line("    if (en) ns2 <= nsum;");
            b.line("end");
            b.comment("E3: tanh index.");
            let iw = rsr(&mut b, "ni", "ns2", ew, f.pre_frac - f.lut_frac);
            sat(&mut b, "nic", "ni", iw, kw);
            b.line(format!("reg [{}:0] idx3;", kw - 1));
            b.line("always @(posedge clk) begin");
            b.line("    if (en) idx3 <= nic;");
            b.line("end");
            tanh_rom(&mut b, actw, kw);
            b.comment("E5: u * (s - n).");
            b.line(format!(
                "wire [{}:0] dif = {} - {};",
                dw - 1,
                sx("so4", cellw, dw),
                sx("t4", actw, dw)
            ));
            mul(&mut b, "up", "u4g", actw, "dif", dw, csw);
            b.line(format!("reg [{}:0] up5;", csw - 1));
            b.line(format!("reg [{}:0] n5;", actw - 1));
            b.line("always @(posedge clk) begin");
            b.line("    if (en) begin up5 <= up; n5 <= t4; end");
            b.line("end");
            b.comment("E6: s' = n + rshift_round(u (s - n), F), in [-2^F, 2^F].");
            let uw = rsr(&mut b, "us", "up5", csw, fb);
            let sw2 = uw.max(actw) + 1;
            b.line(format!(
                "wire [{}:0] snew = {} + {};",
                sw2 - 1,
                sx("n5", actw, sw2),
                sx("us", uw, sw2)
            ));
            b.line(format!("reg [{}:0] hp6;", hpw - 1));
            b.line("always @(posedge clk) begin");
            b.line(format!("    if (en) hp6 <= snew[{}:0];", hpw - 1));
            b.line("end");
            b.line(format!("wire unused_snew = ^snew[{}:{hpw}];", sw2 - 1));
            b.line("always @(posedge clk) begin");
            b.line(format!(
                "    if (en & {}) cmem[{}] <= {};",
                proc_of(6),
                sa_of(6),
                sx("hp6", hpw, cellw)
            ));
            b.line("end");
        }
    }

    b.comment("E7: the quantizer and the output register.");
    b.line(format!("wire hneg = hp6[{}];", hpw - 1));
    b.line(format!(
        "wire [{}:0] hmag = hneg ? ({} - hp6) : hp6;",
        hpw - 1,
        lit(hpw, 0)
    ));
    if bern {
        b.comment("BTQ: h = sign(h_pre) when u < |h_pre|.");
        b.line(format!(
            "wire hnz = {} < hmag;",
            crate::vlog::zx("u6", fb, hpw)
        ));
    } else {
        b.comment("Threshold: h = sign(h_pre) when |h_pre| > T.");
        b.line(format!("wire hnz = hmag > {};", lit(hpw, f.act_threshold)));
        b.line("wire unused_u = ^u6;");
    }
    // e6 fields: proc, layer, bv, last, inr, sa
    let lhi = cw - 2;
    let llo = cw - 1 - lb;
    let bv = sab + 2;
    let last = sab + 1;
    let inr = sab;
    b.line(format!(
        "wire [1:0] hq = (hnz & e6[{inr}]) ? (hneg ? 2'b11 : 2'b01) : 2'b00;"
    ));
    b.line(format!("wire bvalid = e6[{}] & e6[{bv}];", cw - 1));
    b.line("always @(*) begin");
    b.line("    hn = hq;");
    b.line("    wv = bvalid;");
    b.line(format!("    wl = e6[{lhi}:{llo}];"));
    b.line("end");
    b.line("reg [1:0] oh_r;");
    b.line("reg ov_r;");
    b.line("reg olast_r;");
    b.line(format!("reg [{}:0] ol_r;", lb - 1));
    b.line("always @(posedge clk) begin");
    b.line(format!(
        "    if (en) begin oh_r <= hq; ov_r <= bvalid; olast_r <= e6[{last}]; ol_r <= e6[{lhi}:{llo}]; end"
    ));
    b.line("end");
    b.line("always @(*) begin oh = oh_r; ov = ov_r; olast = olast_r; ol = ol_r; end");
    // Unused control bits in stages whose addresses are not needed.
    let mut sinks = vec![];
    match p.cell {
        CellKind::Lstm => sinks.push(format!("e6[{}:0]", sab - 1)),
        CellKind::Gru => {}
    }
    if !sinks.is_empty() {
        b.line(format!("wire unused_e = ^{{{}}};", sinks.join(", ")));
    }
    if steps == 1 {
        b.line("wire unused_k = ^k5;");
    }
    m.body = b.s;
    m
}

/// E4: the element-wise tanh table (synchronous read).
fn tanh_rom(b: &mut Body, actw: u32, kw: u32) {
    b.comment("E4: tanh table.");
    b.line(format!(
        "reg [{}:0] trom [0:{}];",
        actw - 1,
        (1usize << kw) - 1
    ));
    b.line(readmem("trom", "tanh.hex"));
    b.line(format!("reg [{}:0] t4;", actw - 1));
    b.line("always @(posedge clk) begin");
    b.line(format!(
        "    if (en) t4 <= trom[{{~idx3[{}], idx3[{}:0]}}];",
        kw - 1,
        kw - 2
    ));
    b.line("end");
}

pub fn tanh_image(c: &Ctx) -> String {
    crate::vlog::hex_image(c.p.images().tanh_table.iter().copied(), c.p.widths.act)
}

pub fn seed_image(c: &Ctx, lane: usize) -> String {
    crate::vlog::hex_image(c.p.images().seeds[lane].iter().map(|&s| s as i64), 32)
}
