//! `hitnet gen` for the PTB-size config (LSTM 300 in, 300 hidden, 16x32
//! array): plan and Verilog generation time. The issue asks for < 10 s.
use criterion::{criterion_group, criterion_main, Criterion};
use hitnet_arch::{Plan, Shape};
use hitnet_model::config::{CellKind, QuantParams};
use hitnet_model::{defaults, IntModel};

fn bench(c: &mut Criterion) {
    let q = QuantParams::default();
    let fm = defaults::default_float_model(CellKind::Lstm, 300, 300, 1, 1);
    let im = IntModel::new(&fm.quantize(&q).unwrap(), &q).unwrap();
    let mut g = c.benchmark_group("gen_ptb_16x32");
    g.sample_size(10);
    g.bench_function("plan_and_generate", |b| {
        b.iter(|| {
            let p = Plan::new(&im, Shape::new(16, 32)).unwrap();
            hitnet_rtl::generate(&p, serde_json::json!({}))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
