//! Running `sim/tb_hitnet_stream.v` in Icarus on a netlist: the stimulus
//! and the per-cycle port patterns go in as `$readmemh` files, the accepted
//! output beats come back as text.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use hitnet_arch::Plan;
use hitnet_cosim::{Stimulus, ILLEGAL_TRIT};
use hitnet_sim::Beat;

use crate::{io_err, Result, VerifyError};

/// The stream bench, compiled in so an installed binary needs no checkout.
pub const STREAM_BENCH: &str = include_str!("../../../sim/tb_hitnet_stream.v");

/// A netlist to simulate: its Verilog files (the netlist first, then the
/// cell models), include folders and macros for Icarus.
#[derive(Debug, Clone, Default)]
pub struct Netlist {
    pub files: Vec<PathBuf>,
    pub include_dirs: Vec<PathBuf>,
    pub defines: Vec<String>,
}

/// What one bench run saw.
#[derive(Debug, Clone)]
pub struct BenchRun {
    pub beats: Vec<Beat>,
    /// Cycles until the last beat (as the Verilator harness counts them).
    pub cycles: u64,
    /// (cycle, signals) where a control output was x or z.
    pub unknown_control: Vec<(u64, String)>,
    pub hung: bool,
    pub seconds: f64,
    pub simulator_version: Option<String>,
    pub log: PathBuf,
}

/// The stimulus files: one line per input beat ({first, data}, trits in the
/// one encoding of docs/arithmetic.md) and one per cycle ({valid, ready}).
pub fn stimulus_files(plan: &Plan, stim: &Stimulus, ncyc: u64) -> (String, String) {
    let c = plan.in_trits;
    let digits = (2 * c + 1).div_ceil(4);
    let mut inp = String::new();
    for t in &stim.tokens {
        for beat in 0..plan.in_beats {
            // Bit 2c is s_first (first beat of a token that starts a sequence).
            let mut bits = vec![0u8; 2 * c + 1];
            for k in 0..c {
                let mut w = hitnet_arch::TritWord::default();
                w.set(0, t.x.get(beat * c + k).copied().unwrap_or(0));
                let code = w.code(0);
                bits[2 * k] = code & 1;
                bits[2 * k + 1] = code >> 1;
            }
            bits[2 * c] = (beat == 0 && t.first) as u8;
            let mut line = String::with_capacity(digits);
            for d in (0..digits).rev() {
                let mut v = 0u32;
                for b in 0..4 {
                    if let Some(&x) = bits.get(4 * d + b) {
                        v |= (x as u32) << b;
                    }
                }
                line.push(char::from_digit(v, 16).unwrap_or('0'));
            }
            inp.push_str(&line);
            inp.push('\n');
        }
    }
    if stim.tokens.is_empty() {
        inp.push_str("0\n");
    }
    let mut pat = String::with_capacity(2 * ncyc as usize);
    for cy in 0..ncyc {
        let v = ((stim.valid.at(cy) as u8) << 1) | stim.ready.at(cy) as u8;
        let _ = writeln!(pat, "{v}");
    }
    (inp, pat)
}

pub(crate) fn icarus_version(iverilog: &Path) -> Option<String> {
    let out = Command::new(iverilog).arg("-V").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    text.lines()
        .next()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
}

pub(crate) fn find(program: &str) -> Result<PathBuf> {
    hitnet_fpga::tools::find_program(program).ok_or_else(|| {
        VerifyError::Missing(format!(
            "{program} not found; install Icarus Verilog with scripts/setup (Debian: apt-get install iverilog)"
        ))
    })
}

/// Compiles the bench around `net` in `work` and runs `stim` through it
/// for at most `ncyc` pattern cycles. `vcd`: dump tb.vcd for that window.
pub fn run_bench(
    net: &Netlist,
    plan: &Plan,
    stim: &Stimulus,
    ncyc: u64,
    max_idle: u64,
    work: &Path,
    vcd: Option<(u64, u64)>,
) -> Result<BenchRun> {
    let iverilog = find("iverilog")?;
    std::fs::create_dir_all(work).map_err(io_err("cannot create", work))?;
    let (inp, pat) = stimulus_files(plan, stim, ncyc);
    for (name, text) in [
        ("in.hex", inp.as_str()),
        ("pat.hex", pat.as_str()),
        ("tb_hitnet_stream.v", STREAM_BENCH),
    ] {
        let p = work.join(name);
        std::fs::write(&p, text).map_err(io_err("cannot write", &p))?;
    }
    let layers = plan.layers.len() as u64;
    let expect = stim.tokens.len() as u64 * layers * plan.out_beats as u64;
    let ports = hitnet_cosim::build::PortWidths::of(plan);
    let nin = (stim.tokens.len() * plan.in_beats).max(1);
    let params = [
        ("SW", ports.s_data as i64),
        ("MW", ports.m_data as i64),
        ("LW", ports.m_layer as i64),
        ("NIN", nin as i64),
        ("NCYC", ncyc.max(1) as i64),
        ("EXPECT", expect.max(1) as i64),
        ("MAX_IDLE", max_idle as i64),
        ("VCD_FROM", vcd.map(|w| w.0 as i64).unwrap_or(-1)),
        ("VCD_TO", vcd.map(|w| w.1 as i64).unwrap_or(-1)),
    ];
    let (text, seconds, log) = icarus(net, work, "tb_hitnet_stream", &params)?;
    let mut run = parse_output(plan, &text, &log)?;
    run.seconds = seconds;
    run.simulator_version = icarus_version(&iverilog);
    Ok(run)
}

/// Compiles bench `top` (`<top>.v`, already in `work`) around `net` with
/// parameters `params` and runs it: its stdout, the seconds it ran and the
/// log (compile and run output).
pub(crate) fn icarus(
    net: &Netlist,
    work: &Path,
    top: &str,
    params: &[(&str, i64)],
) -> Result<(String, f64, PathBuf)> {
    let iverilog = find("iverilog")?;
    let vvp = find("vvp")?;
    let log = work.join("bench.log");
    let mut cmd = Command::new(&iverilog);
    cmd.current_dir(work)
        .args(["-g2012", "-o", "bench.vvp", "-s", top]);
    for (k, v) in params {
        cmd.arg(format!("-P{top}.{k}={v}"));
    }
    for d in &net.defines {
        cmd.arg(format!("-D{d}"));
    }
    for d in &net.include_dirs {
        cmd.arg("-I").arg(d);
    }
    cmd.arg(format!("{top}.v"));
    for f in &net.files {
        let abs = f.canonicalize().map_err(io_err("cannot find", f))?;
        cmd.arg(abs);
    }
    let compile = compile_bench(cmd, &iverilog, "iverilog", &log, |l| {
        l.contains("error") || l.contains("Unknown module")
    })?;
    let mut run = Command::new(&vvp);
    run.current_dir(work).args(["-n", "bench.vvp"]);
    run_bench_program(run, &vvp, "vvp", &compile, log)
}

/// Runs a bench's compiler `cmd`: its output, written to `log`; on failure
/// the first line `is_error` picks (or "compilation failed") names it.
fn compile_bench(
    mut cmd: Command,
    program: &Path,
    tool: &str,
    log: &Path,
    is_error: impl Fn(&str) -> bool,
) -> Result<String> {
    let out = cmd.output().map_err(io_err("cannot run", program))?;
    let compile = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(log, &compile).map_err(io_err("cannot write", log))?;
    if !out.status.success() {
        return Err(VerifyError::Tool {
            tool: tool.into(),
            detail: compile
                .lines()
                .find(|l| is_error(l))
                .unwrap_or("compilation failed")
                .trim()
                .to_string(),
            log: log.to_path_buf(),
        });
    }
    Ok(compile)
}

/// Runs a compiled bench in its folder: its stdout and seconds, the log
/// (`compile`'s output, then the run's) written either way.
fn run_bench_program(
    mut cmd: Command,
    program: &Path,
    tool: &str,
    compile: &str,
    log: PathBuf,
) -> Result<(String, f64, PathBuf)> {
    let t = std::time::Instant::now();
    let out = cmd.output().map_err(io_err("cannot run", program))?;
    let seconds = t.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    std::fs::write(
        &log,
        format!("{compile}{text}{}", String::from_utf8_lossy(&out.stderr)),
    )
    .map_err(io_err("cannot write", &log))?;
    if !out.status.success() {
        return Err(VerifyError::Tool {
            tool: tool.into(),
            detail: format!("exit status {}", out.status),
            log,
        });
    }
    Ok((text, seconds, log))
}

/// Reads the bench's lines into beats, numbering tokens and beats per layer
/// as the Verilator harness does.
pub fn parse_output(plan: &Plan, text: &str, log: &Path) -> Result<BenchRun> {
    let layers = plan.layers.len();
    let mut beat_idx = vec![0usize; layers];
    let mut out_token = vec![0usize; layers];
    let mut beats: Vec<Beat> = Vec::new();
    let tail = crate::ends::read_lines(text, log, |f| {
        let ["B", cycle, layer, last, bits] = f else {
            return Ok(());
        };
        let cycle: u64 = cycle.parse().map_err(|_| ())?;
        // An unknown layer or last flag is reported by an X line too;
        // the beat then counts against layer 0 so the run goes on.
        let layer: usize = layer.parse().unwrap_or(0);
        if layer >= layers {
            return Err(());
        }
        let last = *last == "1";
        let bits = bits.as_bytes();
        if bits.len() != 2 * plan.out_trits {
            return Err(());
        }
        // MSB first: trit k is bits [2k+1:2k].
        let data = (0..plan.out_trits)
            .map(|k| {
                let hi = bits[bits.len() - 1 - (2 * k + 1)];
                let lo = bits[bits.len() - 1 - 2 * k];
                match (hi, lo) {
                    (b'0', b'0') => 0,
                    (b'0', b'1') => 1,
                    (b'1', b'1') => -1,
                    _ => ILLEGAL_TRIT,
                }
            })
            .collect();
        beats.push(Beat {
            cycle,
            token: out_token[layer],
            layer,
            index: beat_idx[layer],
            last,
            data,
        });
        beat_idx[layer] += 1;
        if beat_idx[layer] == plan.out_beats {
            beat_idx[layer] = 0;
            out_token[layer] += 1;
        }
        Ok(())
    })?;
    Ok(BenchRun {
        cycles: beats.last().map_or(0, |b| b.cycle + 1),
        beats,
        unknown_control: tail.unknown_control,
        hung: tail.hung,
        seconds: 0.0,
        simulator_version: None,
        log: log.to_path_buf(),
    })
}

/// [`icarus`] under Verilator (`--binary --timing`, two-state): the
/// generated RTL as the co-simulation runs it, about 100 times faster than
/// Icarus once built. Not for netlists (Verilator cannot read the cell
/// models, and an x would read as 0).
pub(crate) fn verilator(
    net: &Netlist,
    work: &Path,
    top: &str,
    params: &[(&str, i64)],
) -> Result<(String, f64, PathBuf)> {
    let verilator = hitnet_fpga::tools::find_program("verilator").ok_or_else(|| {
        VerifyError::Missing(
            "verilator not found; install it with scripts/setup (Debian: apt-get install verilator)"
                .into(),
        )
    })?;
    let log = work.join("bench.log");
    let mut cmd = Command::new(&verilator);
    cmd.current_dir(work).args([
        "--binary",
        "--timing",
        "-Wno-fatal",
        "-Wno-lint",
        "-Wno-style",
        "--top-module",
        top,
        "-o",
        "vbench",
    ]);
    for (k, v) in params {
        cmd.arg(format!("-G{k}={v}"));
    }
    for d in &net.defines {
        cmd.arg(format!("-D{d}"));
    }
    for d in &net.include_dirs {
        cmd.arg(format!("-I{}", d.display()));
    }
    cmd.arg(format!("{top}.v"));
    for f in &net.files {
        let abs = f.canonicalize().map_err(io_err("cannot find", f))?;
        cmd.arg(abs);
    }
    let compile = compile_bench(cmd, &verilator, "verilator", &log, |l| l.contains("Error"))?;
    // Absolute: the program runs with `work` as its folder, and a relative
    // `work` would be resolved twice.
    let bin = work
        .canonicalize()
        .map_err(io_err("cannot find", work))?
        .join("obj_dir")
        .join("vbench");
    let mut run = Command::new(&bin);
    run.current_dir(work);
    run_bench_program(run, &bin, "the Verilated bench", &compile, log)
}
