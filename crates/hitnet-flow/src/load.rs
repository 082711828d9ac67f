//! Config, model and plan: what every command starts from. A config path
//! of `None` is the built-in default config.
use crate::{FlowError, Result};
use hitnet_model::config::{Config, DEFAULT_CONFIG};
use std::path::Path;

const BUILT_IN: &str = "<built-in default config>";

/// The config at `path`, or the built-in default config.
pub fn config(path: Option<&Path>) -> Result<Config> {
    let c = match path {
        Some(p) => Config::load(p),
        None => Config::parse(DEFAULT_CONFIG, BUILT_IN),
    };
    c.map_err(|source| FlowError::Model { what: None, source })
}

/// How messages name the config at `path` (or the built-in one).
pub fn config_name(path: Option<&Path>) -> String {
    path.map(|p| p.display().to_string())
        .unwrap_or_else(|| BUILT_IN.into())
}

/// Config and model; the error names the config.
pub fn model(path: Option<&Path>) -> Result<hitnet_model::Loaded> {
    hitnet_model::load(&config(path)?).map_err(|source| FlowError::Model {
        what: Some(format!("loading the model of {}", config_name(path))),
        source,
    })
}

/// Config, model and plan: the input of gen, sim, cosim, synth and report.
pub struct Planned {
    pub loaded: hitnet_model::Loaded,
    pub plan: hitnet_arch::Plan,
}

/// [`model`] and its plan at the config's array shape.
pub fn plan(path: Option<&Path>) -> Result<Planned> {
    let loaded = model(path)?;
    let plan = hitnet_arch::Plan::new(&loaded.int, hitnet_arch::Shape::of(&loaded.config.hw))
        .map_err(|source| FlowError::Plan {
            what: config_name(path),
            source,
        })?;
    Ok(Planned { loaded, plan })
}
