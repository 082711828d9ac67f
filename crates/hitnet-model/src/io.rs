//! The hitnet model file: JSON, documented in docs/model-format.md.
//!
//! Ternary matrices are stored one string per row, one character per weight
//! (`+`, `-`, `0`), so a model can be inspected and diffed with text tools.
//! Gate order, activation and column range follow from `cell` (see
//! [`crate::model::gate_specs`]) and are not repeated in the file.
use crate::config::{CellKind, QuantParams};
use crate::error::{ModelError, Result};
use crate::model::{
    gate_specs, Embedding, OutputLayer, QuantGate, QuantLayer, QuantModel, TernaryMatrix, Vocab,
};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const FORMAT_NAME: &str = "hitnet-model";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileModel {
    format: String,
    version: u32,
    cell: CellKind,
    input_size: usize,
    hidden_size: usize,
    quant: QuantParams,
    layers: Vec<FileLayer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    embedding: Option<FileTrits>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    output: Option<FileOutput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vocab: Option<Vocab>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    classifier: Option<crate::classify::Classifier>,
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    meta: serde_json::Value,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLayer {
    gates: Vec<FileGate>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileGate {
    name: String,
    scale: f64,
    bias: Vec<f64>,
    rows: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTrits {
    rows: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOutput {
    rows: usize,
    cols: usize,
    /// Row-major f32 little-endian bytes, hex encoded.
    weight_f32le_hex: String,
    bias: Vec<f32>,
}

fn trit_rows(m: &TernaryMatrix) -> Vec<String> {
    (0..m.rows)
        .map(|r| {
            m.row_trits(r)
                .iter()
                .map(|&t| match t {
                    1 => '+',
                    -1 => '-',
                    _ => '0',
                })
                .collect()
        })
        .collect()
}

fn parse_trit_rows(rows: &[String], cols: usize, key: &str) -> Result<TernaryMatrix, String> {
    let mut m = TernaryMatrix::zeros(rows.len(), cols);
    for (r, s) in rows.iter().enumerate() {
        let n = s.chars().count();
        if n != cols {
            return Err(format!("{key}.rows[{r}]: {n} weights, expected {cols}"));
        }
        for (c, ch) in s.chars().enumerate() {
            let t = match ch {
                '+' => 1,
                '-' => -1,
                '0' => 0,
                other => {
                    return Err(format!(
                        "{key}.rows[{r}]: {other:?} at column {c} is not a trit (+, -, 0)"
                    ))
                }
            };
            m.set(r, c, t);
        }
    }
    Ok(m)
}

/// Serializes a model to the JSON file format.
pub fn to_json(m: &QuantModel) -> String {
    let f = FileModel {
        format: FORMAT_NAME.into(),
        version: FORMAT_VERSION,
        cell: m.cell,
        input_size: m.input_size,
        hidden_size: m.hidden_size,
        quant: m.quant.clone(),
        layers: m
            .layers
            .iter()
            .map(|l| FileLayer {
                gates: l
                    .gates
                    .iter()
                    .map(|g| FileGate {
                        name: g.name.clone(),
                        scale: g.scale,
                        bias: g.bias.clone(),
                        rows: trit_rows(&g.w),
                    })
                    .collect(),
            })
            .collect(),
        embedding: m.embedding.as_ref().map(|e| FileTrits {
            rows: trit_rows(&e.table),
        }),
        output: m.output.as_ref().map(|o| FileOutput {
            rows: o.rows,
            cols: o.cols,
            weight_f32le_hex: hex::encode(
                o.weight
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect::<Vec<u8>>(),
            ),
            bias: o.bias.clone(),
        }),
        vocab: m.vocab.clone(),
        classifier: m.classifier.clone(),
        meta: m.meta.clone(),
    };
    serde_json::to_string_pretty(&f).expect("model serializes")
}

/// Parses the JSON file format; `file` names the source in messages.
pub fn from_json(text: &str, file: &str) -> Result<QuantModel> {
    let err = |msg: String| ModelError::ModelFile {
        file: file.to_string(),
        msg,
    };
    let f: FileModel = serde_json::from_str(text).map_err(|e| err(e.to_string()))?;
    if f.format != FORMAT_NAME {
        return Err(err(format!(
            "`format` is {:?}, expected {FORMAT_NAME:?}",
            f.format
        )));
    }
    if f.version != FORMAT_VERSION {
        return Err(err(format!(
            "`version` {} is not supported (this build reads version {FORMAT_VERSION})",
            f.version
        )));
    }
    let sizes_ok = |v: usize| (1..=crate::config::MAX_SIZE).contains(&v);
    if !sizes_ok(f.input_size) || !sizes_ok(f.hidden_size) {
        return Err(err(format!(
            "sizes {}x{} are out of range [1, {}]",
            f.input_size,
            f.hidden_size,
            crate::config::MAX_SIZE
        )));
    }
    if f.layers.is_empty() || f.layers.len() > crate::config::MAX_LAYERS {
        return Err(err(format!("`layers` has {} entries", f.layers.len())));
    }
    let mut layers = Vec::new();
    for (l, fl) in f.layers.iter().enumerate() {
        let i = if l == 0 { f.input_size } else { f.hidden_size };
        let h = f.hidden_size;
        let specs = gate_specs(f.cell, i, h);
        if fl.gates.len() != specs.len() {
            return Err(err(format!(
                "layers[{l}].gates: {} gates, a {} layer has {}",
                fl.gates.len(),
                f.cell.name(),
                specs.len()
            )));
        }
        let mut gates = Vec::new();
        for (g, (fg, spec)) in fl.gates.iter().zip(&specs).enumerate() {
            let key = format!("layers[{l}].gates[{g}]");
            if fg.name != spec.name {
                return Err(err(format!(
                    "{key}.name: {:?}, expected {:?}",
                    fg.name, spec.name
                )));
            }
            if fg.rows.len() != h {
                return Err(err(format!(
                    "{key}.rows: {} rows, expected hidden_size {h}",
                    fg.rows.len()
                )));
            }
            let w = parse_trit_rows(&fg.rows, spec.cols, &key).map_err(err)?;
            gates.push(QuantGate {
                name: fg.name.clone(),
                act: spec.act,
                col_offset: spec.col_offset,
                w,
                scale: fg.scale,
                bias: fg.bias.clone(),
            });
        }
        layers.push(QuantLayer {
            input_size: i,
            hidden_size: h,
            gates,
        });
    }
    let embedding = match &f.embedding {
        Some(e) => Some(Embedding {
            table: parse_trit_rows(&e.rows, f.input_size, "embedding").map_err(err)?,
        }),
        None => None,
    };
    let output = match &f.output {
        Some(o) => {
            let bytes = hex::decode(&o.weight_f32le_hex)
                .map_err(|e| err(format!("output.weight_f32le_hex: {e}")))?;
            if bytes.len() != o.rows * o.cols * 4 {
                return Err(err(format!(
                    "output.weight_f32le_hex: {} bytes, expected {} ({}x{} f32)",
                    bytes.len(),
                    o.rows * o.cols * 4,
                    o.rows,
                    o.cols
                )));
            }
            let weight = bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            Some(OutputLayer {
                rows: o.rows,
                cols: o.cols,
                weight,
                bias: o.bias.clone(),
            })
        }
        None => None,
    };
    let m = QuantModel {
        cell: f.cell,
        input_size: f.input_size,
        hidden_size: f.hidden_size,
        layers,
        quant: f.quant,
        embedding,
        output,
        vocab: f.vocab,
        classifier: f.classifier,
        meta: f.meta,
    };
    m.validate().map_err(|e| err(e.to_string()))?;
    m.quant.validate().map_err(|e| err(e.to_string()))?;
    Ok(m)
}

pub fn load(path: &Path) -> Result<QuantModel> {
    let text = crate::error::read_limited_text(path, crate::error::MAX_MODEL_BYTES, "model file")?;
    from_json(&text, &path.display().to_string())
}

/// Writes atomically (temporary file, then rename) so a failed write never
/// leaves a half-written model behind.
pub fn save(m: &QuantModel, path: &Path) -> Result<()> {
    write_atomic(path, to_json(m).as_bytes())
}

pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| {
        ModelError::invalid("path", format!("{} is not a file path", path.display()))
    })?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    // Errors name the path the user gave, not the temporary file.
    std::fs::write(&tmp, bytes).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        ModelError::io(path, e)
    })?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        ModelError::io(path, e)
    })
}
