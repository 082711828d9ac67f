//! `hitnet train` (issue 6; owned by the training work).
use anyhow::Result;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_a: Args) -> Result<ExitCode> {
    anyhow::bail!("`hitnet train` is not implemented yet")
}
