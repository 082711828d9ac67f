//! `hitnet verify`: the synthesized netlist that goes on to place and
//! route (`--stage synth`), or the placed and routed design (`--stage
//! routed`), simulated with the vendor cell models against the cycle
//! simulator and the golden model: every output beat and its cycle.
use crate::common;
use anyhow::{Context, Result};
use hitnet_cosim::Stimulus;
use hitnet_fpga::{FlowOptions, Progress};
use hitnet_verify::{Report, VerifyError};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StageArg {
    Synth,
    Routed,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub design: crate::args::DesignArgs,
    /// Which artefact to judge: the Yosys netlist (synth) or the routed design.
    #[arg(long, value_enum, default_value_t = StageArg::Synth)]
    pub stage: StageArg,
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub tokens: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Percent of cycles with the output stalled and the input absent (0..=95;
    /// synth stage: the routed stage runs at the pins, paced by the UART).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=95))]
    pub stall_percent: u32,
    /// Build folder (default: build/verify-<target>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// uart: the board's UART top; char: the characterization wrapper.
    #[arg(long)]
    pub wrapper: Option<String>,
    /// Where to write a VCD around the first mismatch.
    #[arg(long)]
    pub vcd: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn verify_error(e: VerifyError) -> anyhow::Error {
    match e {
        VerifyError::Missing(m) => common::bad_input(m),
        other => anyhow::Error::new(other),
    }
}

pub(crate) fn print_report(r: &Report) -> Result<()> {
    crate::outln!(
        "netlist: {} ({} with {})",
        r.netlist.display(),
        r.simulator_version.as_deref().unwrap_or("icarus"),
        r.cell_models
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    crate::outln!(
        "cycles:  netlist {}, simulator {}; {} of {} beats; {:.1} s ({:.0} netlist cycles/s)",
        r.netlist_cycles,
        r.sim_cycles,
        r.beats,
        r.expected_beats,
        r.seconds,
        r.netlist_cycles_per_second
    );
    crate::outln!(
        "compare: golden vs sim {} differing trits; sim vs netlist {} differing beats; {} cycles with an unknown control output",
        r.golden_vs_sim, r.sim_vs_netlist, r.unknown_control
    );
    if let Some(m) = &r.first {
        crate::outln!("first mismatch: {m}");
        if let Some(v) = &r.vcd {
            crate::outln!("VCD around it: {}", v.display());
        }
    }
    crate::outln!(
        "result:  {}",
        if r.bit_exact {
            "BIT-EXACT: golden = simulator = netlist, every output, same cycles"
        } else {
            "MISMATCH"
        }
    );
    Ok(())
}

pub fn run(a: Args) -> Result<ExitCode> {
    if let Some(v) = &a.vcd {
        common::check_output_file(v, "--vcd")?;
    }
    let pl = common::load_plan(a.design.config.as_deref())?;
    let target = common::fpga_target(a.design.target.as_deref(), &pl.loaded)?;
    let wrapper = hitnet_flow::wrapper_kind(a.wrapper.as_deref(), target)
        .map_err(crate::common::flow_error)?;
    // Refuse before a long flow run what the routed stage cannot judge.
    if a.stage == StageArg::Routed && wrapper != hitnet_fpga::WrapperKind::Uart {
        return Err(common::bad_input(format!(
            "--stage routed runs the chip at its serial pins and needs the board UART top (--wrapper uart); the char wrapper on {} has none (use --stage synth)",
            target.name
        )));
    }
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("build").join(format!("verify-{}", target.name)));
    hitnet_flow::prepare_out(&out).map_err(crate::common::flow_error)?;
    let gen_dir = out.join("gen");
    let design = hitnet_rtl::generate_with(
        &pl.plan,
        common::config_json(&pl.loaded),
        common::bram_for_target(target.name),
    );
    design
        .write(&gen_dir)
        .with_context(|| format!("writing the generated design to {}", gen_dir.display()))?;
    let wrapped = hitnet_fpga::wrap(
        &gen_dir,
        &out.join("wrapper"),
        wrapper,
        target,
        pl.loaded.config.hw.clock_mhz,
    )
    .map_err(common::fpga_error)?;
    let opts = FlowOptions {
        progress: Progress::Stderr,
        to: hitnet_fpga::Step::Pnr,
        ..FlowOptions::default()
    };
    // The synth stage needs only synthesis; the routed stage the whole flow
    // (the same scripts `hitnet synth` runs, without the bitstream).
    let (yosys_tool, yosys_version) = match a.stage {
        StageArg::Synth => {
            let syn = hitnet_fpga::run_synth(&wrapped.design, target, &out, &opts)
                .map_err(common::fpga_error)?;
            (syn.yosys_tool, syn.yosys_version)
        }
        StageArg::Routed => {
            let r = hitnet_fpga::run_flow(&wrapped.design, target, &out, &opts)
                .map_err(common::fpga_error)?;
            if !r.fits {
                return Err(common::bad_input(format!(
                    "the design does not fit {}: nothing routed to verify",
                    target.name
                )));
            }
            (r.yosys_tool, r.yosys_version)
        }
    };
    let (valid, ready) = common::patterns(a.seed, a.stall_percent);
    let stim = Stimulus {
        tokens: common::stimulus(a.seed, a.tokens, pl.loaded.int.input_size),
        valid,
        ready,
    };
    let vcd = a
        .vcd
        .clone()
        .unwrap_or_else(|| out.join("verify_mismatch.vcd"));
    let sp = common::spinner("simulating the netlist (Icarus, vendor cell models)");
    if a.stage == StageArg::Routed {
        let r = hitnet_verify::verify_routed_build(
            &pl.loaded.int,
            target,
            &yosys_tool,
            &out,
            &wrapped,
            &stim,
        );
        sp.finish_and_clear();
        let r = r.map_err(verify_error)?;
        if a.json {
            common::print_json(&serde_json::to_value(&r)?)?;
        } else {
            crate::outln!("model:   {}", common::model_line(&pl.loaded));
            crate::outln!(
                "stage:   routed ({} on {}, {}), {} tokens through the serial pins",
                r.netlist.display(),
                target.name,
                r.board,
                r.tokens
            );
            crate::outln!(
                "bytes:   {} of {} ({} beats); {} simulated cycles; RTL chip {:.1} s, routed chip {:.1} s",
                r.bytes, r.expected_bytes, r.beats, r.simulated_cycles, r.rtl_seconds, r.routed_seconds
            );
            crate::outln!(
                "compare: golden vs routed {} bytes, golden vs RTL {} bytes, {} bytes at another cycle than the RTL chip's",
                r.golden_vs_routed, r.golden_vs_rtl, r.cycle_mismatches
            );
            if let Some(m) = &r.first {
                crate::outln!("first mismatch: {m}");
            }
            crate::outln!(
                "result:  {}",
                if r.bit_exact {
                    "BIT-EXACT: routed chip = RTL chip on every pin cycle, bytes = golden model"
                } else {
                    "MISMATCH"
                }
            );
        }
        return common::verdict("routed verification", r.bit_exact, r.mismatches, r.first);
    }
    let r = hitnet_verify::verify_synth_build(
        &pl.plan,
        &pl.loaded.int,
        target,
        &yosys_tool,
        &out,
        &stim,
        Some(&vcd),
    );
    sp.finish_and_clear();
    let r = r.map_err(verify_error)?;
    if a.json {
        common::print_json(&serde_json::to_value(&r)?)?;
    } else {
        crate::outln!("model:   {}", common::model_line(&pl.loaded));
        crate::outln!(
            "stage:   synth ({yosys_tool} {yosys_version} on {}), {} tokens, seed {}, {}% stall",
            target.name,
            a.tokens,
            a.seed,
            a.stall_percent
        );
        print_report(&r)?;
    }
    common::verdict(
        "netlist verification",
        r.bit_exact,
        r.mismatches,
        r.first.map(|m| m.to_string()),
    )
}
