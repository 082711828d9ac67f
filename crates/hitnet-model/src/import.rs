//! Import of a trained PyTorch `nn.LSTM` / `nn.GRU` state_dict saved as
//! safetensors (`weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`,
//! `bias_hh_l{k}`, optionally behind a module prefix such as `rnn.`).
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
    Ok(Imported { model: m, ignored })
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
