//! `hitnet_lm`: the language-model ends around `hitnet_top` (issue 13),
//! from an [`LmPlan`]: token words in, chosen tokens out.
//!
//! - Feed: an accepted word `{feed, first, token}` (or, on the handshake
//!   of a chosen token while `feed` is left, that token) is latched; the
//!   embedding ROM is read one beat per cycle and the beats go to the
//!   core's s_* port on consecutive cycles (the core is idle then, so its
//!   input never stalls).
//! - The core's m_ready is tied high; the last layer's beats shift into
//!   `hreg`.
//! - Head: one issue per cycle over `vocab * chunks` words of `head_lanes`
//!   int8 weights. The weight word, the row's bias and (at the row's
//!   first chunk) its noise word are read and registered; then the lanes' terms (h trits
//!   select +w, -w or 0) and bias + noise are registered, one register per
//!   adder-tree level sums them, the accumulator starts from bias + noise
//!   at the first chunk, and the running best (strict `>`, so the first
//!   index wins ties) takes the last chunk's score. The
//!   noise address is 8 bits of the sampler's LFSR (8 steps per row, the
//!   first bit out the MSB), drawn at the row's first chunk.
//!
//! Values are plain two's complement vectors with explicit extensions
//! (`vlog`), as in the core; the signed compare flips the sign bits.
use crate::blocks::image_memory;
use crate::ends::{core_instance, gt_signed, note, running_best, Best};
use crate::vlog::{lit, sx, Body};
use crate::Design;
use hitnet_arch::lm::{LmPlan, BIAS_BITS, FEED_BITS, FLASH_BIN, FLASH_HEX, NOISE_WORD_BITS};
use hitnet_arch::Plan;
use hitnet_model::fixed::signed_bits;
use std::fmt::Write as _;

pub const LM_TOP: &str = "hitnet_lm";

/// Hex line of a word given as (value, bits) fields, the first field in
/// the least significant bits.
fn fields_hex(fields: impl Iterator<Item = (i64, u32)>) -> String {
    let mut bits: Vec<bool> = Vec::new();
    for (v, w) in fields {
        for b in 0..w {
            bits.push(b < 64 && (v >> b) & 1 == 1);
        }
    }
    let digits = bits.len().div_ceil(4).max(1);
    (0..digits)
        .rev()
        .map(|d| {
            let v = (0..4).fold(0u32, |a, b| {
                a | ((*bits.get(4 * d + b).unwrap_or(&false) as u32) << b)
            });
            char::from_digit(v, 16).unwrap()
        })
        .collect()
}

fn trit_code(t: i8) -> i64 {
    hitnet_model::trit::encode(t).expect("a trit") as i64
}

/// Hex digits of an embedding word and of a head word.
fn emb_hex(w: &[i8]) -> String {
    fields_hex(w.iter().map(|&t| (trit_code(t), 2)))
}
fn head_hex(w: &[i8]) -> String {
    fields_hex(w.iter().map(|&v| (v as i64, 8)))
}

/// Words of the bias memory: the V biases and the seed, in a deployable
/// build padded to whole 256-word runs, so that each bit fills block-RAM
/// bit slices (the unit in which icebram finds contents; the last run of
/// 257 words, for 256 tokens, would have one word and too few distinct
/// slices), as the core's mult memory is.
pub fn bias_depth(lm: &LmPlan, deployable: bool) -> usize {
    let d = lm.vocab + 1;
    if deployable {
        d.next_multiple_of(256)
    } else {
        d
    }
}

/// The memory images of the ends (a `deployable` build's): (file, text).
/// The flash store's embedding and head are in the flash image instead.
pub fn images(lm: &LmPlan, deployable: bool) -> Vec<(String, String)> {
    let im = &lm.images;
    let lines = |words: Vec<String>| words.into_iter().map(|w| w + "\n").collect::<String>();
    let mut v = Vec::new();
    if lm.flash.is_none() {
        v.push((
            "lm_emb.hex".into(),
            lines(im.embedding.iter().map(|w| emb_hex(w)).collect()),
        ));
        v.push((
            "lm_head.hex".into(),
            lines(im.head.iter().map(|w| head_hex(w)).collect()),
        ));
    }
    v.push((
        "lm_bias.hex".into(),
        crate::vlog::hex_image(
            im.bias
                .iter()
                .copied()
                .chain(std::iter::repeat(0))
                .take(bias_depth(lm, deployable)),
            BIAS_BITS,
        ),
    ));
    v.push((
        "lm_noise.hex".into(),
        crate::vlog::hex_image(im.noise.iter().copied(), NOISE_WORD_BITS),
    ));
    if let Some(text) = lm.flash_hex() {
        v.push((FLASH_HEX.into(), text));
    }
    v
}

/// The parameter memories of the ends (a `deployable` build's), as
/// [`crate::parameter_memories`] names those of the core.
pub fn parameter_memories(lm: &LmPlan, deployable: bool) -> Vec<crate::ParamMemory> {
    let m = |file: &str, width: u32, depth: usize| crate::ParamMemory {
        file: file.into(),
        width: width as usize,
        depth,
    };
    let mut v = Vec::new();
    // The flash store's embedding and head are in the flash, not in a
    // block RAM.
    if lm.flash.is_none() {
        v.push(m("lm_emb.hex", lm.emb_width, lm.emb_depth));
        v.push(m("lm_head.hex", lm.head_width, lm.head_depth));
    }
    v.push(m("lm_bias.hex", BIAS_BITS, bias_depth(lm, deployable)));
    v.push(m(
        "lm_noise.hex",
        NOISE_WORD_BITS,
        hitnet_model::lm::NOISE_ENTRIES,
    ));
    v
}

/// The flash loader of the flash store: SPI mode 0 at clk/2, every
/// output registered from the cycle counter `lc` (so phase q shows in
/// cycle q + 1): release from power-down (0xAB), FLASH_WAKE_WAIT cycles
/// deselected, READ (0x03) at the offset, then the image's bytes, MISO
/// sampled on the edge that raises SCK (stable since the falling edge a
/// cycle before). Each `word_bytes` bytes, MSB first, make one RAM word
/// at `ld_addr` (the padding bits above `width` fall off the shift
/// register); `loaded` rises at `load_cycles`.
pub(crate) fn flash_loader(b: &mut Body, f: &hitnet_arch::lm::FlashLayout, aw: u32) {
    use hitnet_arch::lm::{FLASH_HEADER_CYCLES, FLASH_WAKE_CYCLES, FLASH_WAKE_WAIT};
    let end = f.load_cycles;
    let lcw = hitnet_model::fixed::unsigned_bits(end);
    let s2 = FLASH_WAKE_CYCLES + FLASH_WAKE_WAIT;
    let ww = f.width;
    let wb = 8 * f.word_bytes;
    let bcw = hitnet_model::fixed::unsigned_bits((wb - 1) as u64);
    note(
        b,
        &format!(
            "Loader: {} bytes from flash offset {:#x} ({} words of {ww} bits, big-endian), SPI mode 0 at clk/2; s_ready low until loaded (cycle {end}).",
            f.bytes, f.offset, f.depth
        ),
    );
    assert_eq!(s2 % 64, 0, "the READ starts at a multiple of 64 cycles");
    b.line("    reg loaded;");
    b.line(format!("    reg [{}:0] lc;", lcw - 1));
    b.line(format!("    reg [{}:0] ld_addr;", aw - 1));
    b.line(format!("    reg [{}:0] ld_sh;", ww - 2));
    b.line(format!("    reg [{}:0] ld_bit;", bcw - 1));
    note(
        b,
        "Segments of lc, registered: seg1 the wake-up, seg2 the READ, hdr its command and address.",
    );
    b.line("    reg seg1, seg2, hdr;");
    b.line("    wire [7:0] wake_cmd = 8'hab;");
    b.line(format!(
        "    wire [31:0] read_cmd = {{8'h03, 24'h{:06x}}};",
        f.offset
    ));
    b.line("    wire smp = seg2 & ~hdr & lc[0];");
    b.line(format!(
        "    wire ld_we = smp & (ld_bit == {});",
        lit(bcw, wb as i64 - 1)
    ));
    let at = |v: u64| format!("lc == {}", lit(lcw, v as i64));
    b.line("    always @(posedge clk) begin");
    b.line("        if (rst) begin");
    b.line("            loaded <= 1'b0;");
    b.line(format!("            lc <= {};", lit(lcw, 0)));
    b.line(format!("            ld_addr <= {};", lit(aw, 0)));
    b.line(format!("            ld_bit <= {};", lit(bcw, 0)));
    b.line("            seg1 <= 1'b1;");
    b.line("            seg2 <= 1'b0;");
    b.line("            hdr <= 1'b0;");
    b.line("            spi_cs_n <= 1'b1;");
    b.line("            spi_sck <= 1'b0;");
    b.line("            spi_mosi <= 1'b0;");
    b.line("        end else begin");
    b.line("            spi_cs_n <= ~(seg1 | seg2);");
    b.line("            spi_sck <= (seg1 | seg2) & lc[0];");
    b.line("            spi_mosi <= seg1 ? wake_cmd[~lc[3:1]] : hdr & read_cmd[~lc[5:1]];");
    b.line("            if (~loaded) begin");
    b.line(format!("                lc <= lc + {};", lit(lcw, 1)));
    b.line(format!(
        "                if ({}) seg1 <= 1'b0;",
        at(FLASH_WAKE_CYCLES - 1)
    ));
    b.line(format!("                if ({}) begin", at(s2 - 1)));
    b.line("                    seg2 <= 1'b1;");
    b.line("                    hdr <= 1'b1;");
    b.line("                end");
    b.line(format!(
        "                if ({}) hdr <= 1'b0;",
        at(s2 + FLASH_HEADER_CYCLES - 1)
    ));
    b.line(format!("                if ({}) begin", at(end - 1)));
    b.line("                    seg2 <= 1'b0;");
    b.line("                    loaded <= 1'b1;");
    b.line("                end");
    b.line("            end");
    b.line("            if (smp) begin");
    b.line(format!(
        "                ld_sh <= {{ld_sh[{}:0], spi_miso}};",
        ww - 3
    ));
    b.line(format!(
        "                ld_bit <= ld_we ? {} : ld_bit + {};",
        lit(bcw, 0),
        lit(bcw, 1)
    ));
    b.line(format!(
        "                if (ld_we) ld_addr <= ld_addr + {};",
        lit(aw, 1)
    ));
    b.line("            end");
    b.line("        end");
    b.line("    end");
}

/// The text of `hitnet_lm.v`.
pub fn module(plan: &Plan, lm: &LmPlan, block: bool) -> String {
    let tb = lm.token_bits;
    let fb = FEED_BITS;
    let sw = lm.emb_width;
    let ot = plan.out_trits;
    let ow = 2 * ot as u32;
    let lw = plan.layer_bits();
    let hw = ow as usize * plan.out_beats; // hreg bits
    let p = lm.head_lanes;
    let hp = 2 * p * lm.chunks; // hrot bits
    let flash = lm.flash;
    let aw =
        hitnet_model::fixed::unsigned_bits((flash.map_or(lm.head_depth, |f| f.depth) - 1) as u64);
    let head_base = flash.map_or(0, |f| f.head_base) as i64;
    let cw = hitnet_model::fixed::unsigned_bits((lm.chunks - 1) as u64);
    let bw = hitnet_model::fixed::unsigned_bits(plan.in_beats.saturating_sub(1) as u64);
    let pw = signed_bits(-127 * p as i64, 127 * p as i64);
    let sc = lm.score_bits;
    let taps = hitnet_model::lfsr::LFSR_TAPS;
    let mut b = Body::default();
    let _ = write!(
        b.s,
        "// {LM_TOP}: language-model ends around hitnet_top, generated by hitnet-hw {} (`hitnet gen`). Do not edit.\n\
         // {} tokens; embedding {} x {} words of {sw} bits; head {} lanes x {} chunks per row ({} words of {} bits);\n\
         // token out {} cycles after the last h beat. Arithmetic: docs/arithmetic.md section 11;\n\
         // block and timing: docs/architecture.md, \"Model ends on the chip\".\n",
        env!("CARGO_PKG_VERSION"),
        lm.vocab,
        lm.vocab,
        1 << lm.beat_bits,
        p,
        lm.chunks,
        lm.head_depth,
        lm.head_width,
        lm.head_cycles,
    );
    b.line(format!(
        "module {LM_TOP} (\n\
         \x20   input wire clk,\n\
         \x20   input wire rst,\n\
         \x20   input wire s_valid,\n\
         \x20   output wire s_ready,\n\
         \x20   input wire [{}:0] s_token,\n\
         \x20   input wire s_first,\n\
         \x20   input wire [{}:0] s_feed,\n\
         \x20   output reg m_valid,\n\
         \x20   input wire m_ready,\n\
         \x20   output reg [{}:0] m_token,\n\
         \x20   output wire m_last,\n\
         {}\
         \x20   output wire idle\n\
         );",
        tb - 1,
        fb - 1,
        tb - 1,
        if flash.is_some() {
            "    output reg spi_cs_n,\n    output reg spi_sck,\n    output reg spi_mosi,\n    input wire spi_miso,\n"
        } else {
            ""
        }
    ));
    note(
        &mut b,
        "Feed: the token whose embedding goes to the core, one beat per cycle.",
    );
    b.line("    reg busy;");
    b.line(format!("    reg [{}:0] tok;", tb - 1));
    b.line("    reg tok_first;");
    b.line(format!("    reg [{}:0] feed_left;", fb - 1));
    b.line("    reg feeding;");
    b.line(format!("    reg [{}:0] beat;", bw - 1));
    b.line("    wire take = m_valid & m_ready;");
    if let Some(f) = flash {
        flash_loader(&mut b, &f, aw);
        b.line("    wire accept = s_valid & ~busy & loaded;");
        b.line("    assign s_ready = ~busy & loaded;");
    } else {
        b.line("    wire accept = s_valid & ~busy;");
        b.line("    assign s_ready = ~busy;");
    }
    b.line(format!("    assign m_last = feed_left == {};", lit(fb, 0)));
    b.line("    always @(posedge clk) begin");
    b.line("        if (rst) begin");
    b.line("            busy <= 1'b0;");
    b.line("            feeding <= 1'b0;");
    b.line(format!("            beat <= {};", lit(bw, 0)));
    b.line(format!("            tok <= {};", lit(tb, 0)));
    b.line("            tok_first <= 1'b0;");
    b.line(format!("            feed_left <= {};", lit(fb, 0)));
    b.line("        end else begin");
    b.line("            if (feeding) begin");
    b.line(format!(
        "                if (beat == {}) feeding <= 1'b0;",
        lit(bw, plan.in_beats as i64 - 1)
    ));
    b.line(format!("                beat <= beat + {};", lit(bw, 1)));
    b.line("            end");
    b.line("            if (accept) begin");
    b.line("                busy <= 1'b1;");
    b.line("                tok <= s_token;");
    b.line("                tok_first <= s_first;");
    b.line("                feed_left <= s_feed;");
    b.line("                feeding <= 1'b1;");
    b.line(format!("                beat <= {};", lit(bw, 0)));
    b.line("            end else if (take) begin");
    b.line(format!(
        "                if (feed_left != {}) begin",
        lit(fb, 0)
    ));
    b.line("                    tok <= m_token;");
    b.line("                    tok_first <= 1'b0;");
    b.line(format!(
        "                    feed_left <= feed_left - {};",
        lit(fb, 1)
    ));
    b.line("                    feeding <= 1'b1;");
    b.line(format!("                    beat <= {};", lit(bw, 0)));
    b.line("                end else begin");
    b.line("                    busy <= 1'b0;");
    b.line("                end");
    b.line("            end");
    b.line("        end");
    b.line("    end");
    let eaddr = if lm.beat_bits == 0 {
        "tok".to_string()
    } else {
        format!("{{tok, beat[{}:0]}}", lm.beat_bits - 1)
    };
    if let Some(f) = flash {
        b.line("    reg run;");
        b.line(format!("    reg [{}:0] waddr;", aw - 1));
        note(
            &mut b,
            "The ends' RAM (SPRAM): embedding word {t, k} at {t, k}, head words from the head base; loader writes, then feed or head reads.",
        );
        b.line(format!(
            "    (* ram_style = \"huge\" *) reg [{}:0] ends [0:{}];",
            f.width - 1,
            f.depth - 1
        ));
        b.line(format!("    reg [{}:0] ends_q;", f.width - 1));
        let ea = (lm.token_bits + lm.beat_bits) as usize;
        let eaddr_w = if ea < aw as usize {
            format!("{{{}'d0, {eaddr}}}", aw as usize - ea)
        } else {
            eaddr.clone()
        };
        b.line(format!(
            "    wire [{}:0] ends_a = ~loaded ? ld_addr : feeding ? {eaddr_w} : waddr;",
            aw - 1
        ));
        note(
            &mut b,
            "Single port, no change on a write (the SPRAM's mode).",
        );
        b.line("    always @(posedge clk) begin");
        b.line("        if (ld_we) ends[ends_a] <= {ld_sh, spi_miso};");
        b.line("        else ends_q <= ends[ends_a];");
        b.line("    end");
        b.line(format!(
            "    wire [{}:0] emb_q = ends_q[{}:0];",
            sw - 1,
            sw - 1
        ));
    } else {
        note(&mut b, "Embedding ROM: token t's beat k at {t, k}.");
        image_memory(&mut b, "emb", sw, lm.emb_depth, "\"lm_emb.hex\"", block);
        b.line(format!("    reg [{}:0] emb_q;", sw - 1));
    }
    b.line("    reg in_valid;");
    b.line("    reg in_first;");
    b.line("    always @(posedge clk) begin");
    if flash.is_none() {
        b.line(format!("        emb_q <= emb[{eaddr}];"));
    }
    b.line("        in_valid <= feeding & ~rst;");
    b.line(format!(
        "        in_first <= feeding & tok_first & (beat == {});",
        lit(bw, 0)
    ));
    b.line("    end");
    note(
        &mut b,
        "The core; its last layer's h beats shift into hreg.",
    );
    b.line("    wire c_ready, c_valid, c_last, c_idle;");
    b.line(format!("    wire [{}:0] c_data;", ow - 1));
    b.line(format!("    wire [{}:0] c_layer;", lw - 1));
    core_instance(&mut b, "emb_q", "in_first");
    if flash.is_some() {
        b.line("    assign idle = ~busy & c_idle & loaded;");
        b.line("`ifndef SYNTHESIS");
        b.line("    always @(posedge clk)");
        b.line("        if (feeding & run) $display(\"ERROR hitnet_lm: the feed and the head read the RAM in one cycle\");");
        b.line("`endif");
    } else {
        b.line("    assign idle = ~busy & c_idle;");
    }
    note(
        &mut b,
        "The core takes every beat (it is idle when a step starts); a refused beat would be lost.",
    );
    b.line("`ifndef SYNTHESIS");
    b.line("    always @(posedge clk)");
    b.line("        if (in_valid & ~c_ready) $display(\"ERROR hitnet_lm: the core refused an input beat\");");
    b.line("`endif");
    b.line(format!(
        "    wire hbeat = c_valid & (c_layer == {});",
        lit(lw, lm.last_layer as i64)
    ));
    // The flash store (the UP5K, short of logic cells) rotates h in hreg
    // itself: the head runs only after the last beat and the next beats
    // come after its token, so one register serves both.
    let merged = flash.is_some();
    let hr = if merged { hw.max(hp) } else { hw };
    b.line(format!("    reg [{}:0] hreg;", hr - 1));
    b.line("    reg go;");
    let shift = if hw == ow as usize {
        "c_data".to_string()
    } else {
        format!("{{c_data, hreg[{}:{ow}]}}", hw - 1)
    };
    let shift = if hr > hw {
        format!("{{{}'d0, {shift}}}", hr - hw)
    } else {
        shift
    };
    b.line("    always @(posedge clk) begin");
    if !merged {
        b.line(format!("        if (hbeat) hreg <= {shift};"));
    }
    b.line("        go <= hbeat & c_last & ~rst;");
    b.line("    end");
    note(
        &mut b,
        "Head issue: row, chunk and weight address; the LFSR draws at each row's first chunk.",
    );
    if flash.is_none() {
        b.line("    reg run;");
        b.line(format!("    reg [{}:0] waddr;", aw - 1));
    }
    b.line(format!("    reg [{}:0] chunk;", cw - 1));
    // The row counter rests at `vocab` between head runs, so the bias
    // memory's output is the seed's word (entry vocab) when a sequence
    // starts: the seed is a memory content, not logic.
    let rb = hitnet_model::fixed::unsigned_bits(lm.vocab as u64);
    b.line(format!("    reg [{}:0] row;", rb - 1));
    b.line("    reg [31:0] lfsr;");
    b.line(format!("    reg [{}:0] b_q;", BIAS_BITS - 1));
    b.line("    reg seeded;");
    b.line(format!(
        "    wire reseed = feeding & (beat == {}) & (tok_first | ~seeded);",
        lit(bw, 0)
    ));
    b.line(format!("    wire c_first = chunk == {};", lit(cw, 0)));
    b.line(format!(
        "    wire c_end = chunk == {};",
        lit(cw, lm.chunks as i64 - 1)
    ));
    b.line("    wire [31:0] ls0 = lfsr;");
    for k in 0..8 {
        b.line(format!(
            "    wire [31:0] ls{n} = {{1'b0, ls{k}[31:1]}} ^ (ls{k}[0] ? 32'h{taps:08x} : 32'h0);",
            n = k + 1
        ));
    }
    let ubits: Vec<String> = (0..8).map(|k| format!("ls{k}[0]")).collect();
    b.line(format!("    wire [7:0] draw = {{{}}};", ubits.join(", ")));
    b.line("    always @(posedge clk) begin");
    b.line("        if (rst) begin");
    b.line("            run <= 1'b0;");
    b.line(format!("            waddr <= {};", lit(aw, head_base)));
    b.line(format!("            chunk <= {};", lit(cw, 0)));
    b.line(format!("            row <= {};", lit(rb, lm.vocab as i64)));
    b.line("            lfsr <= 32'h0;");
    b.line("            seeded <= 1'b0;");
    b.line("        end else begin");
    b.line("            if (go) begin");
    b.line("                run <= 1'b1;");
    b.line(format!("                waddr <= {};", lit(aw, head_base)));
    b.line(format!("                chunk <= {};", lit(cw, 0)));
    b.line(format!("                row <= {};", lit(rb, 0)));
    b.line("            end else if (run) begin");
    b.line(format!("                waddr <= waddr + {};", lit(aw, 1)));
    b.line("                if (c_end) begin");
    b.line(format!("                    chunk <= {};", lit(cw, 0)));
    b.line(format!("                    row <= row + {};", lit(rb, 1)));
    b.line(format!(
        "                    if (row == {}) run <= 1'b0;",
        lit(rb, lm.vocab as i64 - 1)
    ));
    b.line("                end else begin");
    b.line(format!(
        "                    chunk <= chunk + {};",
        lit(cw, 1)
    ));
    b.line("                end");
    b.line("            end");
    b.line("            // A sequence's first beat (and the first after reset) loads the seed: b_q = hb[vocab] while idle.");
    b.line("            if (reseed) begin");
    b.line(format!(
        "                lfsr <= {{{}'d0, b_q}};",
        32 - BIAS_BITS
    ));
    b.line("                seeded <= 1'b1;");
    b.line("            end else if (run & c_first) lfsr <= ls8;");
    b.line("        end");
    b.line("    end");
    note(
        &mut b,
        "Memory reads: the weight word, the row's bias, the noise word at the draw.",
    );
    if flash.is_none() {
        image_memory(
            &mut b,
            "hw",
            lm.head_width,
            lm.head_depth,
            "\"lm_head.hex\"",
            block,
        );
    }
    image_memory(
        &mut b,
        "hb",
        BIAS_BITS,
        bias_depth(lm, block),
        "\"lm_bias.hex\"",
        block,
    );
    image_memory(
        &mut b,
        "hn",
        NOISE_WORD_BITS,
        hitnet_model::lm::NOISE_ENTRIES,
        "\"lm_noise.hex\"",
        block,
    );
    if flash.is_some() {
        b.line(format!(
            "    wire [{}:0] w_q = ends_q[{}:0];",
            lm.head_width - 1,
            lm.head_width - 1
        ));
    } else {
        b.line(format!("    reg [{}:0] w_q;", lm.head_width - 1));
    }
    b.line(format!("    reg [{}:0] n_q;", NOISE_WORD_BITS - 1));
    b.line("    reg v1, f1, e1;");
    b.line(format!("    reg [{}:0] r1;", tb - 1));
    b.line("    always @(posedge clk) begin");
    if flash.is_none() {
        b.line("        w_q <= hw[waddr];");
    }
    b.line("        b_q <= hb[row];");
    b.line("        n_q <= hn[draw];");
    b.line("        v1 <= run & ~rst;");
    b.line("        f1 <= c_first;");
    b.line("        e1 <= c_end;");
    if rb > tb {
        b.line(format!("        r1 <= row[{}:0];", tb - 1));
    } else {
        b.line("        r1 <= row;");
    }
    b.line("    end");
    let hsrc = if merged { "hreg" } else { "hrot" };
    // One chunk's turn of the low hp bits of register `r`, `width` bits.
    let rot = |r: &str, width: usize| {
        let low = if lm.chunks == 1 {
            if width == hp {
                r.to_string()
            } else {
                format!("{r}[{}:0]", hp - 1)
            }
        } else {
            format!("{{{r}[{}:0], {r}[{}:{}]}}", 2 * p - 1, hp - 1, 2 * p)
        };
        if width > hp {
            format!("{{{r}[{}:{hp}], {low}}}", width - 1)
        } else {
            low
        }
    };
    if merged {
        note(
            &mut b,
            "h beats shift in; at each head read word h rotates one head_lanes-trit chunk (a row takes a full turn).",
        );
        b.line("    always @(posedge clk) begin");
        b.line(format!("        if (hbeat) hreg <= {shift};"));
        b.line(format!("        else if (v1) hreg <= {};", rot("hreg", hr)));
        b.line("    end");
    } else {
        note(
            &mut b,
            "h as head_lanes-trit chunks, rotated one chunk per read word (a row takes a full turn).",
        );
        b.line(format!("    reg [{}:0] hrot;", hp - 1));
        let load = if hp > hw {
            format!("{{{}'d0, hreg}}", hp - hw)
        } else if hp == hw {
            "hreg".to_string()
        } else {
            format!("hreg[{}:0]", hp - 1)
        };
        b.line("    always @(posedge clk) begin");
        b.line(format!("        if (go) hrot <= {load};"));
        b.line(format!("        else if (v1) hrot <= {};", rot("hrot", hp)));
        b.line("    end");
    }
    // Pipelined sum: the lanes' terms registered, then one register per
    // adder-tree level (a block-RAM output through a whole tree misses the
    // ECP5's 100 MHz), bias + noise riding along.
    note(&mut b, "The memories' words and h's chunk registered in fabric: a block-RAM output feeds no logic.");
    b.line(format!("    reg [{}:0] wr;", lm.head_width - 1));
    b.line(format!("    reg [{}:0] zr;", 2 * p - 1));
    b.line(format!("    reg [{}:0] br;", BIAS_BITS - 1));
    b.line(format!("    reg [{}:0] nr;", NOISE_WORD_BITS - 1));
    b.line("    reg vr, fr, er;");
    b.line(format!("    reg [{}:0] rr;", tb - 1));
    b.line("    always @(posedge clk) begin");
    b.line("        wr <= w_q;");
    b.line(format!("        zr <= {hsrc}[{}:0];", 2 * p - 1));
    b.line("        br <= b_q;");
    b.line("        nr <= n_q;");
    b.line("        vr <= v1 & ~rst;");
    b.line("        fr <= f1;");
    b.line("        er <= e1;");
    b.line("        rr <= r1;");
    b.line("    end");
    note(
        &mut b,
        "Terms: h trit k selects +w, -w or 0; bias + noise for the row's first chunk.",
    );
    let ctl = |b: &mut Body, k: usize| {
        b.line(format!("    reg v_{k}, f_{k}, e_{k};"));
        b.line(format!("    reg [{}:0] r_{k};", tb - 1));
        b.line(format!("    reg [{}:0] bn_{k};", sc - 1));
    };
    let ctl_next = |b: &mut Body, k: usize| {
        let (v, f, e, r, bn) = if k == 0 {
            (
                "vr".to_string(),
                "fr".to_string(),
                "er".to_string(),
                "rr".to_string(),
                None,
            )
        } else {
            let q = k - 1;
            (
                format!("v_{q}"),
                format!("f_{q}"),
                format!("e_{q}"),
                format!("r_{q}"),
                Some(format!("bn_{q}")),
            )
        };
        b.line(format!("        v_{k} <= {v} & ~rst;"));
        b.line(format!("        f_{k} <= {f};"));
        b.line(format!("        e_{k} <= {e};"));
        b.line(format!("        r_{k} <= {r};"));
        match bn {
            Some(x) => b.line(format!("        bn_{k} <= {x};")),
            None => b.line(format!(
                "        bn_0 <= {} + {};",
                sx("br", BIAS_BITS, sc),
                sx("nr", NOISE_WORD_BITS, sc)
            )),
        }
    };
    for j in 0..p {
        b.line(format!(
            "    wire [7:0] hw{j} = wr[{}:{}];",
            8 * j + 7,
            8 * j
        ));
        b.line(format!("    reg [{}:0] sum0_{j};", pw - 1));
    }
    ctl(&mut b, 0);
    b.line("    always @(posedge clk) begin");
    for j in 0..p {
        b.line(format!(
            "        sum0_{j} <= zr[{}] ? (zr[{}] ? {} - {} : {}) : {};",
            2 * j,
            2 * j + 1,
            lit(pw, 0),
            sx(&format!("hw{j}"), 8, pw),
            sx(&format!("hw{j}"), 8, pw),
            lit(pw, 0)
        ));
    }
    ctl_next(&mut b, 0);
    b.line("    end");
    let mut n = p;
    let mut k = 0;
    while n > 1 {
        k += 1;
        let m = n.div_ceil(2);
        note(&mut b, &format!("Adder-tree level {k}: {n} sums to {m}."));
        for j in 0..m {
            b.line(format!("    reg [{}:0] sum{k}_{j};", pw - 1));
        }
        ctl(&mut b, k);
        b.line("    always @(posedge clk) begin");
        for j in 0..m {
            let q = k - 1;
            if 2 * j + 1 < n {
                b.line(format!(
                    "        sum{k}_{j} <= sum{q}_{} + sum{q}_{};",
                    2 * j,
                    2 * j + 1
                ));
            } else {
                b.line(format!("        sum{k}_{j} <= sum{q}_{};", 2 * j));
            }
        }
        ctl_next(&mut b, k);
        b.line("    end");
        n = m;
    }
    assert_eq!(k as u32, lm.tree_levels, "the plan's adder-tree depth");
    note(
        &mut b,
        "Accumulate (bias + noise with the first chunk); the score at the last chunk.",
    );
    b.line(format!("    reg [{}:0] acc;", sc - 1));
    b.line(format!("    reg [{}:0] score3;", sc - 1));
    b.line("    reg v3;");
    b.line(format!("    reg [{}:0] r3;", tb - 1));
    b.line(format!(
        "    wire [{}:0] acc_in = f_{k} ? bn_{k} : acc;",
        sc - 1
    ));
    b.line(format!(
        "    wire [{}:0] acc_next = acc_in + {};",
        sc - 1,
        sx(&format!("sum{k}_0"), pw, sc)
    ));
    b.line("    always @(posedge clk) begin");
    b.line(format!("        if (v_{k}) acc <= acc_next;"));
    b.line("        score3 <= acc_next;");
    b.line(format!("        v3 <= v_{k} & e_{k} & ~rst;"));
    b.line(format!("        r3 <= r_{k};"));
    b.line("    end");
    note(
        &mut b,
        "The running best; the last row's result is the token.",
    );
    b.line(format!("    reg [{}:0] best;", sc - 1));
    b.line(format!(
        "    wire better = (r3 == {}) | {};",
        lit(tb, 0),
        gt_signed("score3", "best", sc)
    ));
    running_best(
        &mut b,
        &Best {
            valid: "v3",
            better: "better",
            score: "score3",
            row: "r3",
            row_bits: tb,
            last: lm.vocab - 1,
            outs: &[("m_token", "r3", tb)],
            sc,
        },
    );
    b.line("endmodule");
    b.s
}

/// The core's design for `plan` with the ends of `lm` around it:
/// `hitnet_lm.v` first (the top), then the core's files, then the ends'
/// images; the manifest names the top and describes the ends.
pub fn generate(
    plan: &Plan,
    lm: &LmPlan,
    config: serde_json::Value,
    bram: crate::Bram,
    deployable: bool,
) -> Design {
    let mut images: Vec<(String, Vec<u8>)> = images(lm, deployable)
        .into_iter()
        .map(|(n, t)| (n, t.into_bytes()))
        .collect();
    if let Some(bytes) = lm.flash_image() {
        images.push((FLASH_BIN.into(), bytes));
    }
    let mut d = crate::ends::design(
        plan,
        config,
        bram,
        deployable,
        LM_TOP,
        module(plan, lm, deployable),
        images,
    );
    let m = &mut d.manifest;
    m["lm"] = serde_json::json!({
        "head_lanes": lm.head_lanes,
        "chunks": lm.chunks,
        "token_bits": lm.token_bits,
        "feed_bits": FEED_BITS,
        "score_bits": lm.score_bits,
        "seed": lm.seed,
        "head_cycles": lm.head_cycles,
        "memories": parameter_memories(lm, deployable),
        "store": lm.store,
        "flash": crate::ends::flash_manifest(lm.flash),
        "vocab": lm.tokens,
    });
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_pack_lsb_first() {
        assert_eq!(fields_hex([(1, 2), (3, 2)].into_iter()), "d");
        assert_eq!(fields_hex([(-1, 8), (1, 8)].into_iter()), "01ff");
        assert_eq!(fields_hex([(-2, 3)].into_iter()), "6");
    }
}
