//! What the lock file costs the build: `embed_migrations!` scans the directory, and with a
//! `migrations.lock` it also reads and verifies it (every line, the chain recomputed). Measured
//! on the macro's own scan of the 1,000 synthetic revisions W5 builds (no database):
//!
//! - `scan_1000` / `scan_1000_locked`: `migrations_core::scan` without and with the lock file
//!   (the rest of the expansion, code generation, does not change with the lock);
//! - `verify_1000`, `render_1000`: the lock file's check and its writing (`migrate lock`) alone.
//!
//! After criterion, the two scans again, alternating round by round, printed as min, median and
//! max (the machine is shared, so the interleaved figures are the ones to compare).

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use appdb_benches::results::{fail, median};
use appdb_benches::{layout, synthetic};
use criterion::Criterion;
use migrations_core::{lock, scan, ScanOptions};

const ROUNDS: usize = 15;

fn scan_with(dir: &Path, locked: bool) -> usize {
    let options = ScanOptions {
        unlocked: !locked,
        ..ScanOptions::default()
    };
    let report = scan(dir, "migrations", options);
    assert!(report.problems.is_empty(), "{:?}", report.problems.first());
    report.revisions.len()
}

fn main() {
    let quick = std::env::args().any(|arg| arg == "--test" || arg == "--list");
    let root = tempfile::tempdir().unwrap_or_else(|e| fail("creating a temp dir", e));
    let dir = root.path().join("migrations");
    std::fs::create_dir(&dir).unwrap_or_else(|e| fail("creating the directory", e));
    layout::write_directories(&dir, &synthetic::generate(1000))
        .unwrap_or_else(|e| fail("writing the revisions", e));
    let loaded = migrations_core::load_dir(&dir, "migrations", ScanOptions::default())
        .unwrap_or_else(|e| fail("loading the revisions", e));
    let text = lock::render(loaded.as_slice());
    std::fs::write(dir.join(lock::FILE), &text).unwrap_or_else(|e| fail("writing the lock", e));
    println!(
        "lock file: {} lines, {} bytes",
        text.lines().count(),
        text.len()
    );

    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("lock");
    group.sample_size(20);
    group.bench_function("scan_1000", |b| b.iter(|| scan_with(&dir, false)));
    group.bench_function("scan_1000_locked", |b| b.iter(|| scan_with(&dir, true)));
    group.bench_function("verify_1000", |b| {
        b.iter(|| lock::verify(black_box(&text), loaded.as_slice()))
    });
    group.bench_function("render_1000", |b| {
        b.iter(|| lock::render(black_box(loaded.as_slice())))
    });
    group.finish();
    criterion.final_summary();
    if quick {
        return;
    }

    let (mut plain, mut locked) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Alternate which goes first, so a load change within a round hits both alike.
        for which in [round % 2 == 0, round % 2 == 1] {
            let start = Instant::now();
            black_box(scan_with(&dir, which));
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            match which {
                true => locked.push(ms),
                false => plain.push(ms),
            }
        }
    }
    let mut ratios: Vec<f64> = locked.iter().zip(&plain).map(|(l, p)| l / p).collect();
    let summary = |samples: &mut Vec<f64>| {
        let middle = median(samples).unwrap_or(f64::NAN); // sorts them
        let (min, max) = (samples[0], samples[samples.len() - 1]);
        format!("{min:.1} / {middle:.1} / {max:.1}")
    };
    println!("\n| scan of 1,000 revisions, ms (min / median / max of {ROUNDS}, interleaved) | |");
    println!("|---|---|");
    println!("| without a lock file | {} |", summary(&mut plain));
    println!("| with a 1,000-line lock file | {} |", summary(&mut locked));
    println!(
        "| ratio, median of the rounds' ratios | {:.3} |",
        median(&mut ratios).unwrap_or(f64::NAN)
    );
}
