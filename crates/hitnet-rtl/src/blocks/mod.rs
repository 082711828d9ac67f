//! The accelerator's blocks, one per file: ports first, then the logic.
//! docs/architecture.md has the block diagram and the timing.
pub mod ctrl;
pub mod ew;
pub mod inbuf;
pub mod post;
pub mod row;
pub mod serial;
pub mod top;
pub mod wbank;
pub mod zbuf;

use crate::vlog::ubits;
use crate::Bram;
use hitnet_arch::Plan;

/// Widths of the control fields, derived from the plan.
pub struct Ctx<'a> {
    pub p: &'a Plan,
    /// How the weight banks are built.
    pub bram: Bram,
    /// Layer index.
    pub lb: u32,
    /// Group index.
    pub qb: u32,
    /// Serial step index.
    pub kb: u32,
    /// Block counter within a segment.
    pub bb: u32,
    /// Global z-word select.
    pub zb: u32,
    /// Tail counter.
    pub tb: u32,
    /// Weight-bank, bias-memory and state-memory address widths.
    pub wa_bits: u32,
    pub ba_bits: u32,
    pub sa_bits: u32,
    /// Total z words over all layers.
    pub zwords: usize,
    /// Each row keeps one accumulator per segment (a layer has a prefix).
    pub per_seg: bool,
    /// A deployable build: every parameter memory in block RAM, also the
    /// small bias memories Yosys would otherwise keep in logic.
    pub deployable: bool,
}

impl<'a> Ctx<'a> {
    pub fn new(p: &'a Plan, bram: Bram) -> Ctx<'a> {
        let zwords: usize = p.layers.iter().map(|l| l.z_blocks).sum();
        let max_blocks = p
            .layers
            .iter()
            .flat_map(|l| l.segments.iter().map(|s| s.blocks))
            .max()
            .unwrap();
        let max_tail = p
            .layers
            .iter()
            .map(|l| l.tail_cycles)
            .max()
            .unwrap()
            .max(p.bubble);
        Ctx {
            p,
            bram,
            lb: p.layer_bits(),
            qb: ubits(p.layers[0].groups as u64 - 1),
            kb: ubits(p.steps as u64 - 1),
            bb: ubits(max_blocks as u64 - 1),
            zb: ubits(zwords as u64 - 1),
            tb: ubits(max_tail - 1),
            wa_bits: p.widths.weight_addr,
            ba_bits: p.widths.bias_addr,
            sa_bits: p.widths.state_addr,
            zwords,
            per_seg: p.layers.iter().any(|l| l.prefix > 0),
            deployable: false,
        }
    }
    /// First global z word of each layer.
    pub fn zbase(&self, l: usize) -> usize {
        self.p.layers[..l].iter().map(|x| x.z_blocks).sum()
    }
}

/// The `$readmemh` of a memory; `file` is a Verilog string expression (a
/// literal or a parameter such as `IMAGE`). Synthesis reads the image next
/// to the Verilog, or under the define HITNET_MEM_DIR (a string ending in
/// `/`). Co-simulation defines HITNET_PLUSARG_MEM and passes
/// `+hitnet_mem=DIR/` at run time, so one Verilator build can run any set of
/// images (e.g. a corrupted copy). No empty-string default: `{"", "w.hex"}`
/// is a NUL byte followed by the name in Verilog, which Icarus rightly
/// refuses to open.
pub fn readmem(mem: &str, file: &str) -> String {
    format!(
        "`ifdef HITNET_PLUSARG_MEM\n\
         initial begin : load_{mem}\n\
         \x20   string d;\n\
         \x20   if ($value$plusargs(\"hitnet_mem=%s\", d) == 0) d = \"\";\n\
         \x20   $readmemh({{d, {file}}}, {mem});\n\
         end\n\
         `elsif HITNET_MEM_DIR\n\
         initial $readmemh({{`HITNET_MEM_DIR, {file}}}, {mem});\n\
         `else\n\
         initial $readmemh({file}, {mem});\n\
         `endif"
    )
}

/// A memory of `depth` words of `width` bits, `reg [width-1:0] mem
/// [0:depth-1]`, loaded from `file` by [`readmem`]. With `block`, it
/// asks for block RAM: a deployment replaces parameter memories in the
/// placed design, and Yosys would keep a small ROM in logic (Yosys 0.23's
/// `setattr` does not reach memories, so the attribute is written here).
pub fn image_memory(
    b: &mut crate::vlog::Body,
    mem: &str,
    width: u32,
    depth: usize,
    file: &str,
    block: bool,
) {
    let attr = if block {
        "(* ram_style = \"block\", rom_style = \"block\" *) "
    } else {
        ""
    };
    b.line(format!(
        "{attr}reg [{}:0] {mem} [0:{}];",
        width - 1,
        depth - 1
    ));
    b.line(readmem(mem, file));
}

/// A Verilog string literal.
pub fn quoted(s: &str) -> String {
    format!("\"{s}\"")
}
