//! The simulator's random numbers, written out here so that a seed gives the same fleet on
//! every platform and every version of every dependency.
//!
//! - [`SplitMix64`] (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
//!   OOPSLA 2014; the generator of Java's `SplittableRandom`): a 64-bit counter advanced by
//!   the golden-ratio increment and passed through a strong mixing function. It passes
//!   BigCrush, needs 8 bytes of state, and any 64-bit value is a good seed, so each simulated
//!   device gets a stream of its own from `mix(seed, device)` and the fleet does not depend
//!   on the order in which devices are visited.
//! - Uniform doubles from the top 53 bits; normal deviates by Box–Muller (both of a pair are
//!   used); Poisson counts by inversion of the cumulative distribution (exact, and fast for
//!   the small means of per-interval counts; capped at 10 000).

/// SplitMix64: 8 bytes of state, one 64-bit output per step.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SplitMix64 {
    state: u64,
    /// The second deviate of the last Box–Muller pair.
    spare: Option<f64>,
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 output function: a bijective mix of 64 bits.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl SplitMix64 {
    /// A stream for `seed`, one per `stream` (a device index, a purpose).
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        SplitMix64 {
            state: mix(seed ^ mix(stream.wrapping_add(GOLDEN))),
            spare: None,
        }
    }

    /// The next 64 bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix(self.state)
    }

    /// A uniform double in [0, 1).
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform double in [low, high).
    pub(crate) fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.uniform()
    }

    /// A uniform integer in [0, n) (n > 0; multiply-shift, bias below 2⁻³²).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A standard normal deviate (Box–Muller).
    pub(crate) fn normal(&mut self) -> f64 {
        if let Some(spare) = self.spare.take() {
            return spare;
        }
        // 1 − u is in (0, 1], so the logarithm is finite.
        let radius = (-2.0 * (1.0 - self.uniform()).ln()).sqrt();
        let angle = std::f64::consts::TAU * self.uniform();
        self.spare = Some(radius * angle.sin());
        radius * angle.cos()
    }

    /// A Poisson count of mean `mean` (inversion; 0 for a mean that is not positive).
    pub(crate) fn poisson(&mut self, mean: f64) -> u32 {
        if !(mean > 0.0 && mean.is_finite()) {
            return 0;
        }
        let u = self.uniform();
        let mut probability = (-mean).exp();
        let mut cumulative = probability;
        let mut count = 0u32;
        while u >= cumulative && count < 10_000 {
            count += 1;
            probability *= mean / f64::from(count);
            cumulative += probability;
            if probability == 0.0 {
                break;
            }
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_streams_are_fixed_and_distinct() {
        let mut a = SplitMix64::new(42, 0);
        let mut b = SplitMix64::new(42, 0);
        let mut c = SplitMix64::new(42, 1);
        let first: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        assert_eq!(first, (0..4).map(|_| b.next_u64()).collect::<Vec<_>>());
        assert_ne!(first, (0..4).map(|_| c.next_u64()).collect::<Vec<_>>());
        // The reference SplitMix64 sequence for state 0 (Vigna's splitmix64.c).
        let mut reference = SplitMix64 {
            state: 0,
            spare: None,
        };
        assert_eq!(reference.next_u64(), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn the_moments_are_right() {
        let mut rng = SplitMix64::new(7, 7);
        let n = 200_000;
        let normals: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let mean = normals.iter().sum::<f64>() / n as f64;
        let variance = normals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "{mean}");
        assert!((variance - 1.0).abs() < 0.02, "{variance}");
        let counts: Vec<f64> = (0..n).map(|_| f64::from(rng.poisson(0.5))).collect();
        let mean = counts.iter().sum::<f64>() / n as f64;
        let variance = counts.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
        assert!((variance - 0.5).abs() < 0.02, "{variance}");
        assert_eq!(rng.poisson(0.0), 0);
        assert_eq!(rng.poisson(f64::NAN), 0);
    }
}
