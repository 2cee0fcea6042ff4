//! Turning validated revisions into tokens. Nothing here can fail.

use migrations_core::{packed, Layout, Revision, Script, TransactionMode};
use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Path;

/// An expression building the table for `revisions`, with a compiler warning per `warnings`.
pub fn table(
    krate: &Path,
    span: Span,
    layout: Option<Layout>,
    revisions: &[Revision],
    warnings: &[String],
) -> TokenStream {
    let layout = layout_tokens(krate, layout.unwrap_or(Layout::Directories));
    let revisions = revisions.iter().map(|r| revision(krate, r));
    let warnings = warnings
        .iter()
        .enumerate()
        .map(|(i, w)| warning(span, i, w));
    quote! {
        {
            #(#warnings)*
            const __EMBEDDED_REVISIONS: &[#krate::Revision] = &[#(#revisions),*];
            #krate::Migrations::__embedded(#layout, __EMBEDDED_REVISIONS)
        }
    }
}

/// Every error as a `compile_error!` at the path literal, then an empty table of the right type,
/// so the user sees these errors and nothing else.
pub fn failure(krate: &Path, span: Span, errors: &[String]) -> TokenStream {
    let combined = errors
        .iter()
        .map(|e| syn::Error::new(span, e))
        .reduce(|mut all, e| {
            all.combine(e);
            all
        })
        .map(|e| e.to_compile_error());
    let layout = layout_tokens(krate, Layout::Directories);
    quote! {
        {
            #combined
            #krate::Migrations::__embedded(#layout, &[])
        }
    }
}

fn layout_tokens(krate: &Path, layout: Layout) -> TokenStream {
    match layout {
        Layout::Directories => quote!(#krate::Layout::Directories),
        Layout::Flat => quote!(#krate::Layout::Flat),
    }
}

fn revision(krate: &Path, r: &Revision) -> TokenStream {
    let (version, name, source) = (r.version(), r.name(), r.source());
    let up = script(krate, r.up());
    let down = match r.down() {
        Some(down) => {
            let down = script(krate, down);
            quote!(::core::option::Option::Some(#down))
        }
        None => quote!(::core::option::Option::None),
    };
    // One literal rather than 32: each literal is an expression rustc checks.
    let checksum = Literal::byte_string(&r.checksum().0);
    quote! {
        #krate::Revision::__new(#version, #name, #source, #up, #down, *#checksum)
    }
}

fn script(krate: &Path, s: &Script) -> TokenStream {
    let (file, sql) = (s.file(), s.sql());
    let mode = match s.transaction() {
        TransactionMode::Wrapped => quote!(#krate::TransactionMode::Wrapped),
        TransactionMode::Own => quote!(#krate::TransactionMode::Own),
        TransactionMode::None => quote!(#krate::TransactionMode::None),
    };
    // One byte string, not an expression per statement: see `migrations_core::packed`.
    let packed = Literal::byte_string(&packed::pack(&s.statement_ranges()));
    quote!(#krate::Script::__new_packed(#file, #sql, #mode, #packed))
}

/// Stable Rust has no API for custom warnings; using a `#[deprecated]` item is the standard
/// trick: rustc prints the note as a warning pointing at the macro call.
fn warning(span: Span, index: usize, message: &str) -> TokenStream {
    let name = syn::Ident::new(&format!("embed_migrations_warning_{index}"), span);
    let note = message;
    quote_spanned! {span=>
        #[allow(non_camel_case_types)]
        #[deprecated(note = #note)]
        struct #name;
        const _: () = { let _ = #name; };
    }
}
