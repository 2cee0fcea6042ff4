//! Errors of reading a catalog.

use thiserror::Error;

/// Reading a catalog failed. Nothing was changed: the read only runs `SELECT`s.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReadError {
    /// A catalog query failed.
    #[error("reading the catalog failed while {what}")]
    Query {
        /// The kind of object being read, or the step.
        what: &'static str,
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A nested value came back in a shape this version does not know.
    #[error("reading the catalog: the {what} came back in an unexpected shape")]
    Shape {
        /// What was being decoded.
        what: &'static str,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
    /// The server deparsed an object in a form this version cannot take apart.
    #[error("reading the catalog: {object} is written `{text}`, which this version cannot take apart; please report it")]
    Unexpected {
        /// The object.
        object: String,
        /// What the server returned.
        text: String,
    },
}
