//! Watches every migrations directory the tests embed, so adding or editing a fixture rebuilds
//! them, and writes `corpora.rs`: the other projects' histories embedded through the macro when
//! `MIGRATIONS_CORPORA` names them, nothing when it does not (`tests/corpora.rs` then skips).

use std::path::{Component, Path, PathBuf};

use migrations_core::corpora;

/// The corpora the tests embed, with the macro's options for each: graph-node and zksync-era
/// are imported as published (one broken down script each; zksync-era has up-only files).
const CORPORA: [(&str, &str, &str); 3] = [
    ("DOCSRS", "docsrs", ""),
    ("GRAPH_NODE", "graph-node", ", allow_syntax_errors = true"),
    (
        "ZKSYNC",
        "zksync-era",
        ", allow_up_only = true, allow_syntax_errors = true",
    ),
];

fn main() {
    println!("cargo:rerun-if-env-changed={}", corpora::VAR);
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let mut watched = vec![
        "fixtures/basic".to_owned(),
        "fixtures/code".to_owned(),
        "fixtures/code_review".to_owned(),
        "fixtures/code_foreign".to_owned(),
        "../app-db/migrations".to_owned(),
    ];
    let mut code = String::new();
    if let Some(dir) = std::env::var_os(corpora::VAR).filter(|v| !v.is_empty()) {
        // The macro takes a path relative to the manifest (an absolute one is refused, so that a
        // build does not depend on where the checkout is): spell the corpora's place that way.
        let relative = relative_to(&manifest, Path::new(&dir));
        for (name, folder, options) in CORPORA {
            let path = format!("{}/{folder}", relative.display());
            code.push_str(&format!(
                "#[allow(deprecated)]\nstatic {name}: Migrations = migrations_macro::embed_migrations!({path:?}{options});\n"
            ));
            watched.push(path);
        }
        code.push_str("/// The corpora, embedded.\nconst EMBEDDED: Option<[&Migrations; 3]> = Some([&DOCSRS, &GRAPH_NODE, &ZKSYNC]);\n");
    } else {
        // The tests print their notes into captured output; this line is what a `cargo test`
        // run shows.
        println!(
            "cargo:warning=corpora tests skipped: set {} to the directory of other projects' migration histories to run them",
            corpora::VAR
        );
        code.push_str(&format!(
            "/// `{}` was unset at build time: nothing is embedded.\nconst EMBEDDED: Option<[&Migrations; 3]> = None;\n",
            corpora::VAR
        ));
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("corpora.rs"), code).expect("OUT_DIR is writable");
    let watched: Vec<&str> = watched.iter().map(String::as_str).collect();
    migrations_core::build::watch(&watched);
}

/// `to` as a path relative to `from` (both made absolute and canonical first).
fn relative_to(from: &Path, to: &Path) -> PathBuf {
    let canonical = |p: &Path| {
        p.canonicalize()
            .unwrap_or_else(|e| panic!("{}: {e} (is {} right?)", p.display(), corpora::VAR))
    };
    let (from, to) = (canonical(from), canonical(to));
    let (from, to): (Vec<Component<'_>>, Vec<Component<'_>>) =
        (from.components().collect(), to.components().collect());
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut relative = PathBuf::new();
    for _ in common..from.len() {
        relative.push("..");
    }
    for component in &to[common..] {
        relative.push(component);
    }
    relative
}
