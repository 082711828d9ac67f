//! A weight bank: the words one array row reads, one per issue cycle, in
//! the plan's order. Read latency two: the block-RAM read register, then an
//! output register (`hitnet_arch::WORD_REGS` says why).
//!
//! Two builds ([`Bram`]): a behavioural memory initialised from a $readmemh
//! image, which Yosys maps to block RAM with the output register in fabric
//! (SB_RAM40_4K has none; Yosys cannot absorb one into DP16KD), or, for
//! ECP5, DP16KD primitives with the weights in INITVAL and REGMODE OUTREG,
//! so the block RAM's own register drives the long wires to the array
//! (0.96 ns clock-to-out instead of 5.83 ns, nextpnr-ecp5's timing model).
use super::{quoted, readmem, Ctx};
use crate::hier::Module;
use crate::vlog::Body;
use crate::Bram;
use serde::Serialize;

/// Bank `row`: inferred banks are one module whose IMAGE names the row's
/// image ([`image_param`]); DP16KD banks carry the row's weights in their
/// INITVALs and so are one module per row.
pub fn build(c: &Ctx, row: usize) -> Module {
    let p = c.p;
    let cw = 2 * p.cols;
    let ebr = layout(c);
    let mut m = Module::new(&match ebr {
        Some(_) => format!("wbank{row}"),
        None => "wbank".to_string(),
    });
    if ebr.is_none() {
        m.param("IMAGE", &quoted("w_0.hex"));
    }
    m.input("clk", 1)
        .input("en", 1)
        .input("addr", c.wa_bits as usize);
    m.output("data", cw);
    let mut b = Body::default();
    match ebr {
        Some(e) => dp16kd(c, row, &e, &mut b),
        None => {
            // Yosys 0.23 and 0.70 keep ROMs up to about 1 Kbit in logic
            // (a 64 x 16 bank cost ~110 LCs on the UP5K); the design means
            // block RAM, so the bank says so itself.
            b.line(format!(
                "(* ram_style = \"block\", rom_style = \"block\" *) reg [{}:0] mem [0:{}];",
                cw - 1,
                p.weight_depth - 1
            ));
            b.line(readmem("mem", "IMAGE"));
            b.line(format!("reg [{}:0] rd;", cw - 1));
            b.line("always @(posedge clk) begin");
            b.line("    if (en) begin rd <= mem[addr]; data <= rd; end");
            b.line("end");
        }
    }
    m.body = b.s;
    m
}

/// The IMAGE parameter of inferred bank `row`.
pub fn image_param(c: &Ctx, row: usize) -> Option<String> {
    layout(c).is_none().then(|| quoted(&format!("w_{row}.hex")))
}

/// How a bank maps onto DP16KD: `blocks` side by side, each `width` bits of
/// the word (36: 512 deep, read through port B on both ports' data pins;
/// 18 or 9: 1024 or 2048 deep, read through port A), exactly the modes and
/// ports Yosys's own mapping uses, against which the simulation model is
/// checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Ebr {
    pub width: usize,
    pub blocks: usize,
    /// The word address sits in address pins [13:shift].
    pub shift: u32,
}

/// The DP16KD layout of the weight banks, or `None` when the banks are
/// inferred: another target, or deeper than 2048 words (would need blocks
/// cascaded in depth and a mux after the output register, on the very wire
/// the primitive is there to shorten).
pub fn layout(c: &Ctx) -> Option<Ebr> {
    let p = c.p;
    if c.bram != Bram::Dp16kd {
        return None;
    }
    let (width, shift) = match p.weight_depth {
        0..=512 => (36, 5),
        513..=1024 => (18, 4),
        1025..=2048 => (9, 3),
        _ => return None,
    };
    if c.wa_bits + shift > 14 {
        return None;
    }
    Some(Ebr {
        width,
        blocks: (2 * p.cols).div_ceil(width),
        shift,
    })
}

fn dp16kd(c: &Ctx, row: usize, e: &Ebr, b: &mut Body) {
    let p = c.p;
    let cw = 2 * p.cols;
    let (w, n) = (e.width, e.blocks);
    let words = &p.images().weights[row];
    // Bit i of word a, in the images' encoding (TritWord::code).
    let bit = |a: usize, i: usize| i < cw && (words[a].code(i / 2) >> (i % 2)) & 1 == 1;
    let pad = (14 - e.shift - c.wa_bits) as usize;
    let ad = if pad > 0 {
        format!("{{{pad}'d0, addr, {}'d0}}", e.shift)
    } else {
        format!("{{addr, {}'d0}}", e.shift)
    };
    b.line(format!("wire [13:0] ad = {ad};"));
    b.line(format!("wire [{}:0] rd;", n * w - 1));
    let mut sinks = Vec::new();
    for k in 0..n {
        // INITVAL: the block as 1024 words of 18 bits, 16 to a parameter in
        // 20-bit slots; word a of a w-bit port starts at bit a*w.
        let mut stream = vec![false; 18 * 1024];
        for a in 0..words.len() {
            for j in 0..w {
                stream[a * w + j] = bit(a, k * w + j);
            }
        }
        let port36 = w == 36;
        // Data out: at 36 bits DOA = bits 17:0 and DOB = 35:18 of port B's
        // read; at 18 or 9, DOA carries port A's read.
        let mut outs = Vec::new();
        for port in ['A', 'B'] {
            for i in 0..18 {
                let j = if port36 {
                    Some(if port == 'A' { i } else { 18 + i })
                } else if port == 'A' && i < w {
                    Some(i)
                } else {
                    None
                };
                match j {
                    Some(j) => outs.push(format!(".DO{port}{i}(rd[{}])", k * w + j)),
                    None => {
                        let nc = format!("nc{k}_{port}{i}");
                        b.line(format!("wire {nc};"));
                        sinks.push(nc.clone());
                        outs.push(format!(".DO{port}{i}({nc})"));
                    }
                }
            }
        }
        b.line("DP16KD #(");
        b.line(format!(
            "    .DATA_WIDTH_A({w}), .DATA_WIDTH_B({}),",
            if port36 { 36 } else { 18 }
        ));
        // At 36 bits (pseudo-dual-port) DOA leaves through port A's output
        // register: nextpnr sets REGMODE_A = REGMODE_B for a PDPW16KD and
        // times DOA by REGMODE_A. Port A's clock and OCE are then driven as
        // port B's, so the word is the same whichever the silicon uses.
        let (ra, rb) = if port36 {
            ("OUTREG", "OUTREG")
        } else {
            ("OUTREG", "NOREG")
        };
        b.line(format!("    .REGMODE_A(\"{ra}\"), .REGMODE_B(\"{rb}\"),"));
        b.line("    .RESETMODE(\"SYNC\"), .ASYNC_RESET_RELEASE(\"SYNC\"),");
        b.line("    .CSDECODE_A(\"0b000\"), .CSDECODE_B(\"0b000\"),");
        b.line("    .WRITEMODE_A(\"NORMAL\"), .WRITEMODE_B(\"NORMAL\"),");
        b.line("    .CLKAMUX(\"CLKA\"), .CLKBMUX(\"CLKB\"), .GSR(\"DISABLED\"),");
        for pi in 0..64 {
            let mut v = [0u8; 80];
            for slot in 0..16 {
                for j in 0..18 {
                    if stream[(pi * 16 + slot) * 18 + j] {
                        let pos = slot * 20 + j;
                        v[pos / 4] |= 1 << (pos % 4);
                    }
                }
            }
            let hexs: String = v
                .iter()
                .rev()
                .map(|d| char::from_digit(*d as u32, 16).unwrap())
                .collect();
            let sep = if pi == 63 { "" } else { "," };
            b.line(format!("    .INITVAL_{pi:02X}(320'h{hexs}){sep}"));
        }
        b.line(format!(") ebr{k} ("));
        // Input pins of one port: the reading port gets clock, enables and
        // address; at 36 bits port A keeps clock and OCE (its output
        // register carries DOA); anything else is tied off.
        let pins = |port: char, read: bool| -> Vec<String> {
            let (clk, ce, oce, ad) = match (read, port36 && port == 'A') {
                (true, _) => ("clk", "en", "en", true),
                (false, true) => ("clk", "1'b0", "en", false),
                (false, false) => ("1'b0", "1'b0", "1'b0", false),
            };
            let bus = |name: &str, n: usize, f: &dyn Fn(usize) -> String| {
                (0..n)
                    .map(|i| format!(".{name}{port}{i}({})", f(i)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            vec![
                format!(".CLK{port}({clk}), .CE{port}({ce}), .OCE{port}({oce})"),
                bus("AD", 14, &|i| if ad { format!("ad[{i}]") } else { "1'b0".into() }),
                format!(
                    ".WE{port}(1'b0), .RST{port}(1'b0), .CS{port}0(1'b0), .CS{port}1(1'b0), .CS{port}2(1'b0)"
                ),
                bus("DI", 18, &|_| "1'b0".into()),
            ]
        };
        let mut all = pins('A', !port36);
        all.extend(pins('B', port36));
        all.extend(outs.chunks(6).map(|c| c.join(", ")));
        let last = all.len() - 1;
        for (i, l) in all.iter().enumerate() {
            b.line(format!("    {l}{}", if i == last { "" } else { "," }));
        }
        b.line(");");
    }
    b.line(format!("always @(*) data = rd[{}:0];", cw - 1));
    if n * w > cw {
        sinks.push(format!("rd[{}:{cw}]", n * w - 1));
    }
    if !sinks.is_empty() {
        b.line(format!("wire unused_ebr = ^{{{}}};", sinks.join(", ")));
    }
}

/// The $readmemh image of bank `row`.
pub fn image(c: &Ctx, row: usize) -> String {
    let p = c.p;
    let mut s = String::new();
    for w in &p.images().weights[row] {
        s.push_str(&w.hex(p.cols));
        s.push('\n');
    }
    s
}
