//! Parsing revision names: `<version>_<slug>` directories (diesel) and
//! `<version>_<slug>.up.sql` / `.down.sql` / `.sql` files (sqlx, golang-migrate).

/// A version as written in a name, and its canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionName {
    /// As written: `2014-11-13-193818`, `001`.
    pub raw: String,
    /// Dashes removed: `20141113193818`, `001`. This is the revision's id in the history table.
    pub canonical: String,
    /// The rest of the name after the separator: the slug (`create_users`).
    pub slug: String,
}

/// Why a name that starts like a versioned name does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameDefect {
    /// `003` or `003_`: a version with nothing after it.
    NoSlug,
    /// `3x_users`: the version runs into other characters.
    BadSeparator,
}

/// Parses a diesel-style directory name.
///
/// Returns `None` when the name does not start with a digit (not a revision at all),
/// `Some(Err(_))` when it starts like one but is malformed.
///
/// The version is the longest run of digits and dashes; it is separated from the slug by `_` or,
/// as in some diesel histories (`2023-05-23-1715-update-x`), by a dash.
pub fn parse_dir_name(name: &str) -> Option<Result<VersionName, NameDefect>> {
    if !name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let version = version_prefix(name);
    let rest = &name[version.len()..];
    let slug = match rest.chars().next() {
        None => return Some(Err(NameDefect::NoSlug)),
        Some('_' | '-') => &rest[1..],
        Some(_) => return Some(Err(NameDefect::BadSeparator)),
    };
    if slug.trim().is_empty() {
        return Some(Err(NameDefect::NoSlug));
    }
    Some(Ok(VersionName {
        raw: version.to_owned(),
        canonical: version.replace('-', ""),
        slug: slug.to_owned(),
    }))
}

/// The version at the start of `name`: the longest run of digits and dashes, without trailing
/// dashes (`2023-05-23-1715` of `2023-05-23-1715-update-x`). Empty when `name` has none.
pub fn version_prefix(name: &str) -> &str {
    let run = name
        .find(|c: char| !(c.is_ascii_digit() || c == '-'))
        .unwrap_or(name.len());
    name[..run].trim_end_matches('-')
}

/// The role of a flat migration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlatKind {
    /// `<version>_<slug>.up.sql`
    Up,
    /// `<version>_<slug>.down.sql`
    Down,
    /// `<version>_<slug>.sql`: sqlx's "simple", up-only migration.
    Simple,
}

/// Why a file name that looks like a flat migration does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlatDefect {
    /// The extension is `.SQL` or another spelling than lowercase `.sql`.
    ExtensionCase,
    /// `add_users.up.sql`: an up/down file without a version.
    NoVersion,
    /// The version is not a plain integer (sqlx parses flat versions as `i64`).
    VersionNotInteger,
    /// The name has a version but no slug, or the version runs into other characters.
    Malformed(NameDefect),
}

/// A parsed flat file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlatName {
    /// Version and slug.
    pub version: VersionName,
    /// Up, down or simple.
    pub kind: FlatKind,
    /// The version as sqlx orders it.
    pub number: i64,
}

/// Parses a flat file name. `None`: not an SQL file, or an unversioned SQL file that is not an
/// up/down script (a schema dump, a seed file): not a migration.
pub fn parse_flat_name(name: &str) -> Option<Result<FlatName, FlatDefect>> {
    let lower = name.to_ascii_lowercase();
    if !lower.ends_with(".sql") {
        return None;
    }
    let stem = &name[..name.len() - 4];
    let lower_stem = &lower[..lower.len() - 4];
    let (base, kind) = if let Some(b) = lower_stem.strip_suffix(".up") {
        (&stem[..b.len()], FlatKind::Up)
    } else if let Some(b) = lower_stem.strip_suffix(".down") {
        (&stem[..b.len()], FlatKind::Down)
    } else {
        (stem, FlatKind::Simple)
    };
    let versioned = base.starts_with(|c: char| c.is_ascii_digit());
    if !versioned {
        return match kind {
            FlatKind::Simple => None,
            _ => Some(Err(FlatDefect::NoVersion)),
        };
    }
    if !name.ends_with(".sql")
        || (kind != FlatKind::Simple && !stem.ends_with(".up") && !stem.ends_with(".down"))
    {
        return Some(Err(FlatDefect::ExtensionCase));
    }
    let version = match parse_dir_name(base) {
        Some(Ok(v)) => v,
        Some(Err(defect)) => return Some(Err(FlatDefect::Malformed(defect))),
        None => unreachable!("base starts with a digit"),
    };
    if version.raw.contains('-') || !base[version.raw.len()..].starts_with('_') {
        return Some(Err(FlatDefect::VersionNotInteger));
    }
    match version.canonical.parse::<i64>() {
        Ok(number) => Some(Ok(FlatName {
            version,
            kind,
            number,
        })),
        Err(_) => Some(Err(FlatDefect::VersionNotInteger)),
    }
}

/// Flat entries keep their kind.
pub(crate) fn flat_kind_suffix(kind: FlatKind) -> &'static str {
    match kind {
        FlatKind::Up => ".up.sql",
        FlatKind::Down => ".down.sql",
        FlatKind::Simple => ".sql",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> VersionName {
        parse_dir_name(name).expect("versioned").expect("valid")
    }

    #[test]
    fn diesel_directory_names() {
        let v = dir("2014-11-13-193818_create_users");
        assert_eq!(
            (v.raw.as_str(), v.canonical.as_str(), v.slug.as_str()),
            ("2014-11-13-193818", "20141113193818", "create_users")
        );
        assert_eq!(
            dir("2025-11-19-091444-0000_x").canonical,
            "202511190914440000"
        );
        assert_eq!(dir("001_initial_schema").canonical, "001");
        let dashed = dir("2023-05-23-1715-update-subgraph-deployment-assignment");
        assert_eq!(
            (dashed.canonical.as_str(), dashed.slug.as_str()),
            ("202305231715", "update-subgraph-deployment-assignment")
        );
        assert_eq!(dir("003_add notes").slug, "add notes");
    }

    #[test]
    fn malformed_and_unversioned_directory_names() {
        assert_eq!(parse_dir_name("003"), Some(Err(NameDefect::NoSlug)));
        assert_eq!(parse_dir_name("003_"), Some(Err(NameDefect::NoSlug)));
        assert_eq!(
            parse_dir_name("3x_users"),
            Some(Err(NameDefect::BadSeparator))
        );
        assert_eq!(parse_dir_name("add_users"), None);
        assert_eq!(parse_dir_name(".git"), None);
    }

    #[test]
    fn flat_names() {
        let up = parse_flat_name("20211026134308_init.up.sql")
            .expect("sql")
            .expect("valid");
        assert_eq!(
            (up.kind, up.number, up.version.slug.as_str()),
            (FlatKind::Up, 20211026134308, "init")
        );
        let down = parse_flat_name("20240309082057_release_status_view.sql.down.sql")
            .expect("sql")
            .expect("valid");
        assert_eq!(
            (down.kind, down.version.slug.as_str()),
            (FlatKind::Down, "release_status_view.sql")
        );
        let simple = parse_flat_name("20241812144402_create_index.sql")
            .expect("sql")
            .expect("valid");
        assert_eq!(simple.kind, FlatKind::Simple);
    }

    #[test]
    fn flat_defects() {
        assert_eq!(parse_flat_name("README.md"), None);
        assert_eq!(parse_flat_name("schema.sql"), None);
        assert_eq!(
            parse_flat_name("add_users.up.sql"),
            Some(Err(FlatDefect::NoVersion))
        );
        assert_eq!(
            parse_flat_name("001_a.up.SQL"),
            Some(Err(FlatDefect::ExtensionCase))
        );
        assert_eq!(
            parse_flat_name("001_a.UP.sql"),
            Some(Err(FlatDefect::ExtensionCase))
        );
        assert_eq!(
            parse_flat_name("2014-11-13_a.up.sql"),
            Some(Err(FlatDefect::VersionNotInteger))
        );
        assert_eq!(
            parse_flat_name("99999999999999999999_a.up.sql"),
            Some(Err(FlatDefect::VersionNotInteger))
        );
        assert_eq!(
            parse_flat_name("001.up.sql"),
            Some(Err(FlatDefect::Malformed(NameDefect::NoSlug)))
        );
    }
}
