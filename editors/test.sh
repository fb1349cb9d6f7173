#!/usr/bin/env bash
# Tests for the editor support: the tree-sitter grammar, the VS Code extension,
# and the language server under a real editor's client (Neovim).
#
#   bash editors/test.sh        (from any directory)
#
# Installs what is missing (tree-sitter-cli with cargo, the extension's npm
# packages with `npm ci`, Neovim from the Debian package with apt-get when
# `nvim` is not on PATH, meshc with cargo build), then runs every check group
# and ends with the line
# `N passed, M failed`. Exits non-zero if any group failed. Leaves the work tree
# as it found it: generated files go to a temporary directory.

set -euo pipefail

# The tree-sitter CLI version the committed parser was generated with. Change it
# only together with a regenerated src/ (see docs/editors.md).
TREE_SITTER_VERSION=0.27.1

EDITORS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$EDITORS/.." && pwd)"
TS_DIR="$EDITORS/tree-sitter-mesh"
VSCODE_DIR="$EDITORS/vscode"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
failed_names=()

header() {
  printf '\n==== %s ====\n' "$1"
}

# run_check NAME COMMAND...: runs one check group and counts it.
run_check() {
  local name="$1"
  shift
  header "$name"
  local start=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    printf -- '---- ok: %s (%ss)\n' "$name" $((SECONDS - start))
  else
    failed=$((failed + 1))
    failed_names+=("$name")
    printf -- '---- FAILED: %s\n' "$name"
  fi
}

# ---------------------------------------------------------------- installs

install_tree_sitter() {
  if [[ "$(tree-sitter --version 2>/dev/null || true)" == "tree-sitter $TREE_SITTER_VERSION" ]]; then
    echo "tree-sitter $TREE_SITTER_VERSION is installed"
    return 0
  fi
  echo "installing tree-sitter-cli $TREE_SITTER_VERSION with cargo (one time, a few minutes)"
  # The default feature qjs-rt builds QuickJS in, for `generate --js-runtime native`.
  cargo install tree-sitter-cli --locked --version "$TREE_SITTER_VERSION"
  [[ "$(tree-sitter --version)" == "tree-sitter $TREE_SITTER_VERSION" ]]
}

install_npm_packages() {
  # npm ci deletes node_modules first, so run it only when node_modules does
  # not hold exactly what package-lock.json asks for.
  if [[ -f "$VSCODE_DIR/node_modules/.package-lock.json" ]] && node -e '
      const want = require(process.argv[1]).packages;
      const have = require(process.argv[2]).packages;
      for (const [key, pkg] of Object.entries(want)) {
        if (key === "") continue;
        const got = have[key];
        if (!got ? !pkg.optional : got.version !== pkg.version) process.exit(1);
      }' "$VSCODE_DIR/package-lock.json" "$VSCODE_DIR/node_modules/.package-lock.json"; then
    echo "node_modules matches package-lock.json"
    return 0
  fi
  # --ignore-scripts: no package here needs an install script, and an optional
  # dependency of vsce (keytar) would try to download a prebuilt binary.
  (cd "$VSCODE_DIR" && npm ci --ignore-scripts --no-audit --no-fund)
}

# Debian's package, pinned: the editor as a user of the distribution has it.
NEOVIM_DEB_VERSION="0.7.2-7"
install_neovim() {
  if command -v nvim >/dev/null && nvim --version | head -1 | grep -qx "NVIM v${NEOVIM_DEB_VERSION%-*}"; then
    nvim --version | head -1
    return 0
  fi
  echo "installing neovim ${NEOVIM_DEB_VERSION} with apt-get"
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
      "neovim=${NEOVIM_DEB_VERSION}" >/dev/null &&
    nvim --version | head -1 | grep -x "NVIM v${NEOVIM_DEB_VERSION%-*}"
}

# The meshc the editor sessions start: $MESHC, or a debug build of this tree.
MESHC_BIN="${MESHC:-}"
install_meshc() {
  if [[ -n "$MESHC_BIN" ]]; then
    echo "using MESHC=$MESHC_BIN"
    [[ -x "$MESHC_BIN" ]]
    return
  fi
  (cd "$REPO" && cargo build --locked -p meshc --bin meshc) || return 1
  MESHC_BIN="${CARGO_TARGET_DIR:-$REPO/target}/debug/meshc"
  [[ -x "$MESHC_BIN" ]]
}

# A failed install fails the check groups that need it, and the others still run.
tree_sitter_ok=1
npm_ok=1
nvim_ok=1
meshc_ok=1
header "install: tree-sitter-cli $TREE_SITTER_VERSION"
install_tree_sitter || { tree_sitter_ok=0; echo "could not install tree-sitter-cli $TREE_SITTER_VERSION"; }
header "install: npm packages of editors/vscode"
install_npm_packages || { npm_ok=0; echo "npm ci failed in editors/vscode"; }
header "install: neovim"
install_neovim || { nvim_ok=0; echo "could not install neovim"; }
header "build: meshc"
install_meshc || { meshc_ok=0; echo "could not build meshc"; }

needs_tree_sitter() { [[ $tree_sitter_ok -eq 1 ]] || { echo "skipped: no tree-sitter CLI"; return 1; }; }
needs_npm() { [[ $npm_ok -eq 1 ]] || { echo "skipped: npm packages missing"; return 1; }; }
needs_nvim() { [[ $nvim_ok -eq 1 ]] || { echo "skipped: no neovim"; return 1; }; }
needs_meshc() { [[ $meshc_ok -eq 1 ]] || { echo "skipped: no meshc"; return 1; }; }

# ------------------------------------------------------------- tree-sitter

ts_generated_parser_is_current() {
  needs_tree_sitter || return 1
  local copy="$TMP/tree-sitter-mesh"
  mkdir -p "$copy/src"
  cp "$TS_DIR/grammar.js" "$TS_DIR/tree-sitter.json" "$TS_DIR/package.json" "$copy/"
  cp "$TS_DIR/src/scanner.c" "$copy/src/"
  (cd "$copy" && tree-sitter generate --js-runtime native) || return 1
  if diff -r "$copy/src" "$TS_DIR/src"; then
    echo "src/ matches what tree-sitter generate $TREE_SITTER_VERSION produces"
  else
    echo "src/ is stale: run 'tree-sitter generate --js-runtime native' in editors/tree-sitter-mesh"
    return 1
  fi
}

ts_corpus_and_highlight_tests() {
  needs_tree_sitter || return 1
  # --rebuild: the CLI caches the compiled parser by language name and reuses it
  # while it is newer than src/, which can be a build of another copy.
  (cd "$TS_DIR" && tree-sitter test --rebuild)
}

ts_highlight_captures_are_standard() {
  needs_tree_sitter || return 1
  local out
  out="$(cd "$TS_DIR" && tree-sitter highlight --check test/examples/all_constructs.mesh 2>&1 >/dev/null)" ||
    true
  if grep -q 'All highlight captures conform to standards' <<<"$out"; then
    echo "all captures in queries/highlights.scm are standard"
  else
    printf '%s\n' "$out" | grep -v -e 'parser directories' -e 'init-config' \
      -e 'configuration file' -e 'language grammars' || true
    return 1
  fi
}

# Parses the fixtures and every example of the repository in one run of the
# CLI. A file under a rejected/ folder may be a syntax error on purpose, so its
# parse failure is reported and skipped; any other failure fails the check.
ts_examples_parse() {
  needs_tree_sitter || return 1
  local list="$TMP/parse-paths.txt"
  ls "$TS_DIR"/test/examples/*.mesh >"$list"
  if [[ -d "$REPO/examples" ]]; then
    find "$REPO/examples" -name '*.mesh' -type f | sort >>"$list"
  fi
  # Exit status 1 only means some file has an error: the summary says which.
  tree-sitter parse --grammar-path "$TS_DIR" --quiet --json-summary --paths "$list" \
    >"$TMP/parse-summary.json" 2>"$TMP/parse-stderr.txt" || true
  node -e '
    const fs = require("fs");
    const [summaryFile, listFile, repo] = process.argv.slice(1);
    const text = fs.readFileSync(summaryFile, "utf8");
    const summary = JSON.parse(text.slice(text.indexOf("{")));
    const results = new Map(summary.parse_summaries.map((s) => [s.file, s.successful]));
    const files = fs.readFileSync(listFile, "utf8").split("\n").filter(Boolean);
    let ok = 0, skipped = 0, bad = 0;
    for (const file of files) {
      const rel = file.startsWith(repo + "/") ? file.slice(repo.length + 1) : file;
      if (results.get(file) === true) ok++;
      else if (rel.includes("/rejected/")) { skipped++; console.log("skipped (syntax error in a rejected example): " + rel); }
      else { bad++; console.log("parse error (ERROR or MISSING node): " + rel); }
    }
    console.log(`${ok} parsed cleanly, ${skipped} skipped, ${bad} with errors`);
    process.exit(bad === 0 && ok > 0 ? 0 : 1);
  ' "$TMP/parse-summary.json" "$list" "$REPO" || {
    grep -E 'ERROR|MISSING' "$TMP/parse-summary.json" | head -20
    return 1
  }
}

run_check "tree-sitter: committed parser is what generate produces" ts_generated_parser_is_current
run_check "tree-sitter: corpus and highlight tests" ts_corpus_and_highlight_tests
run_check "tree-sitter: highlight captures are standard" ts_highlight_captures_are_standard
run_check "tree-sitter: examples parse with no ERROR or MISSING node" ts_examples_parse

# ------------------------------------------------------------------ vscode

vscode_client() {
  needs_npm || return 1
  # Type-checked by tsc, bundled by esbuild as the VSIX's is, but with the
  # language client left outside so that the test can stand in for it.
  (cd "$VSCODE_DIR" && npx --no-install tsc -p ./ --noEmit) || return 1
  (cd "$VSCODE_DIR" && npx --no-install esbuild src/extension.ts --bundle --format=cjs \
    --platform=node --external:vscode --external:vscode-languageclient/node \
    --outfile="$TMP/out/extension.js" --log-level=warning) || return 1
  node "$VSCODE_DIR/test/client.test.js" "$TMP/out"
}

vscode_grammar_assertions() {
  needs_npm || return 1
  (cd "$VSCODE_DIR" && npx --no-install vscode-tmgrammar-test --compact 'test/grammar/*.mesh')
}

vscode_grammar_snapshots() {
  needs_npm || return 1
  local f missing=0
  # The snapshot fixtures are copies of the tree-sitter fixtures: keep them equal.
  for f in "$TS_DIR"/test/examples/*.mesh; do
    if ! cmp -s "$f" "$VSCODE_DIR/test/snap/$(basename "$f")"; then
      echo "test/snap/$(basename "$f") differs from tree-sitter-mesh/test/examples/$(basename "$f")"
      missing=1
    fi
  done
  # vscode-tmgrammar-snap writes a missing snapshot instead of failing.
  for f in "$VSCODE_DIR"/test/snap/*.mesh; do
    if [[ ! -f "$f.snap" ]]; then
      echo "missing snapshot: test/snap/$(basename "$f").snap (run npm run test:snap -- -u)"
      missing=1
    fi
  done
  [[ $missing -eq 0 ]] || return 1
  (cd "$VSCODE_DIR" && npx --no-install vscode-tmgrammar-snap 'test/snap/*.mesh')
}

vscode_examples_have_no_illegal_tokens() {
  needs_npm || return 1
  local files=("$VSCODE_DIR"/test/snap/*.mesh)
  if [[ -d "$REPO/examples" ]]; then
    while IFS= read -r -d '' f; do files+=("$f"); done \
      < <(find "$REPO/examples" -name '*.mesh' -type f -not -path '*/rejected/*' -print0 | sort -z)
  fi
  (cd "$VSCODE_DIR" && node test/check-examples.js "${files[@]}")
}

vscode_package() {
  needs_npm || return 1
  # vsce builds out/ through the vscode:prepublish script; remove it afterwards
  # if this run created it.
  local had_out=0 status=0
  [[ -d "$VSCODE_DIR/out" ]] && had_out=1
  (cd "$VSCODE_DIR" && npx --no-install vsce package --no-dependencies \
    --out "$TMP/mesh-lang.vsix" </dev/null) || status=$?
  [[ $status -ne 0 ]] || cp "$VSCODE_DIR/out/extension.js" "$TMP/bundle.js" || status=$?
  [[ $had_out -eq 1 ]] || rm -rf "$VSCODE_DIR/out"
  [[ $status -eq 0 ]] || return 1
  # The bundle holds the language client and needs nothing but `vscode` and
  # Node's own modules; the names of a zip's entries are stored as plain
  # text in its directory.
  node -e '
    const fs = require("fs");
    const builtin = new Set(require("module").builtinModules);
    const [vsix, bundle] = process.argv.slice(1);
    const zip = fs.readFileSync(vsix);
    const code = fs.readFileSync(bundle, "utf8");
    const want = ["out/extension.js", "syntaxes/mesh.tmLanguage.json",
      "language-configuration.json", "images/icon.png"];
    const problems = want.filter((f) => !zip.includes("extension/" + f))
      .map((f) => "the VSIX lacks extension/" + f);
    if (zip.includes("extension/node_modules/")) problems.push("the VSIX holds node_modules");
    const required = [...code.matchAll(/require\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1]);
    for (const name of new Set(required)) {
      const bare = name.replace(/^node:/, "");
      if (name !== "vscode" && !builtin.has(bare)) problems.push("the bundle requires " + name);
    }
    if (!code.includes("textDocument/semanticTokens")) problems.push("the bundle lacks the language client");
    for (const p of problems) console.log(p);
    process.exit(problems.length ? 1 : 0);
  ' "$TMP/mesh-lang.vsix" "$TMP/bundle.js" || return 1
  echo "the VSIX holds the bundled client (language client included), the grammar and the icon"
}

run_check "vscode: client compiles and starts meshc lsp (stand-in VS Code)" vscode_client
run_check "vscode: TextMate grammar assertions" vscode_grammar_assertions
run_check "vscode: TextMate grammar snapshots" vscode_grammar_snapshots
run_check "vscode: examples have no invalid.illegal token" vscode_examples_have_no_illegal_tokens
run_check "vscode: vsce package" vscode_package

# ----------------------------------------------------------------- neovim

neovim_lsp_session() {
  needs_nvim || return 1
  needs_meshc || return 1
  local work="$TMP/neovim"
  mkdir -p "$work/cache"
  # XDG_CACHE_HOME: the server writes the code pages there, not in ~/.cache.
  MESHC="$MESHC_BIN" MESH_WORK="$work" XDG_CACHE_HOME="$work/cache" \
    timeout 120 nvim --headless --clean -u NONE -i NONE -n \
    -c "luafile $EDITORS/neovim/lsp_test.lua" </dev/null
}

run_check "neovim: meshc lsp under Neovim's built-in client" neovim_lsp_session

# ----------------------------------------------------------------- summary

echo
if [[ $failed -gt 0 ]]; then
  printf 'failed: %s\n' "${failed_names[@]}"
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
