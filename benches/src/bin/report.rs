//! Prints the `test_db` bench's W3 results as a markdown table: medians in milliseconds and the
//! ratio sqlx / ours, from criterion's estimates and from the bench's alternating cross-check;
//! then the `peers` bench's table (W1, W2, W4, W5, memory, replicas) from its saved results.

use std::process::ExitCode;

fn main() -> ExitCode {
    let home = appdb_benches::results::criterion_home();
    if !home.is_dir() {
        eprintln!(
            "no criterion results in {}: run `cargo bench --bench test_db` first, with the same CARGO_TARGET_DIR",
            home.display()
        );
        return ExitCode::FAILURE;
    }
    println!(
        "W3: time to hand a test a fresh database at head (medians; results in {})\n",
        home.display()
    );
    print!("{}", appdb_benches::results::table(&home));
    let peers = appdb_benches::peers::results_dir();
    match appdb_benches::peers::Results::load(&peers) {
        Ok(results) => println!(
            "\nW1, W2, W4, W5, memory, replicas: ours against the peers (results in {})\n\n{}",
            peers.display(),
            appdb_benches::peers::report(&results)
        ),
        Err(_) => println!("\nno peers results: run `cargo bench --bench peers`"),
    }
    ExitCode::SUCCESS
}
