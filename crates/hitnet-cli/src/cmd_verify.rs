//! `hitnet verify`: the synthesized netlist that goes on to place and
//! route (`--stage synth`), or the placed and routed design (`--stage
//! routed`), simulated with the vendor cell models against the cycle
//! simulator and the golden model (hitnet_flow::verify).
use crate::common::{self, flow_error};
use anyhow::Result;
use hitnet_flow::ends::Stage as EndsStage;
use hitnet_flow::verify::{Job, Stage};
use hitnet_verify::VerifyError;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub design: crate::args::DesignArgs,
    /// Which artefact to judge: the Yosys netlist (synth) or the routed
    /// design; with --generate, rtl (the generated Verilog) or synth.
    #[arg(long, default_value = "synth")]
    pub stage: String,
    /// Run the language-model ends (`[lm]` in the config) on this prompt
    /// and judge every generated token and its cycle.
    #[arg(long, value_name = "PROMPT")]
    pub generate: Option<String>,
    /// Tokens to generate after the prompt (with --generate).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub chars: u32,
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub tokens: u64,
    /// Run the classifier ends (`[classifier]` in the config) on this UEA
    /// `.ts` test split and judge every class, logit and cycle (--stage
    /// rtl, synth or routed); reports the accuracy as the hardware answers.
    #[arg(long, value_name = "TEST.ts", conflicts_with = "generate")]
    pub classify: Option<PathBuf>,
    /// With --classify: the first N sequences only (a netlist in Icarus
    /// runs about 200 cycles a second on the UP5K build).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub sequences: Option<u64>,
    /// With --classify: each sequence cut to its first N frames (at the
    /// routed design's serial pins a frame takes 1 + 2 x channels bytes, a
    /// BasicMotions frame 13,500 cycles at 12 MHz; Icarus runs the routed
    /// UP5K netlist at a few hundred cycles a second).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub frames: Option<u64>,
    #[command(flatten)]
    pub stimulus: crate::args::StimulusArgs,
    /// Build folder (default: build/verify-<target>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// uart: the board's UART top; char: the characterization wrapper.
    #[arg(long)]
    pub wrapper: Option<String>,
    /// Where to write a VCD around the first mismatch.
    #[arg(long)]
    pub vcd: Option<PathBuf>,
    #[command(flatten)]
    pub exec: crate::args::ExecutorArgs,
    /// Judge the build folder --out as it is (e.g. one `hitnet deploy`
    /// wrote): run no flow step; it must hold this config's design.
    #[arg(long)]
    pub built: bool,
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn verify_error(e: VerifyError) -> anyhow::Error {
    match e {
        VerifyError::Missing(m) => common::bad_input(m),
        other => anyhow::Error::new(other),
    }
}

pub fn run(a: Args) -> Result<ExitCode> {
    if let Some(v) = &a.vcd {
        common::check_output_file(v, "--vcd")?;
    }
    let pl = common::load_plan(a.design.cfg.config.as_deref())?;
    let target = common::fpga_target(a.design.target.as_deref(), &pl.loaded)?;
    if let Some(prompt) = &a.generate {
        return generate(&a, &pl, target, prompt);
    }
    if let Some(ts) = &a.classify {
        return classify(&a, &pl, target, ts);
    }
    let stage = Stage::parse(&a.stage).map_err(common::bad_input)?;
    let wrapper = hitnet_flow::wrapper_kind(a.wrapper.as_deref(), target).map_err(flow_error)?;
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("build").join(format!("verify-{}", target.name)));
    let job = Job {
        loaded: &pl.loaded,
        plan: &pl.plan,
        target,
        wrapper,
        stage,
        out: &out,
        stimulus: a.stimulus.spec(
            a.tokens,
            a.vcd
                .clone()
                .unwrap_or_else(|| out.join("verify_mismatch.vcd")),
        ),
        progress: hitnet_fpga::Progress::Stderr,
        executor: a.exec.executor(),
        built: a.built,
    };
    let v = hitnet_flow::verify::run(&job).map_err(flow_error)?;
    let model = common::model_line(&pl.loaded);
    common::emit(a.json, &v.json(), || {
        format!("model:   {model}\n{}", v.text(&job))
    })?;
    let (mismatches, first) = v.mismatches();
    common::verdict(stage.verification(), v.bit_exact(), mismatches, first)
}

/// `--classify`: the classifier ends' RTL or netlist on a test split
/// (hitnet_flow::cls).
fn classify(
    a: &Args,
    pl: &hitnet_flow::load::Planned,
    target: &'static hitnet_fpga::Target,
    ts: &std::path::Path,
) -> Result<ExitCode> {
    let stage = ends_stage(a, "--classify")?;
    let Some(ends) = hitnet_flow::cls::ends_for(&pl.loaded, &pl.plan).map_err(flow_error)? else {
        return Err(common::bad_input(format!(
            "--classify: {} has no [classifier] section; add one to put the classifier's ends on the chip",
            hitnet_flow::load::config_name(a.design.cfg.config.as_deref())
        )));
    };
    let c = &ends.classifier;
    let reference = hitnet_train::uea::TsDataset {
        problem: String::new(),
        channels: c.input.channels,
        classes: c.head.classes.clone(),
        series: Vec::new(),
    };
    let file = ts.display().to_string();
    let test = hitnet_train::uea::read_ts(ts)
        .and_then(|d| d.aligned_to(&reference, &file))
        .map_err(|e| common::bad_input(e.to_string()))?;
    let n = a.sequences.map_or(test.series.len(), |n| n as usize);
    let series = &test.series[..n.min(test.series.len())];
    let sequences: Vec<Vec<Vec<i32>>> = series
        .iter()
        .map(|s| {
            let n = a.frames.map_or(s.values.len(), |n| n as usize);
            s.values
                .iter()
                .take(n)
                .map(|f| c.input.samples(f))
                .collect()
        })
        .collect();
    let labels: Vec<usize> = series.iter().map(|s| s.label).collect();
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("build").join(format!("classify-{}", target.name)));
    let job = hitnet_flow::cls::VerifyJob {
        planned: pl,
        ends: &ends,
        target,
        stage: EndsStage::Rtl,
        sequences: &sequences,
        labels: &labels,
        out: &out,
        config: common::config_json(&pl.loaded),
        progress: hitnet_fpga::Progress::Stderr,
    };
    let model = common::model_line(&pl.loaded);
    let header = format!("model:   {model}\ntest:    {file}\n");
    let Some(stage) = stage else {
        let g = hitnet_flow::cls::verify_routed(&job, a.built).map_err(flow_error)?;
        emit_text(a, &g, &header, g.text_summary())?;
        return routed_verdict("classifier ends", &g.report.verdict);
    };
    let job = hitnet_flow::cls::VerifyJob { stage, ..job };
    let g = hitnet_flow::cls::verify(&job).map_err(flow_error)?;
    emit_text(a, &g, &header, g.text_summary())?;
    ends_verdict("classifier ends", stage, g.bit_exact(), &g.report.verdict)
}

/// `--generate`: the ends' RTL or netlist on a prompt (hitnet_flow::lm).
fn generate(
    a: &Args,
    pl: &hitnet_flow::load::Planned,
    target: &'static hitnet_fpga::Target,
    prompt: &str,
) -> Result<ExitCode> {
    let stage = ends_stage(a, "--generate")?;
    let Some(ends) = hitnet_flow::lm::ends(pl).map_err(flow_error)? else {
        return Err(common::bad_input(format!(
            "--generate: {} has no [lm] section; add one (head_lanes, temperature, sample_seed) to put the language model's ends on the chip",
            hitnet_flow::load::config_name(a.design.cfg.config.as_deref())
        )));
    };
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("build").join(format!("generate-{}", target.name)));
    let job = hitnet_flow::lm::GenJob {
        planned: pl,
        ends: &ends,
        target,
        stage: stage.unwrap_or(EndsStage::Synth),
        prompt,
        chars: a.chars as usize,
        out: &out,
        config: common::config_json(&pl.loaded),
        progress: hitnet_fpga::Progress::Stderr,
    };
    let model = common::model_line(&pl.loaded);
    let header = format!("model:   {model}\n");
    let Some(stage) = stage else {
        let g = hitnet_flow::lm::verify_routed(&job, a.built).map_err(flow_error)?;
        emit_text(a, &g, &header, g.text_summary())?;
        return routed_verdict("language-model ends", &g.report.verdict);
    };
    let g = hitnet_flow::lm::verify(&job).map_err(flow_error)?;
    emit_text(a, &g, &header, g.text_summary())?;
    ends_verdict(
        "language-model ends",
        stage,
        g.report.ok(),
        &g.report.verdict,
    )
}

/// The ends' `--stage`: rtl or synth, or None for routed. `--built` with
/// rtl or synth would be ignored (those stages generate, and synthesize,
/// the config's ends afresh): refused.
fn ends_stage(a: &Args, flag: &str) -> Result<Option<EndsStage>> {
    let stage = match a.stage.as_str() {
        "rtl" => Some(EndsStage::Rtl),
        "synth" => Some(EndsStage::Synth),
        "routed" => None,
        s => {
            return Err(common::bad_input(format!(
                "--stage {s:?}: with {flag}, rtl, synth or routed"
            )))
        }
    };
    ends_built_stage(a, flag, stage.is_some())?;
    Ok(stage)
}

/// The report as JSON, or `header` then `text`.
fn emit_text(a: &Args, report: &impl serde::Serialize, header: &str, text: String) -> Result<()> {
    common::emit(a.json, report, || format!("{header}{text}"))
}

/// The exit of a routed run of the ends (`what`, e.g. "classifier ends").
fn routed_verdict(what: &str, r: &hitnet_verify::board::BytesVerdict) -> Result<ExitCode> {
    common::verdict(
        &format!("routed verification of the {what}"),
        r.bit_exact,
        r.problems(),
        r.first.clone(),
    )
}

/// The exit of an RTL or netlist run of the ends.
fn ends_verdict(
    what: &str,
    stage: EndsStage,
    ok: bool,
    v: &hitnet_verify::ends::EndsVerdict,
) -> Result<ExitCode> {
    let artefact = match stage {
        EndsStage::Rtl => "RTL",
        EndsStage::Synth => "netlist",
    };
    common::verdict(
        &format!("{artefact} verification of the {what}"),
        ok,
        v.problems(),
        v.first_mismatches.first().cloned(),
    )
}

/// `--built` with the ends' `--stage rtl|synth` would be ignored (those
/// stages generate, and synthesize, the config's ends afresh): refused.
fn ends_built_stage(a: &Args, flag: &str, not_routed: bool) -> Result<()> {
    if a.built && not_routed {
        return Err(common::bad_input(format!(
            "--built with {flag} goes with --stage routed (it judges the build folder's routed chip); --stage {} generates the config's ends afresh, so drop --built",
            a.stage
        )));
    }
    Ok(())
}
