//! The array-shape sweep behind `hitnet explore`: one synthesis job per
//! shape, each in its own build folder, on a pool of `jobs` threads
//! (rayon); the Pareto front of tokens/s against logic; Markdown and CSV
//! tables and a plot (plotters).
use crate::synth::{self, Job};
use crate::{FlowError, Result};
use hitnet_fpga::{Progress, Target, WrapperKind};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// "8x16,8x8" -> [(8, 16), (8, 8)], duplicates dropped.
pub fn parse_shapes(s: &str) -> Result<Vec<(usize, usize)>> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let parsed = part
            .split_once(['x', 'X'])
            .and_then(|(r, c)| Some((r.trim().parse().ok()?, c.trim().parse().ok()?)));
        match parsed {
            Some((r, c)) if r > 0 && c > 0 => {
                if !out.contains(&(r, c)) {
                    out.push((r, c));
                }
            }
            _ => {
                return Err(FlowError::Input(format!(
                    "invalid value for `--shapes`: '{part}' is not ROWSxCOLS with positive numbers (e.g. 8x16)"
                )))
            }
        }
    }
    if out.is_empty() {
        return Err(FlowError::Input(
            "invalid value for `--shapes`: no shape given (e.g. --shapes 8x8,8x16)".into(),
        ));
    }
    Ok(out)
}

/// One row of the result table.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Row {
    pub shape: String,
    pub rows: usize,
    pub cols: usize,
    pub lanes: Option<usize>,
    pub cycles_per_token: Option<u64>,
    /// ok, timing missed, does not fit, cannot plan, failed.
    pub status: String,
    /// Details of the status (overflow, plan error, tool error).
    pub detail: String,
    pub logic: Option<u64>,
    pub logic_available: u64,
    pub ff: Option<u64>,
    pub bram: Option<u64>,
    pub dsp: Option<u64>,
    pub fmax_mhz: Option<f64>,
    pub tokens_per_second: Option<f64>,
    pub pareto: bool,
    pub build_dir: Option<PathBuf>,
}

impl Row {
    pub fn new(r: usize, c: usize, target: &Target) -> Row {
        Row {
            shape: format!("{r}x{c}"),
            rows: r,
            cols: c,
            lanes: None,
            cycles_per_token: None,
            status: String::new(),
            detail: String::new(),
            logic: None,
            logic_available: target.capacity.logic,
            ff: None,
            bram: None,
            dsp: None,
            fmax_mhz: None,
            tokens_per_second: None,
            pareto: false,
            build_dir: None,
        }
    }

    /// Fits, routed and measured: a point of the plot.
    pub fn point(&self) -> Option<(f64, f64)> {
        Some((self.logic? as f64, self.tokens_per_second?))
    }
}

/// Marks the rows no other row beats on both logic (fewer) and tokens/s
/// (more).
pub fn mark_pareto(rows: &mut [Row]) {
    let pts: Vec<Option<(f64, f64)>> = rows.iter().map(Row::point).collect();
    for (i, r) in rows.iter_mut().enumerate() {
        r.pareto = match pts[i] {
            None => false,
            Some((l, t)) => !pts.iter().enumerate().any(|(j, q)| {
                j != i && q.is_some_and(|(l2, t2)| l2 <= l && t2 >= t && (l2 < l || t2 > t))
            }),
        };
    }
}

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|x| x.to_string())
        .unwrap_or_else(|| "-".into())
}

pub fn markdown(rows: &[Row], target: &Target, model: &str, yosys: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Array shapes of {model} on {} ({})\n\n{yosys}. Pareto-optimal shapes (fewest {} for their tokens/s) are marked *.\n",
        target.name, target.device, target.logic_kind
    );
    let _ = writeln!(
        s,
        "| shape | lanes | cycles/token | {} used / {} | FF | BRAM | DSP | Fmax MHz | tokens/s | status | pareto |\n|---|---|---|---|---|---|---|---|---|---|---|",
        target.logic_kind, target.capacity.logic
    );
    for r in rows {
        let status = if r.detail.is_empty() {
            r.status.clone()
        } else {
            format!("{}: {}", r.status, r.detail.replace('|', "/"))
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.shape,
            opt(&r.lanes),
            opt(&r.cycles_per_token),
            opt(&r.logic),
            opt(&r.ff),
            opt(&r.bram),
            opt(&r.dsp),
            r.fmax_mhz
                .map(|f| format!("{f:.2}"))
                .unwrap_or_else(|| "-".into()),
            r.tokens_per_second
                .map(|t| format!("{t:.0}"))
                .unwrap_or_else(|| "-".into()),
            status,
            if r.pareto { "*" } else { "" }
        );
    }
    s
}

pub fn csv(rows: &[Row]) -> String {
    let mut s = String::from(
        "shape,rows,cols,lanes,cycles_per_token,logic,logic_available,ff,bram,dsp,fmax_mhz,tokens_per_second,status,pareto,detail\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},\"{}\"",
            r.shape,
            r.rows,
            r.cols,
            r.lanes.map(|v| v.to_string()).unwrap_or_default(),
            r.cycles_per_token
                .map(|v| v.to_string())
                .unwrap_or_default(),
            r.logic.map(|v| v.to_string()).unwrap_or_default(),
            r.logic_available,
            r.ff.map(|v| v.to_string()).unwrap_or_default(),
            r.bram.map(|v| v.to_string()).unwrap_or_default(),
            r.dsp.map(|v| v.to_string()).unwrap_or_default(),
            r.fmax_mhz.map(|v| format!("{v:.3}")).unwrap_or_default(),
            r.tokens_per_second
                .map(|v| format!("{v:.1}"))
                .unwrap_or_default(),
            r.status,
            r.pareto,
            r.detail.replace('"', "'")
        );
    }
    s
}

/// Tokens/s against logic use: every measured shape, the Pareto points in
/// red joined by a staircase, the device capacity as a grey line; shapes
/// without a point are named in the caption.
pub fn plot(rows: &[Row], target: &Target, title: &str) -> Result<String> {
    use plotters::prelude::*;
    let err = |e: &dyn std::fmt::Display| FlowError::Plot(e.to_string());
    let pts: Vec<(&Row, (f64, f64))> = rows.iter().filter_map(|r| Some((r, r.point()?))).collect();
    let cap = target.capacity.logic as f64;
    let xmax = pts.iter().map(|p| p.1 .0).fold(cap, f64::max) * 1.05;
    let ymax = pts.iter().map(|p| p.1 .1).fold(1.0, f64::max) * 1.15;
    let missing: Vec<String> = rows
        .iter()
        .filter(|r| r.point().is_none())
        .map(|r| format!("{} ({})", r.shape, r.status))
        .collect();
    let caption = if missing.is_empty() {
        title.to_string()
    } else {
        format!("{title}; not plotted: {}", missing.join(", "))
    };
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, (640, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 14))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..xmax, 0f64..ymax)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc(format!(
                "{} used ({} {})",
                target.logic_kind, target.name, target.device
            ))
            .y_desc("tokens per second at post-route Fmax")
            .draw()
            .map_err(|e| err(&e))?;
        let grey = RGBColor(136, 136, 136);
        chart
            .draw_series(LineSeries::new([(cap, 0.0), (cap, ymax)], grey))
            .map_err(|e| err(&e))?
            .label(format!("capacity {}", target.capacity.logic))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], grey));
        let mut front: Vec<(f64, f64)> = pts.iter().filter(|p| p.0.pareto).map(|p| p.1).collect();
        front.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut stair = Vec::new();
        for (k, p) in front.iter().enumerate() {
            if k > 0 {
                stair.push((p.0, front[k - 1].1));
            }
            stair.push(*p);
        }
        chart
            .draw_series(LineSeries::new(stair, RED.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label("Pareto front")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], RED.stroke_width(2)));
        chart
            .draw_series(pts.iter().map(|(r, p)| {
                let (color, size) = if r.pareto { (RED, 5) } else { (BLUE, 4) };
                EmptyElement::at(*p)
                    + Circle::new((0, 0), size, color.filled())
                    + Text::new(r.shape.clone(), (7, -14), ("sans-serif", 12))
            }))
            .map_err(|e| err(&e))?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    Ok(s)
}

/// A sweep: one config at several shapes on one target.
pub struct Sweep<'a> {
    pub loaded: &'a hitnet_model::Loaded,
    pub target: &'static Target,
    pub shapes: Vec<(usize, usize)>,
    pub wrapper: WrapperKind,
    /// Folder for the tables, the plot and one build folder per shape.
    pub out: &'a Path,
    pub clock_mhz: f64,
    /// Last flow step (pnr: no bitstreams).
    pub to: hitnet_fpga::Step,
    /// Where the steps run: here or as SLURM jobs (then `jobs` is how many
    /// builds are in the cluster's queue at once).
    pub executor: hitnet_fpga::Executor,
    /// Builds at the same time.
    pub jobs: usize,
}

/// Builds one shape: a row whatever happens (cannot plan, failed, does not
/// fit, timing missed, ok).
fn build_one(sw: &Sweep, r: usize, c: usize, multi: &indicatif::MultiProgress) -> Row {
    let mut row = Row::new(r, c, sw.target);
    let shape = hitnet_arch::Shape {
        lanes: None,
        ..hitnet_arch::Shape::of(&sw.loaded.config.hw).at(r, c)
    };
    let plan = match hitnet_arch::Plan::new(&sw.loaded.int, shape) {
        Err(e) => {
            row.status = "cannot plan".into();
            row.detail = e.to_string();
            return row;
        }
        Ok(p) => p,
    };
    row.lanes = Some(plan.lanes);
    row.cycles_per_token = Some(plan.cycles.per_token);
    let dir = sw.out.join(&row.shape);
    let mut config_json = crate::config_json(sw.loaded);
    config_json["hw"]["rows"] = r.into();
    config_json["hw"]["cols"] = c.into();
    // The plan chose the lanes, as for a config without post_lanes:
    // `hitnet report --config` on such a config finds this run.
    if let Some(hw) = config_json["hw"].as_object_mut() {
        hw.remove("post_lanes");
    }
    let job = Job {
        loaded: sw.loaded,
        plan: &plan,
        config_json,
        target: sw.target,
        wrapper: sw.wrapper,
        out: &dir,
        clock_mhz: sw.clock_mhz,
        from: hitnet_fpga::Step::Synth,
        to: sw.to,
        executor: sw.executor.clone(),
        progress: Progress::Multi(multi.clone()),
        seed: 1,
        // A sweep ranks shapes; `hitnet synth` verifies the one built.
        verify_tokens: 0,
        deployable: false,
    };
    row.build_dir = Some(dir.clone());
    match crate::prepare_out(&dir).and_then(|_| synth::run(&job)) {
        Err(e) => {
            row.status = "failed".into();
            row.detail = crate::one_line(&e);
        }
        Ok(o) => {
            let rep = &o.summary.report;
            let used = |k: &str| rep.utilization.get(k).map(|u| u.used);
            row.logic = used("logic");
            row.ff = used("ff");
            row.bram = used("bram");
            row.dsp = used("dsp");
            if rep.fits {
                row.fmax_mhz = rep.fmax_mhz;
                row.tokens_per_second = o.summary.tokens_per_second;
                row.status = match rep.timing_met {
                    Some(false) => "timing missed".into(),
                    _ => "ok".into(),
                };
                if rep.dsp_in_logic {
                    row.detail = "multipliers in logic (DSP fallback)".into();
                }
            } else {
                row.status = "does not fit".into();
                row.detail = rep
                    .overflow
                    .iter()
                    .map(|o| {
                        format!(
                            "{} {} over ({} / {})",
                            o.resource, o.excess, o.used, o.available
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
            }
        }
    }
    row
}

/// What a sweep measured and wrote.
pub struct Swept {
    pub rows: Vec<Row>,
    /// Tool versions and settings, one line.
    pub tools: String,
    pub markdown: String,
    pub files: Vec<PathBuf>,
}

/// Runs the sweep on `jobs` threads, marks the Pareto front and writes
/// explore.{md,csv,svg,json} into `out`. `multi` shows each build's
/// progress; `done` is called as each shape finishes.
pub fn run(
    sw: &Sweep,
    multi: &indicatif::MultiProgress,
    done: &(dyn Fn() + Sync),
) -> Result<Swept> {
    if sw.jobs == 0 {
        return Err(FlowError::Input(
            "invalid value for `--jobs`: at least 1".into(),
        ));
    }
    crate::prepare_out(sw.out)?;
    // A missing tool would fail every shape the same way: say it once.
    let tools = sw.target.toolchain();
    for t in [&tools.yosys, &tools.nextpnr] {
        hitnet_fpga::tools::require(t)?;
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(sw.jobs.min(sw.shapes.len()))
        .build()
        .map_err(|e| FlowError::Input(format!("cannot start {} build threads: {e}", sw.jobs)))?;
    let mut rows: Vec<Row> = pool.install(|| {
        use rayon::prelude::*;
        sw.shapes
            .par_iter()
            .map(|&(r, c)| {
                let row = build_one(sw, r, c, multi);
                done();
                row
            })
            .collect()
    });
    mark_pareto(&mut rows);
    // Tool versions from any finished run (all shapes use the same tools).
    let tools = rows
        .iter()
        .filter_map(|r| r.build_dir.as_ref())
        .find_map(|d| hitnet_fpga::read_synth_report(d).ok())
        .map(|r| {
            format!(
                "Yosys {} ({}), nextpnr {} ({}), timing target {} MHz, wrapper {}",
                r.yosys_version,
                r.yosys_tool,
                r.nextpnr_version.as_deref().unwrap_or("?"),
                r.nextpnr_tool,
                sw.clock_mhz,
                sw.wrapper.name()
            )
        })
        .unwrap_or_else(|| "No shape was synthesized".into());
    let l = sw.loaded;
    let md = markdown(&rows, sw.target, &crate::model_line(l), &tools);
    let title = format!(
        "{} {}x{} on {}: tokens/s vs {}",
        l.model.cell.name().to_uppercase(),
        l.model.input_size,
        l.model.hidden_size,
        sw.target.name,
        sw.target.logic_kind
    );
    let json = serde_json::json!({
        "target": sw.target.name, "model": crate::model_json(l),
        "clock_mhz_target": sw.clock_mhz, "wrapper": sw.wrapper.name(), "tools": tools, "shapes": rows,
    });
    let texts = [
        ("explore.md", md.clone()),
        ("explore.csv", csv(&rows)),
        ("explore.svg", plot(&rows, sw.target, &title)?),
        (
            "explore.json",
            serde_json::to_string_pretty(&json).expect("rows serialize") + "\n",
        ),
    ];
    let mut files = Vec::new();
    for (name, text) in &texts {
        let p = sw.out.join(name);
        std::fs::write(&p, text).map_err(crate::io(&p))?;
        files.push(p);
    }
    Ok(Swept {
        rows,
        tools,
        markdown: md,
        files,
    })
}

/// The shapes a sweep builds, and the resource model's ranking when it
/// chose them (or was asked for it).
pub struct Picked {
    pub shapes: Vec<(usize, usize)>,
    pub ranked: Vec<crate::estimate::Ranked>,
}

/// `--shapes LIST` as given, or the `--best N` shapes that the resource
/// model estimates to fit with the fewest cycles per token; with neither
/// (`--estimate-only`), the ranking alone.
pub fn pick_shapes(
    shapes: Option<&str>,
    best: Option<usize>,
    loaded: &hitnet_model::Loaded,
    target: &'static Target,
    wrapper: WrapperKind,
    clock_mhz: f64,
) -> Result<Picked> {
    if let Some(s) = shapes {
        let ranked = Vec::new();
        return Ok(Picked {
            shapes: parse_shapes(s)?,
            ranked,
        });
    }
    let uart = wrapper == WrapperKind::Uart;
    let ranked = crate::estimate::rank(loaded, target, uart, clock_mhz)?;
    let fit: Vec<(usize, usize)> = ranked
        .iter()
        .filter(|r| r.fits)
        .map(|r| (r.rows, r.cols))
        .collect();
    if best.is_some() && fit.is_empty() {
        return Err(FlowError::Input(format!(
            "no candidate shape is estimated to fit {} (hitnet explore --estimate-only shows the ranking)",
            target.name
        )));
    }
    let shapes = fit.into_iter().take(best.unwrap_or(0)).collect();
    Ok(Picked { shapes, ranked })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_parse_and_reject() {
        assert_eq!(
            parse_shapes("8x8, 8X16,8x8").unwrap(),
            vec![(8, 8), (8, 16)]
        );
        for bad in ["", "8", "8x", "0x8", "ax8", "8x8x8"] {
            let e = parse_shapes(bad).unwrap_err().to_string();
            assert!(e.contains("--shapes"), "{bad}: {e}");
        }
    }

    fn row(shape: &str, logic: Option<u64>, tps: Option<f64>) -> Row {
        let t = Target::from_name("ice40-up5k").unwrap();
        let mut r = Row::new(1, 1, t);
        r.shape = shape.into();
        r.logic = logic;
        r.tokens_per_second = tps;
        r.status = "ok".into();
        r
    }

    #[test]
    fn pareto_front() {
        let mut rows = vec![
            row("a", Some(1000), Some(10.0)),
            row("b", Some(2000), Some(30.0)),
            row("c", Some(2500), Some(20.0)), // beaten by b
            row("d", Some(1000), Some(5.0)),  // beaten by a
            row("e", Some(4000), Some(30.0)), // beaten by b (same speed, more logic)
            row("f", None, None),
        ];
        mark_pareto(&mut rows);
        let front: Vec<&str> = rows
            .iter()
            .filter(|r| r.pareto)
            .map(|r| r.shape.as_str())
            .collect();
        assert_eq!(front, vec!["a", "b"]);
        let t = Target::from_name("ice40-up5k").unwrap();
        let s = plot(&rows, t, "t <1>").unwrap();
        assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
        // Five measured shapes; the two Pareto points red, the others blue.
        assert_eq!(s.matches("<circle").count(), 5);
        assert_eq!(s.matches("fill=\"#FF0000\"").count(), 2, "{s}");
        assert_eq!(s.matches("fill=\"#0000FF\"").count(), 3, "{s}");
        assert!(
            s.contains("t &lt;1&gt;") && s.contains("not plotted: f (ok)"),
            "{s}"
        );
        let c = csv(&rows);
        assert_eq!(c.lines().count(), 7);
    }
}
