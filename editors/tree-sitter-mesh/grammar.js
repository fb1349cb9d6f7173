/**
 * @file Tree-sitter grammar for Mesh, the bundle language of meshc.
 * @license MIT
 *
 * Follows docs/syntax.md (its words and its grammar). Node and field
 * names follow the Rust AST in grammar/src/ast.rs, so that one idea has one
 * name in the compiler, the language server and the editors.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

const PREC = {
  additive: 1,       // + -
  multiplicative: 2, // * /
};

// Keywords cannot be used as names (docs/syntax.md, "Keywords").
const KEYWORDS = [
  'bundle', 'on', 'let', 'borrow', 'repay', 'as', 'debt', 'assume',
  'collateral', 'swap', 'deposit', 'withdraw', 'bridge', 'from', 'to', 'into',
  'for', 'via', 'parallel', 'and', 'require', 'input', 'all', 'token',
  'decimals', 'at', 'constraints', 'deadline', 'max_gas', 'min_balance',
  'min_security', 'min_health', 'invariant',
];

module.exports = grammar({
  name: 'mesh',

  // The external scanner in src/scanner.c lexes what a regular expression
  // cannot: nested `/* */` comments, and numbers that must not be glued to the
  // word after them (`100WETH`, `1e18` are errors, not `100 WETH`, `1 e18`).
  externals: $ => [$.block_comment, $.number],

  extras: $ => [/\s/, $.line_comment, $.block_comment],

  word: $ => $.identifier,

  reserved: {
    global: _ => KEYWORDS,
  },

  supertypes: $ => [$._item, $._statement, $._action, $._amount, $._constraint],

  rules: {
    source_file: $ => repeat($._item),

    _item: $ => choice($.token_declaration, $.bundle),

    // token SYMBOL decimals NUMBER (at ADDRESS)?
    token_declaration: $ => seq(
      'token',
      field('symbol', $.symbol),
      'decimals',
      field('decimals', $.number),
      optional(seq('at', field('address', $.address))),
    ),

    // bundle IDENT on IDENT block (constraints { constraint* })?
    bundle: $ => seq(
      'bundle',
      field('name', $.identifier),
      'on',
      field('home', $.identifier),
      field('body', $.block),
      optional(field('constraints', $.constraints)),
    ),

    constraints: $ => seq('constraints', '{', repeat($._constraint), '}'),

    _constraint: $ => choice(
      $.deadline_constraint,
      $.max_gas_constraint,
      $.min_balance_constraint,
      $.min_security_constraint,
      $.min_health_constraint,
      $.invariant_constraint,
    ),

    deadline_constraint: $ => seq('deadline', ':', field('blocks', $.number)),

    max_gas_constraint: $ => seq('max_gas', ':', field('gas', $.number)),

    min_balance_constraint: $ => seq(
      'min_balance', ':',
      field('amount', $._amount),
      optional(seq('on', field('chain', $.identifier))),
    ),

    // min_security: KIND — the least trusted bridge route kind accepted.
    min_security_constraint: $ => seq('min_security', ':', field('kind', $.identifier)),

    // min_health: FACTOR — every position the bundle changes ends at least this healthy.
    min_health_constraint: $ => seq('min_health', ':', field('factor', $.number)),

    invariant_constraint: $ => seq('invariant', ':', field('name', $.identifier)),

    block: $ => seq('{', repeat($._statement), '}'),

    _statement: $ => choice(
      $.let_statement,
      $._action,
      $.input_statement,
      $.on_statement,
      $.parallel_statement,
      $.require_statement,
      $.assume_statement,
    ),

    let_statement: $ => seq(
      'let',
      field('name', $.identifier),
      '=',
      field('action', $._action),
    ),

    input_statement: $ => seq('input', field('amount', $._amount)),

    on_statement: $ => seq(
      'on',
      field('chain', $.identifier),
      field('body', $.block),
    ),

    parallel_statement: $ => seq(
      'parallel',
      field('branch', $.block),
      repeat1(seq('and', field('branch', $.block))),
    ),

    require_statement: $ => seq(
      'require',
      field('left', $._amount),
      field('operator', choice('>=', '<=', '>', '<', '==', '!=')),
      field('right', $._amount),
    ),

    // assume (debt | collateral) AMOUNT at PROTOCOL
    assume_statement: $ => seq(
      'assume',
      field('position', choice('debt', 'collateral')),
      field('amount', $._amount),
      'at',
      field('protocol', $.identifier),
    ),

    _action: $ => choice(
      $.borrow_action,
      $.repay_action,
      $.swap_action,
      $.deposit_action,
      $.withdraw_action,
      $.bridge_action,
    ),

    // borrow AMOUNT from PROTOCOL (as debt)?
    borrow_action: $ => seq(
      'borrow', field('amount', $._amount), 'from', field('protocol', $.identifier),
      optional(field('as_debt', $.as_debt)),
    ),

    as_debt: _ => seq('as', 'debt'),

    repay_action: $ => seq(
      'repay', field('amount', $._amount), 'to', field('protocol', $.identifier),
    ),

    // swap AMOUNT for (AMOUNT | SYMBOL) on EXCHANGE
    swap_action: $ => seq(
      'swap',
      field('amount', $._amount),
      'for',
      field('output', choice($._amount, $.symbol)),
      'on',
      field('exchange', $.identifier),
    ),

    deposit_action: $ => seq(
      'deposit', field('amount', $._amount), 'into', field('protocol', $.identifier),
    ),

    withdraw_action: $ => seq(
      'withdraw', field('amount', $._amount), 'from', field('protocol', $.identifier),
    ),

    bridge_action: $ => seq(
      'bridge',
      field('amount', $._amount),
      'to',
      field('destination', $.identifier),
      optional(seq('via', field('route', $.identifier))),
    ),

    // amount := amount (+|-) term | term ; term := term (*|/) factor | factor
    _amount: $ => choice(
      $.binary_amount,
      $.quantity,
      $.number,
      $.all_amount,
      $.identifier,
      $.parenthesized_amount,
    ),

    binary_amount: $ => choice(
      prec.left(PREC.additive, seq(
        field('left', $._amount),
        field('operator', choice('+', '-')),
        field('right', $._amount),
      )),
      prec.left(PREC.multiplicative, seq(
        field('left', $._amount),
        field('operator', choice('*', '/')),
        field('right', $._amount),
      )),
    ),

    // NUMBER SYMBOL binds tightest: `2 * 3 USDC` is `2 * (3 USDC)`.
    quantity: $ => seq(field('value', $.number), field('symbol', $.symbol)),

    all_amount: $ => seq('all', field('symbol', $.symbol)),

    parenthesized_amount: $ => seq('(', field('amount', $._amount), ')'),

    identifier: _ => /[a-z_][a-z0-9_]*/,

    symbol: _ => /[A-Z][A-Z0-9]*/,

    address: _ => /0x[0-9a-fA-F]{40}/,

    line_comment: _ => token(seq('//', /[^\n]*/)),
  },
});
