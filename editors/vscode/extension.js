// VS Code client for the deployc language server (`deployc lsp`, LSP 3.17
// over stdio). Plain CommonJS: no build step.
'use strict';

const vscode = require('vscode');
const { LanguageClient, State } = require('vscode-languageclient/node');
const { foldingRanges } = require('./folding');

const SECTION = 'deployc';
const selector = [{ language: 'deploy' }];

/** @type {LanguageClient | undefined} */
let client;
/** @type {vscode.OutputChannel | undefined} */
let output;

function settings() {
  const config = vscode.workspace.getConfiguration(SECTION);
  return {
    path: config.get('path') || 'deployc',
    environment: config.get('environment') || '',
  };
}

/**
 * The server is `deployc lsp` on stdio. No `transport` is given on purpose:
 * with `TransportKind.stdio` vscode-languageclient appends `--stdio` to the
 * arguments, and `deployc lsp` rejects unknown options.
 */
function serverOptions(path) {
  return { command: path, args: ['lsp'] };
}

function clientOptions(environment) {
  return {
    documentSelector: selector,
    initializationOptions: { environment },
    outputChannel: output,
  };
}

async function startClient() {
  const { path, environment } = settings();
  client = new LanguageClient(
    'deployc',
    'deployc language server',
    serverOptions(path),
    clientOptions(environment),
  );
  try {
    await client.start();
  } catch (err) {
    const message = err && err.message ? err.message : String(err);
    const choice = await vscode.window.showErrorMessage(
      `Could not start the deployc language server with \`${path} lsp\`: ${message}. ` +
        'Set `deployc.path` to the deployc executable.',
      'Open Settings',
    );
    if (choice === 'Open Settings')
      vscode.commands.executeCommand('workbench.action.openSettings', 'deployc.path');
  }
}

async function stopClient() {
  const old = client;
  client = undefined;
  if (old && old.state !== State.Stopped) {
    try {
      await old.stop();
    } catch (_) {
      // A server that already died cannot be stopped; start a new one anyway.
    }
  }
}

async function restartClient() {
  await stopClient();
  await startClient();
}

/** Tells a running server which environment hover should evaluate. */
function sendEnvironment() {
  if (!client || !client.isRunning()) return;
  const { environment } = settings();
  client
    .sendNotification('workspace/didChangeConfiguration', {
      settings: { deployc: { environment } },
    })
    .catch((err) => output && output.appendLine(`Could not send the environment: ${err}`));
}

/**
 * Offers the environments declared in the active .deploy file (from the
 * server's document symbols) and stores the choice in `deployc.environment`.
 */
async function selectEnvironment() {
  const editor = vscode.window.activeTextEditor;
  const names = [];
  if (editor && editor.document.languageId === 'deploy') {
    const symbols =
      (await vscode.commands.executeCommand(
        'vscode.executeDocumentSymbolProvider',
        editor.document.uri,
      )) || [];
    for (const s of symbols)
      if (s && s.detail === 'environment' && !names.includes(s.name)) names.push(s.name);
  }
  const current = settings().environment;
  const items = names.map((name) => ({
    label: name,
    description: name === current ? 'current' : undefined,
  }));
  items.push({ label: '$(edit) Other…', value: 'other' });
  items.push({ label: '$(clear-all) First declared environment', value: '' });
  const pick = await vscode.window.showQuickPick(items, {
    placeHolder: 'Environment whose values hover shows',
  });
  if (!pick) return;
  let value = pick.value === undefined ? pick.label : pick.value;
  if (value === 'other') {
    value = await vscode.window.showInputBox({
      prompt: 'Name of an environment declaration',
      value: current,
    });
    if (value === undefined) return;
  }
  const target = vscode.workspace.workspaceFolders
    ? vscode.ConfigurationTarget.Workspace
    : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration(SECTION).update('environment', value, target);
}

async function activate(context) {
  output = vscode.window.createOutputChannel('deployc');
  context.subscriptions.push(output);

  context.subscriptions.push(
    vscode.languages.registerFoldingRangeProvider(selector, {
      provideFoldingRanges(document) {
        return foldingRanges(document.getText()).map(
          (r) =>
            new vscode.FoldingRange(
              r.start,
              r.end,
              r.kind === 'comment'
                ? vscode.FoldingRangeKind.Comment
                : r.kind === 'imports'
                  ? vscode.FoldingRangeKind.Imports
                  : r.kind === 'region'
                    ? vscode.FoldingRangeKind.Region
                    : undefined,
            ),
        );
      },
    }),
    vscode.commands.registerCommand('deployc.restartServer', restartClient),
    vscode.commands.registerCommand('deployc.selectEnvironment', selectEnvironment),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('deployc.path')) restartClient();
      else if (event.affectsConfiguration('deployc.environment')) sendEnvironment();
    }),
    { dispose: () => void stopClient() },
  );

  await startClient();
}

function deactivate() {
  return stopClient();
}

module.exports = { activate, deactivate, serverOptions, clientOptions };
