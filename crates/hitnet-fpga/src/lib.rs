//! hitnet-fpga: the open FPGA flow of hitnet-hw.
//!
//! Takes a set of Verilog files and builds them for a Lattice iCE40 or ECP5
//! target with Yosys and nextpnr: writes the flow as plain scripts into a
//! build folder ([`write_scripts`]), runs them step by step with progress
//! ([`run_flow`]), parses what the tools write (serde for JSON reports, nom
//! for logs, [`parse`]) and returns a [`SynthReport`]. A design that does
//! not fit or misses timing is a result, not an error.
//!
//! It also holds the host side of the UART board wrapper in `fpga/`: the
//! byte protocol ([`uart`]), a co-simulation driver ([`cosim`]) and the
//! reference model of the behavioural stand-in accelerator ([`standin`]).
//!
//! docs/fpga-flow.md describes the flow, the folder layout and the API.

pub mod accel;
pub mod bram;
pub mod cosim;
pub mod design;
pub mod error;
pub mod exec;
pub mod flow;
pub mod parse;
pub mod report;
pub mod scripts;
pub mod standin;
pub mod target;
pub mod tools;
pub mod uart;

pub use accel::{wrap, AccelInterface, Board, Wrapped, WrapperKind};
pub use design::Design;
pub use error::{FpgaError, Result};
pub use exec::{Executor, Slurm};
pub use flow::{
    read_synth_report, run_flow, run_synth, DspPolicy, FlowOptions, Progress, Step, SynthOnly,
};
pub use report::{ClockTiming, Overflow, SynthReport, Usage};
pub use scripts::{write_scripts, Scripts};
pub use target::{Family, Target, TARGETS};
pub use tools::Toolchain;
