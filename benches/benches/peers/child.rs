//! The bench re-run as a child process (`--child apply TOOL DIR URL`): loads one revision set
//! with one tool, connects and migrates to head, then prints its peak resident memory. Used for
//! the memory figures (a process per tool, so one tool's allocations do not inflate
//! another's) and for replicas (processes started together, as replicas booting at once).

use std::path::Path;
use std::process::ExitCode;

use crate::tools::{self, Loaded, Tool};
use crate::Fallible;

/// Runs the child's job; errors go to stderr and the exit code.
pub fn main(args: &[String]) -> ExitCode {
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", crate::chain(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Fallible<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match args {
        [job, url] if job == "baseline" => {
            let client = rt.block_on(tools::tokio_client(url))?;
            rt.block_on(client.simple_query("SELECT 1"))?;
            println!("vmhwm_before_kib={0} vmhwm_kib={0}", vm_hwm_kib()?);
        }
        [job, tool, dir, url] if job == "apply" => {
            let tool = Tool::parse(tool).ok_or("unknown tool")?;
            let loaded = Loaded::load(&rt, tool, Path::new(dir))?;
            let mut conn = tools::connect(&rt, tool, url)?;
            let before = vm_hwm_kib()?;
            tools::migrate(&rt, &mut conn, &loaded)?;
            let peak = vm_hwm_kib()?;
            tools::close(&rt, conn)?;
            println!("vmhwm_before_kib={before} vmhwm_kib={peak}");
        }
        _ => return Err("usage: --child apply TOOL DIR URL | --child baseline URL".into()),
    }
    Ok(())
}

/// The process's peak resident set (`VmHWM` in `/proc/self/status`), KiB.
fn vm_hwm_kib() -> Fallible<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .ok_or("no VmHWM in /proc/self/status")?;
    Ok(line.trim().trim_end_matches("kB").trim().parse()?)
}

/// Reads the figures a child printed: (before, peak) in KiB.
pub fn parse_output(stdout: &str) -> Option<(u64, u64)> {
    let field = |name: &str| -> Option<u64> {
        stdout
            .split_whitespace()
            .find_map(|word| word.strip_prefix(name))?
            .parse()
            .ok()
    };
    Some((field("vmhwm_before_kib=")?, field("vmhwm_kib=")?))
}
