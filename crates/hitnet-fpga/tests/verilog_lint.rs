//! `verilator --lint-only -Wall` on every synthesizable Verilog file in
//! fpga/, at the default sizes and at the edge sizes (one trit per beat,
//! one layer, zero latency) where slices and counters degenerate.

use std::process::Command;

use hitnet_fpga::cosim::repo_fpga_dir;

fn lint(top: &str, files: &[&str], extra: &[&str]) {
    let dir = repo_fpga_dir();
    let out = Command::new("verilator")
        .current_dir(&dir)
        .args(["--lint-only", "-Wall", "--top-module", top])
        .args(files)
        .args(extra)
        .output()
        .expect("verilator runs (install it with scripts/setup)");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !text.contains("%Warning"),
        "verilator -Wall on {top} {extra:?}:\n{text}"
    );
}

const UART: [&str; 4] = [
    "hitnet_uart.v",
    "hitnet_uart_rx.v",
    "hitnet_uart_tx.v",
    "standin/hitnet_top.v",
];

#[test]
fn wrapper_and_stand_in() {
    lint("hitnet_uart", &UART, &[]);
    lint(
        "hitnet_uart",
        &UART,
        &[
            "-GIN_TRITS=1",
            "-GOUT_TRITS=1",
            "-GLAYERS=1",
            "-GH=1",
            "-GI=1",
            "-GRX_FIFO_LOG2=1",
            "-DHITNET_STANDIN_IN_TRITS=1",
            "-DHITNET_STANDIN_OUT_TRITS=1",
            "-DHITNET_STANDIN_LAYERS=1",
            "-DHITNET_STANDIN_H=1",
            "-DHITNET_STANDIN_I=1",
            "-DHITNET_STANDIN_LATENCY=0",
        ],
    );
    lint("hitnet_top", &["standin/hitnet_top.v"], &[]);
}

#[test]
fn board_tops_and_characterization_wrapper() {
    fn with(top: &'static str) -> Vec<&'static str> {
        let mut v = vec![top];
        v.extend(UART);
        v
    }
    lint("icebreaker_top", &with("icebreaker_top.v"), &[]);
    lint("ulx3s_top", &with("ulx3s_top.v"), &[]);
    lint("hx8k_breakout_top", &with("hx8k_breakout_top.v"), &[]);
    lint(
        "hitnet_char",
        &["hitnet_char.v", "standin/hitnet_top.v"],
        &[],
    );
}
