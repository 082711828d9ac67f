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
    // kr is 0 whenever the serializer is idle (it wraps to 0 after the last
    // step), so a bank event's first step reads it as is: no mux in front
    // of the bank select (on the UP5K, kr -> that mux -> the bank mux -> the
    // post lane's multiplier was a critical path). The plan never starts a
    // bank event while the steps of the previous one run.
    b.line(format!("wire [{}:0] kc = kr;", kb - 1));
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
            "        else if (act) begin kr <= (kr == {last}) ? {} : kr + {}; act <= kr != {last}; end",
            lit(kb, 0),
            lit(kb, 1),
            last = lit(kb, steps as i64 - 1)
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
    b.line("end");
    // Lane l's sum at step k is bank k * lanes + l. Step 0 reads its bank
    // as the event arrives; the later steps' sums are captured then and
    // shifted one step a cycle, so each lane's multiplier is fed by a
    // flip-flop or by one 2:1 mux, not by a steps:1 mux behind the step
    // counter (on the UP5K that mux and the route to the DSP were a
    // critical path). The banks hold until the next event, which the plan
    // never starts before the last step.
    for lane in 0..p.lanes {
        let bank = |k: usize| format!("bank{}", k * p.lanes + lane);
        if steps == 1 {
            b.line(format!("always @(*) acc{lane} = {};", bank(0)));
            continue;
        }
        let sh = |k: usize| format!("sh{lane}_{k}");
        for k in 1..steps {
            b.line(format!("reg [{}:0] {};", a - 1, sh(k)));
        }
        let load: Vec<String> = (1..steps)
            .map(|k| format!("{} <= {};", sh(k), bank(k)))
            .collect();
        let shift: Vec<String> = (1..steps - 1)
            .map(|k| format!("{} <= {};", sh(k), sh(k + 1)))
            .collect();
        b.line("always @(posedge clk) begin");
        b.line(format!(
            "    if (en & bank_ev) begin {} end",
            load.join(" ")
        ));
        if !shift.is_empty() {
            b.line(format!("    else if (en) begin {} end", shift.join(" ")));
        }
        b.line("end");
        b.line(format!(
            "always @(*) acc{lane} = bank_ev ? {} : {};",
            bank(0),
            sh(1)
        ));
    }
    m.body = b.s;
    m
}
