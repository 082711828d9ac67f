//! `hitnet report` (issue 5; owned by the FPGA integration work).
use anyhow::Result;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_a: Args) -> Result<ExitCode> {
    anyhow::bail!("`hitnet report` is not implemented yet")
}
