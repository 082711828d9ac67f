//! hitnet_top: the blocks wired together, the control delay line from issue
//! to accumulator, the output-bank event, and the output FIFO whose fill
//! level (through a register) enables the whole pipeline.
use super::{ctrl, ew, inbuf, post, quoted, row, serial, wbank, zbuf, Ctx};
use crate::hier::Module;
use crate::vlog::{delay_line, Body};

pub fn build(c: &Ctx) -> Module {
    let p = c.p;
    let (lb, qb) = (c.lb, c.qb);
    let mut m = Module::new("top");
    m.input("clk", 1)
        .input("rst", 1)
        .input("s_valid", 1)
        .input("s_data", 2 * p.in_trits)
        .input("s_first", 1)
        .input("m_ready", 1);
    m.output("s_ready", 1)
        .output("m_valid", 1)
        .output("m_data", 2 * p.out_trits)
        .output("m_layer", lb as usize)
        .output("m_last", 1)
        .output("idle", 1);
    let hn_all: Vec<String> = (0..p.lanes).rev().map(|l| format!("ew{l}_hn")).collect();
    m.inst("ctrl", ctrl::build(c))
        .same(&["clk", "rst", "en"])
        .to("fill_full", "inbuf_fill_full");
    m.inst("inbuf", inbuf::build(c))
        .same(&["clk", "rst", "s_valid", "s_data", "s_first"])
        .to("start", "ctrl_start");
    m.inst("zbuf", zbuf::build(c))
        .same(&["clk", "rst", "en"])
        .to("start", "ctrl_start")
        .to("token_first", "inbuf_token_first")
        .to("x_active", "inbuf_x_active")
        .to("zsel", "ctrl_zsel")
        .to("hw_valid", "ew0_wv")
        .to("hw_layer", "ew0_wl")
        .to("hw_data", format!("{{{}}}", hn_all.join(", ")));
    for r in 0..p.rows {
        let bank = m
            .inst(&format!("wbank{r}"), wbank::build(c, r))
            .same(&["clk", "en"])
            .to("addr", "ctrl_waddr");
        if let Some(image) = wbank::image_param(c, r) {
            bank.param("IMAGE", image);
        }
        m.inst(&format!("row{r}"), row::build(c))
            .same(&["clk", "en", "cv", "cf", "cl"])
            .to("w", format!("wbank{r}_data"))
            .to("z", "zbuf_zword");
    }
    let serial = m
        .inst("serial", serial::build(c))
        .same(&[
            "clk",
            "rst",
            "en",
            "bank_ev",
            "bank_gate",
            "bank_layer",
            "bank_group",
        ])
        .to("start", "ctrl_start");
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
            .to("acc", format!("serial_acc{lane}"));
        for f in ["sv", "k", "gate", "layer", "bv", "blast", "baddr", "saddr"] {
            post.to(f, format!("serial_{f}"));
        }
        let ew = m
            .inst(&format!("ew{lane}"), ew::build(c))
            .same(&["clk", "rst", "en"])
            .to("first", "inbuf_token_first");
        if p.activation == hitnet_model::ActMode::Bernoulli {
            ew.param("SEED_IMAGE", quoted(&format!("seed_{lane}.hex")));
        }
        for f in [
            "ra", "v5", "g5", "k5", "l5", "bv5", "last5", "inr5", "sa5", "val5",
        ] {
            ew.to(f, format!("{pl}_{f}"));
        }
    }

    let mut b = Body::default();
    b.comment("Output FIFO (2 beats). Its fill level alone enables the pipeline, through a");
    b.comment("register: m_ready never reaches the enable net that fans out to every stage.");
    let bw = 2 * p.out_trits + lb as usize + 1;
    b.line(format!(
        "wire [{}:0] qin = {{ew0_wlast, ew0_wl, {}}};",
        bw - 1,
        hn_all.join(", ")
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
    let ctl_w = 3 + 2 + lb + qb;
    b.comment("Issue control delayed to the accumulator stage.");
    b.line(format!(
        "wire [{}:0] dl0 = {{ctrl_issue, ctrl_first, ctrl_last, ctrl_gate, ctrl_layer, ctrl_group}};",
        ctl_w - 1
    ));
    delay_line(&mut b, "dl", ctl_w, "dl0", d, true);
    let cv = ctl_w - 1;
    let cf = ctl_w - 2;
    let cl = ctl_w - 3;
    let g_hi = ctl_w - 4;
    let l_hi = ctl_w - 6;
    let q_hi = qb - 1;
    b.line(format!("wire cv = dl{d}[{cv}];"));
    b.line(format!("wire cf = dl{d}[{cf}];"));
    b.line(format!("wire cl = dl{d}[{cl}];"));
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
        "        if (cv & cl) begin bank_gate <= dl{d}[{g_hi}:{}]; bank_layer <= dl{d}[{l_hi}:{}]; bank_group <= dl{d}[{q_hi}:0]; end",
        g_hi - 1,
        l_hi + 1 - lb
    ));
    b.line("    end");
    b.line("end");

    b.line("always @(*) begin");
    b.line("    s_ready = inbuf_s_ready;");
    b.line("    m_valid = qn != 2'd0;");
    b.line(format!("    m_data = q0[{}:0];", 2 * p.out_trits - 1));
    b.line(format!("    m_layer = q0[{}:{}];", bw - 2, 2 * p.out_trits));
    b.line(format!("    m_last = q0[{}];", bw - 1));
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
