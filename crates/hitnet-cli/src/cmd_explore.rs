//! `hitnet explore`: synthesizes one config at several array shapes, each
//! in its own build folder, in parallel; writes a Markdown and a CSV table
//! and an SVG plot of tokens/s against logic use with the Pareto front.
use crate::cmd_synth::{self, Job};
use crate::common;
use anyhow::Result;
use hitnet_fpga::{Progress, Target, WrapperKind};
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Config file (TOML); the built-in default config when absent.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// FPGA target (default: hw.target of the config).
    #[arg(long)]
    pub target: Option<String>,
    /// Array shapes ROWSxCOLS, comma-separated: 8x8,8x16,16x16.
    #[arg(long)]
    pub shapes: String,
    /// Builds run at the same time (each runs yosys, then nextpnr).
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Folder for the tables, the plot and one build folder per shape
    /// (default: build/explore-<target>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// uart or char (default: uart where the target has a board).
    #[arg(long)]
    pub wrapper: Option<String>,
    /// Timing target for place and route in MHz (default: hw.clock_mhz).
    #[arg(long)]
    pub clock_mhz: Option<f64>,
    /// Also write bitstreams (off by default: the sweep measures).
    #[arg(long)]
    pub bitstream: bool,
    /// Print one JSON object (every shape) instead of the Markdown table.
    #[arg(long)]
    pub json: bool,
}

/// "8x16" -> (8, 16).
pub(crate) fn parse_shapes(s: &str) -> Result<Vec<(usize, usize)>> {
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
                return Err(common::bad_input(format!(
                    "invalid value for `--shapes`: '{part}' is not ROWSxCOLS with positive numbers (e.g. 8x16)"
                )))
            }
        }
    }
    if out.is_empty() {
        return Err(common::bad_input(
            "invalid value for `--shapes`: no shape given (e.g. --shapes 8x8,8x16)",
        ));
    }
    Ok(out)
}

/// One row of the result table.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct Row {
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
    fn new(r: usize, c: usize, target: &Target) -> Row {
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
    fn point(&self) -> Option<(f64, f64)> {
        Some((self.logic? as f64, self.tokens_per_second?))
    }
}

/// Marks the rows no other row beats on both logic (fewer) and tokens/s
/// (more).
pub(crate) fn mark_pareto(rows: &mut [Row]) {
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

fn markdown(rows: &[Row], target: &Target, model: &str, yosys: &str) -> String {
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

fn csv(rows: &[Row]) -> String {
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

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A "nice" axis step (1, 2 or 5 times a power of ten) for about 5 ticks.
fn nice_step(max: f64) -> f64 {
    let raw = (max / 5.0).max(1e-9);
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p)
}

fn tick_label(v: f64) -> String {
    if v >= 1e6 {
        format!("{}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{}k", v / 1e3)
    } else {
        format!("{v}")
    }
}

/// Scatter plot of tokens/s against logic use; Pareto points in red,
/// joined by a staircase; the device capacity as a dashed line.
pub(crate) fn svg(rows: &[Row], target: &Target, title: &str) -> String {
    let (w, h) = (640.0, 420.0);
    let (l, r, t, b) = (80.0, 30.0, 40.0, 60.0);
    let pts: Vec<(&Row, (f64, f64))> = rows.iter().filter_map(|r| Some((r, r.point()?))).collect();
    let xmax = pts
        .iter()
        .map(|p| p.1 .0)
        .fold(target.capacity.logic as f64, f64::max)
        * 1.05;
    let ymax = pts.iter().map(|p| p.1 .1).fold(1.0, f64::max) * 1.15;
    let (xs, ys) = (nice_step(xmax), nice_step(ymax));
    let px = |x: f64| l + (w - l - r) * x / xmax;
    let py = |y: f64| h - b - (h - t - b) * y / ymax;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(s, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">{}</text>",
        w / 2.0,
        xml_escape(title)
    );
    // Grid and ticks.
    let mut x = 0.0;
    while x <= xmax {
        let _ = writeln!(
            s,
            "<line x1=\"{0:.1}\" y1=\"{1}\" x2=\"{0:.1}\" y2=\"{2}\" stroke=\"#eee\"/><text x=\"{0:.1}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>",
            px(x),
            t,
            h - b,
            h - b + 16.0,
            tick_label(x)
        );
        x += xs;
    }
    let mut y = 0.0;
    while y <= ymax {
        let _ = writeln!(
            s,
            "<line x1=\"{0}\" y1=\"{1:.1}\" x2=\"{2}\" y2=\"{1:.1}\" stroke=\"#eee\"/><text x=\"{3}\" y=\"{4:.1}\" text-anchor=\"end\">{5}</text>",
            l,
            py(y),
            w - r,
            l - 6.0,
            py(y) + 4.0,
            tick_label(y)
        );
        y += ys;
    }
    let _ = writeln!(
        s,
        "<line x1=\"{l}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"black\"/><line x1=\"{l}\" y1=\"{t}\" x2=\"{l}\" y2=\"{0}\" stroke=\"black\"/>",
        h - b,
        w - r
    );
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{} used ({} {})</text>",
        (l + w - r) / 2.0,
        h - 18.0,
        target.logic_kind,
        target.name,
        target.device
    );
    let _ = writeln!(
        s,
        "<text transform=\"translate(18 {}) rotate(-90)\" text-anchor=\"middle\">tokens per second at post-route Fmax</text>",
        (t + h - b) / 2.0
    );
    let cap = px(target.capacity.logic as f64);
    let _ = writeln!(
        s,
        "<line x1=\"{cap:.1}\" y1=\"{t}\" x2=\"{cap:.1}\" y2=\"{}\" stroke=\"#888\" stroke-dasharray=\"4 3\"/><text x=\"{:.1}\" y=\"{}\" text-anchor=\"end\" fill=\"#666\">capacity {}</text>",
        h - b,
        cap - 4.0,
        t + 12.0,
        target.capacity.logic
    );
    // Pareto staircase, in order of logic use.
    let mut front: Vec<(f64, f64)> = pts.iter().filter(|p| p.0.pareto).map(|p| p.1).collect();
    front.sort_by(|a, b| a.0.total_cmp(&b.0));
    if front.len() > 1 {
        let mut d = format!("M {:.1} {:.1}", px(front[0].0), py(front[0].1));
        for p in &front[1..] {
            let _ = write!(d, " H {:.1} V {:.1}", px(p.0), py(p.1));
        }
        let _ = writeln!(
            s,
            "<path d=\"{d}\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.5\"/>"
        );
    }
    for (row, (x, y)) in &pts {
        let (fill, rad) = if row.pareto {
            ("#d62728", 5.0)
        } else {
            ("#1f77b4", 4.0)
        };
        let _ = writeln!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{rad}\" fill=\"{fill}\"><title>{} {}: {x} {}, {y:.0} tokens/s</title></circle><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            px(*x),
            py(*y),
            row.shape,
            row.status,
            target.logic_kind,
            px(*x) + 7.0,
            py(*y) - 6.0,
            row.shape
        );
    }
    let missing: Vec<String> = rows
        .iter()
        .filter(|r| r.point().is_none())
        .map(|r| format!("{} ({})", r.shape, r.status))
        .collect();
    let legend = if missing.is_empty() {
        "red: Pareto front".to_string()
    } else {
        format!("red: Pareto front; not plotted: {}", missing.join(", "))
    };
    let _ = writeln!(
        s,
        "<text x=\"{l}\" y=\"{}\" fill=\"#444\">{}</text>",
        h - 2.0,
        xml_escape(&legend)
    );
    s.push_str("</svg>\n");
    s
}

struct Shared<'a> {
    queue: Mutex<VecDeque<usize>>,
    rows: Mutex<Vec<Row>>,
    loaded: &'a hitnet_model::Loaded,
    target: &'static Target,
    wrapper: WrapperKind,
    out: &'a Path,
    clock: f64,
    bitstream: bool,
    multi: indicatif::MultiProgress,
    overall: indicatif::ProgressBar,
}

fn build_one(sh: &Shared, i: usize) {
    let (r, c) = {
        let rows = sh.rows.lock().unwrap_or_else(|e| e.into_inner());
        (rows[i].rows, rows[i].cols)
    };
    let mut row = Row::new(r, c, sh.target);
    let shape = hitnet_arch::Shape {
        rows: r,
        cols: c,
        lanes: None,
    };
    match hitnet_arch::Plan::new(&sh.loaded.int, shape) {
        Err(e) => {
            row.status = "cannot plan".into();
            row.detail = e.to_string();
        }
        Ok(plan) => {
            row.lanes = Some(plan.lanes);
            row.cycles_per_token = Some(plan.cycles.per_token);
            let dir = sh.out.join(&row.shape);
            let mut config_json = common::config_json(sh.loaded);
            config_json["hw"]["rows"] = r.into();
            config_json["hw"]["cols"] = c.into();
            // The plan chose the lanes, as for a config without post_lanes:
            // `hitnet report --config` on such a config finds this run.
            if let Some(hw) = config_json["hw"].as_object_mut() {
                hw.remove("post_lanes");
            }
            let job = Job {
                loaded: sh.loaded,
                plan: &plan,
                config_json,
                target: sh.target,
                wrapper: sh.wrapper,
                out: &dir,
                clock_mhz: sh.clock,
                bitstream: sh.bitstream,
                progress: Progress::Multi(sh.multi.clone()),
                seed: 1,
                // A sweep ranks shapes; `hitnet synth` verifies the one built.
                verify_tokens: 0,
            };
            row.build_dir = Some(dir.clone());
            match cmd_synth::prepare_out(&dir).and_then(|_| cmd_synth::run_job(&job)) {
                Err(e) => {
                    row.status = "failed".into();
                    row.detail = common::one_line(&e);
                }
                Ok(o) => {
                    let rep = &o.report;
                    let used = |k: &str| rep.utilization.get(k).map(|u| u.used);
                    row.logic = used("logic");
                    row.ff = used("ff");
                    row.bram = used("bram");
                    row.dsp = used("dsp");
                    if rep.fits {
                        row.fmax_mhz = rep.fmax_mhz;
                        row.tokens_per_second = o.tokens_per_second;
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
        }
    }
    sh.overall.inc(1);
    sh.rows.lock().unwrap_or_else(|e| e.into_inner())[i] = row;
}

pub fn run(a: Args) -> Result<ExitCode> {
    let shapes = parse_shapes(&a.shapes)?;
    if a.jobs == 0 {
        return Err(common::bad_input("invalid value for `--jobs`: at least 1"));
    }
    let loaded = common::load_model(a.config.as_deref())?;
    let target = common::fpga_target(a.target.as_deref(), &loaded)?;
    let wrapper = cmd_synth::wrapper_kind(a.wrapper.as_deref(), target)?;
    let clock = cmd_synth::check_clock(a.clock_mhz.unwrap_or(loaded.config.hw.clock_mhz))?;
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| Path::new("build").join(format!("explore-{}", target.name)));
    cmd_synth::prepare_out(&out)?;
    // A missing tool would fail every shape the same way: say it once.
    let tools = target.toolchain();
    for t in [&tools.yosys, &tools.nextpnr] {
        hitnet_fpga::tools::require(t).map_err(common::fpga_error)?;
    }

    let multi = indicatif::MultiProgress::new();
    let overall = multi.add(common::bar(shapes.len() as u64, "shapes"));
    let shared = Shared {
        queue: Mutex::new((0..shapes.len()).collect()),
        rows: Mutex::new(
            shapes
                .iter()
                .map(|&(r, c)| Row::new(r, c, target))
                .collect(),
        ),
        loaded: &loaded,
        target,
        wrapper,
        out: &out,
        clock,
        bitstream: a.bitstream,
        multi,
        overall,
    };
    std::thread::scope(|s| {
        for _ in 0..a.jobs.min(shapes.len()) {
            s.spawn(|| loop {
                let next = shared
                    .queue
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .pop_front();
                match next {
                    Some(i) => build_one(&shared, i),
                    None => break,
                }
            });
        }
    });
    shared.overall.finish_and_clear();
    let mut rows = shared.rows.into_inner().unwrap_or_else(|e| e.into_inner());
    mark_pareto(&mut rows);

    // Tool versions from any finished run (all shapes use the same tools).
    let yosys = rows
        .iter()
        .filter_map(|r| r.build_dir.as_ref())
        .find_map(|d| hitnet_fpga::read_synth_report(d).ok())
        .map(|r| {
            format!(
                "Yosys {} ({}), nextpnr {} ({}), timing target {clock} MHz, wrapper {}",
                r.yosys_version,
                r.yosys_tool,
                r.nextpnr_version.as_deref().unwrap_or("?"),
                r.nextpnr_tool,
                wrapper.name()
            )
        })
        .unwrap_or_else(|| "No shape was synthesized".into());
    let model = common::model_line(&loaded);
    let md = markdown(&rows, target, &model, &yosys);
    let title = format!(
        "{} {}x{} on {}: tokens/s vs {}",
        loaded.model.cell.name().to_uppercase(),
        loaded.model.input_size,
        loaded.model.hidden_size,
        target.name,
        target.logic_kind
    );
    let files = [
        ("explore.md", md.clone()),
        ("explore.csv", csv(&rows)),
        ("explore.svg", svg(&rows, target, &title)),
        (
            "explore.json",
            serde_json::to_string_pretty(&serde_json::json!({
                "target": target.name, "model": common::model_json(&loaded),
                "clock_mhz_target": clock, "wrapper": wrapper.name(), "tools": yosys, "shapes": rows,
            }))? + "\n",
        ),
    ];
    for (name, text) in &files {
        let p = out.join(name);
        std::fs::write(&p, text)
            .map_err(|e| common::bad_input(format!("cannot write {}: {e}", p.display())))?;
    }
    if a.json {
        common::print_json(&serde_json::json!({
            "target": target.name,
            "out": out,
            "shapes": rows,
            "tools": yosys,
            "files": files.iter().map(|(n, _)| out.join(n)).collect::<Vec<_>>(),
        }))?;
    } else {
        crate::out!("{md}");
        crate::outln!(
            "\nwrote {}/explore.{{md,csv,svg,json}}; one build folder per shape",
            out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
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
        let s = svg(&rows, t, "t <1>");
        assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
        assert_eq!(s.matches("<circle").count(), 5);
        assert_eq!(s.matches("fill=\"#d62728\"").count(), 2);
        assert!(s.contains("t &lt;1&gt;") && s.contains("not plotted: f (ok)"));
        let c = csv(&rows);
        assert_eq!(c.lines().count(), 7);
    }

    #[test]
    fn axis_steps() {
        assert_eq!(nice_step(5280.0), 2000.0);
        assert_eq!(nice_step(100.0), 20.0);
        assert_eq!(tick_label(200000.0), "200k");
    }
}
