//! The z buffers: each layer's h of the previous and of the current token
//! (ping-pong shift registers, filled in unit order by the element-wise
//! lanes) and the mux that presents z word `zsel` of z = [x; h] to the array.
use super::Ctx;
use crate::hier::Module;
use crate::vlog::{delay_line, lit, shift_in, trit, ubits, Body};
use hitnet_arch::ZSrc;

pub fn build(c: &Ctx) -> Module {
    let p = c.p;
    let cw = 2 * p.cols;
    let xw = 2 * p.xbuf_trits();
    let hw = 2 * p.hbuf_trits();
    let pw = 2 * p.lanes;
    let nl = p.layers.len();
    let h = p.layers[0].hidden_size;
    let i0 = p.layers[0].input_size;
    let mut m = Module::clocked("zbuf");
    m.input("start", 1)
        .input("token_first", 1)
        .input("x_active", xw)
        .input("zsel", c.zb as usize)
        .input("hw_valid", 1)
        .input("hw_layer", c.lb as usize)
        .input("hw_data", pw);
    if p.overlap {
        m.input("hw_last", 1);
    }
    m.output("zword", cw);
    if p.overlap {
        m.output("late_first", 1);
    }
    let mut b = Body::default();
    b.comment("tp: token parity. Layer l reads hb_l_tp (previous token) and writes the other.");
    b.line("reg tp;");
    b.line("always @(posedge clk) begin");
    b.line("    if (rst) tp <= 1'b0; else if (start) tp <= ~tp;");
    b.line("end");
    for l in 0..nl {
        b.line(format!("reg [{}:0] hb_{l}_0;", hw - 1));
        b.line(format!("reg [{}:0] hb_{l}_1;", hw - 1));
    }
    let shifted = |x: &str| shift_in("hw_data", x, hw, pw);
    // Which buffer the element-wise lanes write: this token's parity, or
    // with overlap the parity `flag_delay` cycles ago, because the lanes
    // may still be finishing the previous token when the next one starts.
    let wp = if p.overlap {
        b.comment(
            "Token parity and sequence start as the element-wise end sees them (Plan::flag_delay).",
        );
        b.line("wire [1:0] flags = {tp, token_first};");
        let late = delay_line(&mut b, "fl", 2, "flags", p.flag_delay as usize, true);
        b.line(format!("wire wtp = {late}[1];"));
        // The element-wise lane takes the sequence start one cycle early
        // (it addresses the LFSR memory with it, then registers it).
        let early = if p.flag_delay > 1 {
            format!("fl{}", p.flag_delay - 1)
        } else {
            "flags".to_string()
        };
        b.line(format!("always @(*) late_first = {early}[0];"));
        b.line(format!("wire unused_late_first = {late}[0];"));
        "wtp"
    } else {
        "tp"
    };
    if p.overlap {
        // The next token reads h_t while its last beats are still being
        // written, so each beat goes straight to its place (a shift
        // register would move every unit until the last beat is in).
        let nb = p.out_beats;
        let wb = ubits(nb as u64 - 1);
        b.line(format!("reg [{}:0] wi;", wb - 1));
        b.line("always @(posedge clk) begin");
        b.line(format!(
            "    if (rst) wi <= {}; else if (en & hw_valid) wi <= hw_last ? {} : wi + {};",
            lit(wb, 0),
            lit(wb, 0),
            lit(wb, 1)
        ));
        b.line("end");
        // The beat is registered first: the lanes' quantizer output would
        // otherwise fan out to every beat position in its last stage.
        b.line("reg hq_v;");
        b.line(format!("reg [{}:0] hq_d;", pw - 1));
        b.line(format!("reg [{}:0] hq_l;", c.lb - 1));
        b.line(format!("reg [{}:0] hq_i;", wb - 1));
        b.line("reg hq_p;");
        b.line("always @(posedge clk) begin");
        b.line("    if (rst) hq_v <= 1'b0;");
        b.line(format!(
            "    else if (en) begin hq_v <= hw_valid; if (hw_valid) begin hq_d <= hw_data; hq_l <= hw_layer; hq_i <= wi; hq_p <= {wp}; end end"
        ));
        b.line("end");
        b.line("always @(posedge clk) begin");
        b.line("    if (en & hq_v) begin");
        for l in 0..nl {
            for par in 0..2 {
                let cond = if par == 0 { "hq_p" } else { "~hq_p" };
                let arms: Vec<String> = (0..nb)
                    .map(|k| {
                        format!(
                            "{}: hb_{l}_{par}[{}:{}] <= hq_d;",
                            lit(wb, k as i64),
                            2 * p.lanes * (k + 1) - 1,
                            2 * p.lanes * k
                        )
                    })
                    .collect();
                b.line(format!(
                    "        if ((hq_l == {}) & {cond}) begin case (hq_i) {} default: ; endcase end",
                    lit(c.lb, l as i64),
                    arms.join(" ")
                ));
            }
        }
        b.line("    end");
        b.line("end");
    } else {
        b.line("always @(posedge clk) begin");
        b.line("    if (en & hw_valid) begin");
        for l in 0..nl {
            b.line(format!(
                "        if (hw_layer == {}) begin if ({wp}) hb_{l}_0 <= {}; else hb_{l}_1 <= {}; end",
                lit(c.lb, l as i64),
                shifted(&format!("hb_{l}_0")),
                shifted(&format!("hb_{l}_1"))
            ));
        }
        b.line("    end");
        b.line("end");
    }
    for l in 0..nl {
        b.line(format!(
            "wire [{}:0] hold_{l} = token_first ? {} : (tp ? hb_{l}_1 : hb_{l}_0);",
            hw - 1,
            lit(hw as u32, 0)
        ));
        if l + 1 < nl {
            b.line(format!(
                "wire [{}:0] hnew_{l} = tp ? hb_{l}_0 : hb_{l}_1;",
                hw - 1
            ));
        }
    }
    b.line(format!("reg [{}:0] zw;", cw - 1));
    b.line("always @(*) begin");
    b.line("    case (zsel)");
    let mut g = 0usize;
    for (l, lp) in p.layers.iter().enumerate() {
        for blk in 0..lp.z_blocks {
            let parts: Vec<String> = p
                .z_sources(l, blk)
                .into_iter()
                .rev()
                .map(|s| match s {
                    ZSrc::X(k) => trit("x_active", k),
                    ZSrc::New(ll, j) => trit(&format!("hnew_{ll}"), j),
                    ZSrc::Old(ll, j) => trit(&format!("hold_{ll}"), j),
                    ZSrc::Zero => "2'b00".to_string(),
                })
                .collect();
            b.line(format!(
                "        {}: zw = {{{}}};",
                lit(c.zb, g as i64),
                parts.join(", ")
            ));
            g += 1;
        }
    }
    b.line(format!("        default: zw = {};", lit(cw as u32, 0)));
    b.line("    endcase");
    b.line("end");
    b.comment("Registers matching the weight word's block-RAM read and its WORD_REGS registers.");
    let zq = delay_line(
        &mut b,
        "zq",
        cw as u32,
        "zw",
        hitnet_arch::WORD_REGS as usize,
        false,
    );
    b.line(format!(
        "always @(posedge clk) begin if (en) zword <= {zq}; end"
    ));
    // Trits past the vector ends exist only to keep beats whole.
    let mut sinks = Vec::new();
    if xw > 2 * i0 {
        sinks.push(format!("x_active[{}:{}]", xw - 1, 2 * i0));
    }
    if hw > 2 * h {
        for l in 0..nl {
            sinks.push(format!("hold_{l}[{}:{}]", hw - 1, 2 * h));
            if l + 1 < nl {
                sinks.push(format!("hnew_{l}[{}:{}]", hw - 1, 2 * h));
            }
        }
    }
    if !sinks.is_empty() {
        b.line(format!("wire unused_pad = ^{{{}}};", sinks.join(", ")));
    }
    m.body = b.s;
    m
}
