#!/usr/bin/env node
// Checks the compiled client (OUT_DIR/extension.js) against stand-ins for the
// `vscode` and `vscode-languageclient/node` modules: which command it starts,
// with which arguments, and what it tells the user when it cannot start.
//
//   node test/client.test.js OUT_DIR

'use strict';

const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const Module = require('module');

const outDir = path.resolve(process.argv[2] || path.join(__dirname, '..', 'out'));

// ---- stand-ins -----------------------------------------------------------

const state = {};

function reset(settings) {
  state.settings = settings;
  state.errors = [];
  state.clients = [];
  state.startFails = null;
}

const vscode = {
  workspace: {
    workspaceFolders: undefined,
    getConfiguration: (section) => ({
      get: (key) => state.settings[`${section}.${key}`],
    }),
    onDidChangeConfiguration: () => ({ dispose() {} }),
    createFileSystemWatcher: () => ({ dispose() {} }),
  },
  window: {
    createOutputChannel: () => ({ appendLine() {}, show() {}, dispose() {} }),
    showErrorMessage: async (message) => {
      state.errors.push(message);
      return undefined;
    },
  },
  commands: {
    registerCommand: () => ({ dispose() {} }),
    executeCommand: async () => undefined,
  },
};

class LanguageClient {
  constructor(id, name, serverOptions, clientOptions) {
    Object.assign(this, { id, name, serverOptions, clientOptions });
    state.clients.push(this);
  }
  async start() {
    if (state.startFails) throw new Error(state.startFails);
  }
  async stop() {}
  async dispose() {}
}

const languageclient = { LanguageClient, TransportKind: { stdio: 0, ipc: 1, pipe: 2, socket: 3 } };

const originalLoad = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === 'vscode') return vscode;
  if (request === 'vscode-languageclient/node') return languageclient;
  return originalLoad.call(this, request, parent, isMain);
};

const extension = require(path.join(outDir, 'extension.js'));

// ---- cases ---------------------------------------------------------------

const context = () => ({ subscriptions: [] });
const settle = () => new Promise((resolve) => setImmediate(resolve));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-client-'));
const fakeMeshc = path.join(tmp, 'meshc');
fs.writeFileSync(fakeMeshc, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
const notExecutable = path.join(tmp, 'not-executable');
fs.writeFileSync(notExecutable, 'data', { mode: 0o644 });

const cases = [];
const test = (name, fn) => cases.push({ name, fn });

test('starts `<mesh.server.path> lsp <extraArgs>` over stdio', async () => {
  reset({ 'mesh.server.path': fakeMeshc, 'mesh.server.extraArgs': ['--log', 'debug'] });
  await extension.activate(context());
  assert.strictEqual(state.errors.length, 0, state.errors.join('\n'));
  assert.strictEqual(state.clients.length, 1);
  const client = state.clients[0];
  assert.strictEqual(client.id, 'mesh');
  assert.strictEqual(client.serverOptions.command, fakeMeshc);
  assert.deepStrictEqual(client.serverOptions.args, ['lsp', '--log', 'debug']);
  assert.strictEqual(client.serverOptions.transport, languageclient.TransportKind.stdio);
  assert.deepStrictEqual(
    client.clientOptions.documentSelector.map((s) => s.language),
    ['mesh', 'mesh'],
  );
  await extension.deactivate();
});

test('passes the world and level settings, and keeps them in sync', async () => {
  reset({
    'mesh.server.path': fakeMeshc,
    'mesh.server.extraArgs': [],
    'mesh.world': ' worlds/team.toml ',
    'mesh.optimisation': '-O0',
  });
  await extension.activate(context());
  assert.strictEqual(state.errors.length, 0, state.errors.join('\n'));
  const options = state.clients[0].clientOptions;
  assert.deepStrictEqual(options.initializationOptions, {
    world: 'worlds/team.toml',
    optimisation: '-O0',
  });
  assert.strictEqual(options.synchronize.configurationSection, 'mesh');
  await extension.deactivate();

  reset({ 'mesh.server.path': fakeMeshc, 'mesh.server.extraArgs': [] });
  await extension.activate(context());
  assert.deepStrictEqual(state.clients[0].clientOptions.initializationOptions, {
    world: '',
    optimisation: '-O',
  });
  await extension.deactivate();
});

test('finds a bare name on PATH (default `meshc`)', async () => {
  reset({ 'mesh.server.path': undefined, 'mesh.server.extraArgs': undefined });
  const savedPath = process.env.PATH;
  process.env.PATH = `${tmp}${path.delimiter}${savedPath}`;
  try {
    await extension.activate(context());
  } finally {
    process.env.PATH = savedPath;
  }
  assert.strictEqual(state.errors.length, 0, state.errors.join('\n'));
  assert.strictEqual(state.clients.length, 1);
  assert.strictEqual(state.clients[0].serverOptions.command, 'meshc');
  assert.deepStrictEqual(state.clients[0].serverOptions.args, ['lsp']);
  await extension.deactivate();
});

test('a missing binary gives one clear error and no client', async () => {
  reset({ 'mesh.server.path': path.join(tmp, 'no-such-meshc'), 'mesh.server.extraArgs': [] });
  await extension.activate(context());
  await settle();
  assert.strictEqual(state.clients.length, 0);
  assert.strictEqual(state.errors.length, 1);
  assert.match(state.errors[0], /could not start the language server/);
  assert.match(state.errors[0], /mesh\.server\.path/);
  assert.match(state.errors[0], /no executable file at/);
});

test('a binary not on PATH says so', async () => {
  reset({ 'mesh.server.path': 'meshc-that-does-not-exist', 'mesh.server.extraArgs': [] });
  await extension.activate(context());
  await settle();
  assert.strictEqual(state.clients.length, 0);
  assert.strictEqual(state.errors.length, 1);
  assert.match(state.errors[0], /`meshc-that-does-not-exist` was not found on PATH/);
});

test('a file that is not executable is refused', async () => {
  reset({ 'mesh.server.path': notExecutable, 'mesh.server.extraArgs': [] });
  await extension.activate(context());
  await settle();
  assert.strictEqual(state.clients.length, 0);
  assert.strictEqual(state.errors.length, 1);
});

test('a server that fails to start is reported, not thrown', async () => {
  reset({ 'mesh.server.path': fakeMeshc, 'mesh.server.extraArgs': [] });
  state.startFails = 'the server exited during initialization';
  await extension.activate(context());
  await settle();
  assert.strictEqual(state.errors.length, 1);
  assert.match(state.errors[0], /exited during initialization/);
});

(async () => {
  let failed = 0;
  for (const { name, fn } of cases) {
    try {
      await fn();
      console.log(`ok   ${name}`);
    } catch (error) {
      failed++;
      console.log(`FAIL ${name}\n${error && error.stack}`);
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`client: ${cases.length - failed} of ${cases.length} cases passed`);
  process.exit(failed === 0 ? 0 : 1);
})();
