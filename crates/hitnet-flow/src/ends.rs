//! The model ends a config puts around the core (`[lm]`, `[classifier]`
//! or none), as one value the build, the deployment and the checks share:
//! which design to generate, which memories hold parameters, where the
//! flash image goes.
use crate::Result;
use hitnet_arch::lm::FlashLayout;
use hitnet_fpga::accel::EndsKind;

/// The ends of a config, planned.
pub enum Ends {
    Core,
    Lm(crate::lm::Ends),
    Cls(crate::cls::Ends),
}

impl Ends {
    /// The ends `loaded`'s config asks for around `core`.
    pub fn of(loaded: &hitnet_model::Loaded, core: &hitnet_arch::Plan) -> Result<Ends> {
        if let Some(e) = crate::lm::ends_for(loaded, core)? {
            return Ok(Ends::Lm(e));
        }
        Ok(match crate::cls::ends_for(loaded, core)? {
            Some(e) => Ends::Cls(e),
            None => Ends::Core,
        })
    }

    pub fn kind(&self) -> EndsKind {
        match self {
            Ends::Core => EndsKind::Core,
            Ends::Lm(_) => EndsKind::Lm,
            Ends::Cls(_) => EndsKind::Cls,
        }
    }

    /// The generated design: the ends around the core, or the core.
    pub fn generate(
        &self,
        core: &hitnet_arch::Plan,
        config: serde_json::Value,
        bram: hitnet_rtl::Bram,
        deployable: bool,
    ) -> hitnet_rtl::Design {
        match self {
            Ends::Core => hitnet_rtl::generate_for(core, config, bram, deployable),
            Ends::Lm(e) => hitnet_rtl::lm::generate(core, &e.plan, config, bram, deployable),
            Ends::Cls(e) => hitnet_rtl::cls::generate(core, &e.plan, config, bram, deployable),
        }
    }

    /// Every memory that holds a model parameter in the bitstream: the
    /// core's, then the ends' block RAMs (not the flash store's words,
    /// which are in the flash image).
    pub fn memories(&self, core: &hitnet_arch::Plan) -> Vec<hitnet_rtl::ParamMemory> {
        let mut v = hitnet_rtl::parameter_memories(core);
        match self {
            Ends::Core => {}
            // As a deployable build holds them (the only kind deployed).
            Ends::Lm(e) => v.extend(hitnet_rtl::lm::parameter_memories(&e.plan, true)),
            Ends::Cls(e) => v.extend(hitnet_rtl::cls::parameter_memories(&e.plan)),
        }
        v
    }

    /// The flash store's layout, if the ends have one.
    pub fn flash(&self) -> Option<FlashLayout> {
        match self {
            Ends::Core => None,
            Ends::Lm(e) => e.plan.flash,
            Ends::Cls(e) => e.plan.flash,
        }
    }

    /// Cycles per step in steady state: per token (the core, the LM ends'
    /// generated tokens) or per frame (the classifier ends).
    pub fn cycles_per_step(&self, core: &hitnet_arch::Plan) -> u64 {
        match self {
            Ends::Core => core.cycles.per_token,
            Ends::Lm(e) => e.cycles_per_token(core),
            Ends::Cls(e) => e.cycles_per_frame(core),
        }
    }

    pub fn lm(&self) -> Option<&crate::lm::Ends> {
        match self {
            Ends::Lm(e) => Some(e),
            _ => None,
        }
    }

    pub fn cls(&self) -> Option<&crate::cls::Ends> {
        match self {
            Ends::Cls(e) => Some(e),
            _ => None,
        }
    }
}

/// The store an ends section (`[lm]`, `[classifier]`) chose for its target.
pub(crate) fn store(name: &str, flash_offset: u64) -> hitnet_arch::lm::LmStore {
    match name {
        "flash" => hitnet_arch::lm::LmStore::Flash {
            offset: flash_offset,
        },
        _ => hitnet_arch::lm::LmStore::Rom,
    }
}

/// Which artefact of the ends a run judges: the generated Verilog in
/// Verilator, or the board top's netlist (its kept ends module) for the
/// target in Icarus with the cell models. The routed design has runs of
/// its own (`lm::verify_routed`, `cls::verify_routed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// The generated Verilog, Verilated (the co-simulation's simulator).
    Rtl,
    /// The Yosys netlist of the ends module for the target, with its cell
    /// models.
    Synth,
}

impl Stage {
    pub fn simulator(self) -> hitnet_verify::ends::Simulator {
        match self {
            Stage::Rtl => hitnet_verify::ends::Simulator::Verilator,
            Stage::Synth => hitnet_verify::ends::Simulator::Icarus,
        }
    }
}

/// What a synth stage synthesized for an ends run (all None at the RTL
/// stage): Yosys's cells, its version, the seconds it took and the top it
/// synthesized (the board's ends top, whose kept ends module is judged,
/// or the ends module alone where no board top exists).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Artefact {
    pub cells: Option<hitnet_fpga::parse::yosys::CellSummary>,
    pub yosys_version: Option<String>,
    pub synth_seconds: Option<f64>,
    pub netlist_top: Option<String>,
}

/// The artefact a stage judges, ready for the ends' bench.
pub(crate) struct Judged {
    pub net: hitnet_verify::Netlist,
    /// The bench's working folder.
    pub work: std::path::PathBuf,
    pub artefact: Artefact,
}

/// Writes `design` (the ends `kind` around the core, top module `top`)
/// into `out/gen` and makes the artefact `stage` judges: the RTL as it
/// is, or what ships synthesized (`crate::synth_ends`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn judged(
    design: &hitnet_rtl::Design,
    stage: Stage,
    kind: EndsKind,
    top: &str,
    target: &'static hitnet_fpga::Target,
    clock_mhz: f64,
    out: &std::path::Path,
    progress: &hitnet_fpga::Progress,
) -> Result<Judged> {
    let gen = out.join("gen");
    design.write(&gen)?;
    let work = out.join("verify");
    Ok(match stage {
        Stage::Rtl => Judged {
            net: crate::rtl_netlist(design, &gen, &work)?,
            work,
            artefact: Artefact::default(),
        },
        Stage::Synth => {
            let (syn, top) =
                crate::synth_ends(design, &gen, kind, top, target, clock_mhz, out, progress)?;
            Judged {
                net: hitnet_verify::cells::for_synth(target.family, &syn)?,
                work,
                artefact: Artefact {
                    cells: Some(syn.yosys_summary.clone()),
                    yosys_version: Some(syn.yosys_version.clone()),
                    synth_seconds: Some(syn.seconds),
                    netlist_top: Some(top),
                },
            }
        }
    })
}

/// The routed check's board build of the ends: `generate(bram,
/// deployable)` (deployable when the build in `out` is) wrapped in the
/// board top, then placed and routed now, or with `built` the build
/// `hitnet synth` left in `out`, which must hold that design. Returns the
/// design hash, the wrapped design and the family's Yosys.
pub(crate) fn routed_design(
    generate: impl FnOnce(hitnet_rtl::Bram, bool) -> hitnet_rtl::Design,
    target: &'static hitnet_fpga::Target,
    out: &std::path::Path,
    clock_mhz: f64,
    built: bool,
    progress: &hitnet_fpga::Progress,
) -> Result<(String, hitnet_fpga::Wrapped, String)> {
    let deployable = crate::verify::is_deployable_build(out, built);
    let design = generate(crate::bram_for_target(target.name), deployable);
    let sha = design.sha256();
    let (_, wrapped) = crate::wrap_design(
        design,
        target,
        hitnet_fpga::WrapperKind::Uart,
        out,
        clock_mhz,
    )?;
    if built {
        crate::verify::check_held(out, &sha)?;
    } else {
        let opts = hitnet_fpga::FlowOptions {
            progress: progress.clone(),
            ..Default::default()
        };
        let r = hitnet_fpga::run_flow(&wrapped.design, target, out, &opts)?;
        if !r.fits {
            return Err(crate::FlowError::Input(format!(
                "the design does not fit {}: nothing routed to verify",
                target.name
            )));
        }
    }
    let yosys = hitnet_fpga::Toolchain::for_family(target.family).yosys;
    Ok((sha, wrapped, yosys))
}
