//! nextpnr outputs: the `--report` JSON (serde) and the log (nom), for what
//! the JSON lacks or when nextpnr stopped before writing it (a design that
//! does not fit fails during placement, after the utilisation table).
//!
//! Formats checked on nextpnr-ice40 0.4 (Debian 12) and nextpnr-ecp5 0.11.1
//! (YoWASP); the fixtures in `tests/fixtures` are real outputs of both.

use std::collections::BTreeMap;

use nom::branch::alt;
use nom::bytes::complete::{tag, take_until, take_while1};
use nom::character::complete::{char, digit1, space0};
use nom::combinator::{map_res, opt};
use nom::number::complete::double;
use nom::sequence::{delimited, preceded, terminated, tuple};
use nom::IResult;
use serde::{Deserialize, Serialize};

/// The `--report` JSON.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Report {
    /// Clock net name -> achieved and constrained frequency (MHz), post route.
    #[serde(default)]
    pub fmax: BTreeMap<String, ClockFmax>,
    /// nextpnr cell type (ICESTORM_LC, TRELLIS_COMB, ...) -> used / available.
    #[serde(default)]
    pub utilization: BTreeMap<String, CellUse>,
    #[serde(default)]
    pub critical_paths: Vec<CriticalPath>,
}

/// Frequencies of one clock domain, MHz.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
pub struct ClockFmax {
    pub achieved: f64,
    pub constraint: f64,
}

/// Used and available count of one cell type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct CellUse {
    pub used: u64,
    pub available: u64,
}

/// One critical path of the report.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CriticalPath {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub path: Vec<PathSegment>,
}

/// One segment of a critical path: `type` is clk-to-q, logic, routing,
/// setup or source.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PathSegment {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub delay: f64,
    #[serde(default)]
    pub from: Option<PathPin>,
    #[serde(default)]
    pub to: Option<PathPin>,
    /// Net of a routing segment.
    #[serde(default)]
    pub net: Option<String>,
}

/// A cell pin on a critical path.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct PathPin {
    #[serde(default)]
    pub cell: String,
    #[serde(default)]
    pub port: String,
}

/// The design-level name behind a netlist name: yosys and nextpnr append
/// mapping suffixes (`_SB_LUT4_O_2_I3...`, `_LC`, `_TRELLIS_...`, `$...`,
/// `[3]`) to the signal a cell or net came from; cut them off.
pub fn signal_of(name: &str) -> &str {
    let mut end = name.len();
    for marker in [
        "_SB_",
        "_TRELLIS_",
        "_CCU2C",
        "_LUT4",
        "_DFF",
        "_LC",
        "_DP16KD",
        "_MULT18",
        "$",
        "[",
    ] {
        // From the second character: auto-names start with '$'.
        if let Some(i) = name.get(1..).and_then(|rest| rest.find(marker)) {
            end = end.min(i + 1);
        }
    }
    &name[..end]
}

impl Report {
    /// Parses the report text.
    pub fn parse(text: &str) -> Result<Report, serde_json::Error> {
        serde_json::from_str(text)
    }
}

impl CriticalPath {
    /// (logic, routing) ns; everything that is not routing counts as logic,
    /// as in nextpnr's own "x ns logic, y ns routing" line.
    pub fn split_ns(&self) -> (f64, f64) {
        let routing: f64 = self
            .path
            .iter()
            .filter(|s| s.kind == "routing")
            .map(|s| s.delay)
            .sum();
        let total: f64 = self.path.iter().map(|s| s.delay).sum();
        (total - routing, routing)
    }

    /// The design signals the path runs through, in order, each once in a
    /// row: where the path starts (the launching register), the nets it
    /// crosses, and the capturing cell.
    pub fn signals(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut push = |n: &str| {
            let s = signal_of(n);
            if !s.is_empty() && out.last().map(String::as_str) != Some(s) {
                out.push(s.to_string());
            }
        };
        if let Some(first) = self.path.first() {
            // clk-to-q: `to` is the launching cell.
            if let Some(p) = first.to.as_ref().or(first.from.as_ref()) {
                push(&p.cell);
            }
        }
        for seg in &self.path {
            if let Some(n) = &seg.net {
                push(n);
            }
        }
        if let Some(p) = self.path.last().and_then(|s| s.to.as_ref()) {
            push(&p.cell);
        }
        out
    }
}

/// A "Max frequency for clock" line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MaxFrequency {
    pub clock: String,
    pub mhz: f64,
    /// The target it was checked against, when printed.
    pub target_mhz: Option<f64>,
    /// PASS / FAIL, when printed.
    pub passed: Option<bool>,
}

/// What a critical path report is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PathDomain {
    /// Register to register within one clock.
    Clock { clock: String },
    /// Between clocks or to/from pins (`<async>`).
    CrossDomain { from: String, to: String },
}

/// Logic vs routing delay of one critical path ("x ns logic, y ns routing").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathSplit {
    pub domain: PathDomain,
    pub logic_ns: f64,
    pub routing_ns: f64,
}

/// What the log says.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Log {
    /// The last "Device utilisation" table, in printed order.
    pub utilisation: Vec<(String, CellUse)>,
    /// The last "Max frequency" line of each clock (the post-route one when
    /// routing finished), in order of first appearance.
    pub max_frequency: Vec<MaxFrequency>,
    /// Critical path splits printed after the last "Routing complete.".
    pub critical_paths: Vec<PathSplit>,
    /// "ERROR: ..." lines, without the prefix.
    pub errors: Vec<String>,
    /// Whether routing completed.
    pub routed: bool,
    /// "Program finished normally." seen.
    pub finished_normally: bool,
}

impl Log {
    /// Split of the worst register-to-register path of `clock`, if printed.
    pub fn clock_path(&self, clock: &str) -> Option<&PathSplit> {
        self.critical_paths
            .iter()
            .find(|p| matches!(&p.domain, PathDomain::Clock { clock: c } if c == clock))
    }
}

/// Line prefix nextpnr puts on everything it logs.
fn prefix(i: &str) -> IResult<&str, &str> {
    terminated(alt((tag("Info:"), tag("Warning:"), tag("ERROR:"))), space0)(i)
}

fn quoted(i: &str) -> IResult<&str, &str> {
    delimited(char('\''), take_until("'"), char('\''))(i)
}

fn uint(i: &str) -> IResult<&str, u64> {
    map_res(digit1, str::parse::<u64>)(i)
}

/// `Max frequency for clock 'clk': 21.62 MHz (FAIL at 100.00 MHz)`
fn max_frequency(i: &str) -> IResult<&str, MaxFrequency> {
    let (i, _) = tag("Max frequency for clock ")(i)?;
    // Clock names hold '$' and brackets but not "': ".
    let (i, clock) = preceded(char('\''), take_until("': "))(i)?;
    let (i, _) = tag("': ")(i)?;
    let (i, mhz) = terminated(double, tag(" MHz"))(i)?;
    let (i, verdict) = opt(tuple((
        tag(" ("),
        alt((tag("PASS"), tag("FAIL"))),
        tag(" at "),
        double,
        tag(" MHz)"),
    )))(i)?;
    Ok((
        i,
        MaxFrequency {
            clock: clock.to_string(),
            mhz,
            target_mhz: verdict.map(|v| v.3),
            passed: verdict.map(|v| v.1 == "PASS"),
        },
    ))
}

/// `ICESTORM_LC:    35/ 5280     0%` (after the prefix and tabs)
fn utilisation_row(i: &str) -> IResult<&str, (String, CellUse)> {
    let (i, name) = take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_')(i)?;
    let (i, _) = tuple((char(':'), space0))(i)?;
    let (i, used) = uint(i)?;
    let (i, _) = tuple((char('/'), space0))(i)?;
    let (i, available) = uint(i)?;
    let (i, _) = tuple((space0, digit1, char('%')))(i)?;
    Ok((i, (name.to_string(), CellUse { used, available })))
}

/// `Critical path report for clock 'X' (posedge -> posedge):` or
/// `Critical path report for cross-domain path 'A' -> 'B':`
fn critical_path_header(i: &str) -> IResult<&str, PathDomain> {
    let (i, _) = tag("Critical path report for ")(i)?;
    alt((
        |i| {
            let (i, clock) = preceded(tag("clock "), quoted)(i)?;
            Ok((
                i,
                PathDomain::Clock {
                    clock: clock.to_string(),
                },
            ))
        },
        |i| {
            let (i, (_, from, _, to)) =
                tuple((tag("cross-domain path "), quoted, tag(" -> "), quoted))(i)?;
            Ok((
                i,
                PathDomain::CrossDomain {
                    from: from.to_string(),
                    to: to.to_string(),
                },
            ))
        },
    ))(i)
}

/// `23.2 ns logic, 23.5 ns routing`
fn logic_routing(i: &str) -> IResult<&str, (f64, f64)> {
    let (i, logic) = terminated(double, tag(" ns logic, "))(i)?;
    let (i, routing) = terminated(double, tag(" ns routing"))(i)?;
    Ok((i, (logic, routing)))
}

/// Parses a whole nextpnr log. Unknown lines are skipped, so this never
/// fails; fields stay empty when the log lacks them.
pub fn parse_log(text: &str) -> Log {
    let mut log = Log::default();
    let mut in_table = false;
    let mut table: Vec<(String, CellUse)> = Vec::new();
    let mut domain: Option<PathDomain> = None;
    for raw in text.lines() {
        let line = raw.trim_end();
        let Ok((body, kind)) = prefix(line) else {
            if in_table {
                in_table = false;
                log.utilisation = std::mem::take(&mut table);
            }
            continue;
        };
        if kind == "ERROR:" {
            log.errors.push(body.to_string());
            continue;
        }
        if body == "Device utilisation:" {
            in_table = true;
            table.clear();
            continue;
        }
        if in_table {
            if let Ok((_, row)) = utilisation_row(body) {
                table.push(row);
                continue;
            }
            in_table = false;
            log.utilisation = std::mem::take(&mut table);
        }
        if body == "Routing complete." {
            log.routed = true;
            log.critical_paths.clear();
        } else if body == "Program finished normally." {
            log.finished_normally = true;
        } else if let Ok((_, f)) = max_frequency(body) {
            match log.max_frequency.iter_mut().find(|m| m.clock == f.clock) {
                Some(old) => *old = f,
                None => log.max_frequency.push(f),
            }
        } else if let Ok((_, d)) = critical_path_header(body) {
            domain = Some(d);
        } else if let Ok((_, (logic_ns, routing_ns))) = logic_routing(body) {
            if let Some(d) = domain.take() {
                log.critical_paths.push(PathSplit {
                    domain: d,
                    logic_ns,
                    routing_ns,
                });
            }
        }
    }
    if in_table {
        log.utilisation = table;
    }
    log
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_frequency_lines() {
        let (_, f) = max_frequency(
            "Max frequency for clock 'clk$SB_IO_IN_$glb_clk': 21.62 MHz (FAIL at 100.00 MHz)",
        )
        .unwrap();
        assert_eq!(f.clock, "clk$SB_IO_IN_$glb_clk");
        assert_eq!(f.mhz, 21.62);
        assert_eq!(f.target_mhz, Some(100.0));
        assert_eq!(f.passed, Some(false));
        let (_, f) =
            max_frequency("Max frequency for clock '$glbnet$clk': 131.56 MHz (PASS at 12.00 MHz)")
                .unwrap();
        assert_eq!(f.passed, Some(true));
        let (_, f) = max_frequency("Max frequency for clock 'a': 5.00 MHz").unwrap();
        assert_eq!(f.target_mhz, None);
    }

    #[test]
    fn rows_and_splits() {
        let (_, (name, u)) = utilisation_row("ICESTORM_LC:  8019/ 5280   151%").unwrap();
        assert_eq!(name, "ICESTORM_LC");
        assert_eq!((u.used, u.available), (8019, 5280));
        assert_eq!(
            logic_routing("7.38 ns logic, 5.37 ns routing").unwrap().1,
            (7.38, 5.37)
        );
        assert!(logic_routing("Max delay x").is_err());
    }

    #[test]
    fn last_values_win_and_errors_collected() {
        let log = "Info: Device utilisation:\n\
Info: \t         ICESTORM_LC:    35/ 5280     0%\n\
Info: \t        ICESTORM_RAM:     0/   30     0%\n\
\n\
Info: Max frequency for clock 'clk': 90.00 MHz (PASS at 12.00 MHz)\n\
Info: Routing complete.\n\
Info: Critical path report for clock 'clk' (posedge -> posedge):\n\
Info:  0.5  0.5  Source a.Q\n\
Info: 3.0 ns logic, 4.0 ns routing\n\
Info: Critical path report for cross-domain path '<async>' -> 'posedge clk':\n\
Info: 1.0 ns logic, 2.0 ns routing\n\
Warning: Max frequency for clock 'clk': 80.00 MHz (PASS at 12.00 MHz)\n\
ERROR: something broke\n";
        let p = parse_log(log);
        assert_eq!(p.utilisation.len(), 2);
        assert_eq!(p.max_frequency.len(), 1);
        assert_eq!(p.max_frequency[0].mhz, 80.0);
        assert!(p.routed);
        assert_eq!(p.critical_paths.len(), 2);
        assert_eq!(p.clock_path("clk").unwrap().routing_ns, 4.0);
        assert_eq!(p.errors, vec!["something broke".to_string()]);
        assert!(!p.finished_normally);
    }

    #[test]
    fn path_signals() {
        assert_eq!(signal_of("u_acc.ew0.fc_SB_LUT4_O_22_I3[0]"), "u_acc.ew0.fc");
        assert_eq!(
            signal_of("u_acc.post0.ctl5_SB_LUT4_I1_1_LC"),
            "u_acc.post0.ctl5"
        );
        assert_eq!(signal_of("$abc$123"), "$abc");
        let seg = |kind: &str, from: &str, to: &str, net: Option<&str>| PathSegment {
            kind: kind.into(),
            delay: 1.0,
            from: Some(PathPin {
                cell: from.into(),
                port: "O".into(),
            }),
            to: Some(PathPin {
                cell: to.into(),
                port: "I0".into(),
            }),
            net: net.map(str::to_string),
        };
        let p = CriticalPath {
            from: String::new(),
            to: String::new(),
            path: vec![
                seg("clk-to-q", "a_LC", "top.ctl_SB_DFF_LC", None),
                seg(
                    "routing",
                    "top.ctl_SB_DFF_LC",
                    "x",
                    Some("top.m.fc_SB_LUT4_O[1]"),
                ),
                seg("logic", "x", "x", None),
                seg("routing", "x", "y", Some("top.m.fc_SB_LUT4_O[2]")),
                seg("setup", "y", "top.m.q_SB_DFFE_Q", None),
            ],
        };
        assert_eq!(p.signals(), vec!["top.ctl", "top.m.fc", "top.m.q"]);
    }

    #[test]
    fn garbage_does_not_panic() {
        for s in [
            "",
            "\u{0}\u{1}",
            "Info: Max frequency for clock '",
            "Info: Device utilisation:\nInfo: X: 1/",
            "Info: 1.0 ns logic",
        ] {
            // Truncated lines are not half-parsed into numbers.
            assert_eq!(parse_log(s), Log::default(), "{s:?}");
        }
        let l = parse_log("ERROR: \u{0}bad\nInfo: Program finished normally.");
        assert_eq!(l.errors, ["\u{0}bad"]);
        assert!(l.finished_normally && !l.routed);
        assert!(Report::parse("{ not json").is_err());
        let r = Report::parse("{}").unwrap();
        assert!(r.fmax.is_empty());
    }
}
