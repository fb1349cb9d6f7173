use super::*;

fn kinds(source: &str) -> Vec<TokenKind> {
    lex(source).into_iter().map(|l| l.kind).collect()
}

fn errors(source: &str) -> Vec<(SyntaxErrorKind, Span)> {
    tokenize(source)
        .errors
        .into_iter()
        .map(|e| (e.kind, e.span))
        .collect()
}

#[test]
fn every_keyword_is_its_own_token() {
    for (i, word) in KEYWORDS.iter().enumerate() {
        let kind = TokenKind::keyword(word);
        assert_eq!(kind, KEYWORD_KINDS.get(i).copied());
        assert_eq!(kinds(word), vec![KEYWORD_KINDS[i]], "{word}");
        assert_eq!(KEYWORD_KINDS[i].text(), Some(*word));
        assert!(KEYWORD_KINDS[i].is_keyword());
    }
    // A keyword is only a keyword as a whole word.
    assert_eq!(kinds("bundles on_chain tok"), vec![TokenKind::Ident; 3]);
}

#[test]
fn identifiers_symbols_numbers_addresses() {
    use TokenKind::*;
    assert_eq!(
        kinds("polygon uniswap_v2 _x a1 WETH USDC2 X 100 1_000_000 0.5 1.25 1_0.0_1"),
        vec![
            Ident, Ident, Ident, Ident, Symbol, Symbol, Symbol, Number, Number, Number, Number,
            Number
        ]
    );
    assert_eq!(
        kinds("0x6982508145454Ce325dDbE47a25d4ec3d2311933"),
        vec![Address]
    );
}

#[test]
fn punctuation_longest_match() {
    use TokenKind::*;
    assert_eq!(
        kinds("{ } ( ) : = + - * / >= <= > < == != >== ="),
        vec![
            LBrace, RBrace, LParen, RParen, Colon, Assign, Plus, Minus, Star, Slash, Ge, Le, Gt,
            Lt, EqEq, Ne, Ge, Assign, Assign
        ]
    );
    for (kind, text) in PUNCTUATION {
        assert_eq!(TokenKind::from_text(text), Some(kind));
        assert_eq!(kind.text(), Some(text));
    }
}

#[test]
fn comments_are_tokens_and_nest() {
    use TokenKind::*;
    let source = "a // line\n/* x /* y */ z */ b /**/ c";
    assert_eq!(
        kinds(source),
        vec![Ident, LineComment, BlockComment, Ident, BlockComment, Ident]
    );
    let lexed = tokenize(source);
    assert!(lexed.errors.is_empty());
    let texts: Vec<&str> = lexed
        .comments
        .iter()
        .map(|c| &source[c.span.start..c.span.end])
        .collect();
    assert_eq!(texts, ["// line", "/* x /* y */ z */", "/**/"]);
    // A line comment stops at the newline; `/` alone is division.
    assert_eq!(kinds("a / b //"), vec![Ident, Slash, Ident, LineComment]);
}

#[test]
fn a_line_comment_ends_at_any_line_end() {
    use TokenKind::*;
    for end in ["\n", "\r\n", "\r"] {
        let source = format!("// note{end}bundle b");
        assert_eq!(kinds(&source), vec![LineComment, Bundle, Ident], "{end:?}");
        let lexed = tokenize(&source);
        assert_eq!(lexed.comments[0].span, Span::new(0, 7), "{end:?}");
    }
}

#[test]
fn a_byte_order_mark_at_the_start_is_skipped() {
    let source = "\u{FEFF}bundle b";
    let tokens = lex(source);
    assert_eq!(
        tokens[0],
        Lexeme {
            kind: TokenKind::Bundle,
            span: Span::new(3, 9)
        }
    );
    assert!(tokenize(source).errors.is_empty());
    // Anywhere else it is a character that starts no token.
    assert_eq!(
        errors("a \u{FEFF}"),
        vec![(
            SyntaxErrorKind::UnexpectedCharacter {
                text: "\u{FEFF}".into()
            },
            Span::new(2, 5)
        )]
    );
}

#[test]
fn spans_are_byte_ranges() {
    let tokens = lex("  bundle x\n{ }");
    let spans: Vec<Span> = tokens.iter().map(|t| t.span).collect();
    assert_eq!(
        spans,
        [
            Span::new(2, 8),
            Span::new(9, 10),
            Span::new(11, 12),
            Span::new(13, 14)
        ]
    );
}

#[test]
fn malformed_numbers_are_one_word_each() {
    for word in [
        "1e18",
        "100WETH",
        "1_",
        "1__0",
        "1.",
        "1.5.2",
        "10_000weth",
        "1._5",
        "2x",
    ] {
        let source = format!("a {word} b");
        assert_eq!(
            errors(&source),
            vec![(
                SyntaxErrorKind::MalformedNumber {
                    text: word.to_string()
                },
                Span::new(2, 2 + word.len())
            )],
            "{word}"
        );
        assert_eq!(
            kinds(&source),
            vec![TokenKind::Ident, TokenKind::Error, TokenKind::Ident]
        );
    }
    assert_eq!(
        errors(".5"),
        vec![(
            SyntaxErrorKind::MalformedNumber {
                text: ".5".to_string()
            },
            Span::new(0, 2)
        )]
    );
}

#[test]
fn malformed_addresses() {
    for word in [
        "0x",
        "0x123",
        "0x6982508145454Ce325dDbE47a25d4ec3d231193",
        "0x6982508145454Ce325dDbE47a25d4ec3d23119334",
        "0x6982508145454Ce325dDbE47a25d4ec3d231193g",
        "0X6982508145454Ce325dDbE47a25d4ec3d2311933",
    ] {
        assert_eq!(
            errors(word),
            vec![(
                SyntaxErrorKind::MalformedAddress {
                    text: word.to_string()
                },
                Span::new(0, word.len())
            )],
            "{word}"
        );
    }
}

#[test]
fn mixed_case_words() {
    for word in ["Weth", "wETH", "Polygon", "WETH_E", "_X", "uniSwap"] {
        assert_eq!(
            errors(word),
            vec![(
                SyntaxErrorKind::MixedCaseWord {
                    text: word.to_string()
                },
                Span::new(0, word.len())
            )],
            "{word}"
        );
    }
}

#[test]
fn unterminated_comment_is_reported_at_its_opening() {
    let source = "a /* b /* c */ d";
    assert_eq!(
        errors(source),
        vec![(SyntaxErrorKind::UnterminatedComment, Span::new(2, 4))]
    );
    let lexed = tokenize(source);
    assert!(lexed.unterminated_comment);
    assert_eq!(lexed.comments[0].span, Span::new(2, source.len()));
    assert_eq!(
        errors("/*"),
        vec![(SyntaxErrorKind::UnterminatedComment, Span::new(0, 2))]
    );
}

#[test]
fn unexpected_characters_group_into_runs() {
    let source = "a ; b €€ c é";
    assert_eq!(
        errors(source),
        vec![
            (
                SyntaxErrorKind::UnexpectedCharacter { text: ";".into() },
                Span::new(2, 3)
            ),
            (
                SyntaxErrorKind::UnexpectedCharacter {
                    text: "€€".into()
                },
                Span::new(6, 12)
            ),
            (
                SyntaxErrorKind::UnexpectedCharacter { text: "é".into() },
                Span::new(15, 17)
            ),
        ]
    );
    // `!` alone and a lone `.` are not tokens.
    assert_eq!(kinds("! ."), vec![TokenKind::Error, TokenKind::Error]);
}

#[test]
fn lexing_goes_on_after_every_error() {
    use TokenKind::*;
    assert_eq!(
        kinds("1e18 Weth 0x12 ; WETH"),
        vec![Error, Error, Error, Error, Symbol]
    );
    assert_eq!(errors("1e18 Weth 0x12 ; WETH").len(), 4);
}
