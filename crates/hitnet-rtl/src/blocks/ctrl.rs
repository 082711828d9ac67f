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
    b.line("localparam [1:0] IDLE = 2'd0, RUN = 2'd1, WAIT = 2'd2;");
    b.line("reg [1:0] st;");
    b.line(format!("reg [{}:0] l;", lb - 1));
    b.line(format!("reg [{}:0] q;", qb - 1));
    b.line("reg [1:0] s;");
    b.line(format!("reg [{}:0] bk;", bb - 1));
    b.line(format!("reg [{}:0] wa;", wa_bits - 1));
    b.line(format!("reg [{}:0] tc;", tb - 1));
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
    b.line("    end else if (en) begin");
    b.line("        case (st)");
    b.line(format!(
        "        IDLE: if (fill_full) begin st <= RUN; l <= {}; q <= {}; s <= 2'd0; bk <= {}; wa <= {}; zs <= {}; end",
        lit(lb, 0),
        lit(qb, 0),
        lit(bb, 0),
        lit(wa_bits, 0),
        lit(zb, p.layers[0].segments[0].block_start as i64)
    ));
    b.line("        RUN: begin");
    b.line(format!("            wa <= wa + {};", lit(wa_bits, 1)));
    b.line("            if (last_blk) begin");
    b.line(format!("                bk <= {};", lit(bb, 0)));
    b.line(format!(
        "                if (s == 2'd{}) begin",
        hitnet_arch::EW_SEGMENT
    ));
    b.line("                    s <= 2'd0;");
    b.line(format!(
        "                    if (last_q) begin q <= {}; st <= WAIT; tc <= tail_m1; end",
        lit(qb, 0)
    ));
    b.line(format!(
        "                    else begin q <= q + {}; zs <= zf_gate0; end",
        lit(qb, 1)
    ));
    b.line("                end else begin s <= s + 2'd1; zs <= zf_next_gate; end");
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
    b.line("    idle_st = st == IDLE;");
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
