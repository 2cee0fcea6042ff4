//! The simulator's data layer: typed rows of the five tables and the functions that read and
//! write them (all on `&impl GenericClient`).

mod lenient;
pub mod model;
pub mod store;

pub use model::*;
pub use store::{DataError, NewEntity, NewLine};
