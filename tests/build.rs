//! Watches every migrations directory the tests embed, so adding or editing a fixture rebuilds them.

fn main() {
    migrations_core::build::watch(&[
        "fixtures/basic",
        "../migrations",
        "../../shared/corpora/docsrs",
        "../../shared/corpora/graph-node",
        "../../shared/corpora/zksync-era",
    ]);
}
