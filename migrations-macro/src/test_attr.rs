//! `#[migrations_runtime::test]`: parses the attribute's arguments and the test function, and
//! expands to a plain `#[test]` that hands the body to `migrations_runtime::testing::run`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Error, ItemFn, LitStr, Path, Token};

/// The attribute's arguments.
pub(crate) struct Args {
    migrations: Option<Path>,
    at: Option<LitStr>,
    empty: bool,
    krate: Option<Path>,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Args {
            migrations: None,
            at: None,
            empty: false,
            krate: None,
        };
        while !input.is_empty() {
            let key: syn::Ident = if input.peek(Token![crate]) {
                let token: Token![crate] = input.parse()?;
                syn::Ident::new("crate", token.span)
            } else {
                input.parse()?
            };
            let repeated = match key.to_string().as_str() {
                "empty" => std::mem::replace(&mut args.empty, true),
                "migrations" => args.migrations.replace(value(input)?).is_some(),
                "at" => args.at.replace(value(input)?).is_some(),
                "crate" => args.krate.replace(value(input)?).is_some(),
                other => {
                    let message = format!("unknown argument `{other}`: expected `migrations = path`, `at = \"target\"`, `empty` or `crate = path`");
                    return Err(Error::new(key.span(), message));
                }
            };
            if repeated {
                let message = format!("`{key}` is given twice: keep one");
                return Err(Error::new(key.span(), message));
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        let revision = args.at.as_ref().map(LitStr::span);
        if let Some(span) = revision.or(args.migrations.as_ref().map(Spanned::span)) {
            if args.empty {
                let message = "`empty` gives a database without migrations: drop `migrations` and `at`, or drop `empty`";
                return Err(Error::new(span, message));
            }
        }
        Ok(args)
    }
}

fn value<T: Parse>(input: ParseStream<'_>) -> syn::Result<T> {
    input.parse::<Token![=]>()?;
    input.parse()
}

/// The expansion, or the errors explaining why the function cannot be a database test.
pub(crate) fn expand(args: Args, function: ItemFn) -> TokenStream {
    if let Some(errors) = check(&function) {
        return errors.to_compile_error();
    }
    let krate = args
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::migrations_runtime));
    let fixture = fixture(args, &krate);
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = function;
    let name = &sig.ident;
    // A panic is what a `#[should_panic]` test is for: its database need not be kept.
    let should_panic = attrs.iter().any(|a| a.path().is_ident("should_panic"));
    let runner = match should_panic {
        true => format_ident!("run_should_panic"),
        false => format_ident!("run"),
    };
    let mut body = sig.clone();
    body.ident = format_ident!("__database_test_body");
    quote! {
        #[::core::prelude::v1::test]
        #(#attrs)*
        #vis fn #name() {
            #body #block
            #krate::testing::#runner(
                ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
                #fixture,
                __database_test_body,
            )
        }
    }
}

/// Every reason `function` cannot be a database test, combined; `None` when it can.
fn check(function: &ItemFn) -> Option<Error> {
    let signature = &function.sig;
    let should_panic = function
        .attrs
        .iter()
        .find(|attr| attr.path().is_ident("should_panic"));
    let returns = matches!(signature.output, syn::ReturnType::Type(..));
    let problems = [
        (
            signature.asyncness.is_none(),
            signature.fn_token.span,
            "a database test must be `async fn`",
        ),
        (
            signature.inputs.len() != 1,
            signature.paren_token.span.join(),
            "a database test takes one argument, its database: `db: migrations_runtime::testing::TestDatabase`",
        ),
        (
            !signature.generics.params.is_empty(),
            signature.generics.span(),
            "a database test cannot be generic",
        ),
        (
            should_panic.is_some() && returns,
            should_panic.map_or_else(proc_macro2::Span::call_site, |attr| attr.path().span()),
            "a `#[should_panic]` database test must return `()`, as `#[test]` requires",
        ),
    ];
    let mut errors = problems
        .into_iter()
        .filter(|(found, _, _)| *found)
        .map(|(_, span, message)| Error::new(span, message));
    let mut all = errors.next()?;
    errors.for_each(|error| all.combine(error));
    Some(all)
}

/// The `Fixture` expression the arguments describe.
fn fixture(args: Args, krate: &Path) -> TokenStream {
    if args.empty {
        return quote!(#krate::testing::Fixture::Empty);
    }
    let migrations = args
        .migrations
        .unwrap_or_else(|| syn::parse_quote!(crate::MIGRATIONS));
    let target = args.at.map_or_else(|| quote!("head"), |at| quote!(#at));
    // Spanned at the path, so that a missing `MIGRATIONS` is reported where it is named.
    let reference = quote_spanned!(migrations.span()=> &#migrations);
    quote!(#krate::testing::Fixture::At { migrations: #reference, target: #target })
}
