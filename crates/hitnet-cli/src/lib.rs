//! The `hitnet` command line. Thin by design: it parses arguments, calls the
//! stage crates and prints. Errors in user input exit with code 2 and one
//! line naming the file, key or value at fault.
use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod args;
mod cmd_bench;
mod cmd_check;
mod cmd_cosim;
mod cmd_deploy;
mod cmd_eval;
mod cmd_explore;
mod cmd_gen;
mod cmd_report;
mod cmd_run;
mod cmd_sim;
mod cmd_synth;
mod cmd_train;
mod cmd_verify;
mod common;

pub use common::CliError;

#[derive(Parser, Debug)]
#[command(
    name = "hitnet",
    version,
    about = "HitNet ternary RNNs to verified FPGA accelerators (Yosys/nextpnr, iCE40/ECP5)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The `Command` enum, one variant per `cmd_*` module, and its dispatch.
macro_rules! commands {
    ($($(#[$doc:meta])* $name:ident($module:ident),)*) => {
        #[derive(Subcommand, Debug)]
        pub enum Command {
            $($(#[$doc])* $name($module::Args),)*
        }

        fn dispatch(c: Command) -> anyhow::Result<ExitCode> {
            match c {
                $(Command::$name(a) => $module::run(a),)*
            }
        }
    };
}

commands! {
    /// Run the integer golden model over a seeded random input stream.
    Run(cmd_run),
    /// Validate a config and its model; print the formats and derived widths.
    Check(cmd_check),
    /// Generate the accelerator: Verilog, memory images, manifest.json.
    Gen(cmd_gen),
    /// Run the cycle-accurate simulator; report cycles per token.
    Sim(cmd_sim),
    /// Co-simulate golden model, cycle simulator and Verilated RTL bit for bit.
    Cosim(cmd_cosim),
    /// Synthesize, place and route for an iCE40 or ECP5 target; report resources and Fmax.
    Synth(cmd_synth),
    /// Simulate the synthesized netlist with the vendor cell models against the golden model and the simulator.
    Verify(cmd_verify),
    /// Put another model of the same shape into a deployable build's bitstream, without place and route.
    Deploy(cmd_deploy),
    /// Summarize model, plan, cycles and (when present) synthesis results.
    Report(cmd_report),
    /// Sweep array shapes on a target; table and SVG plot with the Pareto front.
    Explore(cmd_explore),
    /// Benchmark the golden model against a float f32 step of the same size.
    Bench(cmd_bench),
    /// Train a HitNet language model or sequence classifier with quantization in the loop.
    Train(cmd_train),
    /// Evaluate a model: a language model on a corpus, a classifier on a .ts test split.
    Eval(cmd_eval),
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if !matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                e.exit();
            }
            // Help and version go to stdout, whose failure must show too.
            let text = e.render().to_string();
            let r = common::write_out(format_args!("{text}"), "").and_then(|_| common::flush_out());
            return match r {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => stdout_failure(&e),
            };
        }
    };
    let result = dispatch(cli.command);
    // Output still buffered must reach stdout too, or the failure be known.
    let result = result.and_then(|code| common::flush_out().map(|_| code));
    match result {
        Ok(code) => code,
        Err(e) if e.downcast_ref::<common::StdoutError>().is_some() => stdout_failure(&e),
        Err(e) => {
            eprintln!("error: {}", hitnet_flow::one_line(e.as_ref()));
            ExitCode::from(e.downcast_ref::<CliError>().map(|c| c.code).unwrap_or(2))
        }
    }
}

/// A closed pipe ends the command quietly with 141 (as SIGPIPE would);
/// another stdout failure (a full disk) is an error, exit 1.
fn stdout_failure(e: &anyhow::Error) -> ExitCode {
    let broken = e
        .downcast_ref::<common::StdoutError>()
        .is_some_and(|s| s.0.kind() == std::io::ErrorKind::BrokenPipe);
    if broken {
        ExitCode::from(141)
    } else {
        eprintln!("error: {}", hitnet_flow::one_line(e.as_ref()));
        ExitCode::from(1)
    }
}
