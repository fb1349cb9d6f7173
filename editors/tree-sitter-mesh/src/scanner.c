// External scanner for Mesh (the words of docs/syntax.md): two tokens that
// a regular expression in grammar.js cannot lex exactly.
//
// - Block comments `/* ... */`, which may nest: the depth is counted here. An
//   unterminated block comment is not a token, so the parser reports an error.
// - Numbers. A number is digits with single `_` separators and an optional
//   fraction (`1_000.5`), and it must not be glued to letters or digits that do
//   not belong to it. A regular expression would read `100WETH` as `100` and
//   `WETH`, and `1e18` as `1` and `e18`; here the whole word is read and
//   refused unless all of it is a number, so the parser reports an error.
//
// The scanner keeps no state between tokens.

#include "tree_sitter/parser.h"

#include <wctype.h>

enum TokenType {
  BLOCK_COMMENT,
  NUMBER,
};

void *tree_sitter_mesh_external_scanner_create(void) { return NULL; }

void tree_sitter_mesh_external_scanner_destroy(void *payload) { (void)payload; }

unsigned tree_sitter_mesh_external_scanner_serialize(void *payload, char *buffer) {
  (void)payload;
  (void)buffer;
  return 0;
}

void tree_sitter_mesh_external_scanner_deserialize(void *payload, const char *buffer,
                                                   unsigned length) {
  (void)payload;
  (void)buffer;
  (void)length;
}

static inline void advance(TSLexer *lexer) { lexer->advance(lexer, false); }

static inline void skip(TSLexer *lexer) { lexer->advance(lexer, true); }

static inline bool is_digit(int32_t c) { return c >= '0' && c <= '9'; }

static inline bool is_word_char(int32_t c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c == '.';
}

static bool scan_block_comment(TSLexer *lexer) {
  // The opening `/*` has been read.
  unsigned depth = 1;
  while (!lexer->eof(lexer)) {
    if (lexer->lookahead == '*') {
      advance(lexer);
      if (lexer->lookahead == '/') {
        advance(lexer);
        if (--depth == 0) {
          lexer->result_symbol = BLOCK_COMMENT;
          return true;
        }
      }
    } else if (lexer->lookahead == '/') {
      advance(lexer);
      if (lexer->lookahead == '*') {
        advance(lexer);
        depth++;
      }
    } else {
      advance(lexer);
    }
  }
  return false;  // unterminated
}

static bool scan_number(TSLexer *lexer) {
  // digits ('_' digits)* ('.' digits ('_' digits)*)?, then no word character.
  enum { INTEGER, AFTER_SEPARATOR, AFTER_POINT, FRACTION, BAD } state = INTEGER;
  while (is_word_char(lexer->lookahead)) {
    int32_t c = lexer->lookahead;
    switch (state) {
      case INTEGER:
        state = is_digit(c) ? INTEGER : c == '_' ? AFTER_SEPARATOR : c == '.' ? AFTER_POINT : BAD;
        break;
      case AFTER_SEPARATOR:
        state = is_digit(c) ? INTEGER : BAD;
        break;
      case AFTER_POINT:
        state = is_digit(c) ? FRACTION : BAD;
        break;
      case FRACTION:
        state = is_digit(c) ? FRACTION : c == '_' ? AFTER_POINT : BAD;
        break;
      case BAD:
        break;
    }
    if (state == BAD) return false;
    advance(lexer);
  }
  if (state != INTEGER && state != FRACTION) return false;
  lexer->result_symbol = NUMBER;
  return true;
}

bool tree_sitter_mesh_external_scanner_scan(void *payload, TSLexer *lexer,
                                            const bool *valid_symbols) {
  (void)payload;

  while (iswspace(lexer->lookahead)) skip(lexer);

  if (valid_symbols[BLOCK_COMMENT] && lexer->lookahead == '/') {
    advance(lexer);
    if (lexer->lookahead != '*') return false;
    advance(lexer);
    return scan_block_comment(lexer);
  }

  if (valid_symbols[NUMBER] && is_digit(lexer->lookahead)) {
    return scan_number(lexer);
  }

  return false;
}
