//! Helpers shared by the commands.
use anyhow::Result;
use std::path::Path;

/// An error with a specific exit code (2 = bad input, the default; 1 = a
/// verification that ran and failed).
#[derive(Debug, thiserror::Error)]
#[error("{msg}")]
pub struct CliError {
    pub code: u8,
    pub msg: String,
}

pub use hitnet_flow::load::Planned;

/// Config and model; a note on stderr for tensors the import ignored.
pub fn load_model(path: Option<&Path>) -> Result<hitnet_model::Loaded> {
    let l = hitnet_flow::load::model(path).map_err(flow_error)?;
    note_ignored(&l);
    Ok(l)
}

/// On stderr: stdout may be JSON or data. The JSON says it too.
fn note_ignored(l: &hitnet_model::Loaded) {
    // A whole language model imported: say where each tensor went.
    if l.model.embedding.is_some() && !l.imported_tensors.is_empty() {
        eprint!(
            "note: imported {}:\n{}",
            l.source,
            hitnet_flow::imported_note(l)
        );
    }
    if !l.ignored_tensors.is_empty() {
        eprintln!("note: {}", hitnet_flow::ignored_note(l));
    }
}

/// Standard output failed (a full disk, a closed pipe): the command stops
/// there. `main` exits quietly with 141 on a closed pipe, as a Unix tool
/// killed by SIGPIPE does, and with a message and 1 otherwise.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the output: {0}")]
pub struct StdoutError(pub std::io::Error);

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

/// `--json`: `value` as one JSON object; else `text()` as it is.
pub fn emit(
    json: bool,
    value: &impl serde::Serialize,
    text: impl FnOnce() -> String,
) -> Result<()> {
    if json {
        print_json(&serde_json::to_value(value)?)
    } else {
        write_out(format_args!("{}", text()), "")
    }
}

pub fn print_json(v: &serde_json::Value) -> Result<()> {
    write_out(
        format_args!("{}", serde_json::to_string_pretty(v).expect("json")),
        "\n",
    )
}

// The helpers the flows share live in hitnet-flow; the commands use them
// from here.
pub use hitnet_flow::{config_json, model_json, model_line};

pub fn load_plan(path: Option<&Path>) -> Result<Planned> {
    let p = hitnet_flow::load::plan(path).map_err(flow_error)?;
    note_ignored(&p.loaded);
    Ok(p)
}

pub use hitnet_flow::BramChoice as BramArg;

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
    let msg = msg.into();
    CliError { code: 2, msg }.into()
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
    let msg = e.to_string();
    CliError { code, msg }.into()
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

/// Exit 0 when a verification run agreed everywhere; else exit 1 with
/// "`what` found N mismatches; first: ..." (a run that ran and disagreed).
pub fn verdict(
    what: &str,
    bit_exact: bool,
    mismatches: u64,
    first: Option<String>,
) -> anyhow::Result<std::process::ExitCode> {
    if bit_exact {
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let first = first.map(|m| format!("; first: {m}")).unwrap_or_default();
    let msg = format!("{what} found {mismatches} mismatches{first}");
    Err(CliError { code: 1, msg }.into())
}
