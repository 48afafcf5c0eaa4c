//! Bad expressions: each names the offending term and says why.

use crate::filter::{Filter, FilterError};

#[test]
fn bad_expressions_name_the_term_and_why() {
    const NO_PATH: &str = "missing field path; expected a path like `.status` or `.status=failed`";
    let cases: &[(&str, &str, &str)] = &[
        (
            "type:",
            "type:",
            "empty type pattern; expected a name or glob, like `type:a*`",
        ),
        (
            "ok type:\"\"",
            "type:\"\"",
            "empty type pattern; expected a name or glob, like `type:a*`",
        ),
        (
            "-type:",
            "-type:",
            "empty type pattern; expected a name or glob, like `type:a*`",
        ),
        (
            "source:",
            "source:",
            "empty source pattern; expected a name or glob, like `source:a*`",
        ),
        (
            "-",
            "-",
            "nothing after `-`; expected a term to negate, like `-type:ping`",
        ),
        (
            "ok - x",
            "-",
            "nothing after `-`; expected a term to negate, like `-type:ping`",
        ),
        (
            "--x",
            "--x",
            "more than one `-`; expected a single `-` before a term",
        ),
        ("\"abc", "\"abc", "unterminated quote; expected a closing `\"`"),
        (
            "x .a=\"b c",
            ".a=\"b c",
            "unterminated quote; expected a closing `\"`",
        ),
        (
            r#""ab\""#,
            r#""ab\""#,
            "unterminated quote; expected a closing `\"`",
        ),
        ("\"\"", "\"\"", "empty word; expected text between the quotes"),
        ("-\"\"", "-\"\"", "empty word; expected text between the quotes"),
        (".", ".", NO_PATH),
        ("-.", "-.", NO_PATH),
        (
            ".=3",
            ".=3",
            "missing field path before `=`; expected a path like `.status=…`",
        ),
        (
            ".>=3",
            ".>=3",
            "missing field path before `>=`; expected a path like `.status>=…`",
        ),
        (
            ".amount>>1",
            ".amount>>1",
            "unexpected `>` after operator `>`; quote the value if it starts with `>`",
        ),
        (
            ".amount=>1",
            ".amount=>1",
            "unexpected `>` after operator `=`; quote the value if it starts with `>`",
        ),
        (
            ".a==1",
            ".a==1",
            "unexpected `=` after operator `=`; quote the value if it starts with `=`",
        ),
        (".a!x", ".a!x", "`!` must be followed by `=`; expected `!=`"),
        (
            ".a>",
            ".a>",
            "missing value after `>`; only `=` and `!=` accept an empty value",
        ),
        (
            ".a<=",
            ".a<=",
            "missing value after `<=`; only `=` and `!=` accept an empty value",
        ),
        (
            ".a~",
            ".a~",
            "missing value after `~`; only `=` and `!=` accept an empty value",
        ),
        (".x~(", ".x~(", "invalid regex: unclosed group"),
        (
            ".x~a{2,1}",
            ".x~a{2,1}",
            "invalid regex: invalid repetition count range, the start must be <= the end",
        ),
        (
            ".a..b=1",
            ".a..b=1",
            "empty path segment; expected a name between dots",
        ),
        (
            ".a.=1",
            ".a.=1",
            "empty path segment; expected a name between dots",
        ),
        (
            "..a=1",
            "..a=1",
            "empty path segment; expected a name between dots",
        ),
        (
            ".a.[0]=1",
            ".a.[0]=1",
            "empty path segment; expected a name between dots",
        ),
        (
            ".a[x]=1",
            ".a[x]=1",
            "array index must be digits or `*`, like `[0]` or `[*]`",
        ),
        (
            ".a[]=1",
            ".a[]=1",
            "array index must be digits or `*`, like `[0]` or `[*]`",
        ),
        (
            ".a[1*]=1",
            ".a[1*]=1",
            "array index must be digits or `*`, like `[0]` or `[*]`",
        ),
        (".a[*x]=1", ".a[*x]=1", "expected `]` after `[*`"),
        (
            ".a[0=1",
            ".a[0=1",
            "unclosed `[`; expected digits and `]`, like `[0]`",
        ),
        (
            ".a[0",
            ".a[0",
            "unclosed `[`; expected digits and `]`, like `[0]`",
        ),
        (".a]=1", ".a]=1", "unexpected `]`; expected `[` before it"),
        (".a[0]b=1", ".a[0]b=1", "expected `.` or `[` after `]`"),
        (
            ".a[99999999999999999999999]=1",
            ".a[99999999999999999999999]=1",
            "array index `99999999999999999999999` is too large",
        ),
    ];
    let mut failures = Vec::new();
    for &(expr, term, reason) in cases {
        let want = FilterError {
            term: term.to_owned(),
            reason: reason.to_owned(),
        };
        match Filter::parse(expr) {
            Err(got) if got == want => {}
            Err(got) => failures.push(format!("`{expr}`:\n  got  {got}\n  want {want}")),
            Ok(_) => failures.push(format!("`{expr}` parsed but should fail")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn error_display_names_the_term() {
    let err = Filter::parse("ok .amount>>1").unwrap_err();
    assert_eq!(
        err.to_string(),
        "bad filter term `.amount>>1`: unexpected `>` after operator `>`; quote the value if it starts with `>`"
    );
}
