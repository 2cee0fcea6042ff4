//! The training simulator: playing a scenario as a call, extracting entities from what is said,
//! scoring the operator, and the database utilities of `simulator db`.

pub mod admin;
pub mod call;
pub mod extract;
pub mod metrics;
pub mod report;
