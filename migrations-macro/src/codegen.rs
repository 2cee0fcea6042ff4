//! Turning validated revisions into tokens. Nothing here can fail.

use migrations_core::{packed, Layout, Revision};
use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Path;

/// An expression building the table for `revisions`, with a compiler warning per `warnings`.
pub(crate) fn table(
    krate: &Path,
    span: Span,
    layout: Option<Layout>,
    revisions: &[Revision],
    warnings: &[String],
) -> TokenStream {
    let layout = layout_tokens(krate, layout.unwrap_or(Layout::Directories));
    // Two literals for the whole table, not an expression per revision: see
    // `migrations_core::packed`.
    let (text, index) = packed::pack_table(revisions);
    let (text, index) = (Literal::string(&text), Literal::byte_string(&index));
    let warnings = warnings
        .iter()
        .enumerate()
        .map(|(i, w)| warning(span, i, w));
    quote! {
        {
            #(#warnings)*
            #krate::Migrations::__packed_v2(#layout, #text, #index)
        }
    }
}

/// Every error as a `compile_error!` at the path literal, then an empty table of the right type,
/// so the user sees these errors and nothing else.
pub(crate) fn failure(krate: &Path, span: Span, errors: &[String]) -> TokenStream {
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
