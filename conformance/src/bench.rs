//! Helpers for the adapters' benchmarks, for third parties' too.
//!
//! A storage benchmark usually compares the adapter with the bare driver calls it makes (the *baseline*),
//! for a few value sizes. This module holds what such a benchmark needs besides the measuring itself, and
//! does not depend on any benchmark framework:
//!
//! - [`SIZES`] and [`sample_value`]: the values to store;
//! - [`median_ns`]: reads a median that criterion recorded (from its `estimates.json` files);
//! - [`interleaved_medians_ns`]: times several variants call by call in rotating order, so a drift of the
//!   machine's or the server's speed hits all of them alike;
//! - [`OverheadTable`]: prints medians side by side with the adapter's overhead over the baselines.

use std::path::Path;
use std::time::Instant;

use bytes::Bytes;

/// The value sizes the adapters' benchmarks use, with the names used in benchmark ids.
pub const SIZES: [(&str, usize); 2] = [("4KiB", 4 << 10), ("1MiB", 1 << 20)];

/// A value of `len` bytes that does not repeat in short cycles.
///
/// Values of the same `len` and different `seed`s differ in every byte, for stores that skip writing the
/// value a key already holds.
pub fn sample_value(len: usize, seed: u8) -> Bytes {
    (0..len).map(|i| (i * 31) as u8 ^ seed).collect()
}

/// The median time per iteration, in nanoseconds, that criterion recorded for the benchmark
/// `group/variant/size` under `criterion_dir` (criterion's output directory).
///
/// Returns `None` if the benchmark was not run (no `new/estimates.json`) or its file cannot be read.
pub fn median_ns(criterion_dir: &Path, group: &str, variant: &str, size: &str) -> Option<f64> {
    let path = criterion_dir
        .join(group)
        .join(variant)
        .join(size)
        .join("new")
        .join("estimates.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64()
}

/// `ns` nanoseconds, in ns, µs or ms, in at most 9 characters below 1000 s.
pub fn format_ns(ns: f64) -> String {
    match ns {
        ns if ns >= 1e6 => format!("{:.3} ms", ns / 1e6),
        ns if ns >= 1e3 => format!("{:.2} µs", ns / 1e3),
        ns => format!("{ns:.0} ns"),
    }
}

/// How much longer `adapter` takes than `baseline`, in percent (negative if it is faster).
pub fn overhead_percent(adapter: f64, baseline: f64) -> f64 {
    (adapter / baseline - 1.0) * 100.0
}

/// Times `count` variants `rounds` times each, call by call, and returns their median times in
/// nanoseconds, in the order of the variants; `call(i)` *must* run the variant `i` once.
///
/// Every round calls each variant once; the round `r` starts with the variant `r % count`, so no variant
/// always runs first or right after the same other one.
pub fn interleaved_medians_ns(
    rounds: usize,
    count: usize,
    mut call: impl FnMut(usize),
) -> Vec<f64> {
    let mut times = vec![Vec::with_capacity(rounds); count];
    for round in 0..rounds {
        for turn in 0..count {
            let which = (round + turn) % count;
            let started = Instant::now();
            call(which);
            times[which].push(started.elapsed().as_nanos() as f64);
        }
    }
    times.into_iter().map(median).collect()
}

/// The median of `samples` (the upper one for an even count), `NaN` for none.
fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN)
}

/// A table of median times per operation and value size, one column per variant, followed by the overhead
/// of the adapter over each baseline.
///
/// The adapter and the baselines *must* be among the variants. A row lacking one of their medians says
/// "not measured in this run"; a missing median of another variant shows as `-`.
#[derive(Debug, Clone, Copy)]
pub struct OverheadTable<'a> {
    title: &'a str,
    variants: &'a [&'a str],
    adapter: &'a str,
    baselines: &'a [&'a str],
}

impl<'a> OverheadTable<'a> {
    /// A table headed `title`, with a column for each of `variants` and the overhead of `adapter` over each
    /// of `baselines`.
    pub fn new(
        title: &'a str,
        variants: &'a [&'a str],
        adapter: &'a str,
        baselines: &'a [&'a str],
    ) -> OverheadTable<'a> {
        OverheadTable {
            title,
            variants,
            adapter,
            baselines,
        }
    }

    /// Prints the header line, after an empty line.
    pub fn print_header(&self) {
        let mut line = format!("\n{:<w$}", self.title, w = self.first_width());
        for variant in self.variants {
            line += &format!(" {variant:>w$}", w = variant_width(variant));
        }
        for label in self.overhead_labels() {
            line += &format!("  {label:>w$}", w = overhead_width(&label));
        }
        println!("{line}");
    }

    /// The width of the first column, which names the operation and the size.
    fn first_width(&self) -> usize {
        self.title.chars().count().max(15)
    }

    /// The headings of the overhead columns: `adapter vs first-baseline`, then `vs baseline`.
    fn overhead_labels(&self) -> Vec<String> {
        let mut labels = Vec::with_capacity(self.baselines.len());
        for (index, baseline) in self.baselines.iter().enumerate() {
            labels.push(match index {
                0 => format!("{} vs {baseline}", self.adapter),
                _ => format!("vs {baseline}"),
            });
        }
        labels
    }

    /// Prints the row of `op` on values of `size`; `medians` holds the median of each variant, in
    /// nanoseconds, in the order of the variants.
    pub fn print_row(&self, op: &str, size: &str, medians: &[Option<f64>]) {
        let of = |name: &str| {
            let index = self.variants.iter().position(|variant| *variant == name)?;
            medians.get(index).copied().flatten()
        };
        let (Some(adapter), Some(baselines)) = (
            of(self.adapter),
            self.baselines
                .iter()
                .map(|b| of(b))
                .collect::<Option<Vec<f64>>>(),
        ) else {
            println!("{op:>5} {size:>4}: not measured in this run");
            return;
        };
        let label = format!("{op:>5} {size:>4}");
        let mut line = format!("{label:<w$}", w = self.first_width());
        for (index, variant) in self.variants.iter().enumerate() {
            let cell = medians
                .get(index)
                .copied()
                .flatten()
                .map_or_else(|| "-".to_owned(), format_ns);
            line += &format!(" {cell:>w$}", w = variant_width(variant));
        }
        for (label, baseline) in self.overhead_labels().iter().zip(baselines) {
            let percent = overhead_percent(adapter, baseline);
            line += &format!("  {percent:>+w$.1} %", w = overhead_width(label) - 2);
        }
        println!("{line}");
    }

    /// Measures the variants of `op` on values of `size` interleaved, `rounds` times each (see
    /// [`interleaved_medians_ns`]), and prints their row; `run(variant)` *must* run `variant` once.
    pub fn measure_row(&self, op: &str, size: &str, rounds: usize, mut run: impl FnMut(&str)) {
        let medians = interleaved_medians_ns(rounds, self.variants.len(), |which| {
            run(self.variants[which])
        });
        let medians: Vec<Option<f64>> = medians.into_iter().map(Some).collect();
        self.print_row(op, size, &medians);
    }

    /// Prints the header and one row per `op` and size, from the medians criterion recorded under
    /// `criterion_dir` for the benchmarks `op/variant/size`.
    pub fn print_from_criterion(&self, criterion_dir: &Path, ops: &[&str], sizes: &[&str]) {
        self.print_header();
        for op in ops {
            for size in sizes {
                let medians: Vec<Option<f64>> = self
                    .variants
                    .iter()
                    .map(|variant| median_ns(criterion_dir, op, variant, size))
                    .collect();
                self.print_row(op, size, &medians);
            }
        }
    }
}

/// The width of the column of `variant`: room for its name and for a formatted time.
fn variant_width(variant: &str) -> usize {
    variant.chars().count().max(10)
}

/// The width of an overhead column headed `label`: room for the label and for `+1234.5 %`.
fn overhead_width(label: &str) -> usize {
    label.chars().count().max(9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_values_have_the_length_and_differ_by_seed() {
        let (a, b) = (sample_value(1000, 0), sample_value(1000, 1));
        assert_eq!((a.len(), b.len()), (1000, 1000));
        assert!(a.iter().zip(b.iter()).all(|(x, y)| x != y));
        assert_eq!(&a[..3], &[0, 31, 62]);
    }

    #[test]
    fn format_ns_picks_the_unit() {
        assert_eq!(format_ns(512.4), "512 ns");
        assert_eq!(format_ns(4_321.0), "4.32 µs");
        assert_eq!(format_ns(12_345_678.0), "12.346 ms");
    }

    #[test]
    fn overhead_is_relative_to_the_baseline() {
        assert!((overhead_percent(110.0, 100.0) - 10.0).abs() < 1e-9);
        assert!((overhead_percent(90.0, 100.0) + 10.0).abs() < 1e-9);
    }

    #[test]
    fn median_ns_reads_criterion_estimates() {
        let dir = std::env::temp_dir().join(format!("tgs-bench-{:016x}", fastrand::u64(..)));
        let new = dir.join("store/adapter/4KiB/new");
        std::fs::create_dir_all(&new).expect("dirs");
        std::fs::write(
            new.join("estimates.json"),
            r#"{"median":{"point_estimate":1234.5}}"#,
        )
        .expect("write");
        assert_eq!(median_ns(&dir, "store", "adapter", "4KiB"), Some(1234.5));
        assert_eq!(median_ns(&dir, "store", "driver", "4KiB"), None);
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn interleaved_medians_run_every_variant_every_round() {
        let mut calls = Vec::new();
        let medians = interleaved_medians_ns(4, 2, |which| {
            calls.push(which);
            if which == 1 {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        });
        assert_eq!(calls, [0, 1, 1, 0, 0, 1, 1, 0]);
        assert_eq!(medians.len(), 2);
        assert!(medians[1] >= 1e6 && medians[1] > medians[0]);
    }
}
