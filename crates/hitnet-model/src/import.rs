//! Import of a trained PyTorch `nn.LSTM` / `nn.GRU` state_dict saved as
//! safetensors (`weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`,
//! `bias_hh_l{k}`, optionally behind a module prefix such as `rnn.`), and
//! of a whole language model's ends beside it: an `nn.Embedding` (a
//! `[V, input_size]` weight named like `encoder`, `embedding`, `embed`)
//! and an `nn.Linear` decoder (`[V, hidden_size]` weight and `[V]` bias
//! named like `decoder`, `fc`, `out`, `linear`, `head`, `proj`), as a
//! char-RNN script saves them.
use crate::config::CellKind;
use crate::error::{ModelError, Result};
use crate::model::{FloatLayer, FloatModel};
use safetensors::{Dtype, SafeTensors};
use std::path::Path;

/// True when `bytes` look like a safetensors file (u64 header length, then JSON).
pub fn is_safetensors(bytes: &[u8]) -> bool {
    if bytes.len() < 9 {
        return false;
    }
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap());
    n > 0 && n < (1 << 30) && bytes[8] == b'{'
}

/// What the config expects of the file.
#[derive(Clone, Copy, Debug)]
pub struct Expect {
    pub cell: CellKind,
    pub input_size: usize,
    pub hidden_size: usize,
    pub layers: usize,
}

pub fn import_file(path: &Path, expect: Expect) -> Result<FloatModel> {
    let bytes = crate::error::read_limited(path, crate::error::MAX_MODEL_BYTES, "model file")?;
    import_bytes(&bytes, &path.display().to_string(), expect)
}

pub fn import_bytes(bytes: &[u8], file: &str, expect: Expect) -> Result<FloatModel> {
    Ok(import_bytes_all(bytes, file, expect)?.model)
}

/// An imported recurrent network and what else the file held.
#[derive(Clone, Debug)]
pub struct Imported {
    pub model: FloatModel,
    /// Tensors of the file that are not the RNN's (a language model's
    /// embedding and decoder, say), as "name [shape]": the accelerator
    /// computes the recurrent layers only, so a caller must say that these
    /// were not used rather than drop them without a word.
    pub ignored: Vec<String>,
    /// A language model's embedding and decoder found among the ignored
    /// tensors (their names stay in `ignored` until a caller with the
    /// vocabulary makes them the model's ends).
    pub lm: Option<ImportedLm>,
}

/// The float ends of a language model in a state_dict.
#[derive(Clone, Debug)]
pub struct ImportedLm {
    /// Tokens: the rows of both tensors.
    pub vocab: usize,
    /// "name [shape]" of the embedding weight, the decoder weight and
    /// (when saved) its bias, as `Imported::ignored` lists them.
    pub embedding_tensor: String,
    pub output_tensor: String,
    pub output_bias_tensor: Option<String>,
    /// Row-major `[vocab, input_size]`.
    pub embedding: Vec<f64>,
    /// Row-major `[vocab, hidden_size]`, and `[vocab]` (zeros without a
    /// saved bias).
    pub out_w: Vec<f32>,
    pub out_b: Vec<f32>,
}

/// The vocabulary of `n` tokens at `path` for the embedding `tensor`: a
/// JSON list of strings in id order, or a text corpus whose sorted
/// distinct characters (by code point, Python's `sorted(set(text))`) are
/// the tokens.
pub fn read_vocab(path: &Path, n: usize, tensor: &str) -> Result<Vec<String>> {
    let file = path.display().to_string();
    let bad = |msg: String| ModelError::ModelFile {
        file: file.clone(),
        msg,
    };
    let bytes = crate::error::read_limited(path, crate::error::MAX_MODEL_BYTES, "vocabulary")?;
    let text = String::from_utf8(bytes)
        .map_err(|_| bad("not UTF-8 text: give a JSON list of tokens or the text corpus".into()))?;
    let json = path.extension().is_some_and(|e| e == "json");
    let tokens: Vec<String> = if json {
        serde_json::from_str(&text).map_err(|e| {
            bad(format!(
                "{e}; a vocabulary .json is a list of the tokens in id order, e.g. [\"\\n\", \" \", \"a\"]"
            ))
        })?
    } else {
        let set: std::collections::BTreeSet<char> = text.chars().collect();
        set.into_iter().map(String::from).collect()
    };
    if tokens.len() != n {
        return Err(bad(format!(
            "{} {}, but the embedding {tensor} has {n} rows; give the corpus the model was trained on, or a JSON list of its {n} tokens",
            tokens.len(),
            if json { "tokens" } else { "distinct characters" }
        )));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(t) = tokens.iter().find(|t| !seen.insert(t.as_str())) {
        return Err(bad(format!("token {t:?} appears twice")));
    }
    Ok(tokens)
}

/// A name read as an embedding (`encoder.weight`, `embedding.weight`, ...).
fn embedding_like(n: &str) -> bool {
    let l = n.to_ascii_lowercase();
    l.ends_with("weight") && (l.contains("emb") || l.contains("encoder"))
}

/// A name read as an output layer's weight (`decoder.weight`, `fc.weight`, ...).
fn decoder_like(n: &str) -> bool {
    let l = n.to_ascii_lowercase();
    l.ends_with("weight")
        && ["decoder", "fc", "out", "linear", "head", "proj"]
            .iter()
            .any(|k| l.contains(k))
}

pub fn import_bytes_all(bytes: &[u8], file: &str, expect: Expect) -> Result<Imported> {
    let err = |tensor: &str, msg: String| ModelError::Import {
        file: file.to_string(),
        tensor: tensor.to_string(),
        msg,
    };
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| err("*", format!("not a readable safetensors file: {e}")))?;
    let names: Vec<String> = st.names().into_iter().cloned().collect();

    let prefixes: Vec<String> = names
        .iter()
        .filter_map(|n| n.strip_suffix("weight_ih_l0").map(str::to_string))
        .collect();
    let prefix = match prefixes.as_slice() {
        [p] => p.clone(),
        [] => {
            return Err(err(
                "weight_ih_l0",
                format!(
                    "not found; expected a PyTorch LSTM/GRU state_dict (found: {})",
                    preview(&names)
                ),
            ))
        }
        many => {
            return Err(err(
                "weight_ih_l0",
                format!("found under several prefixes {many:?}; save only one RNN module"),
            ))
        }
    };
    if let Some(n) = names
        .iter()
        .find(|n| n.starts_with(&prefix) && (n.contains("_reverse") || n.contains("weight_hr")))
    {
        return Err(err(
            n,
            "bidirectional RNNs and LSTM projections are not supported".into(),
        ));
    }
    let mut layers_in_file = 0;
    while names.contains(&format!("{prefix}weight_ih_l{layers_in_file}")) {
        layers_in_file += 1;
    }
    if layers_in_file != expect.layers {
        return Err(err(
            &format!("{prefix}weight_ih_l*"),
            format!(
                "the file has {layers_in_file} layers but the config says model.layers = {}",
                expect.layers
            ),
        ));
    }
    let h = expect.hidden_size;
    let g = expect.cell.gates();
    let mut layers = Vec::new();
    for l in 0..layers_in_file {
        let i = if l == 0 { expect.input_size } else { h };
        let load = |short: &str, shape: &[usize], optional: bool| -> Result<Option<Vec<f64>>> {
            let name = format!("{prefix}{short}_l{l}");
            let t = match st.tensor(&name) {
                Ok(t) => t,
                Err(_) if optional => return Ok(None),
                Err(_) => return Err(err(&name, "missing".into())),
            };
            if t.shape() != shape {
                // What the file holds, from its recurrent weight [G*h', h']
                // (the input weight's row count alone cannot tell an LSTM
                // of one size from a GRU of another).
                let held =
                    st.tensor(&format!("{prefix}weight_hh_l{l}"))
                        .ok()
                        .and_then(|hh| match hh.shape() {
                            [r, c] if *c > 0 && *r == 4 * c => {
                                Some(format!("an LSTM with hidden size {c}"))
                            }
                            [r, c] if *c > 0 && *r == 3 * c => {
                                Some(format!("a GRU with hidden size {c}"))
                            }
                            _ => None,
                        });
                let hint = match held {
                    Some(what) if short.starts_with("weight") => format!(
                        "; the file holds {what}, the config says model.cell = {:?}, hidden_size = {h}",
                        expect.cell.name()
                    ),
                    _ => String::new(),
                };
                return Err(err(
                    &name,
                    format!(
                        "shape {:?}, expected {:?} from model.input_size/hidden_size{hint}",
                        t.shape(),
                        shape
                    ),
                ));
            }
            let v = to_f64(t.dtype(), t.data()).map_err(|m| err(&name, m))?;
            if let Some(k) = v.iter().position(|x| !x.is_finite()) {
                return Err(err(&name, format!("element {k} is not finite ({})", v[k])));
            }
            Ok(Some(v))
        };
        let w_ih = load("weight_ih", &[g * h, i], false)?.unwrap();
        let w_hh = load("weight_hh", &[g * h, h], false)?.unwrap();
        let b_ih = load("bias_ih", &[g * h], true)?;
        let b_hh = load("bias_hh", &[g * h], true)?;
        let (b_ih, b_hh) = match (b_ih, b_hh) {
            (Some(a), Some(b)) => (a, b),
            // nn.LSTM(bias=False) saves no biases.
            (None, None) => (vec![0.0; g * h], vec![0.0; g * h]),
            (None, Some(_)) => {
                return Err(err(
                    &format!("{prefix}bias_ih_l{l}"),
                    "missing (bias_hh is present)".into(),
                ))
            }
            (Some(_), None) => {
                return Err(err(
                    &format!("{prefix}bias_hh_l{l}"),
                    "missing (bias_ih is present)".into(),
                ))
            }
        };
        layers.push(FloatLayer {
            input_size: i,
            hidden_size: h,
            w_ih,
            w_hh,
            b_ih,
            b_hh,
        });
    }
    let m = FloatModel {
        cell: expect.cell,
        input_size: expect.input_size,
        hidden_size: h,
        layers,
    };
    m.validate()?;
    // Exactly the names read above: anything else (also a look-alike such
    // as `weight_hh_l00`) was not used.
    let used: std::collections::HashSet<String> = (0..layers_in_file)
        .flat_map(|l| {
            ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
                .map(|short| format!("{prefix}{short}_l{l}"))
        })
        .collect();
    let mut ignored: Vec<String> = names
        .iter()
        .filter(|n| !used.contains(*n))
        .map(|n| match st.tensor(n) {
            Ok(t) => format!("{n} {:?}", t.shape()),
            Err(_) => n.clone(),
        })
        .collect();
    ignored.sort();
    let lm = find_lm(&st, &names, &used, expect, &err)?;
    Ok(Imported {
        model: m,
        ignored,
        lm,
    })
}

/// The embedding and decoder of a language model among the tensors not
/// `used` by the RNN: both or neither (one alone stays ignored). Refused:
/// several candidates for one of them, or row counts that differ.
fn find_lm(
    st: &SafeTensors,
    names: &[String],
    used: &std::collections::HashSet<String>,
    expect: Expect,
    err: &dyn Fn(&str, String) -> ModelError,
) -> Result<Option<ImportedLm>> {
    let shape = |n: &str| st.tensor(n).map(|t| t.shape().to_vec()).unwrap_or_default();
    let pick = |like: fn(&str) -> bool, cols: usize, what: &str| -> Result<Option<String>> {
        let c: Vec<&String> = names
            .iter()
            .filter(|n| !used.contains(*n) && like(n))
            .filter(|n| matches!(shape(n).as_slice(), [_, k] if *k == cols))
            .collect();
        match c.as_slice() {
            [] => Ok(None),
            [n] => Ok(Some((*n).clone())),
            many => Err(err(
                many[0],
                format!(
                    "{} tensors could be the {what} ({}); save one",
                    many.len(),
                    many.iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    };
    let (Some(e), Some(o)) = (
        pick(embedding_like, expect.input_size, "embedding")?,
        pick(decoder_like, expect.hidden_size, "output layer")?,
    ) else {
        return Ok(None);
    };
    let v = shape(&e)[0];
    if shape(&o)[0] != v {
        return Err(err(
            &o,
            format!(
                "{} rows, but the embedding {e} has {v}: an output layer over the embedding's vocabulary has as many",
                shape(&o)[0]
            ),
        ));
    }
    let read = |n: &str| -> Result<Vec<f64>> {
        let t = st.tensor(n).map_err(|e| err(n, e.to_string()))?;
        let v = to_f64(t.dtype(), t.data()).map_err(|m| err(n, m))?;
        if let Some(k) = v.iter().position(|x| !x.is_finite()) {
            return Err(err(n, format!("element {k} is not finite ({})", v[k])));
        }
        Ok(v)
    };
    let b_name = o.strip_suffix("weight").map(|p| format!("{p}bias"));
    let bias = match &b_name {
        Some(b) if names.contains(b) => {
            if shape(b) != [v] {
                return Err(err(b, format!("shape {:?}, expected [{v}]", shape(b))));
            }
            Some(b.clone())
        }
        _ => None,
    };
    let label = |n: &str| format!("{n} {:?}", shape(n));
    Ok(Some(ImportedLm {
        vocab: v,
        embedding_tensor: label(&e),
        output_tensor: label(&o),
        output_bias_tensor: bias.as_deref().map(label),
        embedding: read(&e)?,
        out_w: read(&o)?.into_iter().map(|x| x as f32).collect(),
        out_b: match &bias {
            Some(b) => read(b)?.into_iter().map(|x| x as f32).collect(),
            None => vec![0.0; v],
        },
    }))
}

fn preview(names: &[String]) -> String {
    let mut v: Vec<&str> = names.iter().map(String::as_str).take(6).collect();
    if names.len() > 6 {
        v.push("...");
    }
    if v.is_empty() {
        "no tensors".into()
    } else {
        v.join(", ")
    }
}

fn to_f64(dtype: Dtype, data: &[u8]) -> Result<Vec<f64>, String> {
    let v = match dtype {
        Dtype::F32 => data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64)
            .collect(),
        Dtype::F64 => data
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
            .collect(),
        Dtype::F16 => data
            .chunks_exact(2)
            .map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]])) as f64)
            .collect(),
        Dtype::BF16 => data
            .chunks_exact(2)
            .map(|b| f32::from_bits((u16::from_le_bytes([b[0], b[1]]) as u32) << 16) as f64)
            .collect(),
        other => {
            return Err(format!(
                "dtype {other:?} is not a float type (F16, BF16, F32, F64)"
            ))
        }
    };
    Ok(v)
}

fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x3ff) as u32;
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, m) => {
            // Subnormal: normalise.
            let mut e = 127 - 15 + 1;
            let mut m = m;
            while m & 0x400 == 0 {
                m <<= 1;
                e -= 1;
            }
            sign | (e << 23) | ((m & 0x3ff) << 13)
        }
        (0x1f, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 127 - 15) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

/// Writes a float model as a PyTorch-style safetensors state_dict (F32),
/// the inverse of [`import_bytes`]; used by tests and by `hitnet train`.
pub fn export_safetensors(m: &FloatModel, prefix: &str) -> Vec<u8> {
    serialize_f32(&state_dict(m, prefix))
}

/// One tensor of a state_dict: name, shape, row-major f32 data.
pub type Tensor = (String, Vec<usize>, Vec<f32>);

/// The model as PyTorch's `nn.LSTM` / `nn.GRU` names its parameters.
pub fn state_dict(m: &FloatModel, prefix: &str) -> Vec<Tensor> {
    let mut tensors = Vec::new();
    let g = m.cell.gates();
    let f32s = |v: &[f64]| v.iter().map(|x| *x as f32).collect::<Vec<f32>>();
    for (l, layer) in m.layers.iter().enumerate() {
        let (h, i) = (layer.hidden_size, layer.input_size);
        let mut push = |short: &str, shape: Vec<usize>, v: &[f64]| {
            tensors.push((format!("{prefix}{short}_l{l}"), shape, f32s(v)))
        };
        push("weight_ih", vec![g * h, i], &layer.w_ih);
        push("weight_hh", vec![g * h, h], &layer.w_hh);
        push("bias_ih", vec![g * h], &layer.b_ih);
        push("bias_hh", vec![g * h], &layer.b_hh);
    }
    tensors
}

/// A safetensors file of f32 tensors.
pub fn serialize_f32(tensors: &[Tensor]) -> Vec<u8> {
    let bytes: Vec<Vec<u8>> = tensors
        .iter()
        .map(|(_, _, v)| v.iter().flat_map(|x| x.to_le_bytes()).collect())
        .collect();
    let views: Vec<(String, safetensors::tensor::TensorView)> = tensors
        .iter()
        .zip(&bytes)
        .map(|((n, s, _), d)| {
            let v = safetensors::tensor::TensorView::new(Dtype::F32, s.clone(), d);
            (n.clone(), v.expect("shape matches the data"))
        })
        .collect();
    safetensors::serialize(views, &None).expect("safetensors serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_conversion() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert!(f16_to_f32(0x7e00).is_nan());
    }
}
