//! Every cycles-per-token figure the README quotes, exactly, on its config
//! (the benchmark configs in fpga/configs are planned here too). A schedule
//! change fails this test and so forces the README to be updated with it.
use hitnet_arch::{Plan, Shape};
use hitnet_model::config::{CellKind, Config};

fn plan_of(cfg: &Config) -> Plan {
    let loaded = hitnet_model::load(cfg).expect("model");
    Plan::new(&loaded.int, Shape::of(&cfg.hw)).expect("plan")
}

fn config_file(name: &str) -> Config {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fpga/configs")
        .join(name);
    Config::load(&p).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn readme_cycle_figures() {
    // README: "default LSTM 64/64 on 8 x 16 | 286 vs bound 256".
    let up5k = plan_of(&config_file("up5k-lstm64.toml"));
    assert_eq!(up5k.cycles.per_token, 286);
    assert_eq!(up5k.cycles.bound_per_token, 256.0);
    let default = plan_of(
        &Config::parse(
            hitnet_model::config::DEFAULT_CONFIG,
            "<built-in default config>",
        )
        .unwrap(),
    );
    assert_eq!(default.cycles.per_token, 286);
    // README FPGA table: ECP5-85k PTB LSTM on 32 x 64, 427 cycles.
    let ptb = plan_of(&config_file("ecp5-ptb.toml"));
    assert_eq!(ptb.cycles.per_token, 427);
    // README FPGA table: the committed classifiers on 8 x 16, 90 and 106.
    let models = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    for (m, cycles) in [
        ("basicmotions-lstm32.toml", 90),
        ("japanesevowels-lstm32.toml", 106),
    ] {
        let c = Config::load(&models.join(m)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan_of(&c).cycles.per_token, cycles, "{m}");
    }
    // README: "PTB-size LSTM (300 in, 300 hidden) on a 16 x 32 array |
    // 1,473 vs ideal bound 1,406.25".
    let mut c = Config::new(CellKind::Lstm, 300, 300, 1);
    c.hw.rows = 16;
    c.hw.cols = 32;
    c.hw.overlap = Some(false);
    let p16 = plan_of(&c);
    assert_eq!(p16.cycles.per_token, 1473);
    assert_eq!(p16.cycles.bound_per_token, 1406.25);
    // "1,445 with token overlap (the ECP5 default)".
    c.hw.overlap = None;
    c.hw.target = "ecp5-85k".into();
    assert_eq!(plan_of(&c).cycles.per_token, 1445);
    // "263 (2.7% over) with overlap = true" for the default model.
    let mut d = Config::parse(
        hitnet_model::config::DEFAULT_CONFIG,
        "<built-in default config>",
    )
    .unwrap();
    d.hw.overlap = Some(true);
    assert_eq!(plan_of(&d).cycles.per_token, 263);
    // docs/architecture.md: PTB on 32 x 64 with overlap, 405.
    assert_eq!(
        plan_of(&config_file("ecp5-ptb-overlap.toml"))
            .cycles
            .per_token,
        405
    );
    // README FPGA table and docs/architecture.md: the char model's ends,
    // 823 cycles per generated token on the ECP5 shape, 821 on the UP5K's.
    for (cfg, cycles) in [("ecp5-25k-char-lm.toml", 823), ("up5k", 821)] {
        let c = if cfg == "up5k" {
            let mut c = config_file("ecp5-25k-char-lm.toml");
            c.hw.target = "ice40-up5k".into();
            c
        } else {
            config_file(cfg)
        };
        let loaded = hitnet_model::load(&c).expect("model");
        let plan = Plan::new(&loaded.int, Shape::of(&c.hw)).expect("plan");
        let e = hitnet_flow::lm::ends_for(&loaded, &plan)
            .expect("[lm]")
            .expect("ends");
        assert_eq!(e.cycles_per_token(&plan), cycles, "{cfg}");
    }
}
