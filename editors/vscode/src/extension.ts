// The Mesh extension's client side: it starts `meshc lsp` over stdio and lets
// vscode-languageclient do the rest. All language smarts live in the server;
// highlighting comes from the TextMate grammar in syntaxes/.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';

const CLIENT_ID = 'mesh';
const CLIENT_NAME = 'Mesh Language Server';

let client: LanguageClient | undefined;
let outputChannel: vscode.OutputChannel | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  outputChannel = vscode.window.createOutputChannel(CLIENT_NAME);
  context.subscriptions.push(outputChannel);

  context.subscriptions.push(
    vscode.commands.registerCommand('mesh.restartServer', () => restart()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('mesh.server')) {
        void restart();
      }
    }),
  );

  await start();
}

export async function deactivate(): Promise<void> {
  await stop();
}

interface ServerSettings {
  /** The configured `mesh.server.path`, as the user wrote it. */
  configured: string;
  /** The executable that will be spawned. */
  command: string;
  args: string[];
}

function readSettings(): ServerSettings {
  const config = vscode.workspace.getConfiguration('mesh.server');
  const configured = (config.get<string>('path') ?? 'meshc').trim() || 'meshc';
  const extraArgs = config.get<string[]>('extraArgs') ?? [];
  return {
    configured,
    command: resolveCommand(configured),
    args: ['lsp', ...extraArgs.map(String)],
  };
}

/**
 * Expands `~` and makes a relative path (one with a separator in it) relative
 * to the first workspace folder. A bare name such as `meshc` is left alone for
 * the system to look up on PATH.
 */
function resolveCommand(configured: string): string {
  let command = configured;
  if (command === '~' || command.startsWith('~/') || command.startsWith('~\\')) {
    command = path.join(os.homedir(), command.slice(1));
  }
  const hasSeparator = command.includes('/') || command.includes('\\');
  if (hasSeparator && !path.isAbsolute(command)) {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (folder && folder.uri.scheme === 'file') {
      command = path.join(folder.uri.fsPath, command);
    }
  }
  return command;
}

/** The settings the server judges documents by: a world file and a level. */
function checkSettings(): { world: string; optimisation: string } {
  const config = vscode.workspace.getConfiguration('mesh');
  return {
    world: (config.get<string>('world') ?? '').trim(),
    optimisation: config.get<string>('optimisation') ?? '-O',
  };
}

/** Whether `command` names a file that can be run, searching PATH for a bare name. */
function canRun(command: string): boolean {
  const isRunnable = (file: string): boolean => {
    try {
      if (!fs.statSync(file).isFile()) {
        return false;
      }
      if (process.platform !== 'win32') {
        fs.accessSync(file, fs.constants.X_OK);
      }
      return true;
    } catch {
      return false;
    }
  };
  const extensions =
    process.platform === 'win32'
      ? ['', ...(process.env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';')]
      : [''];
  const candidates = (dir: string): string[] =>
    extensions.map((ext) => path.join(dir, command + ext));

  if (path.isAbsolute(command)) {
    return candidates('').some(isRunnable) || isRunnable(command);
  }
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '');
  return dirs.some((dir) => candidates(dir).some(isRunnable));
}

async function showStartError(settings: ServerSettings, detail: string): Promise<void> {
  const message =
    `Mesh: could not start the language server \`${settings.configured} lsp\`: ${detail}. ` +
    'Install meshc (cargo install --path compiler in the meshc repository) or set ' +
    '"mesh.server.path" to the meshc binary. Highlighting still works without it.';
  outputChannel?.appendLine(message);
  const choice = await vscode.window.showErrorMessage(message, 'Open Settings', 'Show Log');
  if (choice === 'Open Settings') {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'mesh.server');
  } else if (choice === 'Show Log') {
    outputChannel?.show(true);
  }
}

async function start(): Promise<void> {
  const settings = readSettings();

  if (!canRun(settings.command)) {
    const where = settings.command.includes(path.sep)
      ? `no executable file at ${settings.command}`
      : `\`${settings.command}\` was not found on PATH`;
    void showStartError(settings, where);
    return;
  }

  const serverOptions: ServerOptions = {
    command: settings.command,
    args: settings.args,
    transport: TransportKind.stdio,
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'mesh' },
      { scheme: 'untitled', language: 'mesh' },
    ],
    outputChannel,
    // What documents are judged against; changes reach the server as
    // `workspace/didChangeConfiguration` (the `mesh` section).
    initializationOptions: checkSettings(),
    synchronize: {
      configurationSection: 'mesh',
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.mesh'),
    },
  };

  outputChannel?.appendLine(`Starting ${settings.command} ${settings.args.join(' ')}`);
  const newClient = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  client = newClient;
  try {
    await newClient.start();
  } catch (error) {
    client = undefined;
    const detail = error instanceof Error ? error.message : String(error);
    await newClient.dispose().catch(() => undefined);
    void showStartError(settings, detail);
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    await running.stop().catch(() => undefined);
  }
}

async function restart(): Promise<void> {
  await stop();
  await start();
}
