//! nextpnr-ecp5's routed netlist made simulable with Yosys's ECP5 cell
//! models. nextpnr records a few choices of the packed design in cell
//! parameters that only its bitstream writer reads, not in connections;
//! Yosys's models (written for synthesized netlists) do not know them. Each
//! rule below writes one such choice back as a connection, as nextpnr's
//! bitstream writer realizes it; a parameter this does not understand is
//! an error, never silently dropped. The rules, with nextpnr's source:
//!
//! - `TRELLIS_FF` with `SD = "0"`: the flip-flop takes its data from the M
//!   input (ecp5/pack.cc, pack_lut_pairs: `renamePort(DI, M)` when no LUT
//!   of the slice drives it). The M connection moves to DI, which is what
//!   Yosys's model reads.
//! - `DP16KD` and `MULT18X18D` ports nextpnr tied to a constant
//!   (ecp5/pack.cc, set_net_constant) are disconnected and described by a
//!   `<port>MUX` parameter: `"0"`/`"1"` a constant; on the DP16KD's clock,
//!   enable, reset and chip-select ports ("default state is 1") the port's
//!   own name for 1 and `"INV"` for 0. Those become constant connections.
//! - `TRELLIS_IO`'s IOLOGIC ports (IOLDO, IOLTO), which the model lacks,
//!   must be unconnected and are dropped.
//! - `TRELLIS_COMB` in RAMW_BLOCK mode: placeholders that keep the LUTs of
//!   a distributed RAM's write slice free (ecp5/pack.cc, pack_dram), with
//!   no function and no connection; removed.
//! - `TRELLIS_COMB` inputs A..D left unconnected read 1: the bitstream
//!   writer ties every unused LUT input high (ecp5/bitstream.cc,
//!   write_comb: `<input>MUX = "1"`), and the packer relies on that for
//!   carry inputs tied to 1, which it disconnects (pack.cc,
//!   set_net_constant: "bitstream gen will auto-enable tie-high").
//! - `TRELLIS_FF` with LSR disconnected (the packer does that for a
//!   constant inactive reset): tied to its inactive level.
//! - `TRELLIS_COMB` placed on a slice's second LUT (bel `SLICEx.K1`):
//!   its OFX output is the slice's L6MUX21 of FXA/FXB, the first LUT's
//!   (K0) the PFUMX of F1/F. nextpnr keeps that in the placement only;
//!   Yosys's model selects it with `IS_Z1`, which is set here.
//! - `TRELLIS_COMB` in DPRAM mode: Yosys's model has no WCKMUX and ignores
//!   WREMUX, so both must be the plain pin.
use serde_json::Value;

use crate::{Result, VerifyError};

/// What [`normalize`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Normalized {
    /// Flip-flops whose data input moved from M to DI.
    pub ff_m_to_di: usize,
    /// Block RAM / multiplier ports tied to their constant.
    pub constant_ports: usize,
    /// Unconnected IOLOGIC ports dropped from I/O cells.
    pub io_ports_dropped: usize,
    /// RAMW_BLOCK placeholder cells removed.
    pub placeholders_removed: usize,
    /// Logic cells on a K1 bel (IS_Z1 set).
    pub k1_cells: usize,
    /// Unconnected LUT inputs tied high.
    pub lut_inputs_tied_high: usize,
    /// Unconnected flip-flop resets tied inactive.
    pub ff_resets_tied: usize,
}

/// DP16KD ports whose unconnected state is 1 (nextpnr: "Connect to CIB
/// CLK, LSR or CE. Default state is 1").
const EBR_CONTROL: [&str; 16] = [
    "CLKA", "CLKB", "RSTA", "RSTB", "WEA", "WEB", "CEA", "CEB", "OCEA", "OCEB", "CSA0", "CSA1",
    "CSA2", "CSB0", "CSB1", "CSB2",
];

fn bad(cell: &str, what: String) -> VerifyError {
    VerifyError::Netlist(format!(
        "routed netlist, cell {cell}: {what}; the routed stage does not model this nextpnr-ecp5 setting"
    ))
}

/// A string parameter as nextpnr wrote it (Yosys JSON marks strings that
/// look like bit vectors with a trailing space).
fn param_str(v: &Value) -> Option<&str> {
    v.as_str().map(|s| s.strip_suffix(' ').unwrap_or(s))
}

fn unconnected(conns: &serde_json::Map<String, Value>, port: &str) -> bool {
    conns
        .get(port)
        .and_then(Value::as_array)
        .is_none_or(|a| a.is_empty())
}

/// Rewrites nextpnr-ecp5's routed JSON `doc` in place (see the module
/// comment) so that Yosys's and our cell models simulate it as nextpnr's
/// bitstream configures it.
pub fn normalize(doc: &mut Value) -> Result<Normalized> {
    let mut n = Normalized::default();
    let modules = doc
        .get_mut("modules")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| VerifyError::Netlist("routed.json has no modules".into()))?;
    for module in modules.values_mut() {
        let Some(cells) = module.get_mut("cells").and_then(Value::as_object_mut) else {
            continue;
        };
        let placeholders: Vec<String> = cells
            .iter()
            .filter(|(_, c)| {
                c["type"] == "TRELLIS_COMB"
                    && c["parameters"].get("MODE").and_then(param_str) == Some("RAMW_BLOCK")
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in placeholders {
            let c = &cells[&k];
            let used = c["connections"].as_object().is_some_and(|m| {
                m.values()
                    .any(|v| v.as_array().is_some_and(|a| !a.is_empty()))
            });
            if used {
                return Err(bad(&k, "a RAMW_BLOCK cell with connections".into()));
            }
            cells.remove(&k);
            n.placeholders_removed += 1;
        }
        for (name, cell) in cells.iter_mut() {
            let ty = cell
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let Some(obj) = cell.as_object_mut() else {
                continue;
            };
            let mut params = obj
                .get("parameters")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let mut conns = obj
                .get("connections")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            match ty.as_str() {
                "TRELLIS_FF" => {
                    match params.get("SD").and_then(param_str) {
                        Some("0") => {
                            if !unconnected(&conns, "DI") {
                                return Err(bad(name, "SD = 0 with DI connected".into()));
                            }
                            let m = conns.remove("M").unwrap_or(Value::Array(Vec::new()));
                            conns.insert("DI".into(), m);
                            n.ff_m_to_di += 1;
                        }
                        Some("1") | None => {}
                        Some(o) => return Err(bad(name, format!("SD = {o}"))),
                    }
                    params.remove("SD");
                    if unconnected(&conns, "LSR") {
                        let level = match params.get("LSRMUX").and_then(param_str) {
                            Some("INV") => "1",
                            Some("LSR") | None => "0",
                            Some(o) => return Err(bad(name, format!("LSRMUX = \"{o}\""))),
                        };
                        conns.insert(
                            "LSR".into(),
                            Value::Array(vec![Value::String(level.into())]),
                        );
                        n.ff_resets_tied += 1;
                    }
                }
                "DP16KD" | "MULT18X18D" => {
                    let keys: Vec<String> = params
                        .keys()
                        .filter(|k| k.ends_with("MUX"))
                        .cloned()
                        .collect();
                    for k in keys {
                        let port = k.trim_end_matches("MUX").to_string();
                        let v = param_str(&params[&k]).unwrap_or("").to_string();
                        let open = unconnected(&conns, &port);
                        let control = ty == "DP16KD" && EBR_CONTROL.contains(&port.as_str());
                        let tie = match v.as_str() {
                            "0" | "1" if open => Some(v.clone()),
                            _ if v == port => (open && control).then(|| "1".to_string()),
                            "INV" if open && control => Some("0".to_string()),
                            _ => return Err(bad(name, format!("{k} = \"{v}\" on a {ty}"))),
                        };
                        if let Some(t) = tie {
                            conns.insert(port, Value::Array(vec![Value::String(t)]));
                            n.constant_ports += 1;
                        }
                        params.remove(&k);
                    }
                }
                "TRELLIS_IO" => {
                    for p in ["IOLDO", "IOLTO"] {
                        if conns.contains_key(p) {
                            if !unconnected(&conns, p) {
                                return Err(bad(name, format!("I/O logic port {p} is used")));
                            }
                            conns.remove(p);
                            n.io_ports_dropped += 1;
                        }
                    }
                }
                "TRELLIS_COMB" => {
                    let bel = obj
                        .get("attributes")
                        .and_then(|a| a.get("NEXTPNR_BEL"))
                        .and_then(Value::as_str)
                        .ok_or_else(|| {
                            bad(name, "no NEXTPNR_BEL (not a routed netlist?)".into())
                        })?;
                    let k1 = bel.ends_with(".K1");
                    if !k1 && !bel.ends_with(".K0") {
                        return Err(bad(name, format!("logic cell on bel {bel}")));
                    }
                    // The OFX inputs of the other position must be open.
                    let (feeds, foreign): (&str, &[&str]) = if k1 {
                        ("FXA/FXB", &["F1"])
                    } else {
                        ("F1", &["FXA", "FXB"])
                    };
                    if let Some(p) = foreign.iter().find(|p| !unconnected(&conns, p)) {
                        return Err(bad(
                            name,
                            format!("{p} used on bel {bel} (only {feeds} feed its OFX)"),
                        ));
                    }
                    if k1 {
                        params.insert("IS_Z1".into(), Value::String("1".into()));
                        n.k1_cells += 1;
                    }
                    for p in ["A", "B", "C", "D"] {
                        if unconnected(&conns, p) {
                            conns.insert(p.into(), Value::Array(vec![Value::String("1".into())]));
                            n.lut_inputs_tied_high += 1;
                        }
                    }
                    if params.get("MODE").and_then(param_str) == Some("DPRAM") {
                        for (k, plain) in [("WCKMUX", "WCK"), ("WREMUX", "WRE")] {
                            match params.get(k).and_then(param_str) {
                                None => {}
                                Some(v) if v == plain => {}
                                Some(v) => return Err(bad(name, format!("{k} = \"{v}\""))),
                            }
                        }
                    }
                    params.remove("WCKMUX");
                }
                _ => {}
            }
            obj.insert("parameters".into(), Value::Object(params));
            obj.insert("connections".into(), Value::Object(conns));
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(cells: Value) -> Value {
        json!({"modules": {"top": {"cells": cells}}})
    }

    #[test]
    fn flip_flop_fed_from_m() {
        let mut d = doc(json!({"ff": {"type": "TRELLIS_FF",
            "parameters": {"SD": "0 ", "CEMUX": "1 "},
            "connections": {"M": [7], "Q": [8], "CLK": [2]}}}));
        let n = normalize(&mut d).unwrap();
        assert_eq!(n.ff_m_to_di, 1);
        let c = &d["modules"]["top"]["cells"]["ff"];
        assert_eq!(c["connections"]["DI"], json!([7]));
        assert!(c["connections"].get("M").is_none());
        assert!(c["parameters"].get("SD").is_none());
        assert_eq!(c["connections"]["LSR"], json!(["0"]));
        assert_eq!(c["parameters"]["CEMUX"], "1 ");
    }

    #[test]
    fn second_lut_of_a_slice_drives_the_l6mux() {
        let mut d = doc(json!({
            "k1": {"type": "TRELLIS_COMB", "parameters": {"INITVAL": "0000000000000001"},
                "connections": {"FXA": [1], "FXB": [2], "M": [3], "OFX": [4]},
                "attributes": {"NEXTPNR_BEL": "X2/Y20/SLICEC.K1"}},
            "k0": {"type": "TRELLIS_COMB", "parameters": {},
                "connections": {"F1": [5], "F": [6], "M": [7], "OFX": [8]},
                "attributes": {"NEXTPNR_BEL": "X2/Y20/SLICEC.K0"}}}));
        assert_eq!(normalize(&mut d).unwrap().k1_cells, 1);
        let c = &d["modules"]["top"]["cells"];
        assert_eq!(c["k1"]["parameters"]["IS_Z1"], "1");
        assert!(c["k0"]["parameters"].get("IS_Z1").is_none());
        // Unused LUT inputs read 1, as the bitstream ties them.
        assert_eq!(c["k1"]["connections"]["A"], json!(["1"]));
        assert_eq!(c["k0"]["connections"]["D"], json!(["1"]));
        // FXA on a K0 LUT has no meaning there.
        let mut d = doc(json!({"k0": {"type": "TRELLIS_COMB", "parameters": {},
            "connections": {"FXA": [1]}, "attributes": {"NEXTPNR_BEL": "X2/Y20/SLICEC.K0"}}}));
        assert!(normalize(&mut d).is_err());
    }

    #[test]
    fn placeholders_go() {
        let mut d = doc(json!({"b": {"type": "TRELLIS_COMB",
            "parameters": {"MODE": "RAMW_BLOCK"}, "connections": {"A": [], "F": []}},
            "l": {"type": "TRELLIS_COMB", "parameters": {"MODE": "LOGIC"},
            "connections": {"A": [3], "F": [4]},
            "attributes": {"NEXTPNR_BEL": "X1/Y1/SLICEA.K0"}}}));
        assert_eq!(normalize(&mut d).unwrap().placeholders_removed, 1);
        let cells = d["modules"]["top"]["cells"].as_object().unwrap();
        assert!(cells.contains_key("l") && !cells.contains_key("b"));
    }

    #[test]
    fn block_ram_constants() {
        let mut d = doc(json!({"ebr": {"type": "DP16KD",
            "parameters": {"ADA0MUX": "0 ", "DIA3MUX": "1 ", "CSA0MUX": "INV",
                "OCEAMUX": "OCEA", "CLKAMUX": "CLKA", "DATA_WIDTH_A": 18},
            "connections": {"ADA0": [], "CLKA": [5], "OCEA": []}}}));
        let n = normalize(&mut d).unwrap();
        assert_eq!(n.constant_ports, 4);
        let c = &d["modules"]["top"]["cells"]["ebr"]["connections"];
        assert_eq!(c["ADA0"], json!(["0"]));
        assert_eq!(c["DIA3"], json!(["1"]));
        assert_eq!(c["CSA0"], json!(["0"]));
        assert_eq!(c["OCEA"], json!(["1"]));
        assert_eq!(c["CLKA"], json!([5]));
        let p = &d["modules"]["top"]["cells"]["ebr"]["parameters"];
        assert_eq!(p.as_object().unwrap().len(), 1);
    }

    #[test]
    fn what_is_not_modelled_is_refused() {
        // An inverted clock that is connected: a negative-edge RAM.
        let mut d = doc(json!({"ebr": {"type": "DP16KD",
            "parameters": {"CLKAMUX": "INV"}, "connections": {"CLKA": [5]}}}));
        let e = normalize(&mut d).unwrap_err().to_string();
        assert!(e.contains("CLKAMUX") && e.contains("ebr"), "{e}");
        // A multiplier data port tied by MUX but still connected.
        let mut d = doc(json!({"m": {"type": "MULT18X18D",
            "parameters": {"A3MUX": "1 "}, "connections": {"A3": [9]}}}));
        assert!(normalize(&mut d).is_err());
        let mut d = doc(json!({"r": {"type": "TRELLIS_COMB",
            "parameters": {"MODE": "DPRAM", "WREMUX": "INV"}, "connections": {},
            "attributes": {"NEXTPNR_BEL": "X1/Y1/SLICEA.K0"}}}));
        assert!(normalize(&mut d).is_err());
        let mut d = doc(json!({"b": {"type": "TRELLIS_COMB",
            "parameters": {"MODE": "RAMW_BLOCK"}, "connections": {"A": [4]}}}));
        assert!(normalize(&mut d).is_err());
        let mut d = doc(json!({"io": {"type": "TRELLIS_IO",
            "parameters": {}, "connections": {"IOLDO": [3]}}}));
        assert!(normalize(&mut d).is_err());
    }
}
