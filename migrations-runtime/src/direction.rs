//! Which way a revision is run: the type every phase shares (plans, progress rows, steps,
//! errors), so none of them depends on another for it.

/// Which way a revision is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// `up.sql`.
    Up,
    /// `down.sql`.
    Down,
}

impl Direction {
    /// `up` or `down`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
        }
    }

    /// The command that goes this way: `upgrade` or `downgrade`.
    pub fn command(self) -> &'static str {
        match self {
            Self::Up => "upgrade",
            Self::Down => "downgrade",
        }
    }

    /// The other way.
    pub fn reverse(self) -> Self {
        match self {
            Self::Up => Self::Down,
            Self::Down => Self::Up,
        }
    }
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
