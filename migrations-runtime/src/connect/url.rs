//! Connection-string surgery: removing the parameters tokio-postgres does not parse, and hiding
//! passwords, for both the URI and the `key=value` forms.

/// Hides the password of a connection string, in any of its forms.
pub(crate) fn redact(url: &str) -> String {
    if let Some(scheme_end) = url.find("://") {
        let (scheme, rest) = url.split_at(scheme_end + 3);
        // tokio-postgres reads the credentials up to the first '@' anywhere, so a password may
        // hold a raw '/' or '?' (regression: such a password used to be printed); a later '@'
        // before the host ends belongs to the password too.
        let Some(first_at) = rest.find('@') else {
            return format!("{scheme}{}", redact_query(rest));
        };
        let host_end = rest[first_at..]
            .find(['/', '?'])
            .map_or(rest.len(), |i| first_at + i);
        let at = rest[..host_end].rfind('@').unwrap_or(first_at);
        let (credentials, tail) = rest.split_at(at);
        let credentials = match credentials.split_once(':') {
            Some((user, _)) => format!("{user}:***"),
            None => credentials.to_owned(),
        };
        return format!("{scheme}{credentials}{}", redact_query(tail));
    }
    // Not a URI we recognise, yet shaped like one (`postgres:/u:pw@h/db`): hide everything
    // between the first ':' and the last '@' rather than echo a password (regression).
    if let Some(at) = url.rfind('@') {
        let head = &url[..at];
        if !head.contains('=') {
            if let Some(colon) = head.find(':') {
                let masked = match head[colon + 1..].rfind(':') {
                    Some(c) => format!("{}:***", &head[..colon + 1 + c]),
                    None => format!("{}:***", &head[..colon]),
                };
                return format!("{masked}{}", &url[at..]);
            }
        }
    }
    let (rest, params) = extract_params(url, &["password"]);
    if params.is_empty() {
        rest
    } else {
        format!("{rest} password=***").trim().to_owned()
    }
}

fn redact_query(tail: &str) -> String {
    match tail.split_once('?') {
        Some((path, query)) => {
            let parts: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some(("password", _)) => "password=***".to_owned(),
                    _ => kv.to_owned(),
                })
                .collect();
            format!("{path}?{}", parts.join("&"))
        }
        None => tail.to_owned(),
    }
}

/// Removes `keys` from a URI query string or a `key=value` list; returns the rest and the removed
/// pairs (values unquoted / percent-decoded).
pub(super) fn extract_params(text: &str, keys: &[&str]) -> (String, Vec<(String, String)>) {
    let mut found = Vec::new();
    if text.contains("://") {
        let Some((base, query)) = text.split_once('?') else {
            return (text.to_owned(), found);
        };
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some((k, v)) if keys.contains(&k) => found.push((k.to_owned(), percent_decode(v))),
                _ => kept.push(pair),
            }
        }
        let rebuilt = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return (rebuilt, found);
    }
    let mut kept = Vec::new();
    for (key, value, raw) in key_value_pairs(text) {
        if keys.contains(&key.as_str()) {
            found.push((key, value));
        } else {
            kept.push(raw);
        }
    }
    (kept.join(" "), found)
}

/// Splits `k=v k2='quoted \' value'` into (key, unquoted value, raw text) triples.
fn key_value_pairs(text: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut key = String::new();
        while let Some(&(_, c)) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars
            .peek()
            .is_some_and(|&(_, c)| c.is_whitespace() || c == '=')
        {
            chars.next();
        }
        let mut value = String::new();
        let quoted = chars.peek().is_some_and(|&(_, c)| c == '\'');
        if quoted {
            chars.next();
        }
        while let Some((_, c)) = chars.next() {
            match c {
                '\\' => value.extend(chars.next().map(|(_, c)| c)),
                '\'' if quoted => break,
                c if c.is_whitespace() && !quoted => break,
                c => value.push(c),
            }
        }
        let end = chars.peek().map_or(text.len(), |&(i, _)| i);
        out.push((key, value, text[start..end].trim().to_owned()));
    }
    out
}

fn percent_decode(s: &str) -> String {
    // Byte-wise: slicing the str at `%` + 2 could split a multi-byte character (regression: a
    // panic on `%aé`).
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = bytes.get(i + 1).and_then(|&b| hex(b));
            let lo = bytes.get(i + 2).and_then(|&b| hex(b));
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_every_form() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/x?sslmode=require"),
            "postgres://app:***@db:5432/x?sslmode=require"
        );
        assert_eq!(
            redact("postgresql+asyncpg://u:p@h/911_training"),
            "postgresql+asyncpg://u:***@h/911_training"
        );
        assert_eq!(
            redact("postgres://h/x?user=u&password=pw"),
            "postgres://h/x?user=u&password=***"
        );
        assert_eq!(
            redact("host=h password='a b' dbname=x"),
            "host=h dbname=x password=***"
        );
        assert_eq!(redact("postgres://u@h/x"), "postgres://u@h/x");
    }

    #[test]
    fn passwords_with_url_delimiters_stay_hidden() {
        assert_eq!(redact("postgres://u:pa/ss@h/db"), "postgres://u:***@h/db");
        assert_eq!(
            redact("postgres://u:p?w@x@h:5432/db?sslmode=require"),
            "postgres://u:***@h:5432/db?sslmode=require"
        );
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
    }

    #[test]
    fn percent_decoding_never_splits_characters() {
        assert_eq!(percent_decode("%2Ftmp%2fca.pem"), "/tmp/ca.pem");
        assert_eq!(percent_decode("%aé"), "%aé");
        assert_eq!(percent_decode("%+1"), "%+1");
        assert_eq!(percent_decode("50%"), "50%");
    }

    #[test]
    fn malformed_uris_never_echo_the_password() {
        for url in [
            "postgres:/app:hunter2@localhost/db",
            "postgresql//app:hunter2@h/db",
            "app:hunter2@h",
        ] {
            let shown = redact(url);
            assert!(!shown.contains("hunter2"), "{url} -> {shown}");
            assert!(shown.contains("***"), "{url} -> {shown}");
        }
        assert_eq!(
            redact("host=h user=u@corp dbname=x"),
            "host=h user=u@corp dbname=x"
        );
    }
}
