//! Co-simulation of the UART board wrapper with Icarus Verilog: bytes in on
//! the serial line, bytes out, exactly as a host would see them.
//!
//! The bench is `sim/tb_hitnet_uart.v`; the accelerator is whatever
//! `hitnet_top` the caller passes: today the stand-in
//! (`fpga/standin/hitnet_top.v`), later the generated one, with the golden
//! model's outputs (through [`crate::uart::encode_reply`]) as the expected
//! bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::design::{is_identifier, plain_file_name};
use crate::error::{FpgaError, Result};
use crate::tools;
use crate::uart::{encode_token, Token, UartParams};

/// The repository's `fpga/` folder (wrapper, bench, stand-in, pin files),
/// located from this crate's source directory at build time.
pub fn repo_fpga_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fpga")
}

/// Which simulator runs the bench.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Simulator {
    /// Icarus Verilog (`iverilog` + `vvp`): compiles in a second, strict
    /// about Verilog-2005 syntax.
    #[default]
    Icarus,
    /// Verilator 5 with `--binary --timing` (the bench's delays and event
    /// controls need its timing support): slower to compile, and the
    /// simulator the generated RTL is verified with elsewhere.
    Verilator,
}

/// One co-simulation setup.
#[derive(Debug, Clone)]
pub struct UartCosim {
    /// Simulator (Icarus by default).
    pub simulator: Simulator,
    pub params: UartParams,
    /// Verilog defining `hitnet_top` (and whatever it instantiates).
    pub accel_files: Vec<PathBuf>,
    /// `$readmemh` images of the accelerator, copied into `work_dir`
    /// (Icarus resolves them against the working directory).
    pub data_files: Vec<PathBuf>,
    /// Macros for the accelerator sources.
    pub defines: BTreeMap<String, String>,
    /// Folder with hitnet_uart*.v and sim/tb_hitnet_uart.v.
    pub fpga_dir: PathBuf,
    /// Scratch folder: stim.hex, sim.vvp, cosim.log.
    pub work_dir: PathBuf,
    /// Cycles allowed per token beyond the serial transfer time.
    pub latency_max: u64,
    /// Instead of `hitnet_uart`, a whole board top: the text of
    /// `board_dut.vh` instantiating it on the bench's clk, rx and tx (the
    /// bench defines HITNET_BOARD_DUT), e.g. a routed netlist.
    pub board_dut: Option<String>,
    /// Cycles after reset before the first byte (a board top runs its own
    /// power-on reset first).
    pub start_wait: u64,
}

/// What came back.
#[derive(Debug, Clone, PartialEq)]
pub struct CosimOutput {
    /// Every byte the device sent, in order.
    pub bytes: Vec<u8>,
    /// The cycle of each byte's start bit on the serial line.
    pub byte_cycles: Vec<u64>,
    /// Simulated clock cycles.
    pub cycles: u64,
    /// The wrapper's sticky RX error flag at the end.
    pub rx_error: bool,
    /// Simulator output (also saved as `cosim.log`).
    pub log: PathBuf,
}

impl UartCosim {
    /// A setup using the repository's wrapper and bench.
    pub fn new(
        params: UartParams,
        accel_files: Vec<PathBuf>,
        work_dir: impl Into<PathBuf>,
    ) -> UartCosim {
        UartCosim {
            simulator: Simulator::Icarus,
            params,
            accel_files,
            data_files: Vec::new(),
            defines: BTreeMap::new(),
            fpga_dir: repo_fpga_dir(),
            work_dir: work_dir.into(),
            latency_max: 100_000,
            board_dut: None,
            start_wait: 4,
        }
    }

    /// Simulates the host sending `tokens` one at a time (each after the
    /// previous reply) and returns the device's bytes.
    pub fn run(&self, tokens: &[Token]) -> Result<CosimOutput> {
        self.params.validate()?;
        let w = &self.work_dir;
        std::fs::create_dir_all(w).map_err(|e| FpgaError::io("cannot create", w, e))?;
        for f in &self.data_files {
            let dst = w.join(plain_file_name(f)?);
            std::fs::copy(f, &dst).map_err(|e| FpgaError::io("cannot copy", f, e))?;
        }
        let mut stim = String::new();
        for t in tokens {
            for b in encode_token(&self.params, t)? {
                let _ = writeln!(stim, "{b:02x}");
            }
        }
        let stim_path = w.join("stim.hex");
        std::fs::write(&stim_path, stim)
            .map_err(|e| FpgaError::io("cannot write", &stim_path, e))?;

        let mut params = self.params.wrapper_params();
        params.insert("TOKENS".into(), tokens.len().max(1) as i64);
        params.insert("LATENCY_MAX".into(), self.latency_max as i64);
        params.insert("START_WAIT".into(), self.start_wait as i64);
        if let Some(vh) = &self.board_dut {
            let p = w.join("board_dut.vh");
            std::fs::write(&p, vh).map_err(|e| FpgaError::io("cannot write", &p, e))?;
        }
        for k in self.defines.keys() {
            if !is_identifier(k) {
                return Err(FpgaError::InvalidDesign(format!("macro name '{k}'")));
            }
        }
        let fpga = self
            .fpga_dir
            .canonicalize()
            .map_err(|e| FpgaError::io("cannot find the fpga folder", &self.fpga_dir, e))?;
        let mut sources = vec![fpga.join("../sim/tb_hitnet_uart.v")];
        for f in ["hitnet_uart.v", "hitnet_uart_rx.v", "hitnet_uart_tx.v"] {
            sources.push(fpga.join(f));
        }
        for f in &self.accel_files {
            sources.push(
                f.canonicalize()
                    .map_err(|e| FpgaError::io("cannot find", f, e))?,
            );
        }

        let log = w.join("cosim.log");
        // Compile: Icarus takes parameters as -P<top>.<name>, Verilator as -G<name>.
        let (compiler, mut cmd, run_prog, run_args): (&str, Command, PathBuf, Vec<&str>) =
            match self.simulator {
                Simulator::Icarus => {
                    let iverilog = tools::require("iverilog")?;
                    let vvp = tools::require("vvp")?;
                    let mut cmd = Command::new(&iverilog);
                    cmd.args(["-g2012", "-o", "sim.vvp", "-s", "tb_hitnet_uart"]);
                    for (k, v) in &params {
                        cmd.arg(format!("-Ptb_hitnet_uart.{k}={v}"));
                    }
                    ("iverilog", cmd, vvp, vec!["-n", "sim.vvp"])
                }
                Simulator::Verilator => {
                    let verilator = tools::require("verilator")?;
                    let mut cmd = Command::new(&verilator);
                    // Lint is verilog_lint's job; here only the behaviour counts.
                    cmd.args([
                        "--binary",
                        "--timing",
                        "-O1",
                        "-Wno-fatal",
                        "-Wno-lint",
                        "-Wno-style",
                        "--top-module",
                        "tb_hitnet_uart",
                        "-Mdir",
                        "obj_dir",
                    ]);
                    for (k, v) in &params {
                        cmd.arg(format!("-G{k}={v}"));
                    }
                    ("verilator", cmd, w.join("obj_dir/Vtb_hitnet_uart"), vec![])
                }
            };
        cmd.current_dir(w);
        for (k, v) in &self.defines {
            cmd.arg(format!("-D{k}={v}"));
        }
        if self.board_dut.is_some() {
            cmd.arg("-DHITNET_BOARD_DUT");
            if self.simulator == Simulator::Icarus {
                cmd.arg("-I").arg(w);
            } else {
                cmd.arg(format!("-I{}", w.display()));
            }
        }
        cmd.args(&sources);
        let out = cmd
            .output()
            .map_err(|e| FpgaError::io("cannot run", compiler, e))?;
        let compile_text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(&log, &compile_text).map_err(|e| FpgaError::io("cannot write", &log, e))?;
        if !out.status.success() {
            return Err(FpgaError::ToolFailed {
                tool: compiler.into(),
                status: format!("{}", out.status),
                detail: compile_text
                    .lines()
                    .find(|l| l.contains("error") || l.starts_with("%Error"))
                    .map(|l| format!(": {l}"))
                    .unwrap_or_default(),
                log,
            });
        }
        if tokens.is_empty() {
            return Ok(CosimOutput {
                bytes: Vec::new(),
                byte_cycles: Vec::new(),
                cycles: 0,
                rx_error: false,
                log,
            });
        }
        let out = Command::new(&run_prog)
            .current_dir(w)
            .args(&run_args)
            .output()
            .map_err(|e| FpgaError::io("cannot run", &run_prog, e))?;
        let text = format!(
            "{compile_text}{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(&log, &text).map_err(|e| FpgaError::io("cannot write", &log, e))?;
        parse_bench_output(&text, log)
    }
}

/// Reads the bench's "BYTE xx" / "DONE cycles N rx_error E busy B" /
/// "TIMEOUT ..." / "ERROR ..." lines.
pub fn parse_bench_output(text: &str, log: PathBuf) -> Result<CosimOutput> {
    let mut bytes = Vec::new();
    let mut byte_cycles = Vec::new();
    let mut done = None;
    for line in text.lines() {
        let mut w = line.split_whitespace();
        match w.next() {
            Some("BYTE") => {
                let b = w
                    .next()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| FpgaError::Cosim {
                        reason: format!("unreadable bench line '{line}'"),
                        log: log.clone(),
                    })?;
                bytes.push(b);
                byte_cycles.push(w.next().and_then(|c| c.parse().ok()).unwrap_or(0));
            }
            Some("ERROR") | Some("TIMEOUT") => {
                return Err(FpgaError::Cosim {
                    reason: line.trim().to_string(),
                    log,
                })
            }
            Some("DONE") => {
                let fields: Vec<&str> = w.collect();
                let get = |name: &str| {
                    fields
                        .windows(2)
                        .find(|p| p[0] == name)
                        .and_then(|p| p[1].parse::<u64>().ok())
                };
                done = Some((
                    get("cycles").unwrap_or(0),
                    get("rx_error").unwrap_or(0) != 0,
                ));
            }
            _ => {}
        }
    }
    let (cycles, rx_error) = done.ok_or_else(|| FpgaError::Cosim {
        reason: "the bench stopped without DONE".into(),
        log: log.clone(),
    })?;
    Ok(CosimOutput {
        bytes,
        byte_cycles,
        cycles,
        rx_error,
        log,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_output() {
        let o = parse_bench_output(
            "x\nBYTE 0a\nBYTE ff\nDONE cycles 42 rx_error 0 busy 0\n",
            "l".into(),
        )
        .unwrap();
        assert_eq!(o.bytes, vec![0x0a, 0xff]);
        assert_eq!(o.cycles, 42);
        assert!(!o.rx_error);
        let e =
            parse_bench_output("BYTE 01\nTIMEOUT token 0 received 1\n", "l".into()).unwrap_err();
        assert!(e.to_string().contains("TIMEOUT token 0"), "{e}");
        assert!(parse_bench_output("BYTE zz\n", "l".into()).is_err());
        assert!(parse_bench_output("", "l".into()).is_err());
    }
}
