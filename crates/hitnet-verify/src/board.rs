//! A board top of the model ends run at its serial (and flash) pins:
//! `sim/tb_board_uart.v` plays the host, sending each message's bytes and
//! waiting for its reply bytes, around the board top's RTL or its routed
//! netlist with the cell models. The language-model and the classifier
//! ends' routed checks (`lm`, `cls`) both run their chips here and judge
//! the bytes against the golden model and each other.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use hitnet_arch::lm::FlashLayout;

use crate::bench::{icarus, Netlist};
use crate::{io_err, Result, VerifyError};

/// The board bench, compiled in.
pub const BOARD_BENCH: &str = include_str!("../../../sim/tb_board_uart.v");

/// One host message: its bytes, then the reply bytes to wait for (zero:
/// the next message follows at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub bytes: Vec<u8>,
    pub reply: usize,
}

/// One chip (RTL or routed) run through the board bench.
#[derive(Debug, Clone, Default)]
pub struct ChipRun {
    pub bytes: Vec<u8>,
    /// Cycle of each byte's start bit.
    pub byte_cycles: Vec<u64>,
    /// ERROR lines (x on tx, a glitch, a bad stop bit) and a TIMEOUT.
    pub errors: Vec<String>,
    pub cycles: u64,
    pub seconds: f64,
}

/// What the bench needs of the ends behind a board top.
#[derive(Clone, Debug)]
pub struct EndsPins {
    /// The flash store's layout and image (the bench's flash model holds
    /// it), and the macro its model is compiled under.
    pub flash: Option<(FlashLayout, String)>,
    pub flash_define: &'static str,
    /// First cycle after reset at which the ends take input (a flash load).
    pub ready_cycle: u64,
    /// Wait for `ready_cycle` before the first byte (the classifier's
    /// frames go back to back: the first may not wait in the UART top);
    /// else the first message's reply may take that long.
    pub wait_ready: bool,
}

/// A board top of the ends to run at its pins.
pub struct Chip<'a> {
    pub board: &'a hitnet_fpga::Board,
    /// Verilog (and, for the RTL, the board top's parameters; None for a
    /// netlist, whose parameters synthesis fixed).
    pub net: &'a Netlist,
    pub params: Option<&'a std::collections::BTreeMap<String, i64>>,
    /// `$readmemh` images the RTL loads from the working folder.
    pub data: &'a [PathBuf],
    pub ends: &'a EndsPins,
}

/// Runs `messages` through `chip` in `work` (Icarus).
pub fn run_chip(
    chip: &Chip,
    messages: &[Message],
    clk_hz: u64,
    baud: u64,
    work: &Path,
) -> Result<ChipRun> {
    std::fs::create_dir_all(work).map_err(io_err("cannot create", work))?;
    let e = chip.ends;
    if e.flash.is_some() != chip.board.flash_pins.is_some() {
        return Err(VerifyError::Netlist(format!(
            "the {} top {} flash pins, but the ends' store is {}",
            chip.board.name,
            if chip.board.flash_pins.is_some() {
                "has"
            } else {
                "has no"
            },
            if e.flash.is_some() {
                "the flash"
            } else {
                "block RAM"
            }
        )));
    }
    let mut stim = String::new();
    let mut msgs = String::new();
    for m in messages {
        if m.bytes.len() > 0xFFFF || m.reply > 0xFFFF {
            return Err(VerifyError::Netlist(format!(
                "a message of {} bytes waiting for {} takes more than the bench's 16-bit counts",
                m.bytes.len(),
                m.reply
            )));
        }
        for x in &m.bytes {
            let _ = writeln!(stim, "{x:02x}");
        }
        let _ = writeln!(msgs, "{:04x}{:04x}", m.bytes.len(), m.reply);
    }
    let nb: usize = messages.iter().map(|m| m.bytes.len()).sum();
    if nb == 0 {
        stim.push_str("00\n");
    }
    let mut params = vec![
        ("CLK_HZ", clk_hz as i64),
        ("BAUD", baud as i64),
        ("NM", messages.len().max(1) as i64),
        ("NB", nb.max(1) as i64),
    ];
    if e.wait_ready {
        params.push(("START_WAIT", 64 + e.ready_cycle as i64));
        params.push(("LATENCY_MAX", 100_000));
    } else {
        params.push(("LATENCY_MAX", 100_000 + e.ready_cycle as i64));
    }
    let (bench, net) = crate::ends::with_flash(
        e.flash.clone(),
        e.flash_define,
        BOARD_BENCH,
        work,
        &mut params,
        chip.net,
    )?;
    for (name, text) in [
        ("stim.hex", stim),
        ("msgs.hex", msgs),
        ("tb_board_uart.v", bench),
        ("board_dut.vh", chip.board.bench_instance(chip.params)),
    ] {
        let p = work.join(name);
        std::fs::write(&p, text).map_err(io_err("cannot write", &p))?;
    }
    for f in chip.data {
        if let Some(n) = f.file_name() {
            let to = work.join(n);
            std::fs::copy(f, &to).map_err(io_err("cannot copy", f))?;
        }
    }
    let (text, seconds, log) = icarus(&net, work, "tb_board_uart", &params)?;
    let bad = |line: &str| VerifyError::Protocol {
        line: line.to_string(),
        log: log.clone(),
    };
    let mut r = ChipRun {
        seconds,
        ..Default::default()
    };
    let mut ended = false;
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        match f.first().copied() {
            Some("BYTE") if f.len() == 3 => {
                r.bytes.push(u8::from_str_radix(f[1], 16).unwrap_or(0xFF));
                r.byte_cycles.push(f[2].parse().map_err(|_| bad(line))?);
            }
            Some("ERROR") => r.errors.push(line.to_string()),
            Some("TIMEOUT") => {
                r.errors.push(line.to_string());
                ended = true;
            }
            Some("DONE") if f.len() >= 3 => {
                r.cycles = f[2].parse().map_err(|_| bad(line))?;
                ended = true;
            }
            _ => {}
        }
    }
    if !ended {
        return Err(bad("(the bench stopped without DONE or TIMEOUT)"));
    }
    Ok(r)
}

/// The bytes of an RTL chip run and a routed chip run judged against the
/// golden model's bytes `want` and against each other's cycles.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct BytesVerdict {
    pub rtl_bytes: usize,
    pub routed_bytes: usize,
    /// Bytes where the routed chip differs from the golden bytes (and
    /// missing or extra bytes).
    pub golden_vs_routed: usize,
    pub golden_vs_rtl: usize,
    /// Bytes whose start cycle differs between the routed and the RTL chip.
    pub cycle_mismatches: usize,
    pub errors: Vec<String>,
    pub bit_exact: bool,
    pub first: Option<String>,
    pub simulated_cycles: u64,
    pub rtl_seconds: f64,
    pub routed_seconds: f64,
}

impl BytesVerdict {
    /// The bytes, differences and simulation in one line, then the errors.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "bytes: routed chip {}, RTL chip {}; golden vs routed {}, golden vs RTL {}, {} bytes at another cycle; {} simulated cycles (RTL chip {:.1} s, routed chip {:.1} s)\n",
            self.routed_bytes,
            self.rtl_bytes,
            self.golden_vs_routed,
            self.golden_vs_rtl,
            self.cycle_mismatches,
            self.simulated_cycles,
            self.rtl_seconds,
            self.routed_seconds
        );
        for e in &self.errors {
            s.push_str(&format!("  {e}\n"));
        }
        s
    }

    /// Every difference and error counted once.
    pub fn problems(&self) -> u64 {
        (self.golden_vs_routed + self.golden_vs_rtl + self.cycle_mismatches + self.errors.len())
            as u64
    }
}

/// Judges `rtl` and `routed` against `want`.
pub fn judge(want: &[u8], rtl: &ChipRun, routed: &ChipRun) -> BytesVerdict {
    let (a, b) = (rtl, routed);
    let diff = |got: &[u8]| -> (usize, Option<usize>) {
        let mut n = 0;
        let mut first = None;
        for k in 0..got.len().max(want.len()) {
            if got.get(k) != want.get(k) {
                n += 1;
                first.get_or_insert(k);
            }
        }
        (n, first)
    };
    let (gr, fr) = diff(&b.bytes);
    let (gt, ft) = diff(&a.bytes);
    let cyc: Vec<usize> = (0..a.byte_cycles.len().min(b.byte_cycles.len()))
        .filter(|&k| a.byte_cycles[k] != b.byte_cycles[k])
        .collect();
    let mut errors: Vec<String> = a.errors.iter().map(|e| format!("RTL chip: {e}")).collect();
    errors.extend(b.errors.iter().map(|e| format!("routed chip: {e}")));
    let hex = |x: Option<&u8>| x.map(|x| format!("{x:02x}")).unwrap_or("none".into());
    let first = if let Some(k) = fr {
        Some(format!(
            "routed chip, byte {k}: expected {}, got {}",
            hex(want.get(k)),
            hex(b.bytes.get(k))
        ))
    } else if let Some(k) = ft {
        Some(format!(
            "RTL chip, byte {k}: expected {}, got {}",
            hex(want.get(k)),
            hex(a.bytes.get(k))
        ))
    } else if let Some(&k) = cyc.first() {
        Some(format!(
            "byte {k} starts at cycle {} on the routed chip, {} on the RTL chip",
            b.byte_cycles[k], a.byte_cycles[k]
        ))
    } else {
        errors.first().cloned()
    };
    BytesVerdict {
        rtl_bytes: a.bytes.len(),
        routed_bytes: b.bytes.len(),
        golden_vs_routed: gr,
        golden_vs_rtl: gt,
        cycle_mismatches: cyc.len(),
        bit_exact: gr == 0
            && gt == 0
            && cyc.is_empty()
            && errors.is_empty()
            && a.byte_cycles.len() == b.byte_cycles.len(),
        errors,
        first,
        simulated_cycles: b.cycles,
        rtl_seconds: a.seconds,
        routed_seconds: b.seconds,
    }
}

/// The routed netlist of `board`'s top in `build_dir` (placed and routed
/// from the flow's `wrapped` design) with the cell models of `yosys`, and
/// the RTL of the same board top (its sources and macros: the flash
/// store's; the bench adds its own), each run through `messages` in
/// `build_dir/verify-routed/{rtl,routed}`: (RTL chip, routed chip).
pub fn run_build(
    board: &hitnet_fpga::Board,
    target: &hitnet_fpga::Target,
    yosys: &str,
    build_dir: &Path,
    wrapped: &hitnet_fpga::Wrapped,
    ends: &EndsPins,
    messages: &[Message],
) -> Result<(ChipRun, ChipRun)> {
    let (routed_v, _) = crate::routed::routed_verilog(yosys, build_dir, board.top, target.family)?;
    let datdir = crate::cells::yosys_datdir(yosys)?;
    let routed = crate::cells::netlist_with_models(target.family, &routed_v, &datdir)?;
    let rtl = Netlist {
        files: wrapped.design.files.clone(),
        defines: wrapped
            .design
            .defines
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
        ..Default::default()
    };
    let baud = wrapped
        .design
        .params
        .get("BAUD")
        .copied()
        .unwrap_or(115_200) as u64;
    let work = build_dir.join("verify-routed");
    let chip = |net, params, data| Chip {
        board,
        net,
        params,
        data,
        ends,
    };
    let a = run_chip(
        &chip(
            &rtl,
            Some(&wrapped.design.params),
            &wrapped.design.data_files,
        ),
        messages,
        board.clk_hz,
        baud,
        &work.join("rtl"),
    )?;
    let b = run_chip(
        &chip(&routed, None, &[]),
        messages,
        board.clk_hz,
        baud,
        &work.join("routed"),
    )?;
    Ok((a, b))
}
