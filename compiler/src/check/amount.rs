//! Amounts: number literals in base units, plain numbers as exact
//! fractions, readable printing, and the typing and resolution of amount
//! expressions (rules 3 and 10).

use super::bundle::BundleChecker;
use super::names::{ChainId, TokenId};
use super::resolved::{AmountExpr, ResolvedAmount};
use super::symbolic::SymbolicAmount;
use super::AmountFact;
use crate::diagnostic::{Code, Diagnostic, Label};
use mesh_core::amount::{digits_value, parse_units, split_decimal, AmountError};
use mesh_grammar::{Amount, AmountKind, BinaryOp, Number, Span};

/// Base units as the user writes tokens: `99.95`, `190_000`, `0.0501`.
pub(crate) use mesh_core::amount::display_units as format_units;

/// A plain number as an exact fraction in lowest terms: `1.5` is `3 / 2`.
pub(crate) fn fraction(text: &str) -> Result<(u128, u128), AmountError> {
    let (whole, fraction) = split_decimal(text)?;
    let numerator = digits_value(&format!("{whole}{fraction}"))?;
    let exponent = u32::try_from(fraction.len()).map_err(|_| AmountError::TooLarge)?;
    let denominator = 10u128.checked_pow(exponent).ok_or(AmountError::TooLarge)?;
    let g = gcd(numerator, denominator);
    Ok((numerator / g, denominator / g))
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// A whole number no larger than `max`, for `deadline`, `max_gas` and
/// `decimals`; reports E1004 or E1002 otherwise.
pub(crate) fn whole_number(
    number: &Number,
    max: u64,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<u64> {
    let out_of_range = || {
        Diagnostic::error(
            Code::OutOfRange,
            format!("`{}` is out of range", number.text),
            Label::new(
                number.span,
                format!("the largest value allowed here is {max}"),
            ),
        )
    };
    match split_decimal(&number.text) {
        Ok((_, fraction)) if !fraction.is_empty() => {
            diagnostics.push(
                Diagnostic::error(
                    Code::WholeNumberRequired,
                    format!("`{}` is not a whole number", number.text),
                    Label::new(number.span, "a whole number is needed here"),
                )
                .with_hint("write it without a fraction"),
            );
            None
        }
        Ok((whole, _)) => match digits_value(&whole) {
            Ok(v) if v <= u128::from(max) => u64::try_from(v).ok(),
            _ => {
                diagnostics.push(out_of_range());
                None
            }
        },
        Err(_) => {
            diagnostics.push(out_of_range());
            None
        }
    }
}

/// A typed amount expression, as an operand of amount arithmetic: an
/// amount of one token or a plain number.
#[derive(Clone, Debug)]
pub(crate) enum Operand {
    Amount(TokenAmount),
    /// A plain number `numerator / denominator` and where it was written.
    Scalar {
        numerator: u128,
        denominator: u128,
        span: Span,
    },
    /// An error was reported; nothing more is said about this expression.
    Error,
}

/// An amount of one token: what the checker knows of it, its resolved
/// expression and where it is written.
#[derive(Clone, Debug)]
pub(crate) struct TokenAmount {
    pub token: TokenId,
    pub value: SymbolicAmount,
    pub expr: AmountExpr,
    pub span: Span,
}

/// Where an amount is written, which decides what it may refer to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Site {
    /// A statement on a chain (`None` when that chain is unknown).
    Statement(Option<ChainId>),
    /// A constraint: only exact amounts.
    Constraint,
}

impl BundleChecker<'_, '_> {
    /// The resolved value of an amount, for the lowering.
    pub(crate) fn resolved(&self, amt: TokenAmount) -> ResolvedAmount {
        ResolvedAmount {
            exact: amt.value.exact(),
            expr: amt.expr,
            token: self.names.symbol(amt.token).to_string(),
            span: amt.span,
        }
    }

    /// Types and resolves an amount expression, reporting what is wrong.
    pub(crate) fn amount(&mut self, amount: &Amount, site: Site) -> Operand {
        let operand = self.amount_inner(amount, site);
        if let Operand::Amount(a) = &operand {
            self.facts.amounts.push(AmountFact {
                span: amount.span,
                token: self.names.symbol(a.token).to_string(),
                decimals: self.names.decimals(a.token),
                exact: a.value.exact(),
                lower_bound: self.unknowns.lower_bound(&a.value),
            });
        }
        operand
    }

    /// An amount where a token amount is required (a step's amount, a
    /// `require` side): a plain number is E0302.
    pub(crate) fn token_amount(&mut self, amount: &Amount, site: Site) -> Option<TokenAmount> {
        match self.amount(amount, site) {
            Operand::Amount(a) => Some(a),
            Operand::Scalar { span, .. } => {
                self.report(
                    Diagnostic::error(
                        Code::PlainNumberAsAmount,
                        "a plain number is not an amount",
                        Label::new(span, "this has no token"),
                    )
                    .with_hint("write the token after the number, as in `100 WETH`"),
                );
                None
            }
            Operand::Error => None,
        }
    }

    fn amount_inner(&mut self, amount: &Amount, site: Site) -> Operand {
        match &amount.kind {
            AmountKind::Quantity { number, symbol } => {
                let Some(token) = self.resolve_token(&symbol.name, symbol.span) else {
                    return Operand::Error;
                };
                let decimals = self.names.decimals(token);
                match parse_units(&number.text, decimals) {
                    Ok(base) => match SymbolicAmount::constant(base) {
                        Some(value) => Operand::Amount(TokenAmount {
                            token,
                            value,
                            expr: AmountExpr::Const {
                                token: symbol.name.clone(),
                                base_units: base,
                            },
                            span: amount.span,
                        }),
                        None => {
                            self.out_of_range(amount.span);
                            Operand::Error
                        }
                    },
                    Err(AmountError::TooManyDecimals { written, .. }) => {
                        self.report(
                            Diagnostic::error(
                                Code::TooManyDecimals,
                                format!(
                                    "`{}` has {written} decimal{}, but {} has {decimals}",
                                    number.text,
                                    if written == 1 { "" } else { "s" },
                                    symbol.name
                                ),
                                Label::new(
                                    number.span,
                                    format!("more precise than one base unit of {}", symbol.name),
                                ),
                            )
                            .with_hint(format!(
                                "{} amounts have at most {decimals} digit{} after the point",
                                symbol.name,
                                if decimals == 1 { "" } else { "s" }
                            )),
                        );
                        Operand::Error
                    }
                    Err(_) => {
                        self.out_of_range(amount.span);
                        Operand::Error
                    }
                }
            }
            AmountKind::Scalar(number) => match fraction(&number.text) {
                Ok((numerator, denominator)) => Operand::Scalar {
                    numerator,
                    denominator,
                    span: amount.span,
                },
                Err(_) => {
                    self.out_of_range(amount.span);
                    Operand::Error
                }
            },
            AmountKind::All { symbol } => {
                let Some(token) = self.resolve_token(&symbol.name, symbol.span) else {
                    return Operand::Error;
                };
                let chain = match site {
                    Site::Statement(Some(chain)) => chain,
                    Site::Statement(None) => return Operand::Error,
                    Site::Constraint => {
                        self.constant_required(
                            amount.span,
                            "`all` is the holding at one point of the bundle",
                        );
                        return Operand::Error;
                    }
                };
                let value = self.holdings.amount(chain, token);
                self.touch_holding(chain, token, amount.span);
                Operand::Amount(TokenAmount {
                    token,
                    value,
                    expr: AmountExpr::All {
                        token: symbol.name.clone(),
                    },
                    span: amount.span,
                })
            }
            AmountKind::Var(ident) => {
                if site == Site::Constraint {
                    self.constant_required(
                        amount.span,
                        "constraints are judged on the whole bundle, outside the scope of its `let` values",
                    );
                    return Operand::Error;
                }
                match self.scope.lookup(&ident.name, ident.span) {
                    Ok(found) => {
                        self.facts.definitions.push(super::Definition {
                            use_span: ident.span,
                            def_span: found.def,
                        });
                        match (found.token, found.value) {
                            (Some(token), Some(value)) => Operand::Amount(TokenAmount {
                                token,
                                value,
                                expr: AmountExpr::Var {
                                    var: found.id,
                                    token: self.names.symbol(token).to_string(),
                                },
                                span: amount.span,
                            }),
                            _ => Operand::Error,
                        }
                    }
                    Err(diagnostic) => {
                        self.report(diagnostic);
                        Operand::Error
                    }
                }
            }
            AmountKind::Paren(inner) => {
                let mut value = self.amount_inner(inner, site);
                if let Operand::Amount(a) = &mut value {
                    a.span = amount.span;
                }
                value
            }
            AmountKind::Binary {
                op,
                op_span,
                left,
                right,
            } => {
                let l = self.amount(left, site);
                let r = self.amount(right, site);
                match op {
                    BinaryOp::Add | BinaryOp::Sub => {
                        self.additive(*op, *op_span, l, r, amount.span)
                    }
                    BinaryOp::Mul | BinaryOp::Div => self.scaled(*op, l, r, amount.span),
                }
            }
            AmountKind::Error => Operand::Error,
        }
    }

    fn additive(
        &mut self,
        op: BinaryOp,
        op_span: Span,
        l: Operand,
        r: Operand,
        span: Span,
    ) -> Operand {
        let (l, r) = match (l, r) {
            (Operand::Error, _) | (_, Operand::Error) => return Operand::Error,
            (Operand::Scalar { span: s, .. }, other) | (other, Operand::Scalar { span: s, .. }) => {
                let hint = match other {
                    Operand::Amount(a) => format!(
                        "give the number its token, as in `5 {}`",
                        self.names.symbol(a.token)
                    ),
                    _ => "give the numbers their tokens, as in `5 USDC`".to_string(),
                };
                self.report(
                    Diagnostic::error(
                        Code::PlainNumberAsAmount,
                        format!("a plain number cannot be used with `{}`", op.as_str()),
                        Label::new(s, "this has no token"),
                    )
                    .with_hint(hint),
                );
                return Operand::Error;
            }
            (Operand::Amount(l), Operand::Amount(r)) => (l, r),
        };
        if l.token != r.token {
            let (ls, rs) = (self.names.symbol(l.token), self.names.symbol(r.token));
            self.report(
                Diagnostic::error(
                    Code::TokenMismatch,
                    format!(
                        "cannot {} {rs} {} {ls}",
                        if op == BinaryOp::Add {
                            "add"
                        } else {
                            "subtract"
                        },
                        if op == BinaryOp::Add { "to" } else { "from" }
                    ),
                    Label::new(
                        op_span,
                        format!("`{}` needs one token on both sides", op.as_str()),
                    ),
                )
                .with_label(Label::new(l.span, format!("this is {ls}")))
                .with_label(Label::new(r.span, format!("this is {rs}")))
                .with_hint("convert one side first with a `swap`"),
            );
            return Operand::Error;
        }
        let value = match op {
            BinaryOp::Add => l.value.add(&r.value),
            _ => l.value.sub(&r.value),
        };
        let Some(value) = value else {
            self.out_of_range(span);
            return Operand::Error;
        };
        if let Some(c) = value.as_constant() {
            if c < 0 {
                let token = self.names.symbol(l.token);
                let decimals = self.names.decimals(l.token);
                self.report(
                    Diagnostic::error(
                        Code::OutOfRange,
                        format!("this subtraction goes below zero {token}"),
                        Label::new(
                            span,
                            format!(
                                "this is -{} {token}",
                                format_units(c.unsigned_abs(), decimals)
                            ),
                        ),
                    )
                    .with_hint("an amount is never negative; subtract less"),
                );
                return Operand::Error;
            }
        }
        let value = self.unknowns.bounded(value);
        let expr = match op {
            BinaryOp::Add => AmountExpr::Add(Box::new(l.expr), Box::new(r.expr)),
            _ => AmountExpr::Sub(Box::new(l.expr), Box::new(r.expr)),
        };
        Operand::Amount(TokenAmount {
            token: l.token,
            value,
            expr,
            span,
        })
    }

    fn scaled(&mut self, op: BinaryOp, l: Operand, r: Operand, span: Span) -> Operand {
        let (numerator, denominator, factor_span) = match r {
            Operand::Error => return Operand::Error,
            Operand::Amount(a) => {
                let symbol = self.names.symbol(a.token);
                self.report(
                    Diagnostic::error(
                        Code::AmountAsFactor,
                        format!("`{}` needs a plain number on its right", op.as_str()),
                        Label::new(a.span, format!("this is an amount of {symbol}")),
                    )
                    .with_hint(format!(
                        "put the amount on the left and the plain number on the right, as in `3 {symbol} * 2`"
                    )),
                );
                return Operand::Error;
            }
            Operand::Scalar {
                numerator,
                denominator,
                span,
            } => (numerator, denominator, span),
        };
        let l = match l {
            Operand::Error => return Operand::Error,
            Operand::Scalar { span: s, .. } => {
                self.report(
                    Diagnostic::error(
                        Code::PlainNumberAsAmount,
                        format!("`{}` needs an amount on its left", op.as_str()),
                        Label::new(s, "this has no token"),
                    )
                    .with_hint("give the number its token, as in `5 USDC`"),
                );
                return Operand::Error;
            }
            Operand::Amount(a) => a,
        };
        // x / (p/q) is x * q / p.
        let (numerator, denominator) = match op {
            BinaryOp::Div => (denominator, numerator),
            _ => (numerator, denominator),
        };
        if denominator == 0 {
            self.report(Diagnostic::error(
                Code::DivisionByZero,
                "division by zero",
                Label::new(factor_span, "this is zero"),
            ));
            return Operand::Error;
        }
        let expr = AmountExpr::Scale {
            amount: Box::new(l.expr),
            numerator,
            denominator,
        };
        let value = if denominator == 1 {
            i128::try_from(numerator)
                .ok()
                .and_then(|k| l.value.scale(k))
        } else if let Some(c) = l.value.exact() {
            c.checked_mul(numerator)
                .map(|p| p / denominator)
                .and_then(SymbolicAmount::constant)
        } else {
            Some(SymbolicAmount::unknown(self.unknowns.scaled(
                &l.value,
                numerator,
                denominator,
            )))
        };
        match value {
            Some(value) => Operand::Amount(TokenAmount {
                token: l.token,
                value,
                expr,
                span,
            }),
            None => {
                self.out_of_range(span);
                Operand::Error
            }
        }
    }

    fn out_of_range(&mut self, span: Span) {
        self.report(
            Diagnostic::error(
                Code::OutOfRange,
                "amount out of range",
                Label::new(span, "this does not fit in 127 bits of base units"),
            )
            .with_hint("amounts are exact integers in base units up to 2^127 - 1"),
        );
    }

    fn constant_required(&mut self, span: Span, why: &str) {
        self.report(
            Diagnostic::error(
                Code::ConstantRequired,
                "a constraint needs an amount known in advance",
                Label::new(span, "not known when the bundle is written"),
            )
            .with_hint(format!("{why}; write an exact amount such as `95 USDC`")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_numbers_are_exact_fractions() {
        assert_eq!(fraction("1.5"), Ok((3, 2)));
        assert_eq!(fraction("2"), Ok((2, 1)));
        assert_eq!(fraction("0.25"), Ok((1, 4)));
        assert_eq!(fraction("0"), Ok((0, 1)));
        assert_eq!(fraction("0.0"), Ok((0, 1)));
    }

    #[test]
    fn whole_numbers() {
        let mut d = Vec::new();
        let n = |t: &str| Number {
            text: t.to_string(),
            span: Span::new(0, t.len()),
        };
        assert_eq!(whole_number(&n("20"), 100, &mut d), Some(20));
        assert!(d.is_empty());
        assert_eq!(whole_number(&n("2.5"), 100, &mut d), None);
        assert_eq!(d.last().map(|x| x.code), Some(Code::WholeNumberRequired));
        assert_eq!(whole_number(&n("101"), 100, &mut d), None);
        assert_eq!(d.last().map(|x| x.code), Some(Code::OutOfRange));
        assert_eq!(
            whole_number(
                &n("99999999999999999999999999999999999999999"),
                u64::MAX,
                &mut d
            ),
            None
        );
    }
}
