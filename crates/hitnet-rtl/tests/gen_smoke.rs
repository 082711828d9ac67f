mod common;
use hitnet_model::config::{ActMode, CellKind};

#[test]
fn writes_a_design() {
    let p = common::plan(CellKind::Lstm, 7, 5, 2, 2, 4, ActMode::Bernoulli);
    let d = hitnet_rtl::generate(&p, serde_json::json!({}));
    let out = std::path::Path::new("/tmp/hitnet_smoke");
    d.write(out).unwrap();
    let p = common::plan(CellKind::Gru, 13, 11, 2, 4, 8, ActMode::Threshold);
    let d = hitnet_rtl::generate(&p, serde_json::json!({}));
    d.write(std::path::Path::new("/tmp/hitnet_smoke_gru"))
        .unwrap();
}
