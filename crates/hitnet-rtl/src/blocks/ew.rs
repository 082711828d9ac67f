//! An element-wise lane: gate stores, cell (or GRU state) memory, LFSR
//! memory (states and seeds), the cell update, tanh table, the h quantizer, and the
//! output register of its beat (E1..E8, Q, O: docs/architecture.md).
use super::{image_memory, quoted, Ctx};
use crate::hier::{Leaf, Module};
use crate::leaf::LfsrStep;
use crate::vlog::{lit, mul_reg, rsr, sat, sx, Body, Record};
use hitnet_arch::EW_SEGMENT;
use hitnet_model::config::{ActMode, CellKind};

// The lane below is E1..E8, the quantizer and its output register, each
// stage a fixed piece of the cell update (E3 writes c' back while the next
// unit's read is in flight), so a different EW_STAGES needs a different
// lane: refused here rather than silently mistimed.
const _: () = assert!(
    hitnet_arch::EW_STAGES == 10,
    "hitnet_arch::EW_STAGES changed: blocks/ew.rs implements 10 stages (E1..E8, the quantizer, its output register)"
);

/// One module for every lane; a lane's LFSR memory image (seeds) is its LFSR_IMAGE.
pub fn build(c: &Ctx) -> Module {
    let p = c.p;
    let w = &p.widths;
    let f = &p.formats;
    let (lb, sa_bits) = (c.lb, c.sa_bits);
    let (actw, sw, kw, cellw, csw) = (w.act, w.store, w.index, w.cell, w.cell_sum);
    let fb = f.frac;
    let bern = p.activation == ActMode::Bernoulli;
    let steps = p.steps;
    let mut m = Module::clocked("ew");
    if bern {
        m.param("LFSR_IMAGE", &quoted("lfsr_0.hex"));
    }
    m.input("first", 1)
        .input("ra", sa_bits as usize)
        .input("res", super::post::result(c).width() as usize);
    // The quantizer's beat, registered (the last stage), written by the top
    // into the output FIFO and the h buffer at the end of the cycle.
    m.output("hn", 2)
        .output("wv", 1)
        .output("wl", lb as usize)
        .output("wlast", 1);
    if bern {
        // F LFSR steps (native rust-hdl LfsrStep), chained from lf1.
        let step = Leaf::new("lfsr_step", LfsrStep::default());
        for i in 0..fb {
            let from = if i == 0 {
                "lf1".to_string()
            } else {
                format!("step{}_s_next", i - 1)
            };
            m.inst(&format!("step{i}"), step.clone()).to("s", from);
        }
    }
    let mut b = Body::default();
    let sd = p.state_depth;
    b.comment("The post lane's result, by field.");
    super::post::result(c).unpack(&mut b, "res", "r_");

    b.comment("Gate stores: the segments before the last one, indexed by serial step.");
    let idx = if steps > 1 { "[r_step]" } else { "" };
    for g in 0..EW_SEGMENT {
        if steps > 1 {
            b.line(format!("reg [{}:0] st{g} [0:{}];", sw - 1, steps - 1));
        } else {
            b.line(format!("reg [{}:0] st{g};", sw - 1));
        }
    }
    b.line("always @(posedge clk) begin");
    b.line("    if (en & r_valid) begin");
    for g in 0..EW_SEGMENT {
        b.line(format!(
            "        if (r_gate == 2'd{g}) st{g}{idx} <= r_val;"
        ));
    }
    b.line("    end");
    b.line("end");
    for g in 0..EW_SEGMENT {
        b.line(format!("wire [{}:0] s{g} = st{g}{idx};", sw - 1));
    }
    b.line(format!(
        "wire r_proc = r_valid & (r_gate == 2'd{EW_SEGMENT});"
    ));

    b.comment("State memories: read at PL3 (address ra), then registered again, so the");
    b.comment("E1 multiplier starts from a flip-flop, not from a block-RAM output.");
    b.line(format!("reg [{}:0] cmem [0:{}];", cellw - 1, sd - 1));
    b.line(format!("reg [{}:0] c_rd;", cellw - 1));
    b.line(format!("reg [{}:0] c_old;", cellw - 1));
    b.comment("`first` is the sequence start as of the cycle after the read (the read");
    b.comment("address of the LFSR memory needs it); fr is it in the cycle of c_rd.");
    b.line("reg fr;");
    b.line("always @(posedge clk) begin");
    b.line(format!(
        "    if (en) begin c_rd <= cmem[ra]; fr <= first; c_old <= fr ? {} : c_rd; end",
        lit(cellw, 0)
    ));
    b.line("end");
    if bern {
        b.comment("LFSR memory: the running states, then (the upper half) the seeds, read");
        b.comment("through the same port at a sequence start: no seeds ROM in logic, and a");
        b.comment("deployed model's seeds are memory contents (Plan::seed_addr).");
        image_memory(&mut b, "lmem", 32, p.lfsr_depth(), "LFSR_IMAGE", true);
        b.line("reg [31:0] l_rd;");
        b.line("reg [31:0] lf0;");
        b.line("always @(posedge clk) begin");
        b.line("    if (en) begin l_rd <= lmem[{first, ra}]; lf0 <= l_rd; end");
        b.line("end");
        b.comment("E1 registers the unit's LFSR state (seed at a sequence start); the draw");
        b.comment("is made from that register in E2, off the memory's critical path.");
        b.line("reg [31:0] lf1;");
        b.line("always @(posedge clk) begin");
        b.line("    if (en) lf1 <= lf0;");
        b.line("end");
        b.comment("The F LFSR steps' bits out, first-is-MSB.");
        let bits: Vec<String> = (0..fb).map(|i| format!("step{i}_out_bit")).collect();
        b.line(format!(
            "wire [{}:0] u_draw = {{{}}};",
            fb - 1,
            bits.join(", ")
        ));
        b.line(format!("wire [31:0] lf_new = step{}_s_next;", fb - 1));
    }

    // Control of the element-wise pipeline: valid beat flags and addresses,
    // and the LFSR draw, registered alongside the data through E1..E7.
    // E1..E8 carry the control; the quantizer follows E8 in the same
    // stage, then the output register.
    let last_stage = (hitnet_arch::EW_STAGES - 2) as usize;
    let ctl = Record::new(&[
        ("proc", 1),
        ("layer", lb),
        ("bv", 1),
        ("last", 1),
        ("inr", 1),
        ("saddr", sa_bits),
    ]);
    let cw = ctl.width();
    b.line(format!(
        "wire [{}:0] e0 = {};",
        cw - 1,
        ctl.pack(|f| format!("r_{f}"))
    ));
    let ubw = if bern { fb } else { 1 };
    for s in 1..=last_stage {
        b.line(format!("reg [{}:0] e{s};", cw - 1));
        if s >= 2 {
            b.line(format!("reg [{}:0] u{s};", ubw - 1));
        }
    }
    let u0 = if bern {
        "u_draw".to_string()
    } else {
        "1'b0".to_string()
    };
    // The draw enters at E2 (from the E1 LFSR register).
    let chain: Vec<String> = (1..=last_stage)
        .map(|s| match s {
            1 => "e1 <= e0;".to_string(),
            2 => format!("e2 <= e1; u2 <= {u0};"),
            _ => format!("e{s} <= e{}; u{s} <= u{};", s - 1, s - 1),
        })
        .collect();
    // The control (not the draws) is reset, so no valid bit is unknown after
    // reset in a four-state simulator.
    let clear: Vec<String> = (1..=last_stage)
        .map(|s| format!("e{s} <= {cw}'d0;"))
        .collect();
    b.line("always @(posedge clk) begin");
    b.line(format!("    if (rst) begin {} end", clear.join(" ")));
    b.line(format!("    else if (en) begin {} end", chain.join(" ")));
    b.line("end");
    let sa_of = |s: usize| ctl.get(&format!("e{s}"), "saddr");
    let proc_of = |s: usize| ctl.get(&format!("e{s}"), "proc");
    if bern {
        b.line("always @(posedge clk) begin");
        b.line(format!(
            "    if (en & {}) lmem[{{1'b0, {}}}] <= lf_new;",
            proc_of(1),
            sa_of(1)
        ));
        b.line("end");
    }
    // One register stage: `reg [w-1:0] name; always ... name <= expr;`
    let stage = |b: &mut Body, name: &str, w: u32, expr: &str| {
        b.line(format!("reg [{}:0] {name};", w - 1));
        b.line(format!(
            "always @(posedge clk) begin if (en) {name} <= {expr}; end"
        ));
    };
    // Delays a value through stages `from..=to` (names base{from}..base{to}).
    let carry = |b: &mut Body, base: &str, w: u32, src: &str, from: usize, to: usize| {
        for s in from..=to {
            let prev = if s == from {
                src.to_string()
            } else {
                format!("{base}{}", s - 1)
            };
            b.line(format!("reg [{}:0] {base}{s};", w - 1));
            b.line(format!(
                "always @(posedge clk) begin if (en) {base}{s} <= {prev}; end"
            ));
        }
    };

    // Every stage below holds at most one carry chain (the BRIEF's lesson,
    // and what closes timing on iCE40): rounding constants are folded into
    // an operand's free low bits where that is exact.
    let hpw = w.h_pre;
    let hp_stage = last_stage; // h_pre is in this stage; the quantizer follows
    match p.cell {
        CellKind::Lstm => {
            b.comment("E1: f * c and i * g.");
            b.line(format!("wire [{}:0] gi = s0[{}:0];", actw - 1, actw - 1));
            b.line(format!("wire [{}:0] gf = s1[{}:0];", actw - 1, actw - 1));
            b.line(format!("wire [{}:0] gg = s2[{}:0];", actw - 1, actw - 1));
            b.line(format!("wire [{}:0] go = r_val[{}:0];", actw - 1, actw - 1));
            if sw > actw {
                b.line(format!(
                    "wire unused_st = ^{{s0[{}:{actw}], s1[{}:{actw}], s2[{}:{actw}], r_val[{}:{actw}]}};",
                    sw - 1,
                    sw - 1,
                    sw - 1,
                    sw - 1
                ));
            }
            mul_reg(&mut b, "fc1", "gf", actw, "c_old", cellw, csw);
            mul_reg(&mut b, "ig1", "gi", actw, "gg", actw, csw);
            carry(&mut b, "o", actw, "go", 1, 6);
            b.comment("E2: f c + i g.");
            stage(&mut b, "cs2", csw, "fc1 + ig1");
            b.comment("E3: c' = sat(rshift_round(f c + i g, F)); written back to the cell memory.");
            let rw = rsr(&mut b, "cr", "cs2", csw, fb);
            sat(&mut b, "cn", "cr", rw, cellw);
            stage(&mut b, "c3", cellw, "cn");
            b.line("always @(posedge clk) begin");
            b.line(format!(
                "    if (en & {}) cmem[{}] <= c3;",
                proc_of(3),
                sa_of(3)
            ));
            b.line("end");
            b.comment("E4: tanh index of c'.");
            if fb >= f.lut_frac {
                let iw = rsr(&mut b, "ti", "c3", cellw, fb - f.lut_frac);
                sat(&mut b, "tic", "ti", iw, kw);
            } else {
                let sh = f.lut_frac - fb;
                b.line(format!("wire [{}:0] ti = {{c3, {sh}'d0}};", cellw + sh - 1));
                sat(&mut b, "tic", "ti", cellw + sh, kw);
            }
            stage(&mut b, "idx4", kw, "tic");
            b.comment("E5: tanh table; E6 registers its output for the multiplier.");
            tanh_rom(&mut b, actw, kw, "idx4", "t5");
            stage(&mut b, "t6", actw, "t5");
            b.comment("E7: o * tanh(c').");
            let pw = 2 * actw;
            mul_reg(&mut b, "hp7", "o6", actw, "t6", actw, pw);
            b.comment("E8: h_pre = rshift_round(o tanh(c'), F), in [-2^F, 2^F].");
            let hw = rsr(&mut b, "hr", "hp7", pw, fb);
            stage(
                &mut b,
                &format!("hp{hp_stage}"),
                hpw,
                &format!("hr[{}:0]", hpw - 1),
            );
            if hw > hpw {
                // `rsr` already declared `unused_hr` for the rounding bits.
                b.line(format!("wire unused_hr_hi = ^hr[{}:{hpw}];", hw - 1));
            }
        }
        CellKind::Gru => {
            let pw = w.pre;
            let rpw = w.gru_rprod;
            let dw = w.gru_diff;
            b.comment("E1: r * n_h.");
            b.line(format!("wire [{}:0] gr = s0[{}:0];", actw - 1, actw - 1));
            b.line(format!("wire [{}:0] gu = s1[{}:0];", actw - 1, actw - 1));
            b.line(format!("wire [{}:0] nx = s2[{}:0];", pw - 1, pw - 1));
            b.line(format!("wire [{}:0] nh = r_val[{}:0];", pw - 1, pw - 1));
            let mut sink = Vec::new();
            if sw > actw {
                sink.push(format!("s0[{}:{actw}], s1[{}:{actw}]", sw - 1, sw - 1));
            }
            if sw > pw {
                sink.push(format!("s2[{}:{pw}], r_val[{}:{pw}]", sw - 1, sw - 1));
            }
            if !sink.is_empty() {
                b.line(format!("wire unused_st = ^{{{}}};", sink.join(", ")));
            }
            mul_reg(&mut b, "rp1", "gr", actw, "nh", pw, rpw);
            stage(&mut b, "nx1", pw, "nx");
            carry(&mut b, "ug", actw, "gu", 1, 6);
            carry(&mut b, "so", cellw, "c_old", 1, 5);
            b.comment(
                "E2: n_x + rshift_round(r n_h, F) = (r n_h + n_x 2^F + 2^(F-1)) >> F, one adder.",
            );
            let aw = add_round_shifted(&mut b, "nsum", "rp1", rpw, "nx1", pw, fb);
            b.line(format!("wire unused_nsum = ^nsum[{}:0];", fb - 1));
            let nw = aw - fb;
            stage(&mut b, "ns2", nw, &format!("nsum[{}:{fb}]", aw - 1));
            b.comment("E3: tanh index.");
            let iw = rsr(&mut b, "ni", "ns2", nw, f.pre_frac - f.lut_frac);
            sat(&mut b, "nic", "ni", iw, kw);
            stage(&mut b, "idx3", kw, "nic");
            b.comment("E4: tanh table; E5 registers its output.");
            tanh_rom(&mut b, actw, kw, "idx3", "n4");
            stage(&mut b, "n5", actw, "n4");
            b.comment("E6: s - n.");
            stage(
                &mut b,
                "dif6",
                dw,
                &format!("{} - {}", sx("so5", cellw, dw), sx("n5", actw, dw)),
            );
            carry(&mut b, "n", actw, "n5", 6, 7);
            b.comment("E7: u * (s - n).");
            mul_reg(&mut b, "up7", "ug6", actw, "dif6", dw, csw);
            b.comment("E8: s' = n + rshift_round(u (s - n), F) = (u (s - n) + n 2^F + 2^(F-1)) >> F, one adder.");
            let sw7 = add_round_shifted(&mut b, "ssum", "up7", csw, "n7", actw, fb);
            b.line(format!(
                "wire unused_ssum = ^{{ssum[{}:{}], ssum[{}:0]}};",
                sw7 - 1,
                fb + hpw,
                fb - 1
            ));
            stage(
                &mut b,
                &format!("hp{hp_stage}"),
                hpw,
                &format!("ssum[{}:{fb}]", fb + hpw - 1),
            );
            b.line("always @(posedge clk) begin");
            b.line(format!(
                "    if (en & {}) cmem[{}] <= {};",
                proc_of(hp_stage),
                sa_of(hp_stage),
                sx(&format!("hp{hp_stage}"), hpw, cellw)
            ));
            b.line("end");
        }
    }

    b.comment("The last stage: the quantizer (one add or subtract).");
    let qw = hpw + 1;
    let hpq = format!("hp{hp_stage}");
    b.line(format!("wire hneg = {hpq}[{}];", hpw - 1));
    b.line(format!("wire [{}:0] hpx = {};", qw - 1, sx(&hpq, hpw, qw)));
    // One adder for both signs: a - h_pre is a + ~h_pre + 1, so the sign
    // selects an XOR mask and the carry in, not one of two sums (a carry
    // chain and a mux less in the lane's longest stage).
    b.line(format!("wire [{}:0] hm = {{{qw}{{~hneg}}}};", qw - 1));
    if bern {
        b.comment("BTQ: h = sign(h_pre) when u < |h_pre|, i.e. when u - h_pre (u + h_pre if negative) < 0.");
        b.line(format!(
            "wire [{}:0] ux = {};",
            qw - 1,
            crate::vlog::zx(&format!("u{last_stage}"), fb, qw)
        ));
        b.line(format!(
            "wire [{}:0] qt = ux + (hpx ^ hm) + {{{}'d0, ~hneg}};",
            qw - 1,
            qw - 1
        ));
    } else {
        b.comment("Threshold: h = sign(h_pre) when |h_pre| > T, i.e. when T - h_pre (T + h_pre if negative) < 0.");
        b.line(format!(
            "wire [{}:0] tx = {};",
            qw - 1,
            lit(qw, f.act_threshold)
        ));
        b.line(format!(
            "wire [{}:0] qt = tx + (hpx ^ hm) + {{{}'d0, ~hneg}};",
            qw - 1,
            qw - 1
        ));
        b.line(format!("wire unused_u = ^u{last_stage};"));
    }
    b.line(format!("wire hnz = qt[{}];", qw - 1));
    b.line(format!("wire unused_qt = ^qt[{}:0];", qw - 2));
    let e = format!("e{last_stage}");
    b.line(format!(
        "wire [1:0] hq = (hnz & {}) ? (hneg ? 2'b11 : 2'b01) : 2'b00;",
        ctl.get(&e, "inr")
    ));
    b.line(format!(
        "wire bvalid = {} & {};",
        ctl.get(&e, "proc"),
        ctl.get(&e, "bv")
    ));
    b.comment("The output register: the beat leaves the lane from flip-flops.");
    b.line("reg [1:0] hn_q;");
    b.line("reg wv_q;");
    b.line(format!("reg [{}:0] wl_q;", lb - 1));
    b.line("reg wlast_q;");
    b.line("always @(posedge clk) begin");
    b.line("    if (rst) wv_q <= 1'b0;");
    b.line("    else if (en) wv_q <= bvalid;");
    b.line(format!(
        "    if (en) begin hn_q <= hq; wl_q <= {}; wlast_q <= {}; end",
        ctl.get(&e, "layer"),
        ctl.get(&e, "last")
    ));
    b.line("end");
    b.line("always @(*) begin");
    b.line("    hn = hn_q;");
    b.line("    wv = wv_q;");
    b.line("    wl = wl_q;");
    b.line("    wlast = wlast_q;");
    b.line("end");
    // Unused control bits in stages whose addresses are not needed.
    if p.cell == CellKind::Lstm {
        // The cell memory is written at E3; later stages carry no address.
        b.line(format!("wire unused_e = ^{{{}}};", sa_of(last_stage)));
    }
    if steps == 1 {
        b.line("wire unused_k = ^r_step;");
    }
    m.body = b.s;
    m
}

/// `out = a + {x, 1, 0 (F - 1 bits)}` = a + x 2^F + 2^(F-1), whose bits
/// from F up are x + rshift_round(a, F): one adder. `a` is `aw` bits, `x`
/// `xw`; the shifted x is the wire `{x}s`. Returns the width of `out`.
fn add_round_shifted(b: &mut Body, out: &str, a: &str, aw: u32, x: &str, xw: u32, fb: u32) -> u32 {
    let w = aw.max(xw + fb) + 1;
    b.line(format!(
        "wire [{}:0] {x}s = {{{x}, 1'b1, {}'d0}};",
        xw + fb - 1,
        fb - 1
    ));
    b.line(format!(
        "wire [{}:0] {out} = {} + {};",
        w - 1,
        sx(a, aw, w),
        sx(&format!("{x}s"), xw + fb, w)
    ));
    w
}

/// The element-wise tanh table: `out <= tanh[idx]`.
fn tanh_rom(b: &mut Body, actw: u32, kw: u32, idx: &str, out: &str) {
    b.comment("tanh table (synchronous read).");
    image_memory(b, "trom", actw, 1usize << kw, &quoted("tanh.hex"), false);
    b.line(format!("reg [{}:0] {out};", actw - 1));
    b.line("always @(posedge clk) begin");
    b.line(format!(
        "    if (en) {out} <= trom[{{~{idx}[{}], {idx}[{}:0]}}];",
        kw - 1,
        kw - 2
    ));
    b.line("end");
}

pub fn tanh_image(c: &Ctx) -> String {
    crate::vlog::hex_image(c.p.images().tanh_table.iter().copied(), c.p.widths.act)
}

/// Lane `lane`'s LFSR memory image: zero states, then the seeds at
/// [`hitnet_arch::Plan::seed_addr`].
pub fn lfsr_image(c: &Ctx, lane: usize) -> String {
    let p = c.p;
    let mut words = vec![0i64; p.lfsr_depth()];
    for (a, &s) in p.images().seeds[lane].iter().enumerate() {
        words[p.seed_addr(a)] = s as i64;
    }
    crate::vlog::hex_image(words.into_iter(), 32)
}
