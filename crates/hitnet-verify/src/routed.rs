//! The routed stage: nextpnr's placed and routed netlist (`routed.json`,
//! `--write`) back through Yosys to Verilog (`routed.v`), simulated as the
//! whole chip at its pins. The bench (`sim/tb_hitnet_uart.v`) plays the
//! host on the board's serial line; the same bench runs the RTL of the same
//! board top (wrapper + generated accelerator). The routed chip must send
//! exactly the RTL chip's bytes, each starting on the same clock cycle, and
//! those bytes must be the golden model's h (every output trit of the
//! reported layer). With cosim (golden = simulator = RTL at hitnet_top's
//! port, every beat and cycle) this ties the routed design to the golden
//! model cycle for cycle at the pins.
//!
//! Why the pins and not hitnet_top's port: nextpnr flattens the design and
//! packs wrapper logic and accelerator flip-flops into the same logic cells
//! (seen: the wrapper's s_first LUT inside the accelerator's input
//! register's cell), so the port's nets do not all exist after routing.
use std::path::{Path, PathBuf};
use std::process::Command;

use hitnet_cosim::{golden_outputs, Stimulus};
use hitnet_fpga::cosim::{Simulator, UartCosim};
use hitnet_fpga::uart::{encode_reply, UartParams};
use hitnet_fpga::Board;
use hitnet_model::IntModel;
use serde::Serialize;

use crate::{io_err, Netlist, Result, Stage, VerifyError};

/// Writes `routed.v` from `routed.json` in `build_dir` with `yosys` (run
/// inside the folder with relative paths: the YoWASP tools see only it);
/// nextpnr calls the flattened module `top`, renamed to `top_name`. For
/// ECP5 the JSON first goes through [`crate::ecp5_routed::normalize`]
/// (written as `routed_sim.json`), whose summary is returned.
pub fn routed_verilog(
    yosys: &str,
    build_dir: &Path,
    top_name: &str,
    family: hitnet_fpga::Family,
) -> Result<(PathBuf, Option<crate::ecp5_routed::Normalized>)> {
    let json = build_dir.join(hitnet_fpga::scripts::files::ROUTED_JSON);
    if !json.is_file() {
        return Err(VerifyError::Netlist(format!(
            "{} not found: the build folder holds no routed netlist (run the flow through place and route)",
            json.display()
        )));
    }
    let prog = hitnet_fpga::tools::find_program(yosys)
        .ok_or_else(|| VerifyError::Missing(hitnet_fpga::tools::install_hint(yosys)))?;
    let log = build_dir.join("routed_v.log");
    if !top_name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(VerifyError::Netlist(format!(
            "top module name '{top_name}'"
        )));
    }
    let (input, normalized) = if family == hitnet_fpga::Family::Ecp5 {
        let text = std::fs::read_to_string(&json).map_err(io_err("cannot read", &json))?;
        let mut doc: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| VerifyError::Netlist(format!("{}: {e}", json.display())))?;
        let n = crate::ecp5_routed::normalize(&mut doc)?;
        let out = build_dir.join("routed_sim.json");
        std::fs::write(&out, doc.to_string()).map_err(io_err("cannot write", &out))?;
        ("routed_sim.json", Some(n))
    } else {
        ("routed.json", None)
    };
    let script = format!(
        "read_json {input}; hierarchy -top top; rename top {top_name}; write_verilog -noattr routed.v"
    );
    let out = Command::new(&prog)
        .current_dir(build_dir)
        .args(["-q", "-l", "routed_v.log", "-p", &script])
        .output()
        .map_err(io_err("cannot run", &prog))?;
    if !out.status.success() {
        return Err(VerifyError::Tool {
            tool: yosys.to_string(),
            detail: format!(
                "converting routed.json to Verilog: {}",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .next()
                    .unwrap_or("failed")
            ),
            log,
        });
    }
    Ok((build_dir.join("routed.v"), normalized))
}

/// The outcome of a routed-stage run.
#[derive(Debug, Clone, Serialize)]
pub struct RoutedReport {
    pub stage: Stage,
    pub target: String,
    pub board: String,
    pub tokens: usize,
    /// Output beats the replies carry (tokens x reported layers x beats).
    pub beats: u64,
    pub bytes: usize,
    pub expected_bytes: usize,
    /// Bytes of the routed chip that differ from the golden model's reply,
    /// plus missing or extra bytes.
    pub golden_vs_routed: u64,
    /// Bytes of the RTL chip that differ from the golden model's reply.
    pub golden_vs_rtl: u64,
    /// Bytes whose start cycle differs between the routed and the RTL chip.
    pub cycle_mismatches: u64,
    pub mismatches: u64,
    pub bit_exact: bool,
    pub first: Option<String>,
    pub simulated_cycles: u64,
    pub simulator: String,
    pub netlist: PathBuf,
    pub cell_models: Vec<PathBuf>,
    pub rtl_seconds: f64,
    pub routed_seconds: f64,
    /// ECP5: what the routed JSON's normalization changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ecp5_normalized: Option<crate::ecp5_routed::Normalized>,
}

impl RoutedReport {
    /// The human summary: stage, bytes, comparisons, verdict.
    pub fn text(&self, target: &str) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "stage:   routed ({} on {target}, {}), {} tokens through the serial pins",
            self.netlist.display(),
            self.board,
            self.tokens
        );
        let _ = writeln!(
            s,
            "bytes:   {} of {} ({} beats); {} simulated cycles; RTL chip {:.1} s, routed chip {:.1} s",
            self.bytes, self.expected_bytes, self.beats, self.simulated_cycles, self.rtl_seconds, self.routed_seconds
        );
        let _ = writeln!(
            s,
            "compare: golden vs routed {} bytes, golden vs RTL {} bytes, {} bytes at another cycle than the RTL chip's",
            self.golden_vs_routed, self.golden_vs_rtl, self.cycle_mismatches
        );
        hitnet_cosim::write_verdict(
            &mut s,
            self.first.as_ref(),
            None,
            self.bit_exact,
            "routed chip = RTL chip on every pin cycle, bytes = golden model",
        );
        s
    }
}

/// What the routed check needs.
pub struct RoutedSetup<'a> {
    pub model: &'a IntModel,
    pub target: &'a str,
    pub board: &'a Board,
    pub uart: &'a UartParams,
    /// The RTL: the board top's source, the wrapper's are the repository's
    /// (hitnet_fpga::cosim), the generated hitnet_top.v and its images.
    pub rtl_files: Vec<PathBuf>,
    pub rtl_data: Vec<PathBuf>,
    /// The routed netlist with its cell models.
    pub routed: &'a Netlist,
    pub work_dir: &'a Path,
}

fn uart_err(e: hitnet_fpga::FpgaError) -> VerifyError {
    VerifyError::Netlist(e.to_string())
}

/// Runs the host's byte stream through the RTL chip and the routed chip and
/// compares both with the golden model, and their byte timing.
pub fn verify_routed(s: &RoutedSetup, stim: &Stimulus) -> Result<RoutedReport> {
    let p = s.uart;
    let want = golden_outputs(s.model, &stim.tokens);
    let tokens: Vec<hitnet_fpga::uart::Token> = stim
        .tokens
        .iter()
        .map(|t| hitnet_fpga::uart::Token {
            first: t.first,
            x: t.x.clone(),
        })
        .collect();
    let mut expected = Vec::new();
    for h in &want {
        expected.extend(encode_reply(p, h).map_err(uart_err)?);
    }
    // Per-token latency allowance: the serial time plus generous compute.
    let latency = 200_000;
    let run =
        |files: Vec<PathBuf>, data: Vec<PathBuf>, defines: &[String], vh: String, dir: &str| {
            let mut c = UartCosim::new(p.clone(), files, s.work_dir.join(dir));
            c.simulator = Simulator::Icarus;
            c.data_files = data;
            c.latency_max = latency;
            c.start_wait = 64;
            c.board_dut = Some(vh);
            for d in defines {
                c.defines.insert(d.clone(), "1".into());
            }
            let t = std::time::Instant::now();
            let out = c.run(&tokens).map_err(uart_err)?;
            Ok::<_, VerifyError>((out, t.elapsed().as_secs_f64()))
        };
    let params = p.board_params();
    let (rtl, rtl_seconds) = run(
        s.rtl_files.clone(),
        s.rtl_data.clone(),
        &[],
        s.board.bench_instance(Some(&params)),
        "rtl",
    )?;
    let (routed, routed_seconds) = run(
        s.routed.files.clone(),
        Vec::new(),
        &s.routed.defines,
        s.board.bench_instance(None),
        "routed",
    )?;
    let diff = |got: &[u8]| -> (u64, Option<usize>) {
        let mut n = 0u64;
        let mut first = None;
        for k in 0..got.len().max(expected.len()) {
            if got.get(k) != expected.get(k) {
                n += 1;
                first.get_or_insert(k);
            }
        }
        (n, first)
    };
    let (golden_vs_routed, first_routed) = diff(&routed.bytes);
    let (golden_vs_rtl, first_rtl) = diff(&rtl.bytes);
    let mut cycle_mismatches = 0u64;
    let mut first_cycle = None;
    for k in 0..routed.byte_cycles.len().min(rtl.byte_cycles.len()) {
        if routed.byte_cycles[k] != rtl.byte_cycles[k] {
            cycle_mismatches += 1;
            first_cycle.get_or_insert(k);
        }
    }
    let rb = p.reply_bytes().max(1);
    let first = if let Some(k) = first_routed {
        Some(format!(
            "routed chip, byte {k} (token {}, reply byte {}): expected {}, got {}",
            k / rb,
            k % rb,
            expected
                .get(k)
                .map(|b| format!("{b:02x}"))
                .unwrap_or("none".into()),
            routed
                .bytes
                .get(k)
                .map(|b| format!("{b:02x}"))
                .unwrap_or("none".into())
        ))
    } else if let Some(k) = first_rtl {
        Some(format!("RTL chip, byte {k}: differs from the golden model"))
    } else {
        first_cycle.map(|k| {
            format!(
                "byte {k} starts at cycle {} on the routed chip, {} on the RTL chip",
                routed.byte_cycles[k], rtl.byte_cycles[k]
            )
        })
    };
    let mismatches = golden_vs_routed + golden_vs_rtl + cycle_mismatches;
    let layers = if p.all_layers { p.layers } else { 1 };
    Ok(RoutedReport {
        stage: Stage::Routed,
        target: s.target.to_string(),
        board: s.board.name.to_string(),
        tokens: stim.tokens.len(),
        beats: (stim.tokens.len() * layers * p.h.div_ceil(p.out_trits)) as u64,
        bytes: routed.bytes.len(),
        expected_bytes: expected.len(),
        golden_vs_routed,
        golden_vs_rtl,
        cycle_mismatches,
        mismatches,
        bit_exact: mismatches == 0
            && routed.bytes.len() == expected.len()
            && routed.byte_cycles == rtl.byte_cycles,
        first,
        simulated_cycles: routed.cycles,
        simulator: "icarus".into(),
        netlist: s.routed.files.first().cloned().unwrap_or_default(),
        cell_models: s.routed.files.iter().skip(1).cloned().collect(),
        rtl_seconds,
        routed_seconds,
        ecp5_normalized: None,
    })
}
