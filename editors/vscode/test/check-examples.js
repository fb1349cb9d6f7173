#!/usr/bin/env node
// Tokenizes .mesh files with the extension's TextMate grammar and fails if any
// token is scoped invalid.illegal: valid programs must never show as errors.
//
//   node test/check-examples.js FILE...

'use strict';

const fs = require('fs');
const path = require('path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const root = path.join(__dirname, '..');
const grammarPath = path.join(root, 'syntaxes', 'mesh.tmLanguage.json');

async function main(files) {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) =>
      scopeName === 'source.mesh'
        ? vsctm.parseRawGrammar(fs.readFileSync(grammarPath, 'utf8'), grammarPath)
        : null,
  });
  const grammar = await registry.loadGrammar('source.mesh');

  let bad = 0;
  for (const file of files) {
    const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
    let state = vsctm.INITIAL;
    lines.forEach((line, i) => {
      const result = grammar.tokenizeLine(line, state);
      for (const token of result.tokens) {
        const illegal = token.scopes.find((s) => s.startsWith('invalid.illegal'));
        if (illegal) {
          bad++;
          const text = line.slice(token.startIndex, token.endIndex);
          console.log(`${file}:${i + 1}:${token.startIndex + 1}: ${illegal}: '${text}'`);
        }
      }
      state = result.ruleStack;
    });
  }
  console.log(`${files.length} file(s) tokenized, ${bad} invalid token(s)`);
  return bad === 0 && files.length > 0;
}

main(process.argv.slice(2)).then(
  (ok) => process.exit(ok ? 0 : 1),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
