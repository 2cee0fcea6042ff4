//! Turning validated revisions into tokens. Nothing here can fail.

use migrations_core::{packed, Baseline, Layout, Revision};
use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Path;

use crate::code::{Call, Function};

/// Where the expansion reaches the crates it names.
#[derive(Clone, Copy)]
pub(crate) struct Paths<'a> {
    /// `migrations_core`.
    pub krate: &'a Path,
    /// `migrations_runtime`, named only by the glue of Rust revisions.
    pub runtime: &'a Path,
}

/// An expression building the table for `revisions` (with the functions of their Rust scripts,
/// in table order) and `baseline`, with a compiler warning per `warnings`.
pub(crate) fn table(
    paths: Paths<'_>,
    span: Span,
    layout: Option<Layout>,
    (revisions, baseline, functions): (&[Revision], Option<&Baseline>, &[Function]),
    warnings: &[String],
) -> TokenStream {
    let krate = paths.krate;
    let layout = layout_tokens(krate, layout.unwrap_or(Layout::Directories));
    // Two literals for the whole table, not an expression per revision: see
    // `migrations_core::packed`.
    let (text, index) = packed::pack_table(revisions, baseline);
    let (text, index) = (Literal::string(&text), Literal::byte_string(&index));
    let warnings = warnings
        .iter()
        .enumerate()
        .map(|(i, w)| warning(span, i, w));
    let (items, codes): (Vec<_>, Vec<_>) = functions
        .iter()
        .enumerate()
        .map(|(i, f)| glue(paths, i, f))
        .unzip();
    quote! {
        {
            #(#warnings)*
            #(#items)*
            #krate::Migrations::__packed_v4(#layout, #text, #index, &[#(#codes),*])
        }
    }
}

/// The items compiling one Rust script (its file as a module, and a function the runner can
/// hold as a pointer), and the table's entry for it.
fn glue(paths: Paths<'_>, index: usize, function: &Function) -> (TokenStream, TokenStream) {
    let Paths { krate, runtime } = paths;
    let module = format_ident!("__migration_code_{index}");
    let call = format_ident!("__migration_call_{index}");
    let name = format_ident!("{}", function.name);
    let path = function.path.to_string_lossy().into_owned();
    let transaction = quote!(#runtime::tokio_postgres::Transaction);
    let (item, entry) = match function.call {
        Call::Once => (
            quote! {
                fn #call<'a, 'b>(tx: &'a mut #transaction<'b>) -> #runtime::code::Pending<'a, ()> {
                    #runtime::code::__once(#module::#name(tx))
                }
            },
            quote!(#runtime::code::Code::__once(#call)),
        ),
        Call::Batched => (
            quote! {
                fn #call<'a, 'b>(
                    tx: &'a mut #transaction<'b>,
                    cursor: ::core::option::Option<&'a str>,
                ) -> #runtime::code::Pending<'a, ::core::option::Option<::std::string::String>> {
                    #runtime::code::__batch(cursor, move |cursor| #module::#name(tx, cursor))
                }
            },
            quote!(#runtime::code::Code::__batched(#call)),
        ),
    };
    let items = quote! {
        // The function must be `pub` for the glue beside the module to call it; that is all the
        // reach it has.
        #[doc(hidden)]
        #[allow(unreachable_pub, missing_docs)]
        mod #module {
            include!(#path);
        }
        #item
    };
    (items, quote!(#krate::Code(&#entry)))
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

/// `expansion` preceded by modules including `files`: Rust files that do not parse, so that the
/// compiler reports where.
pub(crate) fn with_files(expansion: TokenStream, files: &[std::path::PathBuf]) -> TokenStream {
    if files.is_empty() {
        return expansion;
    }
    let modules = files.iter().enumerate().map(|(i, file)| {
        let module = format_ident!("__migration_unparsable_{i}");
        let path = file.to_string_lossy().into_owned();
        quote!(mod #module { include!(#path); })
    });
    quote! {
        {
            #(#modules)*
            #expansion
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
