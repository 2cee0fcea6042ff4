//! [`Migrations`]: the ordered table of revisions, as the macro embeds it or as a directory
//! read at run time gives it, with lookups by version.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use crate::baseline::Baseline;
use crate::packed::Unpacked;
use crate::revision::{Checksum, Code, Layout, Revision};

/// An ordered, validated set of revisions: the output of `embed_migrations!` or of
/// [`crate::load_dir`].
///
/// ```
/// use migrations_core::{Migrations, Layout};
/// static EMPTY: Migrations = Migrations::__embedded(Layout::Directories, &[]);
/// assert!(EMPTY.is_empty());
/// ```
#[derive(Clone)]
pub struct Migrations {
    layout: Layout,
    table: Table,
    /// Canonical version → index, built on the first lookup: the runtime matches every history
    /// row against the table, and a linear search made that quadratic.
    index: OnceLock<HashMap<String, usize>>,
}

impl PartialEq for Migrations {
    fn eq(&self, other: &Self) -> bool {
        self.layout == other.layout
            && self.revisions() == other.revisions()
            && self.baseline() == other.baseline()
    }
}

impl Eq for Migrations {}

impl Migrations {
    #[doc(hidden)]
    pub const fn __embedded(layout: Layout, revisions: &'static [Revision]) -> Self {
        Self {
            layout,
            table: Table::Listed(Cow::Borrowed(revisions), None),
            index: OnceLock::new(),
        }
    }

    /// The table `embed_migrations!` emits: `text` and `index` as [`crate::packed::pack_table`]
    /// encodes them, decoded on first use, and the compiled functions of its Rust scripts in
    /// table order. The format is in the name, so a macro and a runtime that disagree on it fail
    /// to compile rather than misread each other.
    #[doc(hidden)]
    pub const fn __packed_v4(
        layout: Layout,
        text: &'static str,
        index: &'static [u8],
        codes: &'static [Code],
    ) -> Self {
        Self {
            layout,
            table: Table::Packed {
                text,
                index,
                codes,
                unpacked: OnceLock::new(),
            },
            index: OnceLock::new(),
        }
    }

    pub(crate) fn owned(layout: Layout, revisions: Vec<Revision>) -> Self {
        Self {
            layout,
            table: Table::Listed(Cow::Owned(revisions), None),
            index: OnceLock::new(),
        }
    }

    /// The same table with `baseline` replacing its first revisions on an empty database.
    pub(crate) fn with_baseline(mut self, baseline: Option<Baseline>) -> Self {
        if let Table::Listed(_, slot) = &mut self.table {
            *slot = baseline;
        }
        self
    }

    fn revisions(&self) -> &[Revision] {
        match &self.table {
            Table::Listed(revisions, _) => revisions,
            Table::Packed { .. } => self.unpacked().map_or(&[], |u| &u.revisions),
        }
    }

    /// A packed table's revisions and baseline, decoded on first use.
    fn unpacked(&self) -> Option<&Unpacked> {
        match &self.table {
            Table::Packed {
                text,
                index,
                codes,
                unpacked,
            } => Some(unpacked.get_or_init(|| crate::packed::unpack_table(text, index, codes))),
            Table::Listed(..) => None,
        }
    }

    /// The baseline of a squashed history ([`crate::baseline`]): what an empty database runs in
    /// place of the first [`Baseline::level`] revisions.
    pub fn baseline(&self) -> Option<&Baseline> {
        match &self.table {
            Table::Listed(_, baseline) => baseline.as_ref(),
            Table::Packed { .. } => self.unpacked().and_then(|u| u.baseline.as_ref()),
        }
    }

    /// The directory layout the revisions came from.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Number of revisions.
    pub fn len(&self) -> usize {
        self.revisions().len()
    }

    /// True when there are no revisions.
    pub fn is_empty(&self) -> bool {
        self.revisions().is_empty()
    }

    /// Revisions in application order.
    pub fn iter(&self) -> std::slice::Iter<'_, Revision> {
        self.revisions().iter()
    }

    /// All revisions as a slice, in application order.
    pub fn as_slice(&self) -> &[Revision] {
        self.revisions()
    }

    /// The revision with this canonical version (dashes in `version` are ignored).
    pub fn get(&self, version: &str) -> Option<&Revision> {
        self.position(version).map(|i| &self.revisions()[i])
    }

    /// Index of the revision with this version, in application order.
    pub fn position(&self, version: &str) -> Option<usize> {
        let index = self.index.get_or_init(|| {
            let versions = self.revisions().iter().enumerate();
            versions.map(|(i, r)| (r.version().to_owned(), i)).collect()
        });
        match version.contains('-') {
            true => index.get(&version.replace('-', "")).copied(),
            false => index.get(version).copied(),
        }
    }

    /// The newest revision.
    pub fn head(&self) -> Option<&Revision> {
        self.revisions().last()
    }

    /// A checksum of the whole set (versions, names and checksums in order), for caching
    /// databases migrated to head.
    pub fn fingerprint(&self) -> Checksum {
        let mut text = String::new();
        for r in self.iter() {
            text.push_str(&format!(
                "{}\t{}\t{}\n",
                r.version(),
                r.name(),
                r.checksum()
            ));
        }
        crate::source::checksum(&text)
    }
}

/// Where a table's revisions are.
#[derive(Clone)]
enum Table {
    /// Listed (a directory read at run time, or an empty table), with its baseline.
    Listed(Cow<'static, [Revision]>, Option<Baseline>),
    /// Emitted by the macro as one text and one index rather than an expression per revision,
    /// which rustc took long to check and evaluate for a long history; decoded on first use.
    Packed {
        text: &'static str,
        index: &'static [u8],
        codes: &'static [Code],
        unpacked: OnceLock<Unpacked>,
    },
}

impl fmt::Debug for Migrations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Migrations")
            .field("layout", &self.layout)
            .field("revisions", &self.revisions())
            .field("baseline", &self.baseline())
            .finish()
    }
}

impl<'a> IntoIterator for &'a Migrations {
    type Item = &'a Revision;
    type IntoIter = std::slice::Iter<'a, Revision>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}
