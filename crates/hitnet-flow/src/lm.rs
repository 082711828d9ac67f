//! The language-model ends on the chip (`[lm]` in the config): their
//! plan, the design with `hitnet_lm` around the core, and the judgement
//! of the generated RTL or the synthesized netlist on a prompt (token
//! words through `sim/tb_hitnet_lm.v`, every token and cycle against the
//! cycle simulator and the golden model).
use crate::load::Planned;
use crate::{FlowError, Result};
use hitnet_arch::lm::LmPlan;
use hitnet_fpga::{Progress, Target};
use hitnet_model::lm::{LmEnds, TokenWord};
use hitnet_sim::Pattern;
use hitnet_verify::lm::{BenchSetup, LmReport, Simulator};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The integer ends and their plan.
pub struct Ends {
    pub ends: LmEnds,
    pub plan: LmPlan,
}

/// The ends the config's `[lm]` asks for (None without `[lm]`).
pub fn ends(p: &Planned) -> Result<Option<Ends>> {
    ends_for(&p.loaded, &p.plan)
}

/// [`ends`] of a model and its core's plan.
pub fn ends_for(loaded: &hitnet_model::Loaded, core: &hitnet_arch::Plan) -> Result<Option<Ends>> {
    let Some(s) = &loaded.config.lm else {
        return Ok(None);
    };
    let ends =
        LmEnds::from_model(&loaded.model, s.temperature, s.sample_seed).map_err(|source| {
            FlowError::Model {
                what: Some(format!("[lm] of {}", loaded.source)),
                source,
            }
        })?;
    let store = crate::ends::store(s.store_on(&loaded.config.hw.target), s.flash_offset);
    let plan = LmPlan::new(core, &ends, s.head_lanes)
        .and_then(|p| p.with_store(store))
        .map_err(|source| FlowError::Plan {
            what: format!("[lm] of {}", loaded.source),
            source,
        })?;
    Ok(Some(Ends { ends, plan }))
}

impl Ends {
    /// Cycles between two generated tokens in steady state (the port
    /// always ready): from the cycle simulator, which the bench reproduces
    /// to the cycle.
    pub fn cycles_per_token(&self, core: &hitnet_arch::Plan) -> u64 {
        let w = TokenWord::prompt(&[0], 3);
        let r = hitnet_sim::lm::run(
            core,
            &self.plan,
            &self.ends,
            &w,
            Pattern::Always,
            Pattern::Always,
        );
        r.answers[3].cycle - r.answers[2].cycle
    }

    /// The netlist check of a build's synthesized netlist (its kept
    /// `hitnet_lm`): `steps` steps, a two-token prompt then fed-back tokens.
    pub fn check_netlist(
        &self,
        loaded: &hitnet_model::Loaded,
        core: &hitnet_arch::Plan,
        net: &hitnet_verify::Netlist,
        steps: usize,
        work: &Path,
    ) -> Result<LmReport> {
        let v = self.ends.vocab();
        let prompt = [1 % v, v - 1];
        let words = TokenWord::prompt(&prompt, steps.saturating_sub(2));
        Ok(hitnet_verify::lm::verify_lm(
            &BenchSetup::always(net, work, Simulator::Icarus),
            core,
            &self.plan,
            &self.ends,
            &loaded.int,
            &words,
        )?)
    }
}

/// The design of the config: `hitnet_lm` around the core with `[lm]`,
/// `hitnet_cls` with `[classifier]`, else the core alone.
pub fn generate(
    p: &Planned,
    config: serde_json::Value,
    bram: hitnet_rtl::Bram,
    deployable: bool,
) -> Result<hitnet_rtl::Design> {
    if let Some(e) = ends(p)? {
        return Ok(hitnet_rtl::lm::generate(
            &p.plan, &e.plan, config, bram, deployable,
        ));
    }
    Ok(match crate::cls::ends_for(&p.loaded, &p.plan)? {
        Some(e) => hitnet_rtl::cls::generate(&p.plan, &e.plan, config, bram, deployable),
        None => hitnet_rtl::generate_for(&p.plan, config, bram, deployable),
    })
}

/// Which artefact a generation run judges.
pub use crate::ends::Stage as LmStage;

/// A generation run.
pub struct GenJob<'a> {
    pub planned: &'a Planned,
    pub ends: &'a Ends,
    pub target: &'static Target,
    pub stage: LmStage,
    pub prompt: &'a str,
    /// Tokens generated after the prompt (the last prompt step's choice is
    /// the first).
    pub chars: usize,
    pub out: &'a Path,
    pub config: serde_json::Value,
    pub progress: Progress,
}

/// What a generation run found.
#[derive(Debug, Clone, Serialize)]
pub struct Generated {
    pub stage: LmStage,
    pub target: String,
    pub prompt: String,
    /// The generated text (the golden model's; the report says whether the
    /// judged artefact produced the same tokens at the same cycles).
    pub text: String,
    pub temperature: f64,
    pub sample_seed: u64,
    pub design_sha256: String,
    /// Cycles per generated token in the judged run (the last token's
    /// handshake over the tokens).
    pub cycles_per_token: f64,
    pub report: LmReport,
    #[serde(flatten)]
    pub artefact: crate::ends::Artefact,
    pub out: PathBuf,
}

impl Generated {
    pub fn text_summary(&self) -> String {
        let r = &self.report;
        let mut s = format!(
            "{} ({}): {:?} -> {:?}\n{} tokens, {:.1} cycles per token; {} in {:?}\n",
            match self.stage {
                LmStage::Rtl => "RTL (Verilator)",
                LmStage::Synth => "netlist",
            },
            self.target,
            self.prompt,
            self.text,
            r.tokens,
            self.cycles_per_token,
            r.verdict.line(),
            r.simulator
        );
        if let Some(c) = &self.artefact.cells {
            s.push_str(&format!(
                "synthesized {} in {:.0} s ({}): {:?}\n",
                self.artefact.netlist_top.as_deref().unwrap_or("hitnet_lm"),
                self.artefact.synth_seconds.unwrap_or(0.0),
                self.artefact.yosys_version.as_deref().unwrap_or("yosys"),
                c
            ));
        }
        for m in &r.verdict.first_mismatches {
            s.push_str(&format!("  {m}\n"));
        }
        s
    }
}

/// Generates the design into `out/gen`, builds the artefact the stage
/// needs and runs the prompt through it.
pub fn verify(job: &GenJob) -> Result<Generated> {
    let p = job.planned;
    let e = job.ends;
    let toks = prompt_tokens(job)?;
    let bram = crate::bram_for_target(job.target.name);
    let design = hitnet_rtl::lm::generate(&p.plan, &e.plan, job.config.clone(), bram, false);
    let j = crate::ends::judged(
        &design,
        job.stage,
        hitnet_fpga::accel::EndsKind::Lm,
        hitnet_rtl::lm::LM_TOP,
        job.target,
        p.loaded.config.hw.clock_mhz,
        job.out,
        &job.progress,
    )?;
    let words = TokenWord::prompt(&toks, job.chars - 1);
    let report = hitnet_verify::lm::verify_lm(
        &BenchSetup::always(&j.net, &j.work, job.stage.simulator()),
        &p.plan,
        &e.plan,
        &e.ends,
        &p.loaded.int,
        &words,
    )?;
    let n = toks.len();
    let text = e.ends.decode(&report.golden[n - 1..]);
    let s = p.loaded.config.lm.clone().unwrap_or_default();
    Ok(Generated {
        stage: job.stage,
        target: job.target.name.to_string(),
        prompt: job.prompt.to_string(),
        text,
        temperature: s.temperature,
        sample_seed: s.sample_seed,
        design_sha256: design.sha256(),
        cycles_per_token: report.verdict.bench_cycles as f64 / report.tokens.max(1) as f64,
        report,
        artefact: j.artefact,
        out: job.out.to_path_buf(),
    })
}

/// The prompt's token ids, or why not.
fn prompt_tokens(job: &GenJob) -> Result<Vec<usize>> {
    let e = job.ends;
    let toks = e.ends.encode(job.prompt).map_err(|ch| {
        FlowError::Input(format!(
            "--generate: {ch:?} is not in the model's vocabulary ({} tokens); use only characters the model was trained on",
            e.ends.vocab()
        ))
    })?;
    if toks.is_empty() {
        return Err(FlowError::Input(
            "--generate: the prompt is empty; give at least one character".into(),
        ));
    }
    if job.chars == 0 || job.chars > 1 << hitnet_arch::lm::FEED_BITS {
        return Err(FlowError::Input(format!(
            "--chars {}: give 1 to {}",
            job.chars,
            1 << hitnet_arch::lm::FEED_BITS
        )));
    }
    Ok(toks)
}

/// What a routed generation run found.
#[derive(Debug, Clone, Serialize)]
pub struct GeneratedRouted {
    #[serde(flatten)]
    pub build: RoutedBuild,
    pub prompt: String,
    pub text: String,
    pub temperature: f64,
    pub sample_seed: u64,
    pub report: hitnet_verify::lm::LmRoutedReport,
}

/// The board build a routed run of model ends judged.
#[derive(Debug, Clone, Serialize)]
pub struct RoutedBuild {
    pub stage: &'static str,
    pub target: String,
    pub board: String,
    pub design_sha256: String,
    /// The board top and its sources' hash (hitnet_fpga::accel::wrapper_sha256_for).
    pub wrapper: &'static str,
    pub top: String,
    pub wrapper_sha256: Option<String>,
    pub out: PathBuf,
}

impl RoutedBuild {
    /// The board top of `ends` on `target`, its design `sha`, in `out`.
    pub(crate) fn new(
        target: &'static Target,
        board: &hitnet_fpga::Board,
        ends: hitnet_fpga::accel::EndsKind,
        sha: String,
        out: &Path,
    ) -> RoutedBuild {
        RoutedBuild {
            stage: "routed",
            target: target.name.to_string(),
            board: board.name.to_string(),
            design_sha256: sha,
            wrapper: "uart",
            top: board.top.to_string(),
            wrapper_sha256: hitnet_fpga::accel::wrapper_sha256_for(
                hitnet_fpga::WrapperKind::Uart,
                target,
                ends,
            )
            .ok(),
            out: out.to_path_buf(),
        }
    }
}

impl GeneratedRouted {
    pub fn text_summary(&self) -> String {
        format!(
            "routed ({} on {}): {:?} -> {:?}\n{} words, {} tokens; {}",
            self.build.board,
            self.build.target,
            self.prompt,
            self.text,
            self.report.words,
            self.report.tokens,
            self.report.verdict.summary()
        )
    }
}

/// The ends' board top placed and routed (or, with `built`, the build in
/// `job.out` as `hitnet synth` left it), simulated at its serial pins with
/// the cell models against the RTL chip (every byte on the same cycle)
/// and the golden model.
pub fn verify_routed(job: &GenJob, built: bool) -> Result<GeneratedRouted> {
    let p = job.planned;
    let e = job.ends;
    let toks = prompt_tokens(job)?;
    let board = hitnet_fpga::accel::lm_board(job.target)?;
    let (sha, wrapped, yosys) = crate::ends::routed_design(
        |bram, deployable| {
            hitnet_rtl::lm::generate(&p.plan, &e.plan, job.config.clone(), bram, deployable)
        },
        job.target,
        job.out,
        p.loaded.config.hw.clock_mhz,
        built,
        &job.progress,
    )?;
    let words = TokenWord::prompt(&toks, job.chars - 1);
    let report = hitnet_verify::lm::verify_lm_routed_build(
        &p.loaded.int,
        &e.ends,
        &e.plan,
        &words,
        job.target,
        &yosys,
        job.out,
        &wrapped,
    )?;
    let n = toks.len();
    let text = e.ends.decode(&report.golden[n - 1..]);
    let s = p.loaded.config.lm.clone().unwrap_or_default();
    Ok(GeneratedRouted {
        build: RoutedBuild::new(
            job.target,
            &board,
            hitnet_fpga::accel::EndsKind::Lm,
            sha,
            job.out,
        ),
        prompt: job.prompt.to_string(),
        text,
        temperature: s.temperature,
        sample_seed: s.sample_seed,
        report,
    })
}
