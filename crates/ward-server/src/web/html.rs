//! HTML built in Rust, every value escaped. The only way to put text into a page is the
//! [`html!`] macro (or [`Html::text`]): its format string is a literal, checked at compile time
//! to take its values as arguments (`{}`), never by inline capture (`{name}`), and every
//! argument goes through [`Render`], which escapes text. Markup made this way is an [`Html`] and
//! nests without being escaped twice. The one door for markup from elsewhere is
//! [`Html::trusted`], used for the QR code that `ward_auth` draws.

use std::fmt::Write as _;

/// Markup built from literals and escaped values.
#[derive(Debug, Default, Clone)]
pub(crate) struct Html(String);

impl Html {
    pub(crate) fn new() -> Html {
        Html(String::new())
    }

    /// Markup produced by our own code from values it controls (no request text).
    pub(crate) fn trusted(s: String) -> Html {
        Html(s)
    }

    /// Escaped text.
    pub(crate) fn text(s: &str) -> Html {
        let mut h = Html::new();
        escape_into(&mut h.0, s);
        h
    }

    pub(crate) fn push(&mut self, h: &Html) {
        self.0.push_str(&h.0);
    }

    #[doc(hidden)]
    pub(crate) fn write_args(&mut self, args: std::fmt::Arguments<'_>) {
        let _ = self.0.write_fmt(args);
    }

    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

/// `&`, `<`, `>`, `"` and `'` as entities: safe in element content and in quoted attributes.
pub(crate) fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// A value that can go into a page.
pub(crate) trait Render {
    fn render(&self, out: &mut String);
}

impl Render for str {
    fn render(&self, out: &mut String) {
        escape_into(out, self);
    }
}

impl Render for String {
    fn render(&self, out: &mut String) {
        escape_into(out, self);
    }
}

impl Render for Html {
    fn render(&self, out: &mut String) {
        out.push_str(&self.0);
    }
}

impl<T: Render + ?Sized> Render for &T {
    fn render(&self, out: &mut String) {
        (**self).render(out);
    }
}

impl<T: Render> Render for Option<T> {
    fn render(&self, out: &mut String) {
        if let Some(v) = self {
            v.render(out);
        }
    }
}

macro_rules! render_number {
    ($($t:ty),*) => {$(
        impl Render for $t {
            fn render(&self, out: &mut String) {
                let _ = write!(out, "{self}");
            }
        }
    )*};
}
render_number!(i64, u64, i32, u32, usize, u8);

/// Display through [`Render`] (what [`html!`] wraps each argument in).
pub(crate) struct Esc<'a, T: Render + ?Sized>(pub(crate) &'a T);

impl<T: Render + ?Sized> std::fmt::Display for Esc<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = String::new();
        self.0.render(&mut s);
        f.write_str(&s)
    }
}

/// True when every placeholder of `fmt` is `{}` or `{:…}`: no inline capture of a variable
/// (which would skip [`Esc`]) and no positional index.
pub(crate) const fn only_plain_placeholders(fmt: &str) -> bool {
    let b = fmt.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'{' {
            if i + 1 < b.len() && b[i + 1] == b'{' {
                i += 2;
                continue;
            }
            if !(i + 1 < b.len() && (b[i + 1] == b'}' || b[i + 1] == b':')) {
                return false;
            }
        }
        i += 1;
    }
    true
}

/// `html!(out, "<td>{}</td>", value)`: append to the [`Html`] `out`, each value escaped.
macro_rules! html {
    ($out:expr, $fmt:literal $(, $arg:expr)* $(,)?) => {{
        const _: () = assert!($crate::web::html::only_plain_placeholders($fmt), "html!: pass every value as an argument ({{}}), so that it is escaped");
        $out.write_args(format_args!($fmt $(, $crate::web::html::Esc(&$arg))*));
    }};
}
pub(crate) use html;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_markup_nests_once() {
        let mut inner = Html::new();
        html!(inner, "<b>{}</b>", "a<b>&\"'");
        let mut h = Html::new();
        html!(h, "<p title=\"{}\">{} {}</p>", "x\"><script>", inner, 42i64);
        assert_eq!(h.into_string(), "<p title=\"x&quot;&gt;&lt;script&gt;\"><b>a&lt;b&gt;&amp;&quot;&#39;</b> 42</p>");
    }

    #[test]
    fn inline_capture_is_refused() {
        assert!(only_plain_placeholders("<a>{}</a>{{x}}{:>3}"));
        assert!(!only_plain_placeholders("<a>{name}</a>"));
        assert!(!only_plain_placeholders("{0}"));
    }
}
