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
