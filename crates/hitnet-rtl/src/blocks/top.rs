//! hitnet_top: the blocks wired together, the control delay line from issue
//! to accumulator, the output-bank event, and the output FIFO whose fill
//! level (through a register) enables the whole pipeline.
use super::{ctrl, ew, inbuf, post, row, serial, wbank, zbuf, Ctx};
use crate::dynblock::DynBlock;
use crate::vlog::{delay_line, Body};

pub fn build(c: &Ctx) -> DynBlock {
    let p = c.p;
    let (lb, qb) = (c.lb, c.qb);
    let mut m = DynBlock::new();
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
    m.child("ctrl", Box::new(ctrl::build(c)));
    m.child("inbuf", Box::new(inbuf::build(c)));
    m.child("zbuf", Box::new(zbuf::build(c)));
    for r in 0..p.rows {
        m.child(&format!("wbank{r}"), Box::new(wbank::build(c, r)));
        m.child(&format!("row{r}"), Box::new(row::build(c)));
    }
    m.child("serial", Box::new(serial::build(c)));
    for lane in 0..p.lanes {
        m.child(&format!("post{lane}"), Box::new(post::build(c, lane)));
        m.child(&format!("ew{lane}"), Box::new(ew::build(c, lane)));
    }

    let mut b = Body::default();
    b.comment("Output FIFO (2 beats). Its fill level alone enables the pipeline, through a");
    b.comment("register: m_ready never reaches the enable net that fans out to every stage.");
    let bw = 2 * p.out_trits + lb as usize + 1;
    let hn_all: Vec<String> = (0..p.lanes).rev().map(|l| format!("ew{l}$hn")).collect();
    b.line(format!(
        "wire [{}:0] qin = {{ew0$wlast, ew0$wl, {}}};",
        bw - 1,
        hn_all.join(", ")
    ));
    b.line(format!("reg [{}:0] q0;", bw - 1));
    b.line(format!("reg [{}:0] q1;", bw - 1));
    b.line("reg [1:0] qn;");
    b.line("reg en;");
    b.line("wire push = en & ew0$wv;");
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
    b.line("always @(*) begin");
    b.line("    ctrl$clk = clk; ctrl$rst = rst; ctrl$en = en; ctrl$fill_full = inbuf$fill_full;");
    b.line("    inbuf$clk = clk; inbuf$rst = rst; inbuf$s_valid = s_valid; inbuf$s_data = s_data;");
    b.line("    inbuf$s_first = s_first; inbuf$start = ctrl$start;");
    b.line("    zbuf$clk = clk; zbuf$rst = rst; zbuf$en = en; zbuf$start = ctrl$start;");
    b.line("    zbuf$token_first = inbuf$token_first; zbuf$x_active = inbuf$x_active; zbuf$zsel = ctrl$zsel;");
    b.line("    zbuf$hw_valid = ew0$wv; zbuf$hw_layer = ew0$wl;");
    b.line(format!("    zbuf$hw_data = {{{}}};", hn_all.join(", ")));
    b.line("end");

    // Issue-stage control delayed to the accumulator stage: the plan's bank
    // latency less the accumulator register itself.
    let d = p.bank_latency as usize - 1;
    let ctl_w = 3 + 2 + lb + qb;
    b.comment("Issue control delayed to the accumulator stage.");
    b.line(format!(
        "wire [{}:0] dl0 = {{ctrl$issue, ctrl$first, ctrl$last, ctrl$gate, ctrl$layer, ctrl$group}};",
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
    for r in 0..p.rows {
        b.line(format!(
            "    wbank{r}$clk = clk; wbank{r}$en = en; wbank{r}$addr = ctrl$waddr;"
        ));
        b.line(format!(
            "    row{r}$clk = clk; row{r}$en = en; row{r}$w = wbank{r}$data; row{r}$z = zbuf$zword;"
        ));
        b.line(format!(
            "    row{r}$cv = cv; row{r}$cf = cf; row{r}$cl = cl;"
        ));
        b.line(format!("    serial$bank{r} = row{r}$bank;"));
    }
    b.line("    serial$clk = clk; serial$rst = rst; serial$en = en; serial$start = ctrl$start;");
    b.line("    serial$bank_ev = bank_ev; serial$bank_gate = bank_gate;");
    b.line("    serial$bank_layer = bank_layer; serial$bank_group = bank_group;");
    for lane in 0..p.lanes {
        let pl = format!("post{lane}");
        let el = format!("ew{lane}");
        b.line(format!(
            "    {pl}$clk = clk; {pl}$rst = rst; {pl}$en = en; {pl}$sv = serial$sv; {pl}$k = serial$k;"
        ));
        b.line(format!(
            "    {pl}$gate = serial$gate; {pl}$layer = serial$layer; {pl}$bv = serial$bv;"
        ));
        b.line(format!("    {pl}$blast = serial$blast; {pl}$inr = serial$inr{lane}; {pl}$acc = serial$acc{lane};"));
        b.line(format!(
            "    {pl}$baddr = serial$baddr; {pl}$saddr = serial$saddr;"
        ));
        b.line(format!(
            "    {el}$clk = clk; {el}$rst = rst; {el}$en = en; {el}$first = inbuf$token_first; {el}$ra = {pl}$ra;"
        ));
        for f in [
            "v5", "g5", "k5", "l5", "bv5", "last5", "inr5", "sa5", "val5",
        ] {
            b.line(format!("    {el}${f} = {pl}${f};"));
        }
    }
    b.line("    s_ready = inbuf$s_ready;");
    b.line("    m_valid = qn != 2'd0;");
    b.line(format!("    m_data = q0[{}:0];", 2 * p.out_trits - 1));
    b.line(format!("    m_layer = q0[{}:{}];", bw - 2, 2 * p.out_trits));
    b.line(format!("    m_last = q0[{}];", bw - 1));
    b.line("    idle = ctrl$idle_st & (qn == 2'd0);");
    b.line("end");
    // Lanes other than 0 duplicate the beat flags; only lane 0's are used.
    let mut sinks: Vec<String> = Vec::new();
    for lane in 1..p.lanes {
        for f in ["wv", "wl", "wlast"] {
            sinks.push(format!("ew{lane}${f}"));
        }
    }
    if !sinks.is_empty() {
        b.line(format!("wire unused_lanes = ^{{{}}};", sinks.join(", ")));
    }
    m.body = b.s;
    m
}
