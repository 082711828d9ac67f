//! Golden-model tokens/s for a 1x300 LSTM with 300 inputs (the PTB size of
//! the paper) against a float f32 LSTM step of the same size, in the same
//! run. The ratio is what the README reports; `hitnet bench` prints it too.
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hitnet_model::config::{CellKind, QuantParams};
use hitnet_model::float::FloatNet;
use hitnet_model::{defaults, rng::random_input, Golden, IntModel};

fn bench(c: &mut Criterion) {
    let q = QuantParams::default();
    let fm = defaults::default_float_model(CellKind::Lstm, 300, 300, 1, 1);
    let im = IntModel::new(&fm.quantize(&q).unwrap(), &q).unwrap();
    let fnet = FloatNet::full_precision(&fm, &q);
    let xs: Vec<Vec<i8>> = (0..64).map(|t| random_input(1, t, 300)).collect();
    let xf: Vec<Vec<f32>> = xs
        .iter()
        .map(|x| x.iter().map(|&v| v as f32).collect())
        .collect();
    let mut group = c.benchmark_group("lstm_1x300_step");
    group.throughput(Throughput::Elements(1));
    let mut g = Golden::new(&im);
    let mut k = 0;
    group.bench_function("golden_ternary_bitsliced", |b| {
        b.iter(|| {
            k = (k + 1) % xs.len();
            g.step_last(&xs[k])
        })
    });
    let mut st = fnet.initial_state();
    group.bench_function("float_f32", |b| {
        b.iter(|| {
            k = (k + 1) % xf.len();
            fnet.step(&mut st, &xf[k])
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
