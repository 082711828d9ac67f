//! The controller: runs the plan's schedule. Per token: IDLE until an input
//! vector is buffered, then for each layer RUN (one issue per cycle: group,
//! gate segment, column block) and WAIT (the layer's tail), then IDLE.
use super::Ctx;
use crate::hier::Module;
use crate::vlog::{lit, Body};
use hitnet_arch::{LayerPlan, Segment};

pub fn build(c: &Ctx) -> Module {
    let p = c.p;
    let mut m = Module::clocked("ctrl");
    m.input("fill_full", 1);
    m.output("start", 1)
        .output("issue", 1)
        .output("waddr", c.wa_bits as usize)
        .output("zsel", c.zb as usize)
        .output("first", 1)
        .output("last", 1)
        .output("gate", 2)
        .output("layer", c.lb as usize)
        .output("group", c.qb as usize)
        .output("idle_st", 1);

    let (lb, qb, bb, zb, tb, wa_bits) = (c.lb, c.qb, c.bb, c.zb, c.tb, c.wa_bits);
    let nl = p.layers.len();
    let mut b = Body::default();
    let pre = p.layers[0].prefix;
    let ov = p.overlap;
    if ov {
        b.line("localparam [1:0] IDLE = 2'd0, RUN = 2'd1, WAIT = 2'd2, BUB = 2'd3;");
    } else {
        b.line("localparam [1:0] IDLE = 2'd0, RUN = 2'd1, WAIT = 2'd2;");
    }
    b.line("reg [1:0] st;");
    b.line(format!("reg [{}:0] l;", lb - 1));
    b.line(format!("reg [{}:0] q;", qb - 1));
    b.line("reg [1:0] s;");
    b.line(format!("reg [{}:0] bk;", bb - 1));
    b.line(format!("reg [{}:0] wa;", wa_bits - 1));
    b.line(format!("reg [{}:0] tc;", tb - 1));
    if ov {
        b.comment("tt: the last layer's tail still draining (the next token may already run).");
        b.line(format!("reg [{}:0] tt;", tb - 1));
    }
    if pre > 0 {
        b.comment("ph: group 0's prefix phase (every segment's x-only head first).");
        b.line("reg ph;");
    }
    b.comment("zs: the z word of the current issue, kept in a register so the z mux");
    b.comment("is driven straight from a flip-flop (no adder in front of it).");
    b.line(format!("reg [{}:0] zs;", zb - 1));
    b.comment("Per layer and gate: blocks - 1 (the plan's segments).");
    b.line(format!("reg [{}:0] nblk_m1;", bb - 1));
    b.line(format!("reg [{}:0] tail_m1;", tb - 1));
    b.line("always @(*) begin");
    segment_case(&mut b, c, "nblk_m1", bb, |_, _, seg| seg.blocks as i64 - 1);
    b.line("    case (l)");
    for (li, lp) in p.layers.iter().enumerate() {
        b.line(format!(
            "        {}: tail_m1 = {};",
            lit(lb, li as i64),
            lit(tb, lp.tail_cycles as i64 - 1)
        ));
    }
    b.line(format!("        default: tail_m1 = {};", lit(tb, 0)));
    b.line("    endcase");
    b.line("end");
    b.line(format!("reg [{}:0] zf_next_gate;", zb - 1));
    b.line(format!("reg [{}:0] zf_gate0;", zb - 1));
    b.line(format!("reg [{}:0] zf_next_layer;", zb - 1));
    b.line("always @(*) begin");
    segment_case(&mut b, c, "zf_next_gate", zb, |li, lp, seg| {
        let next = lp.segments.get(seg.gate + 1).unwrap_or(&lp.segments[0]);
        (c.zbase(li) + next.block_start) as i64
    });
    b.line("    case (l)");
    for (li, lp) in p.layers.iter().enumerate() {
        let nl_first = p
            .layers
            .get(li + 1)
            .map(|n| c.zbase(li + 1) + n.segments[0].block_start)
            .unwrap_or(0);
        b.line(format!(
            "        {}: begin zf_gate0 = {}; zf_next_layer = {}; end",
            lit(lb, li as i64),
            lit(zb, (c.zbase(li) + lp.segments[0].block_start) as i64),
            lit(zb, nl_first as i64)
        ));
    }
    b.line(format!(
        "        default: begin zf_gate0 = {}; zf_next_layer = {}; end",
        lit(zb, 0),
        lit(zb, 0)
    ));
    b.line("    endcase");
    b.line("end");
    b.line("wire last_blk = bk == nblk_m1;");
    b.line(format!(
        "wire last_q = q == {};",
        lit(qb, p.layers[0].groups as i64 - 1)
    ));
    b.line(format!("wire last_l = l == {};", lit(lb, nl as i64 - 1)));
    b.line("always @(posedge clk) begin");
    b.line("    if (rst) begin");
    b.line(format!(
        "        st <= IDLE; l <= {}; q <= {}; s <= 2'd0; bk <= {}; wa <= {}; tc <= {}; zs <= {};",
        lit(lb, 0),
        lit(qb, 0),
        lit(bb, 0),
        lit(wa_bits, 0),
        lit(tb, 0),
        lit(zb, 0)
    ));
    if ov {
        b.line(format!("        tt <= {};", lit(tb, 0)));
    }
    if pre > 0 {
        b.line("        ph <= 1'b0;");
    }
    b.line("    end else if (en) begin");
    if ov {
        // Before the case, which reloads tt when the last layer ends (the
        // later assignment wins): a short enable, not the end condition.
        b.line(format!(
            "        if (tt != {}) tt <= tt - {};",
            lit(tb, 0),
            lit(tb, 1)
        ));
    }
    b.line("        case (st)");
    let idle_next = if ov && pre == 0 && p.bubble > 0 {
        format!("st <= BUB; tc <= {};", lit(tb, p.bubble as i64 - 1))
    } else {
        "st <= RUN;".to_string()
    };
    let ph0 = if pre > 0 { " ph <= 1'b1;" } else { "" };
    b.line(format!(
        "        IDLE: if (fill_full) begin {idle_next} l <= {}; q <= {}; s <= 2'd0; bk <= {}; wa <= {}; zs <= {};{ph0} end",
        lit(lb, 0),
        lit(qb, 0),
        lit(bb, 0),
        lit(wa_bits, 0),
        lit(zb, p.layers[0].segments[0].block_start as i64)
    ));
    b.line("        RUN: begin");
    b.line(format!("            wa <= wa + {};", lit(wa_bits, 1)));
    let layer_end = if ov {
        "if (last_l) begin st <= IDLE; tt <= tail_m1; end else begin st <= WAIT; tc <= tail_m1; end"
    } else {
        "st <= WAIT; tc <= tail_m1;"
    };
    if pre > 0 {
        // Prefix: blocks 0..pre of each segment; then the bubble, then
        // the main phase of group 0 from block `pre` of segment 0.
        let main0 = lit(zb, (p.layers[0].segments[0].block_start + pre) as i64);
        let bub = if p.bubble > 0 {
            format!(" st <= BUB; tc <= {};", lit(tb, p.bubble as i64 - 1))
        } else {
            String::new()
        };
        b.line("            if (ph) begin");
        b.line(format!(
            "                if (bk == {}) begin",
            lit(bb, pre as i64 - 1)
        ));
        b.line(format!(
            "                    if (s == 2'd{}) begin s <= 2'd0; ph <= 1'b0; bk <= {}; zs <= {main0};{bub} end",
            hitnet_arch::EW_SEGMENT,
            lit(bb, pre as i64)
        ));
        b.line(format!(
            "                    else begin s <= s + 2'd1; bk <= {}; zs <= zf_next_gate; end",
            lit(bb, 0)
        ));
        b.line(format!(
            "                end else begin bk <= bk + {}; zs <= zs + {}; end",
            lit(bb, 1),
            lit(zb, 1)
        ));
        b.line("            end else if (last_blk) begin");
    } else {
        b.line("            if (last_blk) begin");
    }
    if pre > 0 {
        // Group 0's main phase resumes each segment at block `pre`.
        b.line(format!(
            "                bk <= (q == {}) ? {} : {};",
            lit(qb, 0),
            lit(bb, pre as i64),
            lit(bb, 0)
        ));
    } else {
        b.line(format!("                bk <= {};", lit(bb, 0)));
    }
    b.line(format!(
        "                if (s == 2'd{}) begin",
        hitnet_arch::EW_SEGMENT
    ));
    b.line("                    s <= 2'd0;");
    b.line(format!(
        "                    if (last_q) begin q <= {}; {layer_end} end",
        lit(qb, 0)
    ));
    b.line(format!(
        "                    else begin q <= q + {}; zs <= zf_gate0;{} end",
        lit(qb, 1),
        if pre > 0 {
            format!(" bk <= {};", lit(bb, 0))
        } else {
            String::new()
        }
    ));
    if pre > 0 {
        b.line(format!(
            "                end else begin s <= s + 2'd1; zs <= (q == {}) ? zf_next_gate + {} : zf_next_gate; end",
            lit(qb, 0),
            lit(zb, pre as i64)
        ));
    } else {
        b.line("                end else begin s <= s + 2'd1; zs <= zf_next_gate; end");
    }
    b.line(format!(
        "            end else begin bk <= bk + {}; zs <= zs + {}; end",
        lit(bb, 1),
        lit(zb, 1)
    ));
    b.line("        end");
    b.line("        WAIT: begin");
    b.line(format!("            if (tc == {}) begin", lit(tb, 0)));
    b.line(format!(
        "                if (last_l) st <= IDLE; else begin st <= RUN; l <= l + {}; zs <= zf_next_layer; end",
        lit(lb, 1)
    ));
    b.line(format!("            end else tc <= tc - {};", lit(tb, 1)));
    b.line("        end");
    if ov {
        b.line("        BUB: begin");
        b.line(format!(
            "            if (tc == {}) st <= RUN; else tc <= tc - {};",
            lit(tb, 0),
            lit(tb, 1)
        ));
        b.line("        end");
    }
    b.line("        default: st <= IDLE;");
    b.line("        endcase");
    b.line("    end");
    b.line("end");
    b.line("always @(*) begin");
    b.line("    start = en & (st == IDLE) & fill_full;");
    b.line("    issue = st == RUN;");
    b.line("    waddr = wa;");
    b.line("    zsel = zs;");
    b.line(format!("    first = bk == {};", lit(bb, 0)));
    b.line("    last = last_blk;");
    b.line("    gate = s;");
    b.line("    layer = l;");
    b.line("    group = q;");
    if ov {
        b.line(format!(
            "    idle_st = (st == IDLE) & (tt == {});",
            lit(tb, 0)
        ));
    } else {
        b.line("    idle_st = st == IDLE;");
    }
    b.line("end");
    m.body = b.s;
    m
}

/// A `case ({l, s})` that sets `target` (`w` bits) to `value(layer index,
/// layer, segment)` for each segment of each layer, and to 0 otherwise.
fn segment_case(
    b: &mut Body,
    c: &Ctx,
    target: &str,
    w: u32,
    value: impl Fn(usize, &LayerPlan, &Segment) -> i64,
) {
    b.line("    case ({l, s})");
    for (li, lp) in c.p.layers.iter().enumerate() {
        for seg in &lp.segments {
            let key = ((li as u64) << 2) | seg.gate as u64;
            b.line(format!(
                "        {}: {target} = {};",
                lit(c.lb + 2, key as i64),
                lit(w, value(li, lp, seg))
            ));
        }
    }
    b.line(format!("        default: {target} = {};", lit(w, 0)));
    b.line("    endcase");
}
