//! The UART receiver (fpga/hitnet_uart_rx.v) on its own, in Icarus: bytes
//! at the nominal rate and 3% off it, back to back (the next start edge
//! right after the stop bit's middle), a glitch on the idle line (rejected),
//! a byte with a bad stop bit (frame_err, no byte). Each byte must be sampled
//! at its bits' middles: `valid` pulses in the middle of the stop bit.
use std::process::Command;

use hitnet_fpga::cosim::repo_fpga_dir;

const CPB: u32 = 32;

/// The serial line as (level, clocks) pieces, and what the receiver must
/// answer: (byte or frame error, earliest and latest cycle of the pulse).
struct Line {
    pieces: Vec<(u8, u32)>,
    t: u32,
    want: Vec<(Option<u8>, u32, u32)>,
}

impl Line {
    fn new() -> Line {
        Line {
            pieces: vec![(1, 40)],
            t: 40,
            want: Vec::new(),
        }
    }
    fn level(&mut self, v: u8, n: u32) {
        self.pieces.push((v, n));
        self.t += n;
    }
    /// A frame of `bit` clocks per bit; `stop` the stop bit's level.
    fn byte(&mut self, b: u8, bit: u32, stop: u8) {
        let start = self.t;
        self.level(0, bit);
        for i in 0..8 {
            self.level(b >> i & 1, bit);
        }
        // Two synchronizer flops, then sampled mid-bit at the nominal rate;
        // off it, anywhere in the stop bit (the receiver keeps its own rate).
        let (lo, hi) = if bit == CPB {
            let mid = start + 9 * bit + bit / 2 + 2;
            (mid - 3, mid + 3)
        } else {
            (start + 9 * bit + 2, start + 10 * bit + 3)
        };
        self.want.push(((stop == 1).then_some(b), lo, hi));
        self.level(stop, bit);
    }
}

fn bench(line: &Line) -> String {
    let mut s = String::from(
        "`timescale 1ns/1ps\nmodule tb;\nreg clk = 0; always #5 clk = ~clk;\nreg rst = 1; reg rx = 1;\n\
         wire [7:0] data; wire valid, frame_err; integer cyc = 0; integer t0 = 0;\n",
    );
    s += &format!("hitnet_uart_rx #(.CLKS_PER_BIT({CPB})) dut (.clk(clk), .rst(rst), .rx(rx), .data(data), .valid(valid), .frame_err(frame_err));\n");
    s += "always @(posedge clk) begin cyc <= cyc + 1; if (valid) $display(\"B %0d %0d\", data, cyc - t0); if (frame_err) $display(\"F 0 %0d\", cyc - t0); end\n";
    s += "initial begin\n  @(posedge clk); @(posedge clk); rst <= 0;\n";
    // The line changes right after clock edges; cycles count from the first.
    s += "  t0 = cyc + 1;\n";
    for &(v, n) in &line.pieces {
        s += &format!("  rx <= 1'b{v}; repeat ({n}) @(posedge clk);\n");
    }
    s += "  repeat (64) @(posedge clk); $finish;\nend\nendmodule\n";
    s
}

#[test]
fn bytes_back_to_back_off_rate_a_glitch_and_a_frame_error() {
    if Command::new("iverilog").arg("-V").output().is_err() {
        eprintln!("skipped: iverilog missing (scripts/setup installs it)");
        return;
    }
    let mut line = Line::new();
    for b in [0x55u8, 0x00, 0xff, 0xa3] {
        line.byte(b, CPB, 1);
    }
    line.level(1, 30);
    // A glitch shorter than half a bit: no start bit.
    line.level(0, CPB / 4);
    line.level(1, 3 * CPB);
    line.byte(0x3c, CPB, 0); // bad stop bit
    line.level(1, 2 * CPB);
    // 3% slow and 3% fast senders, bit by bit.
    for (b, bit) in [(0x81u8, CPB + 1), (0x7e, CPB - 1)] {
        line.byte(b, bit, 1);
    }
    line.level(1, 3 * CPB);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("tb.v"), bench(&line)).unwrap();
    let rx = repo_fpga_dir().join("hitnet_uart_rx.v");
    let c = Command::new("iverilog")
        .current_dir(d)
        .args(["-g2012", "-o", "tb.vvp", "tb.v"])
        .arg(&rx)
        .output()
        .unwrap();
    assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
    let r = Command::new("vvp")
        .current_dir(d)
        .arg("tb.vvp")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&r.stdout);
    let got: Vec<(Option<u8>, u32)> = text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            match f.as_slice() {
                ["B", b, c] => Some((Some(b.parse().ok()?), c.parse().ok()?)),
                ["F", _, c] => Some((None, c.parse().ok()?)),
                _ => None,
            }
        })
        .collect();
    assert_eq!(got.len(), line.want.len(), "{text}");
    for ((g, at), (w, lo, hi)) in got.iter().zip(&line.want) {
        assert_eq!(g, w, "{text}");
        assert!(
            (*lo..=*hi).contains(at),
            "{g:?} at cycle {at}, expected {lo}..={hi}\n{text}"
        );
    }
}
