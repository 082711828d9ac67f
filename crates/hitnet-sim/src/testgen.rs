//! Random configurations for differential tests (shared by the simulator's
//! and the co-simulation's test suites).
use hitnet_arch::{Plan, Shape};
use hitnet_model::config::{ActMode, CellKind, QuantParams};
use hitnet_model::rng::Rng;
use hitnet_model::{defaults, IntModel};

/// A random config: cell, sizes (including 1 and primes), layers, array
/// shape (including 1 and non-divisors), quantizer mode, slope and formats.
#[derive(Clone, Debug)]
pub struct RandomConfig {
    pub cell: CellKind,
    pub input: usize,
    pub hidden: usize,
    pub layers: usize,
    pub rows: usize,
    pub cols: usize,
    pub lanes: Option<usize>,
    pub quant: QuantParams,
    pub seed: u64,
    /// `hw.overlap`.
    pub overlap: bool,
}

const PRIMES: [usize; 12] = [2, 3, 5, 7, 11, 13, 17, 31, 61, 97, 127, 199];

fn size(rng: &mut Rng, max: usize) -> usize {
    match rng.below(10) {
        0 => 1,
        1 | 2 => PRIMES[rng.below(PRIMES.len() as u64) as usize].min(max),
        3 => 1 + rng.below(max as u64) as usize,
        _ => 1 + rng.below(40.min(max) as u64) as usize,
    }
}

impl RandomConfig {
    pub fn draw(rng: &mut Rng, max_size: usize, max_layers: usize) -> RandomConfig {
        let cell = if rng.below(2) == 0 {
            CellKind::Lstm
        } else {
            CellKind::Gru
        };
        let input = size(rng, max_size);
        let hidden = size(rng, max_size);
        let layers = 1 + rng.below(max_layers as u64) as usize;
        let rows = match rng.below(4) {
            0 => 1,
            _ => 1 + rng.below(hidden.min(24) as u64) as usize,
        };
        let max_cols = (input.min(hidden) + hidden).min(64);
        let cols = match rng.below(4) {
            0 => 1,
            _ => 1 + rng.below(max_cols as u64) as usize,
        };
        let quant = QuantParams {
            slope: [0.5, 1.0, 1.5, 2.0, 3.0, 4.0][rng.below(6) as usize],
            activation: if rng.below(2) == 0 {
                ActMode::Bernoulli
            } else {
                ActMode::Threshold
            },
            act_threshold: [0.25, 0.5, 0.7][rng.below(3) as usize],
            frac_bits: [8, 10, 12][rng.below(3) as usize],
            lut_bits: [6, 8, 10][rng.below(3) as usize],
            cell_int_bits: [2, 4][rng.below(2) as usize],
            lfsr_seed: rng.below(1000),
            ..QuantParams::default()
        };
        RandomConfig {
            cell,
            input,
            hidden,
            layers,
            rows,
            cols,
            lanes: None,
            quant,
            seed: rng.next_u64(),
            overlap: rng.below(2) == 0,
        }
    }

    /// A config larger than `draw` gives: input and hidden in 49..=160,
    /// up to 32 rows and 64 columns, and an explicit lane count drawn
    /// from the divisors of `rows` the plan accepts (`draw` lets the plan
    /// choose), so the serialiser runs with 1 to `rows` lanes.
    pub fn draw_large(rng: &mut Rng, max_layers: usize) -> RandomConfig {
        let mut rc = RandomConfig::draw(rng, 160, max_layers);
        rc.input = 49 + rng.below(112) as usize;
        rc.hidden = 49 + rng.below(112) as usize;
        rc.rows = 1 + rng.below(32) as usize;
        rc.cols = 1 + rng.below(64) as usize;
        let m = rc.model();
        let lanes: Vec<usize> = (1..=rc.rows)
            .filter(|&d| {
                rc.rows.is_multiple_of(d)
                    && Plan::new(
                        &m,
                        Shape::new(rc.rows, rc.cols)
                            .with_lanes(d)
                            .with_overlap(rc.overlap),
                    )
                    .is_ok()
            })
            .collect();
        rc.lanes = Some(lanes[rng.below(lanes.len() as u64) as usize]);
        rc
    }

    pub fn model(&self) -> IntModel {
        let fm = defaults::default_float_model(
            self.cell,
            self.input,
            self.hidden,
            self.layers,
            self.seed,
        );
        IntModel::new(&fm.quantize(&self.quant).expect("quantizes"), &self.quant).expect("lowers")
    }

    pub fn plan(&self, m: &IntModel) -> Plan {
        Plan::new(
            m,
            Shape {
                rows: self.rows,
                cols: self.cols,
                lanes: self.lanes,
                overlap: self.overlap,
            },
        )
        .expect("plans")
    }
}
