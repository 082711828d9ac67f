//! hitnet_top: the blocks wired together, the control delay line from issue
//! to accumulator, the output-bank event, and the output FIFO whose fill
//! level (through a register) enables the whole pipeline.
use super::{ctrl, ew, inbuf, post, quoted, row, serial, wbank, zbuf, Ctx};
use crate::hier::Module;
use crate::vlog::{pipe, Body, Record};

pub fn build(c: &Ctx) -> Module {
    let p = c.p;
    let (lb, qb) = (c.lb, c.qb);
    let mut m = Module::new("top");
    // The manifest's port list, inputs first.
    let ports = crate::ports(p);
    for port in ports.iter().filter(|x| x.dir == "in") {
        m.input(port.name, port.width);
    }
    for port in ports.iter().filter(|x| x.dir == "out") {
        m.output(port.name, port.width);
    }
    let hn_all: Vec<String> = (0..p.lanes).rev().map(|l| format!("ew{l}_hn")).collect();
    m.inst("ctrl", ctrl::build(c))
        .same(&["clk", "rst", "en"])
        .to("fill_full", "inbuf_fill_full");
    m.inst("inbuf", inbuf::build(c))
        .same(&["clk", "rst", "s_valid", "s_data", "s_first"])
        .to("start", "ctrl_start");
    let zb = m
        .inst("zbuf", zbuf::build(c))
        .same(&["clk", "rst", "en"])
        .to("start", "ctrl_start")
        .to("token_first", "inbuf_token_first")
        .to("x_active", "inbuf_x_active")
        .to("zsel", "ctrl_zsel")
        .to("hw_valid", "ew0_wv")
        .to("hw_layer", "ew0_wl")
        .to("hw_data", Record::concat(&hn_all));
    if p.overlap {
        zb.to("hw_last", "ew0_wlast");
    }
    for r in 0..p.rows {
        let bank = m
            .inst(&format!("wbank{r}"), wbank::build(c, r))
            .same(&["clk", "en"])
            .to("addr", "ctrl_waddr");
        if let Some(image) = wbank::image_param(c, r) {
            bank.param("IMAGE", image);
        }
        let row = m
            .inst(&format!("row{r}"), row::build(c))
            .same(&["clk", "en", "cv", "cf", "cl"])
            .to("w", format!("wbank{r}_data"))
            .to("z", "zbuf_zword");
        if c.per_seg {
            row.same(&["cg"]);
        }
    }
    let serial = m.inst("serial", serial::build(c)).same(&[
        "clk",
        "rst",
        "en",
        "bank_ev",
        "bank_gate",
        "bank_layer",
        "bank_group",
    ]);
    if !p.overlap {
        serial.to("start", "ctrl_start");
    }
    for r in 0..p.rows {
        serial.to(&format!("bank{r}"), format!("row{r}_bank"));
    }
    for lane in 0..p.lanes {
        let pl = format!("post{lane}");
        let post = m
            .inst(&pl, post::build(c))
            .param("BIAS_IMAGE", quoted(&format!("b_{lane}.hex")))
            .same(&["clk", "rst", "en"])
            .to("inr", format!("serial_inr{lane}"))
            .to("acc", format!("serial_acc{lane}"))
            .to("m0", "mq");
        for f in ["sv", "k", "gate", "layer", "bv", "blast", "baddr", "saddr"] {
            post.to(f, format!("serial_{f}"));
        }
        // With overlap the element-wise end sees the token flags late
        // (Plan::flag_delay): the previous token's tail still runs there.
        let first = if p.overlap {
            "zbuf_late_first"
        } else {
            "inbuf_token_first"
        };
        let ew = m
            .inst(&format!("ew{lane}"), ew::build(c))
            .same(&["clk", "rst", "en"])
            .to("first", first);
        if p.activation == hitnet_model::ActMode::Bernoulli {
            ew.param("LFSR_IMAGE", quoted(&format!("lfsr_{lane}.hex")));
        }
        for f in ["ra", "res"] {
            ew.to(f, format!("{pl}_{f}"));
        }
    }

    let mut b = Body::default();
    b.comment("Output FIFO (2 beats). Its fill level alone enables the pipeline, through a");
    b.comment("register: m_ready never reaches the enable net that fans out to every stage.");
    let beat = Record::new(&[("last", 1), ("layer", lb), ("data", 2 * p.out_trits as u32)]);
    let bw = beat.width();
    b.line(format!(
        "wire [{}:0] qin = {};",
        bw - 1,
        beat.pack(|f| match f {
            "data" => hn_all.join(", "),
            "layer" => "ew0_wl".to_string(),
            "last" => "ew0_wlast".to_string(),
            other => unreachable!("output beat field {other}"),
        })
    ));
    b.line(format!("reg [{}:0] q0;", bw - 1));
    b.line(format!("reg [{}:0] q1;", bw - 1));
    b.line("reg [1:0] qn;");
    b.line("reg en;");
    b.line("wire push = en & ew0_wv;");
    b.line("wire pop = (qn != 2'd0) & m_ready;");
    b.line("wire [1:0] qn_next = qn + {1'b0, push} - {1'b0, pop};");
    b.line("always @(posedge clk) begin");
    b.line("    if (rst) begin qn <= 2'd0; en <= 1'b1; end");
    b.line("    else begin qn <= qn_next; en <= qn_next != 2'd2; end");
    b.line("end");
    b.line("always @(posedge clk) begin");
    b.line("    if (push & (pop | (qn == 2'd0))) q0 <= qin;");
    b.line("    else if (pop) q0 <= q1;");
    b.line("    if (push & ~pop & (qn == 2'd1)) q1 <= qin;");
    b.line("end");
    // Issue-stage control delayed to the accumulator stage: the plan's bank
    // latency less the accumulator register itself.
    let d = p.bank_latency as usize - 1;
    let ctl = Record::new(&[
        ("issue", 1),
        ("first", 1),
        ("last", 1),
        ("gate", 2),
        ("layer", lb),
        ("group", qb),
    ]);
    b.comment("Issue control delayed to the accumulator stage.");
    b.line(format!(
        "wire [{}:0] dl0 = {};",
        ctl.width() - 1,
        ctl.pack(|f| format!("ctrl_{f}"))
    ));
    let dl = pipe(&mut b, "dl", ctl.width(), "dl0", d, true).last();
    b.line(format!("wire cv = {};", ctl.get(&dl, "issue")));
    b.line(format!("wire cf = {};", ctl.get(&dl, "first")));
    b.line(format!("wire cl = {};", ctl.get(&dl, "last")));
    if c.per_seg {
        b.line(format!("wire [1:0] cg = {};", ctl.get(&dl, "gate")));
    }
    b.comment("The output bank event: a segment's sums are complete.");
    b.line("reg bank_ev;");
    b.line("reg [1:0] bank_gate;");
    b.line(format!("reg [{}:0] bank_layer;", lb - 1));
    b.line(format!("reg [{}:0] bank_group;", qb - 1));
    b.line("always @(posedge clk) begin");
    b.line("    if (rst) bank_ev <= 1'b0;");
    b.line("    else if (en) begin");
    b.line("        bank_ev <= cv & cl;");
    b.line(format!(
        "        if (cv & cl) begin bank_gate <= {}; bank_layer <= {}; bank_group <= {}; end",
        ctl.get(&dl, "gate"),
        ctl.get(&dl, "layer"),
        ctl.get(&dl, "group")
    ));
    b.line("    end");
    b.line("end");

    b.comment("The gates' scales m, one per {layer, gate}: a memory, not logic constants,");
    b.comment("so a model of the same shape can be deployed by replacing memory contents.");
    b.comment("Addressed with the bank event's next {layer, gate}, so mq holds the scale of");
    b.comment("the segment being serialized in the cycle its biases are read (the post");
    b.comment("lanes register it with them: no block-RAM output feeds a multiplier).");
    let mw = p.widths.mult;
    let md = p.mult_depth();
    let mab = hitnet_model::fixed::unsigned_bits(md as u64 - 1);
    super::image_memory(&mut b, "mmem", mw, md, &quoted("m.hex"), true);
    b.line(format!("reg [{}:0] mq;", mw - 1));
    b.line(format!(
        "wire [1:0] mg_next = (cv & cl) ? {} : bank_gate;",
        ctl.get(&dl, "gate")
    ));
    b.line(format!(
        "wire [{}:0] ml_next = (cv & cl) ? {} : bank_layer;",
        lb - 1,
        ctl.get(&dl, "layer")
    ));
    let pad = mab - lb - 2;
    let maddr = if pad > 0 {
        format!("{{{}, ml_next, mg_next}}", crate::vlog::lit(pad, 0))
    } else {
        "{ml_next, mg_next}".to_string()
    };
    b.line("always @(posedge clk) begin");
    b.line(format!("    if (en) mq <= mmem[{maddr}];"));
    b.line("end");

    b.line("always @(*) begin");
    b.line("    s_ready = inbuf_s_ready;");
    b.line("    m_valid = qn != 2'd0;");
    for f in ["data", "layer", "last"] {
        b.line(format!("    m_{f} = {};", beat.get("q0", f)));
    }
    b.line("    idle = ctrl_idle_st & (qn == 2'd0);");
    b.line("end");
    // Lanes other than 0 duplicate the beat flags; only lane 0's are used.
    let mut sinks: Vec<String> = Vec::new();
    for lane in 1..p.lanes {
        for f in ["wv", "wl", "wlast"] {
            sinks.push(format!("ew{lane}_{f}"));
        }
    }
    if !sinks.is_empty() {
        b.line(format!("wire unused_lanes = ^{{{}}};", sinks.join(", ")));
    }
    m.body = b.s;
    m
}
