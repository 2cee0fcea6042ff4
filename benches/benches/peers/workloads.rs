//! W1, W2 and W4, in this process: each tool with its own client, one database per run,
//! created and dropped outside the clock.

use std::time::Instant;

use appdb_benches::peers::{Results, RoundTrips, RAW};

use crate::proxy::{Counts, Proxy};
use crate::tools::{self, Conn, Loaded, Set, Tool};
use crate::{ns, Ctx, Fallible};

/// The revision sets of W1 and W2.
pub struct Sets {
    pub small: Set,
    pub medium: Set,
    pub large: Set,
    pub trivial: Set,
}

/// W1: time to apply a set from empty, connection open; plus each set's up scripts sent raw
/// (one exchange each, no history), the floor any runner of one transaction per revision meets.
pub fn w1(ctx: &Ctx, sets: &Sets, results: &mut Results) -> Fallible<()> {
    let r = &ctx.rounds;
    let runs = [
        ("w1_10", &sets.small, r.w1_small),
        ("w1_100", &sets.medium, r.w1_medium),
        ("w1_500", &sets.large, r.w1_large),
        ("w1_trivial_500", &sets.trivial, r.w1_trivial),
    ];
    for (id, set, rounds) in runs {
        for round in 0..rounds {
            let raw_turn = round % (Tool::ALL.len() + 1);
            for (position, tool) in Tool::rotated(round).into_iter().enumerate() {
                if position == raw_turn {
                    push(results, id, RAW, raw(ctx, set)?);
                }
                let db = ctx.create_db()?;
                let mut conn = tools::connect(&ctx.rt, tool, &ctx.url(&db))?;
                let start = Instant::now();
                tools::migrate(&ctx.rt, &mut conn, set.get(tool))?;
                let elapsed = start.elapsed();
                tools::close(&ctx.rt, conn)?;
                ctx.check_history(tool, &db, set.len)?;
                ctx.drop_db(&db)?;
                push(results, id, tool.name(), ns(elapsed));
            }
            if raw_turn == Tool::ALL.len() {
                push(results, id, RAW, raw(ctx, set)?);
            }
        }
    }
    Ok(())
}

/// `count` times `SELECT 1;` as simple queries over one open connection: the server's share of
/// the trivial set.
fn raw(ctx: &Ctx, set: &Set) -> Fallible<f64> {
    let Loaded::Ours(migrations) = set.get(Tool::Ours) else {
        return Err("our layout loads as our table".into());
    };
    let db = ctx.create_db()?;
    let url = ctx.url(&db);
    let elapsed = ctx.rt.block_on(async {
        let client = tools::tokio_client(&url).await?;
        let start = Instant::now();
        for revision in migrations.iter() {
            client.batch_execute(revision.up().sql()).await?;
        }
        Fallible::Ok(start.elapsed())
    })?;
    ctx.drop_db(&db)?;
    Ok(ns(elapsed))
}

fn push(results: &mut Results, id: &str, tool: &str, ns: f64) {
    let runs = results.timings.entry(id.to_owned()).or_default();
    runs.entry(tool.to_owned()).or_default().push(ns);
}

/// W2: a no-op check with the large set applied, by each tool on its own database: with the
/// connection open, and including connecting.
pub fn w2(ctx: &Ctx, sets: &Sets, results: &mut Results) -> Fallible<()> {
    let set = &sets.large;
    let mut dbs = Vec::new();
    for tool in Tool::ALL {
        let db = ctx.create_db()?;
        let mut conn = tools::connect(&ctx.rt, tool, &ctx.url(&db))?;
        tools::migrate(&ctx.rt, &mut conn, set.get(tool))?;
        tools::close(&ctx.rt, conn)?;
        dbs.push((tool, db));
    }
    for round in 0..ctx.rounds.w2 {
        for tool in Tool::rotated(round) {
            let db = &dbs[Tool::ALL.iter().position(|&t| t == tool).unwrap_or(0)].1;
            let url = ctx.url(db);
            let mut conn = tools::connect(&ctx.rt, tool, &url)?;
            let start = Instant::now();
            tools::migrate(&ctx.rt, &mut conn, set.get(tool))?;
            push(results, "w2_open", tool.name(), ns(start.elapsed()));
            tools::close(&ctx.rt, conn)?;

            let start = Instant::now();
            let mut conn = tools::connect(&ctx.rt, tool, &url)?;
            tools::migrate(&ctx.rt, &mut conn, set.get(tool))?;
            push(results, "w2_connect", tool.name(), ns(start.elapsed()));
            tools::close(&ctx.rt, conn)?;
        }
    }
    for (tool, db) in dbs {
        ctx.check_history(tool, &db, set.len)?;
        ctx.drop_db(&db)?;
    }
    Ok(())
}

/// W4: round trips counted through the proxy. Per migration from applying 110 and 10 trivial
/// revisions (the difference cancels what an upgrade does once); the no-op check with 500
/// applied. Also logs what our runtime sends for two migrations and for a no-op check.
pub fn w4(ctx: &Ctx, results: &mut Results) -> Fallible<()> {
    let trivial = appdb_benches::synthetic::trivial(500);
    let set = |name: &str, n: usize| Set::new(&ctx.rt, &ctx.dir("w4"), name, &trivial[..n]);
    let (s10, s12, s110, s500) = (
        set("t10", 10)?,
        set("t12", 12)?,
        set("t110", 110)?,
        set("t500", 500)?,
    );
    let proxy = Proxy::start(&ctx.rt, crate::socket_file(ctx), ctx.cluster.port())?;
    let via_proxy = |db: &str| {
        appdb_benches::url::socket_url(proxy.socket_dir(), ctx.cluster.port(), "postgres", db)
    };
    for tool in Tool::ALL {
        let apply = |set: &Set| -> Fallible<Counts> {
            let db = ctx.create_db()?;
            let mut conn = tools::connect(&ctx.rt, tool, &via_proxy(&db))?;
            let before = proxy.counts();
            tools::migrate(&ctx.rt, &mut conn, set.get(tool))?;
            let counts = proxy.counts() - before;
            tools::close(&ctx.rt, conn)?;
            ctx.check_history(tool, &db, set.len)?;
            ctx.drop_db(&db)?;
            Ok(counts)
        };
        let (a10, a110) = (apply(&s10)?, apply(&s110)?);
        let per = |f: fn(&Counts) -> u64| (f(&a110) - f(&a10)) as f64 / 100.0;
        let per_migration = per(|c| c.round_trips);

        let db = ctx.create_db()?;
        let mut conn = tools::connect(&ctx.rt, tool, &ctx.url(&db))?;
        tools::migrate(&ctx.rt, &mut conn, s500.get(tool))?;
        tools::close(&ctx.rt, conn)?;
        let mut conn = tools::connect(&ctx.rt, tool, &via_proxy(&db))?;
        let before = proxy.counts();
        tools::migrate(&ctx.rt, &mut conn, s500.get(tool))?;
        let noop = proxy.counts() - before;
        tools::close(&ctx.rt, conn)?;
        let before = proxy.counts();
        let mut conn = tools::connect(&ctx.rt, tool, &via_proxy(&db))?;
        tools::migrate(&ctx.rt, &mut conn, s500.get(tool))?;
        let noop_connect = proxy.counts() - before;
        tools::close(&ctx.rt, conn)?;
        ctx.check_history(tool, &db, 500)?;
        ctx.drop_db(&db)?;

        results.round_trips.insert(
            tool.name().to_owned(),
            RoundTrips {
                per_migration,
                upgrade_10: a10.round_trips,
                messages_per_migration: per(|c| c.exchanges),
                noop: noop.round_trips,
                noop_connect: noop_connect.round_trips,
            },
        );
    }
    log_ours(ctx, &proxy, &via_proxy, &s10, &s12, results)
}

/// What our runtime sends: an upgrade applying revisions 11 and 12, then a no-op check.
fn log_ours(
    ctx: &Ctx,
    proxy: &Proxy,
    via_proxy: &dyn Fn(&str) -> String,
    s10: &Set,
    s12: &Set,
    results: &mut Results,
) -> Fallible<()> {
    let db = ctx.create_db()?;
    let mut conn = tools::connect(&ctx.rt, Tool::Ours, &ctx.url(&db))?;
    tools::migrate(&ctx.rt, &mut conn, s10.get(Tool::Ours))?;
    tools::close(&ctx.rt, conn)?;
    let mut conn: Conn = tools::connect(&ctx.rt, Tool::Ours, &via_proxy(&db))?;
    for scenario in [
        "upgrade applying 2 revisions onto 10 (connection open)",
        "no-op check, 12 applied (connection open)",
    ] {
        proxy.start_log();
        tools::migrate(&ctx.rt, &mut conn, s12.get(Tool::Ours))?;
        results
            .statements
            .insert(scenario.to_owned(), proxy.take_log());
    }
    tools::close(&ctx.rt, conn)?;
    ctx.drop_db(&db)
}
