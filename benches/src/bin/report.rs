//! Prints the `test_db` bench's W3 results as a markdown table: medians in milliseconds and the
//! ratio sqlx / ours, from criterion's estimates and from the bench's alternating cross-check.

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
    ExitCode::SUCCESS
}
