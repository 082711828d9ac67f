//! Helpers shared by the commands.
use anyhow::{Context, Result};
use hitnet_model::config::{Config, DEFAULT_CONFIG};
use std::path::Path;

/// An error with a specific exit code (2 = bad input, the default; 1 = a
/// verification that ran and failed).
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub msg: String,
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.msg)
    }
}
impl std::error::Error for CliError {}

/// The config at `path`, or the built-in default config.
pub fn load_config(path: Option<&Path>) -> Result<Config> {
    match path {
        Some(p) => Ok(Config::load(p)?),
        None => Ok(Config::parse(DEFAULT_CONFIG, "<built-in default config>")?),
    }
}

/// How messages name the config at `path` (or the built-in one).
pub fn config_name(path: Option<&Path>) -> String {
    path.map(|p| p.display().to_string())
        .unwrap_or_else(|| "<built-in default config>".into())
}

/// Loads config and model, adding which config to the message.
pub fn load_model(path: Option<&Path>) -> Result<hitnet_model::Loaded> {
    let cfg = load_config(path)?;
    let l = hitnet_model::load(&cfg)
        .with_context(|| format!("loading the model of {}", config_name(path)))?;
    if !l.ignored_tensors.is_empty() {
        // On stderr: stdout may be JSON or data. The JSON says it too.
        eprintln!("note: {}", hitnet_flow::ignored_note(&l));
    }
    Ok(l)
}

/// An error chain on one line: "outer: inner: root".
pub fn one_line(e: &anyhow::Error) -> String {
    hitnet_flow::one_line(e.as_ref())
}

/// Standard output failed (a full disk, a closed pipe): the command stops
/// there. `main` exits quietly with 141 on a closed pipe, as a Unix tool
/// killed by SIGPIPE does, and with a message and 1 otherwise.
#[derive(Debug)]
pub struct StdoutError(pub std::io::Error);

impl std::fmt::Display for StdoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot write the output: {}", self.0)
    }
}
impl std::error::Error for StdoutError {}

/// Writes `args` and `end` to standard output; the error says it was stdout.
pub fn write_out(args: std::fmt::Arguments, end: &str) -> Result<()> {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    o.write_fmt(args)
        .and_then(|_| o.write_all(end.as_bytes()))
        .map_err(|e| anyhow::Error::new(StdoutError(e)))
}

/// Flushes standard output; the error says it was stdout.
pub fn flush_out() -> Result<()> {
    use std::io::Write;
    std::io::stdout()
        .flush()
        .map_err(|e| anyhow::Error::new(StdoutError(e)))
}

/// `println!` that returns write errors (`?` in the caller).
#[macro_export]
macro_rules! outln {
    () => { $crate::common::write_out(format_args!(""), "\n")? };
    ($($t:tt)*) => { $crate::common::write_out(format_args!($($t)*), "\n")? };
}

/// `print!` that returns write errors.
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => { $crate::common::write_out(format_args!($($t)*), "")? };
}

pub fn print_json(v: &serde_json::Value) -> Result<()> {
    write_out(
        format_args!("{}", serde_json::to_string_pretty(v).expect("json")),
        "\n",
    )
}

// The helpers the flows share live in hitnet-flow; the commands use them
// from here.
pub use hitnet_flow::{bram_for_target, config_json, model_json, model_line};

/// Config, model and plan: the input of gen, sim, cosim, synth and report.
pub struct Planned {
    pub loaded: hitnet_model::Loaded,
    pub plan: hitnet_arch::Plan,
}

pub fn load_plan(path: Option<&Path>) -> Result<Planned> {
    let loaded = load_model(path)?;
    let hw = &loaded.config.hw;
    let plan = hitnet_arch::Plan::new(&loaded.int, hitnet_arch::Shape::of(hw))
        .with_context(|| format!("planning the accelerator of {}", config_name(path)))?;
    Ok(Planned { loaded, plan })
}

/// `--bram` of gen and cosim: how the weight banks are built.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BramArg {
    /// From the config's hw.target: DP16KD for ecp5-*, inferred otherwise.
    #[default]
    Auto,
    /// Behavioural memories from $readmemh images.
    Inferred,
    /// ECP5 DP16KD primitives with the output register (REGMODE OUTREG).
    Dp16kd,
}

impl BramArg {
    pub fn resolve(self, l: &hitnet_model::Loaded) -> hitnet_rtl::Bram {
        match self {
            BramArg::Auto => bram_for_target(&l.config.hw.target),
            BramArg::Inferred => hitnet_rtl::Bram::Inferred,
            BramArg::Dp16kd => hitnet_rtl::Bram::Dp16kd,
        }
    }
}

pub use hitnet_flow::bar;

/// A flow error with its exit code: 2 for input, 1 when a netlist check
/// ran and failed; FPGA and verification errors as their own mappings say.
pub fn flow_error(e: hitnet_flow::FlowError) -> anyhow::Error {
    use hitnet_flow::FlowError as E;
    match e {
        E::Input(m) => bad_input(m),
        E::Fpga(e) => fpga_error(e),
        E::Verify(e) => crate::cmd_verify::verify_error(e),
        E::NetlistDiffers(msg) => CliError { code: 1, msg }.into(),
        other => anyhow::Error::new(other),
    }
}

/// A bad-input error (exit code 2) with one line of text.
pub fn bad_input(msg: impl Into<String>) -> anyhow::Error {
    CliError {
        code: 2,
        msg: msg.into(),
    }
    .into()
}

/// An FPGA flow error with its exit code: 2 for what the user can fix
/// before running (unknown target, missing tool, bad design or folder), 1
/// when a tool ran and failed or left an unreadable report.
pub fn fpga_error(e: hitnet_fpga::FpgaError) -> anyhow::Error {
    use hitnet_fpga::FpgaError as E;
    let code = match e {
        E::ToolFailed { .. } | E::ReportUnreadable { .. } | E::Cosim { .. } => 1,
        _ => 2,
    };
    CliError {
        code,
        msg: e.to_string(),
    }
    .into()
}

/// The target named on the command line, else the config's `hw.target`.
pub fn fpga_target(
    name: Option<&str>,
    loaded: &hitnet_model::Loaded,
) -> Result<&'static hitnet_fpga::Target> {
    let name = name.unwrap_or(&loaded.config.hw.target);
    hitnet_fpga::Target::from_name(name).map_err(fpga_error)
}

/// Refuses, before any long build, an output file that cannot be written.
pub fn check_output_file(path: &Path, flag: &str) -> Result<()> {
    hitnet_flow::check_output_file(path, flag).map_err(flow_error)
}

/// Default build folder of a target: `build/<target>`.
pub fn default_build_dir(target: &hitnet_fpga::Target) -> std::path::PathBuf {
    Path::new("build").join(target.name)
}

/// Exit 0 when a verification run agreed everywhere; else exit 1 with
/// "`what` found N mismatches; first: ..." (a run that ran and disagreed).
pub fn verdict(
    what: &str,
    bit_exact: bool,
    mismatches: u64,
    first: Option<String>,
) -> anyhow::Result<std::process::ExitCode> {
    if bit_exact {
        Ok(std::process::ExitCode::SUCCESS)
    } else {
        Err(CliError {
            code: 1,
            msg: format!(
                "{what} found {mismatches} mismatches{}",
                first.map(|m| format!("; first: {m}")).unwrap_or_default()
            ),
        }
        .into())
    }
}
