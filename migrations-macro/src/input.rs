//! Parsing the macro's arguments: `"dir"`, then optional `key = value` pairs.

use syn::parse::{Parse, ParseStream};
use syn::{LitBool, LitStr, Path, Token};

/// The parsed arguments of `embed_migrations!`.
pub(crate) struct Input {
    /// The directory literal; errors point at it.
    pub dir: LitStr,
    /// `allow_up_only = true`.
    pub allow_up_only: bool,
    /// `allow_syntax_errors = true`: syntax errors are warnings (an imported history whose
    /// files cannot be edited).
    pub allow_syntax_errors: bool,
    /// `crate = path`: how to reach `migrations_core`.
    pub krate: Path,
    /// `runtime = path`: how to reach `migrations_runtime`, whose types a Rust revision's glue
    /// names (`::migrations_runtime` unless given).
    pub runtime: Path,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let dir: LitStr = input.parse().map_err(|e| {
            syn::Error::new(e.span(), "expected the migrations directory as a string literal, e.g. `embed_migrations!(\"migrations\")`")
        })?;
        let mut parsed = Input {
            dir,
            allow_up_only: false,
            allow_syntax_errors: false,
            krate: syn::parse_quote!(::migrations_core),
            runtime: syn::parse_quote!(::migrations_runtime),
        };
        while input.parse::<Option<Token![,]>>()?.is_some() && !input.is_empty() {
            if input.peek(Token![crate]) {
                input.parse::<Token![crate]>()?;
                input.parse::<Token![=]>()?;
                parsed.krate = input.parse()?;
                continue;
            }
            let key: syn::Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            if key == "runtime" {
                parsed.runtime = input.parse()?;
                continue;
            }
            match key.to_string().as_str() {
                name @ ("allow_up_only" | "allow_syntax_errors") => {
                    let value = input.parse::<LitBool>().map_err(|e| {
                        syn::Error::new(e.span(), format!("`{name}` takes `true` or `false`, e.g. `{name} = true`"))
                    })?;
                    if name == "allow_up_only" {
                        parsed.allow_up_only = value.value;
                    } else {
                        parsed.allow_syntax_errors = value.value;
                    }
                }
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown argument `{other}`: expected `allow_up_only = true|false`, `allow_syntax_errors = true|false`, `crate = path` or `runtime = path`"),
                    ))
                }
            }
        }
        if !input.is_empty() {
            return Err(input.error("unexpected tokens: expected `, key = value`"));
        }
        Ok(parsed)
    }
}
