//! The classifier ends on the chip (`[classifier]` in the config): their
//! plan from the model file's `classifier`, and the design with
//! `hitnet_cls` around the core.
use crate::{FlowError, Result};
use hitnet_arch::cls::ClsPlan;
use hitnet_arch::lm::LmStore;

/// The integer ends and their plan.
pub struct Ends {
    pub classifier: hitnet_model::classify::Classifier,
    pub plan: ClsPlan,
}

/// The ends the config's `[classifier]` asks for (None without it).
/// Refused: a model file with no `classifier`.
pub fn ends_for(loaded: &hitnet_model::Loaded, core: &hitnet_arch::Plan) -> Result<Option<Ends>> {
    let Some(s) = &loaded.config.classifier else {
        return Ok(None);
    };
    let Some(c) = loaded.model.classifier.clone() else {
        return Err(FlowError::Input(format!(
            "[classifier] of {}: the model file has no `classifier` (train one with `hitnet train --task classify`), or remove [classifier]",
            loaded.source
        )));
    };
    let store = match s.store_on(&loaded.config.hw.target) {
        "flash" => LmStore::Flash {
            offset: s.flash_offset,
        },
        _ => LmStore::Rom,
    };
    let plan = ClsPlan::new(core, &c)
        .and_then(|p| p.with_store(store))
        .map_err(|source| FlowError::Plan {
            what: format!("[classifier] of {}", loaded.source),
            source,
        })?;
    Ok(Some(Ends {
        classifier: c,
        plan,
    }))
}
