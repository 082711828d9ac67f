//! Memory contents of a placed design, replaced without place and route:
//! the matching rule of `icebram` (icestorm) for iCE40 and of `ecpbram`
//! (prjtrellis) for ECP5, on Yosys and nextpnr JSON netlists, on iCE40
//! `.asc` bitstreams and on ECP5 `.config` (nextpnr-ecp5 `--textcfg`).
//!
//! A memory is found by its contents, not by its name: the design is built
//! with random placeholder images, and every 256-word bit slice of a
//! placeholder (bit i of words 256k .. 256k+255) is a pattern that occurs
//! in exactly one place of one block RAM (SB_RAM40_4K: 4,096 bits, 16 bit
//! slices in 256x16 mode, bits interleaved in the narrower modes). The
//! replacement writes the new image's slice in the same place. `icebram`
//! does this on the `.asc`; this module does the same on the netlists the
//! verification simulates (the synthesized `design.json`, the routed
//! `routed.json`), and reads the `.asc` back so the two can be compared.
//!
//! ECP5 is the same with 512-word slices of a DP16KD (18 Kbit, held as
//! 2,048 9-bit words, as the `.config` writes them; `ecpbram`'s bit map
//! for each of the six port widths: [`Replacements::apply_ecp5`]).
use std::collections::HashMap;

use crate::target::Family;

use thiserror::Error;

/// Bits of one iCE40 block RAM (SB_RAM40_4K).
pub const EBR_BITS: usize = 4096;
/// Words of one bit slice: what `icebram` matches.
pub const SLICE: usize = 256;
/// 9-bit words of one ECP5 DP16KD, as nextpnr's `.config` holds it.
pub const DP16KD_WORDS: usize = 2048;
/// Words of one ECP5 bit slice: what `ecpbram` matches.
pub const ECP5_SLICE: usize = 512;

#[derive(Debug, Error)]
pub enum BramError {
    #[error("{what}: {detail}")]
    Image { what: String, detail: String },
    #[error("{0}")]
    Netlist(String),
    #[error("{what}: {found} of its {slices} bit slices found in the design ({detail})")]
    NotFound {
        what: String,
        slices: usize,
        found: usize,
        detail: String,
    },
}

/// A memory image: `words` of `width` bits, bit 0 the least significant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub width: usize,
    pub words: Vec<Vec<bool>>,
}

impl Image {
    /// Parses a `$readmemh` image of one hex word per line (our images);
    /// `what` names it in errors.
    pub fn parse_hex(text: &str, width: usize, what: &str) -> Result<Image, BramError> {
        let mut words = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            let mut bits = Vec::with_capacity(t.len() * 4);
            for c in t.chars().rev() {
                let d = c.to_digit(16).ok_or_else(|| BramError::Image {
                    what: what.to_string(),
                    detail: format!("line {}: '{t}' is not a hex word", i + 1),
                })?;
                bits.extend((0..4).map(|b| d >> b & 1 == 1));
            }
            if bits[width.min(bits.len())..].iter().any(|&b| b) {
                return Err(BramError::Image {
                    what: what.to_string(),
                    detail: format!("line {}: '{t}' is wider than {width} bits", i + 1),
                });
            }
            bits.resize(width, false);
            words.push(bits);
        }
        if words.is_empty() {
            return Err(BramError::Image {
                what: what.to_string(),
                detail: "no words".into(),
            });
        }
        Ok(Image { width, words })
    }

    /// The image's bit slices: bit i of each run of `n` words (the last
    /// run padded with zeros, as a block RAM holds words never written).
    fn slices(&self, n: usize) -> Vec<Vec<bool>> {
        let runs = self.words.len().div_ceil(n);
        let mut out = Vec::with_capacity(runs * self.width);
        for run in 0..runs {
            for bit in 0..self.width {
                out.push(
                    (0..n)
                        .map(|k| self.words.get(run * n + k).is_some_and(|w| w[bit]))
                        .collect(),
                );
            }
        }
        out
    }
}

/// The replacements of one or more memories: placeholder slice -> new
/// slice, and how often each was found. `Default` is iCE40's.
#[derive(Clone)]
pub struct Replacements {
    family: Family,
    map: HashMap<Vec<bool>, (usize, Vec<bool>)>,
    /// Per memory: its name and the indices of its slices.
    memories: Vec<(String, Vec<usize>)>,
    slices: Vec<Vec<bool>>,
    found: Vec<usize>,
}

impl Default for Replacements {
    fn default() -> Self {
        Replacements::new(Family::Ice40)
    }
}

impl Replacements {
    /// No replacements yet, for a design of `family`'s block RAMs.
    pub fn new(family: Family) -> Self {
        Replacements {
            family,
            map: HashMap::new(),
            memories: Vec::new(),
            slices: Vec::new(),
            found: Vec::new(),
        }
    }

    /// Words of one bit slice in this family's block RAM.
    fn slice_words(&self) -> usize {
        match self.family {
            Family::Ice40 => SLICE,
            Family::Ecp5 => ECP5_SLICE,
        }
    }

    /// Adds memory `what`: `from` (the placeholder the design holds) is to
    /// become `to`. Refused: different shapes, a placeholder slice that is
    /// all zero (it would match unused block RAM), or one that repeats.
    pub fn add(&mut self, what: &str, from: &Image, to: &Image) -> Result<(), BramError> {
        let err = |detail: String| BramError::Image {
            what: what.to_string(),
            detail,
        };
        if from.width != to.width || from.words.len() != to.words.len() {
            return Err(err(format!(
                "the new image has {} words of {} bits, the design's {} of {}",
                to.words.len(),
                to.width,
                from.words.len(),
                from.width
            )));
        }
        let n = self.slice_words();
        let pairs: Vec<(Vec<bool>, Vec<bool>)> =
            from.slices(n).into_iter().zip(to.slices(n)).collect();
        // All checked before any is added: a refused memory leaves nothing.
        let mut seen = std::collections::HashSet::new();
        for (f, _) in &pairs {
            if !f.iter().any(|&b| b) {
                return Err(err(
                    "a placeholder bit slice is all zero (it would match unused block RAM); the build's placeholders are not random".into(),
                ));
            }
            if self.map.contains_key(f) || !seen.insert(f) {
                return Err(err(
                    "a placeholder bit slice occurs twice; the build's placeholders are not unique"
                        .into(),
                ));
            }
        }
        let mut idx = Vec::new();
        for (f, t) in pairs {
            let i = self.slices.len();
            self.map.insert(f.clone(), (i, t));
            self.slices.push(f);
            self.found.push(0);
            idx.push(i);
        }
        self.memories.push((what.to_string(), idx));
        Ok(())
    }

    /// Replaces, in one block RAM's 4,096 bits read in `read_mode` (0:
    /// 256x16, 1: 512x8, 2: 1024x4, 3: 2048x2), every bit slice that is a
    /// placeholder slice; returns how many.
    pub fn apply(&mut self, data: &mut [bool], read_mode: u32) -> Result<usize, BramError> {
        const SUBIDX: [&[usize]; 4] = [&[0], &[0, 1], &[0, 2, 1, 3], &[0, 4, 2, 6, 1, 5, 3, 7]];
        if data.len() != EBR_BITS || read_mode > 3 || self.family != Family::Ice40 {
            return Err(BramError::Netlist(format!(
                "a block RAM of {} bits in read mode {read_mode}",
                data.len()
            )));
        }
        let sub = SUBIDX[read_mode as usize];
        let p = sub.len();
        let mut n = 0;
        for blk in (0..EBR_BITS).step_by(EBR_BITS / p) {
            for bit in (0..16).step_by(p) {
                let at = |o: usize, i: usize| blk + bit + o * 16 + sub[i];
                let fbs: Vec<bool> = (0..SLICE).map(|k| data[at(k / p, k % p)]).collect();
                if let Some((i, tbs)) = self.map.get(&fbs) {
                    self.found[*i] += 1;
                    for (k, &b) in tbs.iter().enumerate() {
                        data[at(k / p, k % p)] = b;
                    }
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// Replaces, in one ECP5 DP16KD (2,048 9-bit words), every bit slice
    /// that is a placeholder slice, as `ecpbram` does: for each port
    /// width W of 1, 2, 4 (8 bits of each 9-bit word used) and 9, 18, 36
    /// (all 9), word k of a 512-word run starts at bit k * W; returns how
    /// many slices were replaced.
    pub fn apply_ecp5(&mut self, data: &mut [u16]) -> Result<usize, BramError> {
        const W: [usize; 6] = [1, 2, 4, 9, 18, 36];
        const NW: [usize; 6] = [8, 8, 8, 9, 9, 9];
        const B: [usize; 6] = [32, 32, 32, 36, 36, 36];
        if data.len() != DP16KD_WORDS || self.family != Family::Ecp5 {
            return Err(BramError::Netlist(format!(
                "a DP16KD of {} words (or replacements of another family)",
                data.len()
            )));
        }
        let mut n = 0;
        for i in 0..6 {
            for j in 0..B[i] {
                let at = |k: usize| {
                    let bn = k * W[i] + j % W[i] + (j / W[i]) * ECP5_SLICE * W[i];
                    (bn / NW[i], bn % NW[i])
                };
                let fbs: Vec<bool> = (0..ECP5_SLICE)
                    .map(|k| {
                        let (w, b) = at(k);
                        data[w] >> b & 1 == 1
                    })
                    .collect();
                if let Some((idx, tbs)) = self.map.get(&fbs) {
                    self.found[*idx] += 1;
                    for (k, &b) in tbs.iter().enumerate() {
                        let (w, bit) = at(k);
                        data[w] = data[w] & !(1 << bit) | (b as u16) << bit;
                    }
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// Every slice of every memory found exactly once, or which was not.
    pub fn check(&self) -> Result<(), BramError> {
        for (what, idx) in &self.memories {
            let found = idx.iter().filter(|&&i| self.found[i] == 1).count();
            if found != idx.len() {
                let twice = idx.iter().filter(|&&i| self.found[i] > 1).count();
                return Err(BramError::NotFound {
                    what: what.clone(),
                    slices: idx.len(),
                    found,
                    detail: if twice > 0 {
                        format!("{twice} found more than once")
                    } else {
                        "is the design built with these placeholders?".into()
                    },
                });
            }
        }
        Ok(())
    }

    /// The memories, in the order added.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.memories.iter().map(|(n, _)| n.as_str())
    }
}

/// The cell types that hold iCE40 block RAM: Yosys's primitives and
/// nextpnr-ice40's packed cell.
const RAM_TYPES: [&str; 5] = [
    "SB_RAM40_4K",
    "SB_RAM40_4KNR",
    "SB_RAM40_4KNW",
    "SB_RAM40_4KNRNW",
    "ICESTORM_RAM",
];

/// A parameter value of a Yosys/nextpnr JSON netlist as bits, LSB first
/// (bit strings are written MSB first; small integers may be numbers).
fn param_bits(v: &serde_json::Value, width: usize) -> Option<Vec<bool>> {
    match v {
        serde_json::Value::String(s) if s.starts_with("0x") => {
            let mut bits = Vec::with_capacity(width);
            for c in s[2..].chars().rev() {
                let d = c.to_digit(16)?;
                bits.extend((0..4).map(|b| d >> b & 1 == 1));
            }
            if bits[width.min(bits.len())..].iter().any(|&b| b) {
                return None;
            }
            bits.resize(width, false);
            Some(bits)
        }
        serde_json::Value::String(s) => {
            let mut bits: Vec<bool> = s.chars().rev().map(|c| c == '1').collect();
            if !s.chars().all(|c| matches!(c, '0' | '1' | 'x' | 'z')) {
                return None;
            }
            bits.resize(width, false);
            Some(bits)
        }
        serde_json::Value::Number(n) => {
            let n = n.as_u64()?;
            Some((0..width).map(|b| b < 64 && n >> b & 1 == 1).collect())
        }
        _ => None,
    }
}

fn bits_string(bits: &[bool]) -> String {
    bits.iter()
        .rev()
        .map(|&b| if b { '1' } else { '0' })
        .collect()
}

/// One block RAM's contents from its INIT_0 .. INIT_F parameters.
fn cell_init(params: &serde_json::Map<String, serde_json::Value>) -> Option<Vec<bool>> {
    let mut data = Vec::with_capacity(EBR_BITS);
    for k in 0..16 {
        let v = params.get(&format!("INIT_{k:X}"))?;
        data.extend(param_bits(v, 256)?);
    }
    Some(data)
}

/// The ECP5 block-RAM cells (Yosys's primitives; nextpnr-ecp5 keeps the
/// type).
const ECP5_RAM_TYPES: [&str; 2] = ["DP16KD", "PDPW16KD"];

/// Where INITVAL puts each bit of a DP16KD, as nextpnr-ecp5 reads it for
/// the `.config` (ecp5/bitstream.cc): parameter i holds 16 18-bit words in
/// 20-bit slots, each word two 9-bit words. Yields (parameter, bit in the
/// parameter, 9-bit word, bit in the word).
fn dp16kd_slots() -> impl Iterator<Item = (usize, usize, usize, usize)> {
    (0..64).flat_map(|i| {
        (0..16)
            .flat_map(move |j| (0..18).map(move |k| (i, 20 * j + k, i * 32 + j * 2 + k / 9, k % 9)))
    })
}

/// One DP16KD's contents from INITVAL_00 .. INITVAL_3F ([`dp16kd_slots`]).
/// A missing parameter is zero, as nextpnr reads it.
fn dp16kd_init(params: &serde_json::Map<String, serde_json::Value>) -> Option<Vec<u16>> {
    let mut bits = Vec::with_capacity(64);
    for i in 0..64 {
        bits.push(match params.get(&format!("INITVAL_{i:02X}")) {
            Some(v) => param_bits(v, 320)?,
            None => vec![false; 320],
        });
    }
    let mut d = vec![0u16; DP16KD_WORDS];
    for (i, p, w, b) in dp16kd_slots() {
        d[w] |= (bits[i][p] as u16) << b;
    }
    Some(d)
}

fn set_dp16kd_init(params: &mut serde_json::Map<String, serde_json::Value>, d: &[u16]) {
    let mut bits = vec![vec![false; 320]; 64];
    for (i, p, w, b) in dp16kd_slots() {
        bits[i][p] = d[w] >> b & 1 == 1;
    }
    for (i, b) in bits.iter().enumerate() {
        params.insert(
            format!("INITVAL_{i:02X}"),
            serde_json::Value::String(bits_string(b)),
        );
    }
}

/// A DP16KD's 2,048 9-bit words as bits, word by word, LSB first.
fn dp16kd_bits(d: &[u16]) -> Vec<bool> {
    d.iter()
        .flat_map(|w| (0..9).map(move |b| w >> b & 1 == 1))
        .collect()
}

type Params = serde_json::Map<String, serde_json::Value>;

/// The block-RAM cells of a netlist, with the family whose layout their
/// parameters have.
fn ram_cells(doc: &mut serde_json::Value) -> Result<Vec<(Family, &mut Params)>, BramError> {
    let modules = doc
        .get_mut("modules")
        .and_then(|m| m.as_object_mut())
        .ok_or_else(|| BramError::Netlist("no \"modules\" in the netlist".into()))?;
    let mut out = Vec::new();
    for m in modules.values_mut() {
        let Some(cells) = m.get_mut("cells").and_then(|c| c.as_object_mut()) else {
            continue;
        };
        for cell in cells.values_mut() {
            let ty = cell.get("type").and_then(|t| t.as_str()).unwrap_or("");
            let family = if RAM_TYPES.contains(&ty) {
                Family::Ice40
            } else if ECP5_RAM_TYPES.contains(&ty) {
                Family::Ecp5
            } else {
                continue;
            };
            if let Some(p) = cell.get_mut("parameters").and_then(|p| p.as_object_mut()) {
                out.push((family, p));
            }
        }
    }
    Ok(out)
}

fn no_init() -> BramError {
    BramError::Netlist("a block RAM without readable INIT_0 .. INIT_F (iCE40) or INITVAL_00 .. INITVAL_3F (ECP5) parameters".into())
}

/// Replaces the placeholders in every block RAM of a Yosys or nextpnr
/// JSON netlist (`design.json`, `routed.json`); returns the block RAMs
/// changed. Call [`Replacements::check`] after all netlists of one design.
pub fn patch_json(
    doc: &mut serde_json::Value,
    reps: &mut Replacements,
) -> Result<usize, BramError> {
    let mut changed = 0;
    for (family, params) in ram_cells(doc)? {
        if family == Family::Ecp5 {
            let mut d = dp16kd_init(params).ok_or_else(no_init)?;
            if reps.apply_ecp5(&mut d)? > 0 {
                changed += 1;
                set_dp16kd_init(params, &d);
            }
            continue;
        }
        let mut data = cell_init(params).ok_or_else(no_init)?;
        let mode = params
            .get("READ_MODE")
            .and_then(|v| param_bits(v, 32))
            .map(|b| b.iter().enumerate().map(|(i, &x)| (x as u32) << i).sum())
            .unwrap_or(0);
        if reps.apply(&mut data, mode)? > 0 {
            changed += 1;
            for k in 0..16 {
                params.insert(
                    format!("INIT_{k:X}"),
                    serde_json::Value::String(bits_string(&data[256 * k..256 * (k + 1)])),
                );
            }
        }
    }
    Ok(changed)
}

/// Every block RAM's contents in a JSON netlist, in cell order: iCE40's
/// 4,096 bits, or an ECP5 DP16KD's 2,048 9-bit words as bits.
pub fn json_contents(doc: &mut serde_json::Value) -> Result<Vec<Vec<bool>>, BramError> {
    ram_cells(doc)?
        .into_iter()
        .map(|(family, p)| match family {
            Family::Ice40 => cell_init(p).ok_or_else(no_init),
            Family::Ecp5 => dp16kd_init(p).map(|d| dp16kd_bits(&d)).ok_or_else(no_init),
        })
        .collect()
}

/// The `.bram_init N` blocks of an ECP5 `.config`: (line of the header,
/// lines of the values, N).
fn config_blocks(lines: &[&str]) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if let Some(rest) = l.strip_prefix(".bram_init") {
            let n = lines[i + 1..]
                .iter()
                .take_while(|l| !l.trim().is_empty() && !l.starts_with('.'))
                .count();
            out.push((i, n, rest.trim().to_string()));
        }
    }
    out
}

fn config_words(lines: &[&str], at: usize, n: usize) -> Result<Vec<u16>, BramError> {
    let mut d = Vec::with_capacity(DP16KD_WORDS);
    for (k, l) in lines[at + 1..at + 1 + n].iter().enumerate() {
        for t in l.split_whitespace() {
            let v = u16::from_str_radix(t, 16)
                .ok()
                .filter(|&v| v < 512)
                .ok_or_else(|| {
                    BramError::Netlist(format!(
                        ".config line {}: '{t}' is not a 9-bit hex word",
                        at + 2 + k
                    ))
                })?;
            d.push(v);
        }
    }
    if d.len() != DP16KD_WORDS {
        return Err(BramError::Netlist(format!(
            ".config line {}: a .bram_init block of {} words, not {DP16KD_WORDS}",
            at + 1,
            d.len()
        )));
    }
    Ok(d)
}

/// One DP16KD of a `.config`: its index (`.bram_init N`) and 2,048 9-bit
/// words as bits, as [`json_contents`] gives them.
pub type ConfigRam = (String, Vec<bool>);

/// Every initialized DP16KD of an ECP5 `.config` (nextpnr-ecp5
/// `--textcfg`: `.bram_init N`, then 2,048 3-digit hex words, 8 a line).
pub fn config_contents(config: &str) -> Result<Vec<ConfigRam>, BramError> {
    let lines: Vec<&str> = config.lines().collect();
    config_blocks(&lines)
        .into_iter()
        .map(|(at, n, id)| Ok((id, dp16kd_bits(&config_words(&lines, at, n)?))))
        .collect()
}

/// Replaces the placeholders in an ECP5 `.config`, as `ecpbram` does
/// (every `.bram_init`, every port width); returns the new text (written
/// as prjtrellis writes it) and the DP16KDs changed. Ours rather than
/// ecpbram itself for the reason [`patch_asc`] gives; `tests/bram_patch.rs`
/// checks both give the same `.config`.
pub fn patch_config(config: &str, reps: &mut Replacements) -> Result<(String, usize), BramError> {
    let lines: Vec<&str> = config.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut next = 0;
    let mut changed = 0;
    for (at, n, _) in config_blocks(&lines) {
        let mut d = config_words(&lines, at, n)?;
        out.extend(lines[next..=at].iter().map(|l| l.to_string()));
        next = at + 1;
        if reps.apply_ecp5(&mut d)? == 0 {
            continue;
        }
        changed += 1;
        out.extend(d.chunks(8).map(|c| {
            c.iter()
                .map(|v| format!("{v:03x}"))
                .collect::<Vec<_>>()
                .join(" ")
        }));
        next = at + 1 + n;
    }
    out.extend(lines[next..].iter().map(|l| l.to_string()));
    let mut text = out.join("\n");
    text.push('\n');
    Ok((text, changed))
}

/// Every block RAM's contents in a placed design file of `family` (the
/// `.asc`, or the ECP5 `.config`), in file order, as [`json_contents`]
/// gives them.
pub fn placed_contents(family: Family, text: &str) -> Result<Vec<Vec<bool>>, BramError> {
    Ok(match family {
        Family::Ice40 => asc_contents(text)?.into_iter().map(|(_, v)| v).collect(),
        Family::Ecp5 => config_contents(text)?.into_iter().map(|(_, v)| v).collect(),
    })
}

/// [`patch_asc`] or [`patch_config`], by `family`.
pub fn patch_placed(
    family: Family,
    text: &str,
    reps: &mut Replacements,
) -> Result<(String, usize), BramError> {
    match family {
        Family::Ice40 => patch_asc(text, reps),
        Family::Ecp5 => patch_config(text, reps),
    }
}

/// One block RAM of an `.asc`: its tile and its 4,096 bits.
pub type AscRam = ((u32, u32), Vec<bool>);

/// Every block RAM's contents in an `.asc` bitstream (`ram_data X Y`
/// followed by 16 lines of 64 hex digits, INIT_0 first, each line MSB
/// first), keyed by tile.
pub fn asc_contents(asc: &str) -> Result<Vec<AscRam>, BramError> {
    let lines: Vec<&str> = asc.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let mut f = lines[i].split_whitespace();
        if f.next() == Some(".ram_data") {
            let xy: Vec<u32> = f.filter_map(|v| v.parse().ok()).collect();
            if xy.len() != 2 || i + 16 >= lines.len() {
                return Err(BramError::Netlist(format!(
                    ".asc line {}: a truncated .ram_data block",
                    i + 1
                )));
            }
            let mut data = Vec::with_capacity(EBR_BITS);
            for k in 0..16 {
                let l = lines[i + 1 + k].trim();
                if l.len() != 64 {
                    return Err(BramError::Netlist(format!(
                        ".asc line {}: {} hex digits in a .ram_data line, not 64",
                        i + 2 + k,
                        l.len()
                    )));
                }
                for c in l.chars().rev() {
                    let d = c.to_digit(16).ok_or_else(|| {
                        BramError::Netlist(format!(".asc line {}: not hex", i + 2 + k))
                    })?;
                    data.extend((0..4).map(|b| d >> b & 1 == 1));
                }
            }
            out.push(((xy[0], xy[1]), data));
            i += 17;
        } else {
            i += 1;
        }
    }
    Ok(out)
}

/// Replaces the placeholders in an `.asc` bitstream, as `icebram` does:
/// each initialized block RAM (`.ram_data X Y`) in the read mode its
/// `.ramt_tile X Y+1` configures (RamConfig CBIT_2, CBIT_3). Returns the
/// new text and the block RAMs changed.
///
/// Ours rather than icebram itself: icebram reads every hex digit as four
/// bits, so a memory whose width is not a multiple of four (a 15-bit bias
/// memory) gets all-zero bit slices that match every empty block RAM, and
/// it refuses. `tests/bram_patch.rs` checks this function and icebram
/// give the same bitstream where icebram can run.
pub fn patch_asc(asc: &str, reps: &mut Replacements) -> Result<(String, usize), BramError> {
    let mut lines: Vec<String> = asc.lines().map(str::to_string).collect();
    let xy = |l: &str, skip: usize| -> Option<(i64, i64)> {
        let v: Vec<i64> = l[skip..]
            .split_whitespace()
            .filter_map(|t| t.parse().ok())
            .collect();
        (v.len() == 2).then(|| (v[0], v[1]))
    };
    let mut data_at = std::collections::BTreeMap::new();
    let mut config_at = HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with(".ram_data") {
            if let Some(p) = xy(l, 9) {
                data_at.insert(p, i);
            }
        } else if l.starts_with(".ramt_tile") {
            if let Some((x, y)) = xy(l, 10) {
                config_at.insert((x, y - 1), i);
            }
        }
    }
    let bad = |i: usize, what: &str| BramError::Netlist(format!(".asc line {}: {what}", i + 1));
    let mut changed = 0;
    for (pos, &d) in &data_at {
        if d + 16 >= lines.len() {
            return Err(bad(d, "a truncated .ram_data block"));
        }
        let mut data = Vec::with_capacity(EBR_BITS);
        for k in 0..16 {
            let l = lines[d + 1 + k].trim();
            if l.len() != 64 {
                return Err(bad(d + 1 + k, "a .ram_data line without 64 hex digits"));
            }
            for c in l.chars().rev() {
                let v = c.to_digit(16).ok_or_else(|| bad(d + 1 + k, "not hex"))?;
                data.extend((0..4).map(|b| v >> b & 1 == 1));
            }
        }
        let mode = match config_at.get(pos) {
            Some(&c) => {
                let bit = |o: usize| {
                    lines
                        .get(c + o)
                        .and_then(|l| l.as_bytes().get(7))
                        .is_some_and(|&b| b == b'1')
                };
                (bit(3) as u32) << 1 | bit(4) as u32
            }
            None => 0,
        };
        if reps.apply(&mut data, mode)? == 0 {
            continue;
        }
        changed += 1;
        for k in 0..16 {
            lines[d + 1 + k] = (0..64)
                .map(|j| {
                    let base = 256 * k + 4 * (63 - j);
                    let v: u32 = (0..4).map(|b| (data[base + b] as u32) << b).sum();
                    char::from_digit(v, 16).expect("a hex digit")
                })
                .collect();
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    Ok((out, changed))
}

/// A random placeholder image (xorshift64*, from `seed`): each of its bit
/// slices non-zero and distinct from every slice in `taken`, which grows.
/// Refused: a memory too shallow for that (a slice of d words has
/// 2^d - 1 non-zero patterns, shared with every other memory of the
/// design), which `icebram`/`ecpbram` could then not find.
pub fn placeholder(
    width: usize,
    depth: usize,
    seed: u64,
    taken: &mut std::collections::HashSet<Vec<bool>>,
) -> Result<Image, BramError> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11 & 1 == 1
    };
    // Whole images first: a deep memory's first draw is fresh.
    for _ in 0..64 {
        let img = Image {
            width,
            words: (0..depth)
                .map(|_| (0..width).map(|_| next()).collect())
                .collect(),
        };
        let sl = img.slices(SLICE);
        let fresh: std::collections::HashSet<&Vec<bool>> = sl.iter().collect();
        if fresh.len() == sl.len()
            && sl
                .iter()
                .all(|x| x.iter().any(|&b| b) && !taken.contains(x))
        {
            taken.extend(sl);
            return Ok(img);
        }
    }
    // A short memory's slices are mostly padding and whole random images
    // repeat one: build it slice by slice, each drawn until fresh, else
    // the first free pattern, else refused.
    let mut words = vec![vec![false; width]; depth];
    for run in 0..depth.div_ceil(SLICE) {
        let free = (depth - run * SLICE).min(SLICE);
        for bit in 0..width {
            let slice = fresh_slice(free, &mut next, taken).ok_or_else(|| BramError::Image {
                what: format!("a memory of {width} x {depth} bits"),
                detail: format!(
                    "its {width} bit slices of {free} words cannot all be non-zero and distinct from each other and from the design's other memories, so icebram/ecpbram could not find it in the bitstream; a deployable build needs deeper memories (a larger vocabulary or class count), or build without --deployable"
                ),
            })?;
            for (k, w) in words[run * SLICE..run * SLICE + free]
                .iter_mut()
                .enumerate()
            {
                w[bit] = slice[k];
            }
            taken.insert(slice);
        }
    }
    Ok(Image { width, words })
}

/// A slice of `free` drawn words (zero-padded to SLICE) that is non-zero
/// and not in `taken`: random draws, then (few free words) the first
/// untaken pattern; None when there is none.
fn fresh_slice(
    free: usize,
    next: &mut impl FnMut() -> bool,
    taken: &std::collections::HashSet<Vec<bool>>,
) -> Option<Vec<bool>> {
    let pad = |mut v: Vec<bool>| {
        v.resize(SLICE, false);
        v
    };
    for _ in 0..64 {
        let v = pad((0..free).map(|_| next()).collect());
        if v.iter().any(|&b| b) && !taken.contains(&v) {
            return Some(v);
        }
    }
    if free > 20 {
        return None;
    }
    (1u32..1 << free)
        .map(|p| pad((0..free).map(|k| p >> k & 1 == 1).collect()))
        .find(|v| !taken.contains(v))
}

impl Image {
    /// The image as `$readmemh` text, one word per line.
    pub fn to_hex(&self) -> String {
        let digits = self.width.div_ceil(4);
        let mut s = String::new();
        for w in &self.words {
            let mut line = String::with_capacity(digits);
            for d in (0..digits).rev() {
                let v: u32 = (0..4)
                    .map(|b| (w.get(4 * d + b).copied().unwrap_or(false) as u32) << b)
                    .sum();
                line.push(char::from_digit(v, 16).expect("a hex digit"));
            }
            s.push_str(&line);
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(width: usize, words: &[u64]) -> Image {
        Image {
            width,
            words: words
                .iter()
                .map(|&w| (0..width).map(|b| w >> b & 1 == 1).collect())
                .collect(),
        }
    }

    #[test]
    fn hex_round_trip_and_refusals() {
        let i = Image::parse_hex("0bd0\n1fff\n", 13, "m.hex").unwrap();
        assert_eq!(i, img(13, &[0x0bd0, 0x1fff]));
        assert_eq!(i.to_hex(), "0bd0\n1fff\n");
        let e = Image::parse_hex("2000\n", 13, "m.hex").unwrap_err();
        assert!(e.to_string().contains("wider than 13 bits"), "{e}");
        let e = Image::parse_hex("0g\n", 8, "m.hex").unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
    }

    /// An EBR in 256x16 mode holding a 16-bit image at words 0..255: bit
    /// b of word a is data bit 16a + b. Replacing restores exactly the new
    /// image; a second application finds nothing.
    #[test]
    fn replaces_each_slice_in_every_read_mode() {
        let mut taken = Default::default();
        for mode in 0..4u32 {
            let w = 16 >> mode;
            let depth = 256 << mode;
            let from = placeholder(w, depth, 7 + mode as u64, &mut taken).unwrap();
            let to = placeholder(w, depth, 100 + mode as u64, &mut Default::default()).unwrap();
            // Lay `from` out as the EBR holds it: word a, bit b at
            // 16 * (a / P) + sub[..] as icebram's map says.
            let sub: &[usize] = [
                &[0usize][..],
                &[0, 1],
                &[0, 2, 1, 3],
                &[0, 4, 2, 6, 1, 5, 3, 7],
            ][mode as usize];
            let p = sub.len();
            let place = |image: &Image| {
                let mut d = vec![false; EBR_BITS];
                for (a, word) in image.words.iter().enumerate() {
                    for (b, &bit) in word.iter().enumerate() {
                        let blk = (a / SLICE) * (EBR_BITS / p);
                        let k = a % SLICE;
                        d[blk + b * p + (k / p) * 16 + sub[k % p]] = bit;
                    }
                }
                d
            };
            let mut data = place(&from);
            let mut reps = Replacements::default();
            reps.add("mem", &from, &to).unwrap();
            assert_eq!(reps.apply(&mut data, mode).unwrap(), 16);
            reps.check().unwrap();
            assert_eq!(data, place(&to), "read mode {mode}");
            assert_eq!(reps.apply(&mut data, mode).unwrap(), 0);
        }
    }

    #[test]
    fn refuses_what_cannot_be_found_uniquely() {
        let zero = img(2, &[0, 1, 0]);
        let mut reps = Replacements::default();
        let e = reps.add("z", &zero, &zero).unwrap_err();
        assert!(e.to_string().contains("all zero"), "{e}");
        let dup = img(2, &[3, 0, 3]);
        let e = reps.add("d", &dup, &dup).unwrap_err();
        assert!(e.to_string().contains("twice"), "{e}");
        let a = img(2, &[1, 2]);
        let e = reps.add("s", &a, &img(2, &[1])).unwrap_err();
        assert!(e.to_string().contains("1 words of 2 bits"), "{e}");
        reps.add("a", &a, &a).unwrap();
        let e = reps.check().unwrap_err();
        assert!(e.to_string().contains("0 of its 2 bit slices"), "{e}");
    }

    #[test]
    fn json_params_patch_and_read_back() {
        let mut taken = Default::default();
        let from = placeholder(16, 256, 1, &mut taken).unwrap();
        let to = placeholder(16, 256, 2, &mut Default::default()).unwrap();
        let init = |image: &Image| {
            let mut params = serde_json::Map::new();
            let mut d = vec![false; EBR_BITS];
            for (a, w) in image.words.iter().enumerate() {
                for (b, &x) in w.iter().enumerate() {
                    d[16 * a + b] = x;
                }
            }
            for k in 0..16 {
                params.insert(
                    format!("INIT_{k:X}"),
                    serde_json::Value::String(bits_string(&d[256 * k..256 * (k + 1)])),
                );
            }
            params.insert("READ_MODE".into(), serde_json::json!(0));
            (params, d)
        };
        let (p_from, _) = init(&from);
        let (_, d_to) = init(&to);
        let mut doc = serde_json::json!({"modules": {"top": {"cells": {
            "r": {"type": "ICESTORM_RAM", "parameters": p_from},
            "l": {"type": "ICESTORM_LC", "parameters": {}},
        }}}});
        let mut reps = Replacements::default();
        reps.add("mem", &from, &to).unwrap();
        assert_eq!(patch_json(&mut doc, &mut reps).unwrap(), 1);
        reps.check().unwrap();
        assert_eq!(json_contents(&mut doc).unwrap(), vec![d_to]);
    }

    /// A short memory gets unique non-zero slices while patterns are left
    /// (24 slices of 5 words: 31 patterns), and one with too few (24 of 4
    /// words: 15) is refused instead of drawn for ever; the slices of
    /// later memories avoid the earlier ones'.
    #[test]
    fn short_memories_get_unique_slices_or_a_refusal() {
        let mut taken = std::collections::HashSet::new();
        let img = placeholder(24, 5, 3, &mut taken).unwrap();
        let sl = img.slices(SLICE);
        let uniq: std::collections::HashSet<_> = sl.iter().collect();
        assert_eq!((sl.len(), uniq.len(), taken.len()), (24, 24, 24));
        assert!(sl.iter().all(|x| x.iter().any(|&b| b)));
        let e = placeholder(8, 5, 4, &mut taken).unwrap_err().to_string();
        assert!(e.contains("cannot all be non-zero and distinct"), "{e}");
        let e = placeholder(24, 4, 5, &mut Default::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("24 x 4"), "{e}");
        let deep = placeholder(16, 300, 6, &mut taken).unwrap();
        assert!(deep.slices(SLICE).iter().all(|x| !sl.contains(x)));
    }
}
