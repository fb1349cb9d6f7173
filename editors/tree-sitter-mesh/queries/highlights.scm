; Syntax highlighting for Mesh (the words of docs/syntax.md).
;
; Every pattern matches a distinct set of nodes, so the result does not depend
; on whether an editor lets the first or the last matching pattern win.

; Comments

[
  (line_comment)
  (block_comment)
] @comment

; Keywords

; Declarations, control, and the prepositions that join an action's parts.
; Only the CLI's standard capture names are used (`tree-sitter highlight
; --check`), so editors with their own themes can map them.

[
  "bundle"
  "token"
  "let"
  "constraints"
  "on"
  "parallel"
  "and"
  "require"
  "assume"
  "debt"
  "collateral"
  "as"
  "from"
  "to"
  "into"
  "for"
  "via"
  "at"
  "all"
] @keyword

[
  "borrow"
  "repay"
  "swap"
  "deposit"
  "withdraw"
  "bridge"
  "input"
] @function.builtin

[
  "deadline"
  "max_gas"
  "min_balance"
  "min_security"
  "min_health"
  "invariant"
  "decimals"
] @property

; Names, by position: a chain, a protocol, a bundle, an invariant, a value.

(bundle name: (identifier) @function)

(bundle home: (identifier) @module)
(on_statement chain: (identifier) @module)
(bridge_action destination: (identifier) @module)
(min_balance_constraint chain: (identifier) @module)

(borrow_action protocol: (identifier) @constructor)
(repay_action protocol: (identifier) @constructor)
(deposit_action protocol: (identifier) @constructor)
(withdraw_action protocol: (identifier) @constructor)
(assume_statement protocol: (identifier) @constructor)
(swap_action exchange: (identifier) @constructor)
(bridge_action route: (identifier) @constructor)
(min_security_constraint kind: (identifier) @constructor)

(invariant_constraint name: (identifier) @constant.builtin)

(let_statement name: (identifier) @variable)
(_ amount: (identifier) @variable)
(binary_amount left: (identifier) @variable)
(binary_amount right: (identifier) @variable)
(require_statement left: (identifier) @variable)
(require_statement right: (identifier) @variable)
(swap_action output: (identifier) @variable)

; Literals

(symbol) @type

(number) @number

(address) @string.special

; Operators and punctuation

[
  "+"
  "-"
  "*"
  "/"
  "="
  ">="
  "<="
  ">"
  "<"
  "=="
  "!="
] @operator

[
  "{"
  "}"
  "("
  ")"
] @punctuation.bracket

":" @punctuation.delimiter
