//! The summaries `hitnet gen` and `hitnet check` print.
use std::path::Path;

fn line(s: &mut String, l: String) {
    s.push_str(&l);
    s.push('\n');
}

/// What `hitnet gen` prints: the plan's array and memories, where the
/// weights went, the cycle formula and the files written.
pub fn gen_text(
    loaded: &hitnet_model::Loaded,
    plan: &hitnet_arch::Plan,
    design: &hitnet_rtl::Design,
    bram: hitnet_rtl::Bram,
    out: &Path,
    secs: f64,
) -> String {
    let p = plan;
    let c = &p.cycles;
    let mut s = String::new();
    line(&mut s, format!("model:   {}", crate::model_line(loaded)));
    line(
        &mut s,
        format!(
            "array:   {} rows x {} cols, {} post/element-wise lane(s), adder tree depth {}",
            p.rows, p.cols, p.lanes, p.tree_depth
        ),
    );
    line(
        &mut s,
        format!(
            "memory:  {} weight banks x {} words x {} bits; {} bias and {} state words per lane",
            p.rows,
            p.weight_depth,
            2 * p.cols,
            p.bias_depth,
            p.state_depth
        ),
    );
    let wb = &design.manifest["memories"]["weight_bram"];
    if wb["primitive"] == "DP16KD" {
        line(
            &mut s,
            format!(
                "         weights in {} DP16KD ({}-bit mode, output register on)",
                wb["blocks"], wb["width"]
            ),
        );
    } else if bram == hitnet_rtl::Bram::Dp16kd {
        line(
            &mut s,
            "         weights in inferred block RAM: a bank deeper than 2048 words has no DP16KD mapping here".into(),
        );
    }
    line(
        &mut s,
        format!(
            "cycles:  {} per token (bound {:.1}, utilization {:.1}%)",
            c.per_token,
            c.bound_per_token,
            100.0 * c.utilization
        ),
    );
    line(&mut s, format!("         {}", c.formula));
    line(
        &mut s,
        format!(
            "wrote:   {} ({} files + manifest.json) in {:.2} s",
            out.display(),
            design.files.len(),
            secs
        ),
    );
    s
}

/// What `hitnet check` prints: the plan and target it accepted, the
/// fixed-point formats and every derived width with its bound.
pub fn check_text(
    loaded: &hitnet_model::Loaded,
    plan: &hitnet_arch::Plan,
    target: &hitnet_fpga::Target,
) -> String {
    let im = &loaded.int;
    let c = &plan.cycles;
    let f = &im.formats;
    let mut s = String::new();
    line(&mut s, format!("ok: {}", crate::model_line(loaded)));
    line(
        &mut s,
        format!(
            "plan: {}x{} array, {} cycles per token; target {}",
            loaded.config.hw.rows, loaded.config.hw.cols, c.per_token, target.name
        ),
    );
    line(&mut s, "formats:".into());
    line(
        &mut s,
        format!(
            "  gate values, cell state, h: Q.{} (F = {})",
            f.frac, f.frac
        ),
    );
    line(
        &mut s,
        format!(
            "  activation tables: {} entries, index step 2^-{}, range [-{}, {})",
            1u64 << f.lut_bits,
            f.lut_frac,
            2f64.powi(f.lut_range_log2),
            2f64.powi(f.lut_range_log2)
        ),
    );
    line(
        &mut s,
        format!("  pre-activations: {} fraction bits (Fp)", f.pre_frac),
    );
    line(
        &mut s,
        format!("  cell state: |c| < 2^{} (saturating)", f.cell_int),
    );
    line(&mut s, "widths (bits, from worst-case bounds):".into());
    for (name, bits, why) in im.widths.table() {
        line(&mut s, format!("  {name:<20} {bits:>3}   {why}"));
    }
    s
}
