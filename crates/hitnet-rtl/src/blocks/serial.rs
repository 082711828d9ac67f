//! The serializer: when a segment's `rows` sums land in the output bank it
//! hands them to the `lanes` post lanes, `lanes` per cycle over `steps`
//! cycles, and counts the bias and state addresses in that same order.
use super::Ctx;
use crate::hier::Module;
use crate::vlog::{lit, ubits, zx, Body};

pub fn build(c: &Ctx) -> Module {
    let p = c.p;
    let a = p.widths.acc as usize;
    let (lb, qb, kb) = (c.lb, c.qb, c.kb);
    let steps = p.steps;
    let h = p.layers[0].hidden_size;
    let groups = p.layers[0].groups;
    let mut m = Module::clocked("serial");
    if !p.overlap {
        m.input("start", 1);
    }
    m.input("bank_ev", 1)
        .input("bank_gate", 2)
        .input("bank_layer", lb as usize)
        .input("bank_group", qb as usize);
    for r in 0..p.rows {
        m.input(&format!("bank{r}"), a);
    }
    m.output("sv", 1)
        .output("k", kb as usize)
        .output("gate", 2)
        .output("layer", lb as usize)
        .output("baddr", c.ba_bits as usize)
        .output("saddr", c.sa_bits as usize)
        .output("bv", 1)
        .output("blast", 1);
    for lane in 0..p.lanes {
        m.output(&format!("acc{lane}"), a);
        m.output(&format!("inr{lane}"), 1);
    }
    let mut b = Body::default();
    b.line("reg act;");
    b.line(format!("reg [{}:0] kr;", kb - 1));
    b.line(format!("reg [{}:0] ba;", c.ba_bits - 1));
    b.line(format!("reg [{}:0] sa;", c.sa_bits - 1));
    b.line("wire stepv = bank_ev | act;");
    b.line(format!(
        "wire [{}:0] kc = bank_ev ? {} : kr;",
        kb - 1,
        lit(kb, 0)
    ));
    b.line("always @(posedge clk) begin");
    b.line(format!(
        "    if (rst) begin act <= 1'b0; kr <= {}; end",
        lit(kb, 0)
    ));
    b.line("    else if (en) begin");
    if steps > 1 {
        b.line(format!(
            "        if (bank_ev) begin kr <= {}; act <= 1'b1; end",
            lit(kb, 1)
        ));
        b.line(format!(
            "        else if (act) begin kr <= kr + {}; act <= kr != {}; end",
            lit(kb, 1),
            lit(kb, steps as i64 - 1)
        ));
    } else {
        b.line("        act <= 1'b0;");
    }
    b.line("    end");
    b.line("end");
    b.line("always @(posedge clk) begin");
    b.line(format!(
        "    if (rst) begin ba <= {}; sa <= {}; end",
        lit(c.ba_bits, 0),
        lit(c.sa_bits, 0)
    ));
    if p.overlap {
        // The next token may start while this one's last sums are still
        // being serialized: the counters wrap at the end of a token's
        // addresses instead of restarting with it.
        let wrap = |r: &str, w: u32, depth: usize| {
            format!(
                "{r} <= ({r} == {}) ? {} : {r} + {};",
                lit(w, depth as i64 - 1),
                lit(w, 0),
                lit(w, 1)
            )
        };
        b.line(format!(
            "    else if (en & stepv) begin {} if (bank_gate == 2'd{}) {} end",
            wrap("ba", c.ba_bits, p.bias_depth),
            hitnet_arch::EW_SEGMENT,
            wrap("sa", c.sa_bits, p.state_depth)
        ));
    } else {
        b.line(format!(
            "    else if (en) begin if (start) begin ba <= {}; sa <= {}; end",
            lit(c.ba_bits, 0),
            lit(c.sa_bits, 0)
        ));
        b.line(format!(
            "        else if (stepv) begin ba <= ba + {}; if (bank_gate == 2'd{}) sa <= sa + {}; end",
            lit(c.ba_bits, 1),
            hitnet_arch::EW_SEGMENT,
            lit(c.sa_bits, 1)
        ));
        b.line("    end");
    }
    b.line("end");
    // Unit of lane 0 at this step: j0 = group * rows + k * lanes.
    let jb = ubits((groups * p.rows) as u64);
    b.line(format!(
        "wire [{}:0] j0 = {} * {} + {} * {};",
        jb - 1,
        zx("bank_group", qb, jb),
        lit(jb, p.rows as i64),
        zx("kc", kb, jb),
        lit(jb, p.lanes as i64)
    ));
    b.line("always @(*) begin");
    b.line("    sv = stepv;");
    b.line("    k = kc;");
    b.line("    gate = bank_gate;");
    b.line("    layer = bank_layer;");
    b.line("    baddr = ba;");
    b.line("    saddr = sa;");
    b.line(format!("    bv = j0 < {};", lit(jb, h as i64)));
    b.line(format!(
        "    blast = (bank_group == {}) & (kc == {});",
        lit(qb, groups as i64 - 1),
        lit(kb, p.layers[0].last_beat as i64)
    ));
    for lane in 0..p.lanes {
        b.line(format!(
            "    inr{lane} = j0 < {};",
            lit(jb, h as i64 - lane as i64)
        ));
    }
    b.line("    case (kc)");
    for k in 0..steps {
        let sel: Vec<String> = (0..p.lanes)
            .map(|lane| format!("acc{lane} = bank{};", k * p.lanes + lane))
            .collect();
        b.line(format!(
            "        {}: begin {} end",
            lit(kb, k as i64),
            sel.join(" ")
        ));
    }
    let dflt: Vec<String> = (0..p.lanes)
        .map(|lane| format!("acc{lane} = {};", lit(a as u32, 0)))
        .collect();
    b.line(format!("        default: begin {} end", dflt.join(" ")));
    b.line("    endcase");
    b.line("end");
    m.body = b.s;
    m
}
