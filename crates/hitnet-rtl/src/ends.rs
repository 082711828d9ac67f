//! What the two model ends' generators (`lm`, `cls`) share: comment
//! lines, the signed compare, the core's instance, the running best of the
//! head's scores and the design around the ends' module. Every helper
//! prints exactly the lines both printed before, so the designs (and
//! their hashes) are unchanged.
use crate::vlog::{lit, Body};
use crate::Design;
use hitnet_arch::lm::{FlashLayout, FLASH_BIN};
use hitnet_arch::Plan;

/// A comment line at the body's indent.
pub(crate) fn note(b: &mut Body, c: &str) {
    b.line(format!("    // {c}"));
}

/// `x > y` for signed `w`-bit vectors, as an unsigned compare with the
/// sign bits flipped.
pub(crate) fn gt_signed(x: &str, y: &str, w: u32) -> String {
    let flip = |v: &str| format!("{{~{v}[{}], {v}[{}:0]}}", w - 1, w - 2);
    format!("({} > {})", flip(x), flip(y))
}

/// The core (`hitnet_top core`), its input beat `s_data` with `s_first`,
/// its outputs on the wires `c_*`, always ready.
pub(crate) fn core_instance(b: &mut Body, s_data: &str, s_first: &str) {
    b.line("    hitnet_top core (");
    b.line("        .clk(clk),");
    b.line("        .rst(rst),");
    b.line("        .s_valid(in_valid),");
    b.line("        .s_ready(c_ready),");
    b.line(format!("        .s_data({s_data}),"));
    b.line(format!("        .s_first({s_first}),"));
    b.line("        .m_valid(c_valid),");
    b.line("        .m_ready(1'b1),");
    b.line("        .m_data(c_data),");
    b.line("        .m_layer(c_layer),");
    b.line("        .m_last(c_last),");
    b.line("        .idle(c_idle)");
    b.line("    );");
}

/// The head's running best and its answer port: when `valid`, a row whose
/// score is `better` becomes the best and sets each output (name, value,
/// width) of `outs`; row `last` raises m_valid, which `take` clears.
/// `best` is `sc` bits.
pub(crate) struct Best<'a> {
    pub valid: &'a str,
    pub better: &'a str,
    pub score: &'a str,
    pub row: &'a str,
    pub row_bits: u32,
    pub last: usize,
    pub outs: &'a [(&'a str, &'a str, u32)],
    pub sc: u32,
}

pub(crate) fn running_best(b: &mut Body, p: &Best) {
    b.line("    always @(posedge clk) begin");
    b.line("        if (rst) begin");
    b.line("            m_valid <= 1'b0;");
    for (name, _, w) in p.outs {
        b.line(format!("            {name} <= {};", lit(*w, 0)));
    }
    b.line(format!("            best <= {};", lit(p.sc, 0)));
    b.line("        end else begin");
    b.line("            if (take) m_valid <= 1'b0;");
    b.line(format!("            if ({}) begin", p.valid));
    b.line(format!("                if ({}) begin", p.better));
    b.line(format!("                    best <= {};", p.score));
    for (name, value, _) in p.outs {
        b.line(format!("                    {name} <= {value};"));
    }
    b.line("                end");
    b.line(format!(
        "                if ({} == {}) m_valid <= 1'b1;",
        p.row,
        lit(p.row_bits, p.last as i64)
    ));
    b.line("            end");
    b.line("        end");
    b.line("    end");
}

/// The core's design for `plan` with an ends module around it: the
/// module's file (`top`.v, the design's top) first, then the core's files,
/// then the ends' `images`; the manifest names the top.
pub(crate) fn design(
    plan: &Plan,
    config: serde_json::Value,
    bram: crate::Bram,
    deployable: bool,
    top: &str,
    module: String,
    images: Vec<(String, Vec<u8>)>,
) -> Design {
    let mut d = crate::generate_for(plan, config, bram, deployable);
    d.files.insert(0, (format!("{top}.v"), module.into_bytes()));
    d.files.extend(images);
    crate::ends_manifest(&mut d, top);
    d
}

/// The manifest's description of a flash store (null without one).
pub(crate) fn flash_manifest(flash: Option<FlashLayout>) -> serde_json::Value {
    match flash {
        Some(f) => {
            let mut v = serde_json::to_value(f).expect("a layout serializes");
            v["image"] = FLASH_BIN.into();
            v
        }
        None => serde_json::Value::Null,
    }
}
