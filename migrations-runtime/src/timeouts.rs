//! The `lock_timeout` and `statement_timeout` that revisions run with: a default for all, which
//! each revision may override on its directive line (`-- migrate: lock-timeout=5s`).

use std::time::Duration;

use migrations_core::Revision;

/// The default `lock_timeout` of a revision's statements: a migration waiting longer than this
/// for a table lock fails (and rolls back) rather than queueing every query on that table
/// behind it.
pub(crate) const DEFAULT_STATEMENT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// Limits for a revision's statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// `lock_timeout`: how long a statement may wait for a lock (`Some(ZERO)`: forever);
    /// `None` leaves the session's setting.
    pub lock: Option<Duration>,
    /// `statement_timeout`: how long a statement may run (`Some(ZERO)`: forever); `None`
    /// leaves the session's setting.
    pub statement: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            lock: Some(DEFAULT_STATEMENT_LOCK_TIMEOUT),
            statement: None,
        }
    }
}

impl Timeouts {
    /// The limits for `revision`: its directives override these defaults.
    pub fn for_revision(&self, revision: &Revision) -> Self {
        let directives = revision.directives();
        Self {
            lock: directives
                .lock_timeout_ms
                .map(Duration::from_millis)
                .or(self.lock),
            statement: directives
                .statement_timeout_ms
                .map(Duration::from_millis)
                .or(self.statement),
        }
    }

    /// `(name, value)` of each setting to make, values in milliseconds.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        [
            ("lock_timeout", self.lock),
            ("statement_timeout", self.statement),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, format!("{}ms", v.as_millis()))))
        .collect()
    }

    /// `SET LOCAL ...;` statements for the start of a revision's transaction ("" for none).
    pub fn set_local_sql(&self) -> String {
        self.settings()
            .iter()
            .map(|(name, value)| format!("SET LOCAL {name} = '{value}'; "))
            .collect()
    }

    /// The same settings as one SQL expression, for a statement that makes them without a
    /// statement of their own: `set_config(name, value, true)` is `SET LOCAL`, and the lengths
    /// of the values it returns are summed into an integer (`0` for none).
    pub fn set_config_sql(&self) -> String {
        let calls: Vec<String> = self
            .settings()
            .iter()
            .map(|(name, value)| format!("length(set_config('{name}', '{value}', true))"))
            .collect();
        match calls.is_empty() {
            true => "0".to_owned(),
            false => calls.join(" + "),
        }
    }

    /// The `lock_timeout` shown in a lock-timeout error.
    pub fn describe_lock(&self) -> String {
        match self.lock {
            Some(d) if !d.is_zero() => format!("lock_timeout {}ms", d.as_millis()),
            _ => "the session's lock_timeout".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_and_sql() {
        let t = Timeouts {
            lock: Some(Duration::from_secs(5)),
            statement: Some(Duration::ZERO),
        };
        assert_eq!(
            t.set_local_sql(),
            "SET LOCAL lock_timeout = '5000ms'; SET LOCAL statement_timeout = '0ms'; "
        );
        let none = Timeouts {
            lock: None,
            statement: None,
        };
        assert_eq!(none.set_local_sql(), "");
        assert_eq!(
            t.set_config_sql(),
            "length(set_config('lock_timeout', '5000ms', true)) + length(set_config('statement_timeout', '0ms', true))"
        );
        assert_eq!(none.set_config_sql(), "0");
    }
}
