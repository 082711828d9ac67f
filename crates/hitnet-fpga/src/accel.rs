//! The generated accelerator (`hitnet gen` output: `hitnet_top.v`, `.hex`
//! images, `manifest.json`) wrapped for a target: the board's UART top or
//! the characterization wrapper, as a [`Design`] ready for [`crate::run_flow`].
//!
//! The wrapper sources are compiled into the library (`include_str!` of
//! `fpga/`), so an installed `hitnet` binary needs no repository checkout;
//! they are written into the build folder next to the generated files.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::design::Design;
use crate::error::{FpgaError, Result};
use crate::target::{Family, Target};
use crate::uart::UartParams;

/// The Verilog of `fpga/`, as compiled in.
pub mod sources {
    pub const HITNET_UART: &str = include_str!("../../../fpga/hitnet_uart.v");
    pub const HITNET_UART_RX: &str = include_str!("../../../fpga/hitnet_uart_rx.v");
    pub const HITNET_UART_TX: &str = include_str!("../../../fpga/hitnet_uart_tx.v");
    pub const ICEBREAKER_TOP: &str = include_str!("../../../fpga/icebreaker_top.v");
    pub const ICEBREAKER_PCF: &str = include_str!("../../../fpga/icebreaker.pcf");
    pub const HX8K_BREAKOUT_TOP: &str = include_str!("../../../fpga/hx8k_breakout_top.v");
    pub const HX8K_BREAKOUT_PCF: &str = include_str!("../../../fpga/hx8k_breakout.pcf");
    pub const ULX3S_TOP: &str = include_str!("../../../fpga/ulx3s_top.v");
    pub const ULX3S_LPF: &str = include_str!("../../../fpga/ulx3s.lpf");
    pub const HITNET_CHAR: &str = include_str!("../../../fpga/hitnet_char.v");
    pub const HITNET_LM_UART: &str = include_str!("../../../fpga/hitnet_lm_uart.v");
    pub const ULX3S_LM_TOP: &str = include_str!("../../../fpga/ulx3s_lm_top.v");
    pub const ICEBREAKER_LM_TOP: &str = include_str!("../../../fpga/icebreaker_lm_top.v");
    pub const ICEBREAKER_LM_PCF: &str = include_str!("../../../fpga/icebreaker_lm.pcf");
    pub const HITNET_CLS_UART: &str = include_str!("../../../fpga/hitnet_cls_uart.v");
    pub const ICEBREAKER_CLS_TOP: &str = include_str!("../../../fpga/icebreaker_cls_top.v");
    pub const ULX3S_CLS_TOP: &str = include_str!("../../../fpga/ulx3s_cls_top.v");
}

/// The language-model ends' module (`hitnet gen` with `[lm]`): the top of
/// such a design, kept as its own module in the netlist.
pub const LM_MODULE: &str = "hitnet_lm";

/// The classifier ends' module (`hitnet gen` with `[classifier]`).
pub const CLS_MODULE: &str = "hitnet_cls";

/// Which model ends a generated design has around `hitnet_top`: its
/// manifest's top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndsKind {
    /// The core alone: ternary vectors in and out.
    Core,
    /// `hitnet_lm`: token ids in, token ids out.
    Lm,
    /// `hitnet_cls`: feature frames in, classes out.
    Cls,
}

impl EndsKind {
    /// The ends of the design whose manifest's top is `top`.
    pub fn of_top(top: Option<&str>) -> EndsKind {
        match top {
            Some(LM_MODULE) => EndsKind::Lm,
            Some(CLS_MODULE) => EndsKind::Cls,
            _ => EndsKind::Core,
        }
    }

    /// What the ends are called in messages.
    pub fn what(self) -> &'static str {
        match self {
            EndsKind::Core => "core",
            EndsKind::Lm => "language-model ends",
            EndsKind::Cls => "classifier ends",
        }
    }

    /// The UART module between the board top and the ends, and its source.
    fn uart(self) -> (&'static str, &'static str) {
        match self {
            EndsKind::Core => ("hitnet_uart.v", sources::HITNET_UART),
            EndsKind::Lm => ("hitnet_lm_uart.v", sources::HITNET_LM_UART),
            EndsKind::Cls => ("hitnet_cls_uart.v", sources::HITNET_CLS_UART),
        }
    }

    /// The Verilog macro of the ends' flash store.
    pub fn flash_define(self) -> &'static str {
        match self {
            EndsKind::Cls => CLS_FLASH_DEFINE,
            _ => LM_FLASH_DEFINE,
        }
    }
}

/// The generated accelerator's module: kept as its own module in the
/// netlist (see [`Design::keep_module`]).
pub const ACCEL_MODULE: &str = "hitnet_top";

/// Which top goes around `hitnet_top`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WrapperKind {
    /// The board's UART top (iCEBreaker for ice40-up5k, ULX3S for ECP5).
    Uart,
    /// `hitnet_char`: every port behind shift registers, five pins.
    Char,
}

impl WrapperKind {
    pub fn name(self) -> &'static str {
        match self {
            WrapperKind::Uart => "uart",
            WrapperKind::Char => "char",
        }
    }

    /// "uart" or "char".
    pub fn from_name(s: &str) -> Result<WrapperKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "uart" => Ok(WrapperKind::Uart),
            "char" => Ok(WrapperKind::Char),
            other => Err(FpgaError::InvalidDesign(format!(
                "unknown wrapper '{other}'; valid: uart, char"
            ))),
        }
    }

    /// The board UART top where the target has a board, else `hitnet_char`.
    pub fn default_for(target: &Target) -> WrapperKind {
        if Board::for_target(target).is_some() {
            WrapperKind::Uart
        } else {
            WrapperKind::Char
        }
    }
}

/// A board with a UART top and a pin file in `fpga/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Board {
    pub name: &'static str,
    pub top: &'static str,
    top_file: (&'static str, &'static str),
    pins: (&'static str, &'static str),
    /// Oscillator the top is written for.
    pub clk_hz: u64,
    /// Top-level pins: clock, serial in (to the FPGA), serial out.
    pub clock_pin: &'static str,
    pub rx_pin: &'static str,
    pub tx_pin: &'static str,
    /// The other inputs with their idle level (button not pressed).
    pub idle_pins: &'static [(&'static str, u8)],
    /// The board top of the language-model ends, where there is one.
    lm_top: Option<EndsTop>,
    /// The board top of the classifier ends, where there is one.
    cls_top: Option<EndsTop>,
    /// The configuration flash's SPI pins of an ends' top with the flash
    /// store (set by [`Board::for_ends`]).
    pub flash_pins: Option<FlashPins>,
}

/// A board top of the model ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct EndsTop {
    top: &'static str,
    file: (&'static str, &'static str),
    /// Its own pin file (else the board's).
    pins: Option<(&'static str, &'static str)>,
    flash_pins: Option<FlashPins>,
}

/// The iCEBreaker's configuration flash (W25Q128JV; icebreaker_lm.pcf).
const ICEBREAKER_FLASH: FlashPins = FlashPins {
    cs_n: "FLASH_SSB",
    sck: "FLASH_SCK",
    mosi: "FLASH_IO0",
    miso: "FLASH_IO1",
};

/// Top-level pins of the configuration flash (SPI mode 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlashPins {
    pub cs_n: &'static str,
    pub sck: &'static str,
    pub mosi: &'static str,
    pub miso: &'static str,
}

/// The Verilog macro of the flash store: `hitnet_lm_uart` passes the
/// loader's SPI pins up.
pub const LM_FLASH_DEFINE: &str = "HITNET_LM_FLASH";
/// The same for `hitnet_cls_uart`.
pub const CLS_FLASH_DEFINE: &str = "HITNET_CLS_FLASH";

impl Board {
    /// This board with the top of the language-model ends
    /// (`hitnet_lm_uart`) in place of the core's: same pins.
    pub fn for_lm(&self) -> Option<Board> {
        self.for_ends(EndsKind::Lm)
    }

    /// This board with the top of `ends` (the core's: itself).
    pub fn for_ends(&self, ends: EndsKind) -> Option<Board> {
        let t = match ends {
            EndsKind::Core => return Some(*self),
            EndsKind::Lm => self.lm_top,
            EndsKind::Cls => self.cls_top,
        };
        t.map(|t| Board {
            top: t.top,
            top_file: t.file,
            pins: t.pins.unwrap_or(self.pins),
            flash_pins: t.flash_pins,
            lm_top: None,
            cls_top: None,
            ..*self
        })
    }

    /// An instance of the board top named `dut` on a bench's `clk`, `rx`
    /// and `tx`, with `params` (the RTL top) or none (a netlist, whose
    /// parameters synthesis fixed).
    pub fn bench_instance(
        &self,
        params: Option<&std::collections::BTreeMap<String, i64>>,
    ) -> String {
        let p = params
            .map(|m| {
                let v: Vec<String> = m.iter().map(|(k, v)| format!(".{k}({v})")).collect();
                format!(" #({})", v.join(", "))
            })
            .unwrap_or_default();
        // Inputs go through wires: a routed netlist's I/O cell models drive
        // their pad (z when an input), which makes Icarus coerce the port
        // to inout, and an inout cannot take the bench's reg directly.
        let mut wires = vec![
            "  wire dut_clk = clk;\n".to_string(),
            "  wire dut_rx = rx;\n".to_string(),
        ];
        let mut conns = vec![
            format!(".{}(dut_clk)", self.clock_pin),
            format!(".{}(dut_rx)", self.rx_pin),
            format!(".{}(tx)", self.tx_pin),
        ];
        for (pin, v) in self.idle_pins {
            wires.push(format!("  wire dut_{pin} = 1'b{v};\n"));
            conns.push(format!(".{pin}(dut_{pin})"));
        }
        if let Some(f) = self.flash_pins {
            // The flash model (sim/spi_flash.v) with the bench's
            // FLASH_OFFSET and FLASH_BYTES parameters.
            wires.push(
                "  wire flash_cs_n, flash_sck, flash_mosi, flash_miso;\n\
                 \x20 hitnet_spi_flash #(.OFFSET(FLASH_OFFSET), .BYTES(FLASH_BYTES)) flash (.cs_n(flash_cs_n), .sck(flash_sck), .mosi(flash_mosi), .miso(flash_miso));\n"
                    .to_string(),
            );
            for (pin, w) in [
                (f.cs_n, "flash_cs_n"),
                (f.sck, "flash_sck"),
                (f.mosi, "flash_mosi"),
                (f.miso, "flash_miso"),
            ] {
                conns.push(format!(".{pin}({w})"));
            }
        }
        format!(
            "{}  {}{p} dut ({});\n",
            wires.concat(),
            self.top,
            conns.join(", ")
        )
    }

    /// The iCEBreaker for ice40-up5k, the iCE40-HX8K Breakout Board for
    /// ice40-hx8k (ct256), the ULX3S for every ECP5 die.
    pub fn for_target(target: &Target) -> Option<Board> {
        match (target.family, target.name) {
            (Family::Ice40, "ice40-up5k") => Some(Board {
                name: "iCEBreaker",
                top: "icebreaker_top",
                top_file: ("icebreaker_top.v", sources::ICEBREAKER_TOP),
                pins: ("icebreaker.pcf", sources::ICEBREAKER_PCF),
                clk_hz: 12_000_000,
                clock_pin: "CLK",
                rx_pin: "RX",
                tx_pin: "TX",
                idle_pins: &[("BTN_N", 1)],
                // The ends do not fit the UP5K's block RAM beside the core:
                // the flash store (SPRAM loaded from the configuration
                // flash; docs/architecture.md, "Model ends on the chip").
                lm_top: Some(EndsTop {
                    top: "icebreaker_lm_top",
                    file: ("icebreaker_lm_top.v", sources::ICEBREAKER_LM_TOP),
                    pins: Some(("icebreaker_lm.pcf", sources::ICEBREAKER_LM_PCF)),
                    flash_pins: Some(ICEBREAKER_FLASH),
                }),
                // Same pins; the flash store holds the ends' RAM.
                cls_top: Some(EndsTop {
                    top: "icebreaker_cls_top",
                    file: ("icebreaker_cls_top.v", sources::ICEBREAKER_CLS_TOP),
                    pins: Some(("icebreaker_lm.pcf", sources::ICEBREAKER_LM_PCF)),
                    flash_pins: Some(ICEBREAKER_FLASH),
                }),
                flash_pins: None,
            }),
            (Family::Ice40, "ice40-hx8k") => Some(Board {
                name: "iCE40-HX8K Breakout",
                top: "hx8k_breakout_top",
                top_file: ("hx8k_breakout_top.v", sources::HX8K_BREAKOUT_TOP),
                pins: ("hx8k_breakout.pcf", sources::HX8K_BREAKOUT_PCF),
                clk_hz: 12_000_000,
                clock_pin: "clk12",
                rx_pin: "rx",
                tx_pin: "tx",
                // No user button: power-on reset only.
                idle_pins: &[],
                lm_top: None,
                cls_top: None,
                flash_pins: None,
            }),
            (Family::Ecp5, _) => Some(Board {
                name: "ULX3S",
                top: "ulx3s_top",
                top_file: ("ulx3s_top.v", sources::ULX3S_TOP),
                pins: ("ulx3s.lpf", sources::ULX3S_LPF),
                clk_hz: 25_000_000,
                clock_pin: "clk_25mhz",
                rx_pin: "ftdi_txd",
                tx_pin: "ftdi_rxd",
                idle_pins: &[("btn_fire1", 0)],
                lm_top: Some(EndsTop {
                    top: "ulx3s_lm_top",
                    file: ("ulx3s_lm_top.v", sources::ULX3S_LM_TOP),
                    pins: None,
                    flash_pins: None,
                }),
                cls_top: Some(EndsTop {
                    top: "ulx3s_cls_top",
                    file: ("ulx3s_cls_top.v", sources::ULX3S_CLS_TOP),
                    pins: None,
                    flash_pins: None,
                }),
                flash_pins: None,
            }),
            _ => None,
        }
    }
}

/// The stream interface of a generated `hitnet_top`, from its manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccelInterface {
    pub input_size: usize,
    pub hidden_size: usize,
    pub layers: usize,
    pub in_trits: usize,
    pub out_trits: usize,
    pub layer_bits: usize,
}

impl AccelInterface {
    /// Reads `manifest["interface"]`.
    pub fn from_manifest(manifest: &serde_json::Value) -> Result<AccelInterface> {
        let i = &manifest["interface"];
        let get = |k: &str| {
            i[k].as_u64().map(|v| v as usize).ok_or_else(|| {
                FpgaError::InvalidDesign(format!(
                    "manifest.json has no interface.{k}; regenerate it with `hitnet gen`"
                ))
            })
        };
        Ok(AccelInterface {
            input_size: get("input_size")?,
            hidden_size: get("hidden_size")?,
            layers: get("layers")?,
            in_trits: get("in_trits")?,
            out_trits: get("out_trits")?,
            layer_bits: get("layer_bits")?,
        })
    }

    /// UART wrapper parameters for this accelerator on a `clk_hz` clock:
    /// 115200 baud, the last layer's h only, an RX FIFO of at least 128
    /// bytes that holds a whole token.
    pub fn uart_params(&self, clk_hz: u64, all_layers: bool) -> UartParams {
        let token_bytes = 1 + self.input_size.div_ceil(4);
        let fifo_log2 = (usize::BITS - (token_bytes - 1).leading_zeros()).max(7);
        UartParams {
            clk_hz,
            baud: 115_200,
            i: self.input_size,
            h: self.hidden_size,
            layers: self.layers,
            in_trits: self.in_trits,
            out_trits: self.out_trits,
            layer_bits: self.layer_bits.max(1),
            all_layers,
            rx_fifo_log2: fifo_log2,
        }
    }
}

/// What [`wrap`] produced.
#[derive(Debug, Clone)]
pub struct Wrapped {
    pub design: Design,
    pub kind: WrapperKind,
    /// Board of the UART top (None for `hitnet_char`).
    pub board: Option<&'static str>,
    /// UART parameters (None for `hitnet_char`).
    pub uart: Option<UartParams>,
    pub interface: AccelInterface,
}

fn write_file(dir: &Path, name: &str, text: &str) -> Result<PathBuf> {
    let p = dir.join(name);
    std::fs::write(&p, text).map_err(|e| FpgaError::io("cannot write", &p, e))?;
    Ok(p)
}

/// Builds the [`Design`] of the generated accelerator in `gen_dir` inside
/// `kind`'s wrapper for `target`, writing the wrapper sources (and pin
/// file) into `wrapper_dir`. `clock_mhz` is the timing target given to
/// nextpnr: the accelerator's intended clock, not the board oscillator (a
/// PLL would provide it on the board).
/// The board whose UART top wraps the design on `target`, or why none.
fn uart_board(target: &Target) -> Result<Board> {
    Board::for_target(target).ok_or_else(|| {
        FpgaError::InvalidDesign(format!(
            "no board with a UART top for {}; use the characterization wrapper (char)",
            target.name
        ))
    })
}

/// The wrapper's own sources for `kind` on `target` (the board top, the
/// UART and the pin file, or the characterization wrapper), by name: what
/// [`wrap`] writes next to the generated design.
pub fn wrapper_sources(
    kind: WrapperKind,
    target: &Target,
) -> Result<Vec<(&'static str, &'static str)>> {
    wrapper_sources_for(kind, target, EndsKind::Core)
}

/// The board top of the language-model ends on `target`, or why none.
pub fn lm_board(target: &Target) -> Result<Board> {
    ends_board(target, EndsKind::Lm)
}

/// The board top of `ends` on `target`, or why none.
pub fn ends_board(target: &Target, ends: EndsKind) -> Result<Board> {
    uart_board(target)?.for_ends(ends).ok_or_else(|| {
        FpgaError::InvalidDesign(format!(
            "no board top for the {} on {}: they do not fit its block RAM beside the core and it has no SPRAM (docs/architecture.md, \"Model ends on the chip\"); use the ice40-up5k or an ECP5 target",
            ends.what(),
            target.name
        ))
    })
}

/// [`wrapper_sources`] around `ends` (`hitnet_lm_uart` or
/// `hitnet_cls_uart` in the board's top of those ends).
pub fn wrapper_sources_for(
    kind: WrapperKind,
    target: &Target,
    ends: EndsKind,
) -> Result<Vec<(&'static str, &'static str)>> {
    if ends != EndsKind::Core {
        if kind != WrapperKind::Uart {
            return Err(FpgaError::InvalidDesign(format!(
                "the {} take the board's UART top (--wrapper uart)",
                ends.what()
            )));
        }
        let b = ends_board(target, ends)?;
        return Ok(vec![
            b.top_file,
            ends.uart(),
            ("hitnet_uart_rx.v", sources::HITNET_UART_RX),
            ("hitnet_uart_tx.v", sources::HITNET_UART_TX),
            b.pins,
        ]);
    }
    Ok(match kind {
        WrapperKind::Uart => {
            let b = uart_board(target)?;
            vec![
                b.top_file,
                ("hitnet_uart.v", sources::HITNET_UART),
                ("hitnet_uart_rx.v", sources::HITNET_UART_RX),
                ("hitnet_uart_tx.v", sources::HITNET_UART_TX),
                b.pins,
            ]
        }
        WrapperKind::Char => vec![("hitnet_char.v", sources::HITNET_CHAR)],
    })
}

/// SHA-256 of [`wrapper_sources`], hashed as `hitnet_rtl::design_sha256`
/// hashes a design (one line `name sha256(content)` a file, sorted): a
/// results file records it beside the design's hash, since a measured
/// build is the design inside its wrapper.
pub fn wrapper_sha256(kind: WrapperKind, target: &Target) -> Result<String> {
    wrapper_sha256_for(kind, target, EndsKind::Core)
}

/// [`wrapper_sha256`] of [`wrapper_sources_for`].
pub fn wrapper_sha256_for(kind: WrapperKind, target: &Target, ends: EndsKind) -> Result<String> {
    use sha2::{Digest, Sha256};
    let hex = |b: &[u8]| -> String {
        Sha256::digest(b)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect()
    };
    let mut lines: Vec<String> = wrapper_sources_for(kind, target, ends)?
        .into_iter()
        .map(|(n, t)| format!("{n} {}\n", hex(t.as_bytes())))
        .collect();
    lines.sort();
    Ok(hex(lines.concat().as_bytes()))
}

pub fn wrap(
    gen_dir: &Path,
    wrapper_dir: &Path,
    kind: WrapperKind,
    target: &Target,
    clock_mhz: f64,
) -> Result<Wrapped> {
    let manifest_path = gen_dir.join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path)
        .map_err(|e| FpgaError::io("cannot read", &manifest_path, e))?;
    let manifest: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| FpgaError::InvalidDesign(format!("{}: {e}", manifest_path.display())))?;
    let iface = AccelInterface::from_manifest(&manifest)?;
    let design_v: Vec<PathBuf> = match manifest["verilog"].as_array() {
        Some(a) if !a.is_empty() => a
            .iter()
            .map(|n| n.as_str().map(|n| gen_dir.join(n)))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                FpgaError::InvalidDesign(format!(
                    "{}: \"verilog\" must list file names",
                    manifest_path.display()
                ))
            })?,
        _ => {
            return Err(FpgaError::InvalidDesign(format!(
                "{}: no \"verilog\" file list; regenerate the design with `hitnet gen`",
                manifest_path.display()
            )))
        }
    };
    let mut hex: Vec<PathBuf> = std::fs::read_dir(gen_dir)
        .map_err(|e| FpgaError::io("cannot list", gen_dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "hex"))
        .collect();
    hex.sort();
    std::fs::create_dir_all(wrapper_dir)
        .map_err(|e| FpgaError::io("cannot create", wrapper_dir, e))?;

    let ends = EndsKind::of_top(manifest["top"].as_str());
    let written = wrapper_sources_for(kind, target, ends)?
        .into_iter()
        .map(|(n, t)| write_file(wrapper_dir, n, t))
        .collect::<Result<Vec<PathBuf>>>()?;
    if ends != EndsKind::Core {
        let b = ends_board(target, ends)?;
        let bad =
            |what: String| FpgaError::InvalidDesign(format!("{}: {what}", manifest_path.display()));
        let (key, params) = match ends {
            EndsKind::Lm => {
                let tw = manifest["lm"]["token_bits"].as_u64().unwrap_or(0);
                if !(1..=8).contains(&tw) {
                    return Err(bad(format!(
                        "the language model's token ids take {tw} bits; the UART top carries ids of 1 to 8 bits (a vocabulary of at most 256)"
                    )));
                }
                ("lm", vec![("TW", tw as i64)])
            }
            _ => {
                let c = &manifest["classifier"];
                let get = |k: &str| c[k].as_u64().unwrap_or(0);
                let (ch, cw, sw) = (get("channels"), get("class_bits"), get("score_bits"));
                if !(1..=120).contains(&ch) {
                    return Err(bad(format!(
                        "the classifier's frames have {ch} channels; the UART top carries 1 to 120"
                    )));
                }
                if !(1..=8).contains(&cw) {
                    return Err(bad(format!(
                        "the classifier's class ids take {cw} bits; the UART top carries ids of 1 to 8 bits (at most 256 classes)"
                    )));
                }
                if !(2..=64).contains(&sw) {
                    return Err(bad(format!(
                        "the classifier's logits take {sw} bits; the UART top carries 2 to 64"
                    )));
                }
                (
                    "classifier",
                    vec![("CH", ch as i64), ("CW", cw as i64), ("SW", sw as i64)],
                )
            }
        };
        let (pins, verilog) = written.split_last().expect("a UART wrapper has files");
        let mut files = verilog.to_vec();
        files.extend(design_v);
        let mut d = Design::new(files, b.top, clock_mhz)
            .with_constraints(pins.clone())
            .with_param("BAUD", 115_200)
            .with_data_files(hex);
        for (k, v) in params {
            d = d.with_param(k, v);
        }
        d.keep_module = manifest["top"].as_str().map(str::to_string);
        let flash = manifest[key]["store"]["kind"].as_str() == Some("flash");
        if flash != b.flash_pins.is_some() {
            return Err(bad(format!(
                "the ends' store is {}, but the {} top of the {} {} the flash pins; set {key}.store to {:?}",
                if flash { "the flash" } else { "block RAM" },
                b.name,
                ends.what(),
                if b.flash_pins.is_some() { "has" } else { "has not" },
                if b.flash_pins.is_some() { "flash" } else { "rom" },
            )));
        }
        if flash {
            d = d.with_define(ends.flash_define(), "1");
        }
        return Ok(Wrapped {
            design: d,
            kind,
            board: Some(b.name),
            uart: None,
            interface: iface,
        });
    }
    let (design, board, uart) = match kind {
        WrapperKind::Uart => {
            let b = uart_board(target)?;
            // The Verilog (top, UART) then the design; the pin file last.
            let (pins, verilog) = written.split_last().expect("a UART wrapper has files");
            let mut files = verilog.to_vec();
            files.extend(design_v);
            let p = iface.uart_params(b.clk_hz, false);
            p.validate()?;
            let mut d = Design::new(files, b.top, clock_mhz).with_constraints(pins.clone());
            d.params = p.board_params();
            (d, Some(b.name), Some(p))
        }
        WrapperKind::Char => {
            let mut files = written;
            files.extend(design_v);
            let d = Design::new(files, "hitnet_char", clock_mhz)
                .with_param("IN_TRITS", iface.in_trits as i64)
                .with_param("OUT_TRITS", iface.out_trits as i64)
                .with_param("LAYER_BITS", iface.layer_bits.max(1) as i64);
            (d, None, None)
        }
    };
    let mut design = design.with_data_files(hex);
    design.keep_module = Some(ACCEL_MODULE.to_string());
    Ok(Wrapped {
        design,
        kind,
        board,
        uart,
        interface: iface,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(i: usize) -> AccelInterface {
        AccelInterface {
            input_size: i,
            hidden_size: 64,
            layers: 1,
            in_trits: 16,
            out_trits: 2,
            layer_bits: 1,
        }
    }

    #[test]
    fn wrapper_hash_names_the_board_and_kind() {
        let t = |n| Target::from_name(n).unwrap();
        let up5k = wrapper_sha256(WrapperKind::Uart, t("ice40-up5k")).unwrap();
        let ecp5 = wrapper_sha256(WrapperKind::Uart, t("ecp5-25k")).unwrap();
        let ch = wrapper_sha256(WrapperKind::Char, t("ice40-up5k")).unwrap();
        assert_eq!(up5k.len(), 64);
        assert!(up5k != ecp5 && up5k != ch);
        // The three ECP5 sizes share the ULX3S top.
        assert_eq!(
            ecp5,
            wrapper_sha256(WrapperKind::Uart, t("ecp5-85k")).unwrap()
        );
    }

    #[test]
    fn fifo_holds_a_token() {
        assert_eq!(iface(64).uart_params(12_000_000, false).rx_fifo_log2, 7);
        // 1 + 300/4 = 76 bytes: 128 is enough.
        assert_eq!(iface(300).uart_params(25_000_000, false).rx_fifo_log2, 7);
        // 1 + 1000/4 = 251 bytes: 256.
        let p = iface(1000).uart_params(25_000_000, false);
        assert_eq!(p.rx_fifo_log2, 8);
        assert!(p.validate().is_ok());
    }

    #[test]
    fn wrappers_per_target() {
        let up = Target::from_name("ice40-up5k").unwrap();
        let hx = Target::from_name("ice40-hx8k").unwrap();
        let e85 = Target::from_name("ecp5-85k").unwrap();
        assert_eq!(WrapperKind::default_for(up), WrapperKind::Uart);
        assert_eq!(WrapperKind::default_for(hx), WrapperKind::Uart);
        assert_eq!(Board::for_target(hx).unwrap().top, "hx8k_breakout_top");
        assert_eq!(Board::for_target(e85).unwrap().top, "ulx3s_top");
        assert!(WrapperKind::from_name("spi").is_err());
        assert_eq!(WrapperKind::from_name(" Char").unwrap(), WrapperKind::Char);
    }

    #[test]
    fn manifest_without_interface_is_an_error() {
        let e = AccelInterface::from_manifest(&serde_json::json!({"top": "x"})).unwrap_err();
        assert!(e.to_string().contains("interface.input_size"), "{e}");
    }

    #[test]
    fn wrap_writes_sources_and_sets_parameters() {
        let dir = tempfile::tempdir().unwrap();
        let gen = dir.path().join("gen");
        std::fs::create_dir(&gen).unwrap();
        std::fs::write(gen.join("hitnet_top.v"), "module hitnet_top; endmodule\n").unwrap();
        std::fs::write(gen.join("w_0.hex"), "00\n").unwrap();
        let m = serde_json::json!({"verilog": ["hitnet_top.v"], "interface": {"input_size": 10, "hidden_size": 7,
            "layers": 2, "in_trits": 3, "out_trits": 1, "layer_bits": 1}});
        std::fs::write(gen.join("manifest.json"), m.to_string()).unwrap();
        let up = Target::from_name("ice40-up5k").unwrap();
        let w = wrap(&gen, &dir.path().join("w"), WrapperKind::Uart, up, 50.0).unwrap();
        assert_eq!(w.design.top, "icebreaker_top");
        assert_eq!(w.design.params["I"], 10);
        assert_eq!(w.design.params["OUT_TRITS"], 1);
        assert_eq!(w.design.data_files.len(), 1);
        // The generated banks ask for block RAM themselves (ram_style).
        assert!(w.design.block_ram.is_empty());
        assert!(w.design.validate().is_ok());
        let hx = Target::from_name("ice40-hx8k").unwrap();
        let b = wrap(&gen, &dir.path().join("w"), WrapperKind::Uart, hx, 50.0).unwrap();
        assert_eq!(b.design.top, "hx8k_breakout_top");
        assert!(b.design.constraints.is_some());
        let c = wrap(&gen, &dir.path().join("w"), WrapperKind::Char, hx, 50.0).unwrap();
        assert_eq!(c.design.top, "hitnet_char");
        assert_eq!(c.design.params["IN_TRITS"], 3);
        assert!(c.design.constraints.is_none());
    }
}
