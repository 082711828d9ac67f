//! The TOML config: one file describes the model, its quantization and the
//! accelerator. Unknown keys are errors; every optional key has a documented
//! default (see docs/config.md).
use crate::error::{check_range, ModelError, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Recurrent cell type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CellKind {
    Lstm,
    Gru,
}

impl CellKind {
    pub fn name(self) -> &'static str {
        match self {
            CellKind::Lstm => "lstm",
            CellKind::Gru => "gru",
        }
    }
    /// Gates per hidden unit in PyTorch's stacked weight layout.
    pub fn gates(self) -> usize {
        match self {
            CellKind::Lstm => 4,
            CellKind::Gru => 3,
        }
    }
}

/// How the hidden state is ternarized.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActMode {
    /// Bernoulli ternary quantization driven by per-unit LFSRs (stochastic, unbiased).
    Bernoulli,
    /// Deterministic: +1 above `act_threshold`, -1 below `-act_threshold`, else 0.
    Threshold,
}

impl ActMode {
    pub fn name(self) -> &'static str {
        match self {
            ActMode::Bernoulli => "bernoulli",
            ActMode::Threshold => "threshold",
        }
    }
}

/// Limits that keep a config physically meaningful; beyond them the tool
/// would only produce designs nobody can build.
pub const MAX_SIZE: usize = 8192;
pub const MAX_LAYERS: usize = 16;
pub const MAX_ARRAY: usize = 256;
/// Most ternary weights a model may have: 2^26 (67 M). Holding one takes
/// about 10 bytes per weight on the way (float weights, two ternary copies,
/// images), so this is ~0.7 GB, while the largest target (ECP5-85k, 208
/// DP16KD) holds ~1.9 M. The size limits alone would allow 16 layers of
/// 8192 x 8192 (8.6 G weights, ~86 GB).
pub const MAX_WEIGHTS: u64 = 1 << 26;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSection {
    pub cell: CellKind,
    pub input_size: usize,
    pub hidden_size: usize,
    #[serde(default = "one")]
    pub layers: usize,
    /// Seed of the built-in default weights (used when `weights` is absent).
    #[serde(default = "one_u64")]
    pub seed: u64,
    /// A hitnet model file (.json) or a PyTorch state_dict in safetensors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<PathBuf>,
    /// The vocabulary of a language model imported from safetensors (its
    /// embedding and output layer become the model's ends): a JSON list of
    /// the tokens in id order, or a text corpus whose sorted distinct
    /// characters are the vocabulary (a char-RNN script's
    /// `sorted(set(text))`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vocab: Option<PathBuf>,
}

/// Quantization and fixed-point settings. `None` means "default, or the
/// value recorded in the model file".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantSection {
    pub slope: Option<f64>,
    pub activation: Option<ActMode>,
    pub weight_threshold: Option<f64>,
    pub act_threshold: Option<f64>,
    pub lfsr_seed: Option<u64>,
    pub frac_bits: Option<u32>,
    pub cell_int_bits: Option<u32>,
    pub lut_bits: Option<u32>,
    pub scale_bits: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HwSection {
    #[serde(default = "default_rows")]
    pub rows: usize,
    #[serde(default = "default_cols")]
    pub cols: usize,
    /// Post-processing lanes (scale, bias, activation LUT); derived when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_lanes: Option<usize>,
    /// Clock used for tokens/s figures when no synthesis result exists.
    #[serde(default = "default_clock")]
    pub clock_mhz: f64,
    /// FPGA target for `synth` (ice40-up5k, ice40-hx8k, ecp5-25k, ecp5-45k, ecp5-85k).
    #[serde(default = "default_target")]
    pub target: String,
    /// Start the next token while the last layer's tail drains (the input
    /// part of the next token's first group is issued first, then its h
    /// part once h_t is written); `false` runs tokens back to back. Unset:
    /// on for ECP5 targets, off for iCE40, where the second post lane it
    /// usually needs does not fit (docs/architecture.md, "Token overlap").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap: Option<bool>,
}

impl HwSection {
    /// Whether the accelerator overlaps tokens (`overlap`, or the target's default).
    pub fn overlap(&self) -> bool {
        self.overlap
            .unwrap_or_else(|| !self.target.starts_with("ice40"))
    }
}

impl Default for HwSection {
    fn default() -> Self {
        HwSection {
            rows: default_rows(),
            cols: default_cols(),
            post_lanes: None,
            clock_mhz: default_clock(),
            target: default_target(),
            overlap: None,
        }
    }
}

/// `[lm]`: the on-chip ends of a language model (docs/arithmetic.md
/// section 11). The temperature (the noise table) and the sampler seed
/// (the bias memory's last word) are memory contents, like the weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LmSection {
    /// Head weights read per cycle: a head row takes ceil(hidden / lanes)
    /// cycles.
    #[serde(default = "default_head_lanes")]
    pub head_lanes: usize,
    /// Sampling temperature, 0 = greedy.
    #[serde(default)]
    pub temperature: f64,
    /// Seed of the sampler's LFSR.
    #[serde(default = "one_u64")]
    pub sample_seed: u64,
    /// Where the embedding and head words live: "rom" (block RAM with
    /// initial contents) or "flash" (single-port RAM, SPRAM on the UP5K,
    /// loaded at reset from the configuration flash). Default: "flash" on
    /// the ice40-up5k, whose block RAM the core fills, "rom" elsewhere.
    #[serde(default)]
    pub store: Option<String>,
    /// Byte offset of the ends' image in the configuration flash (store =
    /// "flash"): past the bitstream, written with `iceprog -o`.
    #[serde(default = "default_flash_offset")]
    pub flash_offset: u64,
}

/// `[classifier]`: the on-chip ends of a sequence classifier (the input
/// quantizer and the class head of the model file's `classifier`,
/// docs/arithmetic.md section 10) around the core.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifierSection {
    /// Where the quantizer table and the head live: "rom" or "flash", as
    /// `lm.store` (default "flash" on the ice40-up5k, "rom" elsewhere).
    #[serde(default)]
    pub store: Option<String>,
    /// Byte offset of the ends' image in the configuration flash.
    #[serde(default = "default_flash_offset")]
    pub flash_offset: u64,
}

impl ClassifierSection {
    /// The store on `target`: the explicit one, else "flash" on the UP5K.
    pub fn store_on(&self, target: &str) -> &str {
        store_on(self.store.as_deref(), target)
    }
}

fn store_on<'a>(store: Option<&'a str>, target: &str) -> &'a str {
    match store {
        Some(s) => s,
        None if target == "ice40-up5k" => "flash",
        None => "rom",
    }
}

/// Checks `{section}.store` and `{section}.flash_offset` on `target`.
fn check_store(section: &str, store: &str, offset: u64, target: &str) -> Result<()> {
    let key = format!("{section}.store");
    if !LM_STORES.contains(&store) {
        return Err(ModelError::invalid(
            key.as_str(),
            format!("{store:?} is not a store; use \"rom\" or \"flash\""),
        ));
    }
    if store == "flash" && target != "ice40-up5k" {
        return Err(ModelError::invalid(
            key.as_str(),
            format!(
                "\"flash\" needs the ice40-up5k's SPRAM and flash reader, not {target}; use \"rom\""
            ),
        ));
    }
    if !(MIN_FLASH_OFFSET..FLASH_BYTES).contains(&offset) {
        return Err(ModelError::invalid(
            format!("{section}.flash_offset"),
            format!(
                "{offset:#x} is not in {MIN_FLASH_OFFSET:#x}..{FLASH_BYTES:#x} (past the bitstream, inside the 16 MiB flash)"
            ),
        ));
    }
    Ok(())
}

/// The ends' words in block RAM with initial contents, or in RAM loaded
/// from the configuration flash.
pub const LM_STORES: [&str; 2] = ["rom", "flash"];
/// Default `lm.flash_offset`: 1 MiB, far past a UP5K bitstream (104 kB).
pub const DEFAULT_FLASH_OFFSET: u64 = 0x10_0000;
/// Lowest `lm.flash_offset`: a UP5K bitstream takes the first 104,090 bytes.
pub const MIN_FLASH_OFFSET: u64 = 0x2_0000;
/// Bytes of the iCEBreaker's configuration flash (W25Q128: 16 MiB).
pub const FLASH_BYTES: u64 = 16 << 20;

fn default_flash_offset() -> u64 {
    DEFAULT_FLASH_OFFSET
}

impl LmSection {
    /// The store on `target`: the explicit one, else "flash" on the UP5K.
    pub fn store_on(&self, target: &str) -> &str {
        store_on(self.store.as_deref(), target)
    }
}

impl Default for LmSection {
    fn default() -> Self {
        LmSection {
            head_lanes: default_head_lanes(),
            temperature: 0.0,
            sample_seed: 1,
            store: None,
            flash_offset: DEFAULT_FLASH_OFFSET,
        }
    }
}

fn default_head_lanes() -> usize {
    8
}

fn one() -> usize {
    1
}
fn one_u64() -> u64 {
    1
}
fn default_rows() -> usize {
    8
}
fn default_cols() -> usize {
    16
}
fn default_clock() -> f64 {
    50.0
}
fn default_target() -> String {
    "ice40-up5k".into()
}

/// The fastest clock any command accepts, in MHz (hw.clock_mhz, and the
/// `--clock-mhz` of sim, synth and explore): far above what iCE40 or ECP5
/// fabric reaches, so a larger number is a typo.
pub const MAX_CLOCK_MHZ: f64 = 1000.0;

/// A clock every command accepts: finite, in (0, MAX_CLOCK_MHZ].
pub fn clock_ok(mhz: f64) -> bool {
    mhz.is_finite() && mhz > 0.0 && mhz <= MAX_CLOCK_MHZ
}

/// The names `hw.target` accepts (case-insensitive), as hitnet-fpga's
/// target table spells them; a test there keeps the two equal. Checked
/// here so every command, not only `synth`, refuses an unknown target.
pub const TARGET_NAMES: &[&str] = &[
    "ice40-up5k",
    "ice40-hx8k",
    "ecp5-25k",
    "ecp5-45k",
    "ecp5-85k",
];

/// The config as written in the file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub model: ModelSection,
    #[serde(default)]
    pub quant: QuantSection,
    #[serde(default)]
    pub hw: HwSection,
    /// The language model's ends on the chip (embedding, head, sampler):
    /// present, `hitnet gen` wraps the core in `hitnet_lm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lm: Option<LmSection>,
    /// The classifier's ends on the chip (input quantizer, class head):
    /// present, `hitnet gen` wraps the core in `hitnet_cls`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classifier: Option<ClassifierSection>,
    /// Where the config came from (for messages and relative weight paths).
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

/// Fully resolved quantization parameters (defaults applied).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantParams {
    /// Sloping factor lambda: activations are sigma(lambda x), tanh(lambda x).
    pub slope: f64,
    pub activation: ActMode,
    /// TTQ threshold as a fraction of mean |W| (per gate matrix).
    pub weight_threshold: f64,
    /// Threshold-mode activation threshold (on |h| in [0, 1]).
    pub act_threshold: f64,
    /// Seed from which every hidden unit's LFSR seed is derived.
    pub lfsr_seed: u64,
    /// F: fraction bits of gate values, cell state and h.
    pub frac_bits: u32,
    /// Integer bits of the cell state (|c| < 2^cell_int_bits, saturating).
    pub cell_int_bits: u32,
    /// K: activation tables have 2^K entries.
    pub lut_bits: u32,
    /// Significant bits of the smallest per-gate scale multiplier.
    pub scale_bits: u32,
}

impl Default for QuantParams {
    fn default() -> Self {
        QuantParams {
            slope: 2.0,
            activation: ActMode::Bernoulli,
            weight_threshold: 0.7,
            act_threshold: 0.5,
            lfsr_seed: 1,
            frac_bits: 10,
            cell_int_bits: 4,
            lut_bits: 8,
            scale_bits: 12,
        }
    }
}

impl QuantParams {
    /// Checks every field; the error names the config key.
    pub fn validate(&self) -> Result<()> {
        let q = self;
        if !(q.slope.is_finite() && q.slope > 0.0 && q.slope <= 64.0) {
            return Err(ModelError::invalid(
                "quant.slope",
                format!("{} is not in (0, 64]", q.slope),
            ));
        }
        check_range("quant.weight_threshold", q.weight_threshold, 0.0, 10.0)?;
        check_range("quant.act_threshold", q.act_threshold, 0.0, 1.0)?;
        check_range("quant.frac_bits", q.frac_bits, 4, 16)?;
        check_range("quant.cell_int_bits", q.cell_int_bits, 0, 8)?;
        check_range("quant.lut_bits", q.lut_bits, 4, 14)?;
        check_range("quant.scale_bits", q.scale_bits, 4, 20)?;
        Ok(())
    }
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config> {
        let text =
            crate::error::read_limited_text(path, crate::error::MAX_CONFIG_BYTES, "config file")?;
        let mut cfg = Self::parse(&text, &path.display().to_string())?;
        cfg.source = Some(path.to_path_buf());
        Ok(cfg)
    }

    /// Parses and validates config text; `file` is used in messages.
    pub fn parse(text: &str, file: &str) -> Result<Config> {
        let cfg: Config = toml::from_str(text).map_err(|e| ModelError::Config {
            file: file.to_string(),
            msg: toml_error_line(text, &e),
        })?;
        cfg.validate().map_err(|e| {
            let line = match &e {
                ModelError::Invalid { key, .. } => key_line(text, key),
                _ => String::new(),
            };
            ModelError::Config {
                file: file.to_string(),
                msg: format!("{line}{e}"),
            }
        })?;
        Ok(cfg)
    }

    /// A config for the given sizes with every other key at its default.
    pub fn new(cell: CellKind, input_size: usize, hidden_size: usize, layers: usize) -> Config {
        Config {
            model: ModelSection {
                cell,
                input_size,
                hidden_size,
                layers,
                seed: 1,
                weights: None,
                vocab: None,
            },
            quant: QuantSection::default(),
            hw: HwSection::default(),
            lm: None,
            classifier: None,
            source: None,
        }
    }

    /// Ternary weights of the model: G*H*(I+H) + (layers-1)*G*H*2H.
    /// (Sizes are checked against MAX_SIZE / MAX_LAYERS first, so this
    /// does not overflow on a validated config.)
    pub fn weight_count(&self) -> u64 {
        let m = &self.model;
        let (i, h, g) = (
            m.input_size as u64,
            m.hidden_size as u64,
            m.cell.gates() as u64,
        );
        g * h * (i + h) + (m.layers as u64).saturating_sub(1) * g * h * (2 * h)
    }

    pub fn validate(&self) -> Result<()> {
        let m = &self.model;
        check_range("model.input_size", m.input_size, 1, MAX_SIZE)?;
        check_range("model.hidden_size", m.hidden_size, 1, MAX_SIZE)?;
        check_range("model.layers", m.layers, 1, MAX_LAYERS)?;
        let (i, h) = (m.input_size, m.hidden_size);
        let weights = self.weight_count();
        if weights > MAX_WEIGHTS {
            return Err(ModelError::invalid(
                "model.hidden_size",
                format!(
                    "input_size {i}, hidden_size {h} and {} layer(s) make {weights} ternary weights, more than the {MAX_WEIGHTS} this tool holds in memory (~10 bytes each while loading); the largest FPGA target holds ~1.9 M: use a smaller model",
                    m.layers
                ),
            ));
        }
        check_range("hw.rows", self.hw.rows, 1, MAX_ARRAY)?;
        check_range("hw.cols", self.hw.cols, 1, MAX_ARRAY)?;
        if let Some(p) = self.hw.post_lanes {
            check_range("hw.post_lanes", p, 1, MAX_ARRAY)?;
        }
        if !clock_ok(self.hw.clock_mhz) {
            return Err(ModelError::invalid(
                "hw.clock_mhz",
                format!("{} is not in (0, {MAX_CLOCK_MHZ}]", self.hw.clock_mhz),
            ));
        }
        let t = self.hw.target.trim().to_ascii_lowercase();
        if !TARGET_NAMES.contains(&t.as_str()) {
            return Err(ModelError::invalid(
                "hw.target",
                format!(
                    "{:?} is not a known target; use one of {}",
                    self.hw.target,
                    TARGET_NAMES.join(", ")
                ),
            ));
        }
        if let Some(lm) = &self.lm {
            check_range("lm.head_lanes", lm.head_lanes, 1, 64)?;
            crate::lm::check_temperature(lm.temperature)?;
            check_store(
                "lm",
                lm.store_on(&self.hw.target),
                lm.flash_offset,
                &self.hw.target,
            )?;
        }
        if let Some(c) = &self.classifier {
            if self.lm.is_some() {
                return Err(ModelError::invalid(
                    "classifier",
                    "a design has one pair of ends: [lm] or [classifier], not both",
                ));
            }
            check_store(
                "classifier",
                c.store_on(&self.hw.target),
                c.flash_offset,
                &self.hw.target,
            )?;
        }
        self.quant_params(None)?.validate()
    }

    /// Resolves quantization parameters: explicit config values win, then the
    /// values recorded in a model file, then the defaults. A config value that
    /// contradicts the model file's training-time value is an error, because
    /// running a model with another slope or quantizer than it was trained
    /// with silently destroys its accuracy.
    pub fn quant_params(&self, from_model: Option<&QuantParams>) -> Result<QuantParams> {
        let base = from_model.cloned().unwrap_or_default();
        let q = &self.quant;
        if let (Some(m), Some(s)) = (from_model, q.slope) {
            if (m.slope - s).abs() > 1e-12 {
                return Err(ModelError::invalid(
                    "quant.slope",
                    format!(
                        "config says {s} but the model file was trained with {}; remove the key or make them equal",
                        m.slope
                    ),
                ));
            }
        }
        if let (Some(m), Some(a)) = (from_model, q.activation) {
            if m.activation != a {
                return Err(ModelError::invalid(
                    "quant.activation",
                    format!(
                        "config says {} but the model file was trained with {}; remove the key or make them equal",
                        a.name(),
                        m.activation.name()
                    ),
                ));
            }
        }
        let p = QuantParams {
            slope: q.slope.unwrap_or(base.slope),
            activation: q.activation.unwrap_or(base.activation),
            weight_threshold: q.weight_threshold.unwrap_or(base.weight_threshold),
            act_threshold: q.act_threshold.unwrap_or(base.act_threshold),
            lfsr_seed: q.lfsr_seed.unwrap_or(base.lfsr_seed),
            frac_bits: q.frac_bits.unwrap_or(base.frac_bits),
            cell_int_bits: q.cell_int_bits.unwrap_or(base.cell_int_bits),
            lut_bits: q.lut_bits.unwrap_or(base.lut_bits),
            scale_bits: q.scale_bits.unwrap_or(base.scale_bits),
        };
        p.validate()?;
        Ok(p)
    }

    /// The weights path resolved relative to the config file's folder.
    pub fn weights_path(&self) -> Option<PathBuf> {
        self.resolve(self.model.weights.as_ref()?)
    }

    /// The vocabulary path resolved relative to the config file's folder.
    pub fn vocab_path(&self) -> Option<PathBuf> {
        self.resolve(self.model.vocab.as_ref()?)
    }

    fn resolve(&self, w: &PathBuf) -> Option<PathBuf> {
        if w.is_absolute() {
            return Some(w.clone());
        }
        match self.source.as_ref().and_then(|s| s.parent()) {
            Some(dir) if !dir.as_os_str().is_empty() => Some(dir.join(w)),
            _ => Some(w.clone()),
        }
    }

    /// TOML text of this config (round-trips through `parse`).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("config serializes")
    }
}

/// Turns a toml error into one line: `line:col: message (in [table])`.
fn toml_error_line(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let start = span.start.min(text.len());
            let line = text[..start].matches('\n').count() + 1;
            let col = start - text[..start].rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
            // The table the error sits in helps when the span covers a whole table.
            let table = text[..start]
                .lines()
                .rev()
                .map(str::trim)
                .find(|l| l.starts_with('['))
                .map(|l| format!(" (in {l})"))
                .unwrap_or_default();
            let here = text[start..].lines().next().unwrap_or("").trim();
            let table = if here.starts_with('[') {
                format!(" (in {here})")
            } else {
                table
            };
            // The key of a value error: `key = value` on the error's line.
            let line_text = text.lines().nth(line - 1).unwrap_or("");
            let key = line_text
                .split_once('=')
                .map(|(k, _)| k.trim())
                .filter(|k| {
                    !k.is_empty() && !k.starts_with('[') && !msg.contains(&format!("`{k}`"))
                })
                .map(|k| {
                    let t = table
                        .trim()
                        .trim_start_matches("(in [")
                        .trim_end_matches("])");
                    if t.is_empty() {
                        format!(" for `{k}`")
                    } else {
                        format!(" for `{t}.{k}`")
                    }
                })
                .unwrap_or_default();
            format!("line {line}, column {col}: {msg}{key}{table}")
        }
        None => msg,
    }
}

/// "line N: " of the first `key = ...` line of `section.key` (e.g.
/// `model.input_size`) in config `text`, or "" when not found.
fn key_line(text: &str, dotted: &str) -> String {
    let Some((section, key)) = dotted.split_once('.') else {
        return String::new();
    };
    let mut current = "";
    for (n, l) in text.lines().enumerate() {
        let t = l.trim();
        if let Some(sec) = t.strip_prefix('[') {
            current = sec.trim_end_matches(']').trim();
            continue;
        }
        if current == section && t.split_once('=').is_some_and(|(k, _)| k.trim() == key) {
            return format!("line {}: ", n + 1);
        }
    }
    String::new()
}

/// The built-in default config: a 1x64 LSTM with 64 inputs on an 8x16 array,
/// sized for the iCE40 UP5K.
pub const DEFAULT_CONFIG: &str = r#"[model]
cell = "lstm"
input_size = 64
hidden_size = 64
layers = 1
seed = 1

[quant]
slope = 2.0
activation = "bernoulli"

[hw]
rows = 8
cols = 16
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_parses() {
        let c = Config::parse(DEFAULT_CONFIG, "default").unwrap();
        assert_eq!(c.model.cell, CellKind::Lstm);
        assert_eq!(c.hw.rows, 8);
        let q = c.quant_params(None).unwrap();
        assert_eq!(q.slope, 2.0);
        assert_eq!(q.frac_bits, 10);
    }

    /// The message of parsing the config text `t` (as "c.toml"), which must fail.
    fn parse_err(t: &str) -> String {
        Config::parse(t, "c.toml").unwrap_err().to_string()
    }

    #[test]
    fn lm_store_defaults_and_refusals() {
        let base = "[model]\ncell = \"lstm\"\ninput_size = 4\nhidden_size = 4\n";
        let c = Config::parse(&format!("{base}[lm]\n"), "c.toml").unwrap();
        let lm = c.lm.unwrap();
        assert_eq!(lm.store_on(&c.hw.target), "flash");
        assert_eq!(lm.store_on("ecp5-25k"), "rom");
        assert_eq!(lm.flash_offset, DEFAULT_FLASH_OFFSET);
        let ecp5 = "[hw]\ntarget = \"ecp5-25k\"\n";
        let cases = [
            (format!("{base}[lm]\nstore = \"eeprom\"\n"), "lm.store"),
            (format!("{base}{ecp5}[lm]\nstore = \"flash\"\n"), "lm.store"),
            (
                format!("{base}[lm]\nflash_offset = 0x1000\n"),
                "lm.flash_offset",
            ),
            (
                format!("{base}[lm]\nflash_offset = 0x1000000\n"),
                "lm.flash_offset",
            ),
        ];
        for (t, key) in cases {
            let e = parse_err(&t);
            assert!(e.contains(key), "{t}: {e}");
        }
        // "rom" is accepted anywhere, the ECP5 default.
        assert!(Config::parse(&format!("{base}{ecp5}[lm]\n"), "c.toml").is_ok());
    }

    #[test]
    fn unknown_key_is_named() {
        let e = parse_err("[model]\ncell = \"lstm\"\ninput_size = 4\nhidden_size = 4\nbogus = 1\n");
        assert!(e.starts_with("c.toml: line 5"), "{e}");
        assert!(e.contains("bogus"), "{e}");
    }

    #[test]
    fn missing_key_is_named() {
        let e = parse_err("[model]\ncell = \"lstm\"\ninput_size = 4\n");
        assert!(e.contains("hidden_size"), "{e}");
        assert!(e.contains("[model]"), "{e}");
    }

    #[test]
    fn zero_and_absurd_sizes() {
        // (what follows `[model]\ncell = "gru"\n`, the key the message names)
        let cases = [
            ("input_size = 0\nhidden_size = 4\n", "model.input_size"),
            (
                "input_size = 4\nhidden_size = 100000000\n",
                "model.hidden_size",
            ),
            (
                "input_size = 4\nhidden_size = 4\n[hw]\nrows = 0\n",
                "hw.rows",
            ),
            (
                "input_size = 4\nhidden_size = 4\n[quant]\nslope = nan\n",
                "quant.slope",
            ),
        ];
        for (rest, key) in cases {
            let e = parse_err(&format!("[model]\ncell = \"gru\"\n{rest}"));
            assert!(e.contains(key), "{e}");
        }
    }

    #[test]
    fn bad_enum_value() {
        let e = parse_err("[model]\ncell = \"rnn\"\ninput_size = 4\nhidden_size = 4\n");
        assert!(e.contains("rnn") || e.contains("variant"), "{e}");
    }

    #[test]
    fn model_file_values_and_conflicts() {
        let mut c = Config::parse(DEFAULT_CONFIG, "d").unwrap();
        let trained = QuantParams {
            slope: 3.0,
            ..QuantParams::default()
        };
        assert!(c.quant_params(Some(&trained)).is_err());
        c.quant.slope = None;
        assert_eq!(c.quant_params(Some(&trained)).unwrap().slope, 3.0);
    }

    #[test]
    fn toml_round_trip() {
        let c = Config::parse(DEFAULT_CONFIG, "d").unwrap();
        let again = Config::parse(&c.to_toml(), "again").unwrap();
        assert_eq!(c, again);
    }
}
