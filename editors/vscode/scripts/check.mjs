#!/usr/bin/env node
// `npm run build`: checks the extension without VS Code.
//
//   node scripts/check.mjs [DIR_OR_FILE.deploy ...]
//
// 1. package.json, language-configuration.json and the TextMate grammar parse,
//    and the manifest points at files that exist.
// 2. The grammar is well-formed: every rule has a known shape, every include
//    resolves, every scope name is dotted words ending in `.deploy`, and every
//    regular expression compiles (with Oniguruma, as VS Code compiles them,
//    when the devDependencies are installed; otherwise with JavaScript).
// 3. extension.js parses; the folding provider finds the expected ranges.
// 4. With vscode-textmate installed, sample lines tokenize to the expected
//    scopes, and every .deploy file named on the command line (directories are
//    searched) tokenizes without `invalid` scopes and ends at the top level.
//
// Prints `ok - NAME` / `not ok - NAME` and a closing `N passed, N failed` line;
// exits 1 if anything failed.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
let passed = 0;
let failed = 0;

async function check(name, fn) {
  try {
    const note = await fn();
    passed++;
    console.log(`ok - ${name}${note ? ` (${note})` : ''}`);
  } catch (err) {
    failed++;
    console.log(`not ok - ${name}`);
    for (const line of String(err && err.stack ? err.message : err).split('\n'))
      console.log(`  # ${line}`);
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

function readJSON(rel) {
  const file = path.join(root, rel);
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${rel}: ${err.message}`);
  }
}

//===----------------------------------------------------------------------===//
// 1. Manifest
//===----------------------------------------------------------------------===//

let pkg, grammar, langConfig;
await check('package.json, the grammar and language-configuration.json parse', () => {
  pkg = readJSON('package.json');
  langConfig = readJSON('language-configuration.json');
  const g = pkg.contributes?.grammars?.[0];
  assert(g && typeof g.path === 'string', 'package.json: contributes.grammars[0].path is missing');
  grammar = readJSON(g.path);
});

await check('package.json manifest', () => {
  assert(pkg, 'package.json did not parse');
  assert(pkg.name === 'deployc-vscode', `name is ${pkg.name}`);
  assert(pkg.publisher === 'deployc', `publisher is ${pkg.publisher}`);
  assert(/^\^1\.\d+\.\d+$/.test(pkg.engines?.vscode ?? ''), 'engines.vscode must be ^1.x.y');
  assert(pkg.main && existsSync(path.join(root, pkg.main)), `main ${pkg.main} does not exist`);
  assert(pkg.activationEvents?.includes('onLanguage:deploy'), 'activationEvents lacks onLanguage:deploy');
  const lang = pkg.contributes.languages?.find((l) => l.id === 'deploy');
  assert(lang, 'contributes.languages has no `deploy`');
  assert(lang.extensions?.includes('.deploy'), 'language `deploy` does not claim .deploy');
  assert(Array.isArray(lang.aliases) && lang.aliases.length > 0, 'language `deploy` has no aliases');
  assert(lang.configuration && existsSync(path.join(root, lang.configuration)),
         'language configuration file missing');
  const g = pkg.contributes.grammars[0];
  assert(g.language === 'deploy' && g.scopeName === 'source.deploy', 'grammar contribution');
  assert(existsSync(path.join(root, g.path)), `grammar ${g.path} missing`);
  const props = pkg.contributes.configuration?.properties ?? {};
  assert(props['deployc.path']?.default === 'deployc', 'deployc.path must default to `deployc`');
  assert(props['deployc.environment']?.type === 'string', 'deployc.environment must be a string');
  for (const c of pkg.contributes.commands ?? [])
    assert(/^deployc\./.test(c.command), `command ${c.command} is not in the deployc namespace`);
  const deps = { ...pkg.dependencies, ...pkg.devDependencies };
  assert(deps['vscode-languageclient'], 'no dependency on vscode-languageclient');
  for (const [name, version] of Object.entries(deps))
    assert(/^\d+\.\d+\.\d+$/.test(version), `${name} is not pinned to an exact version: ${version}`);
  assert(!deps['@vscode/vsce'], '@vscode/vsce is run with npx, not installed');
  return `engines.vscode ${pkg.engines.vscode}, vscode-languageclient ${pkg.dependencies['vscode-languageclient']}`;
});

//===----------------------------------------------------------------------===//
// 2. Grammar structure
//===----------------------------------------------------------------------===//

const SCOPE = /^[a-z0-9][a-z0-9_+-]*(\.[a-z0-9][a-z0-9_+-]*)*\.deploy$/;
const regexes = []; // [where, source]

function checkScopes(where, name) {
  assert(typeof name === 'string' && name.trim() !== '', `${where}: empty scope name`);
  for (const scope of name.split(' '))
    assert(SCOPE.test(scope), `${where}: scope \`${scope}\` is not dotted words ending in .deploy`);
}

function walkRule(where, rule, repo) {
  assert(rule && typeof rule === 'object' && !Array.isArray(rule), `${where}: not an object`);
  const known = new Set(['name', 'contentName', 'match', 'begin', 'end', 'while', 'captures',
    'beginCaptures', 'endCaptures', 'whileCaptures', 'patterns', 'include', 'comment',
    'applyEndPatternLast', 'disabled', 'repository']);
  for (const k of Object.keys(rule)) assert(known.has(k), `${where}: unknown key \`${k}\``);
  if (rule.name !== undefined) checkScopes(`${where}.name`, rule.name);
  if (rule.contentName !== undefined) checkScopes(`${where}.contentName`, rule.contentName);
  if ('include' in rule) {
    const inc = rule.include;
    if (inc.startsWith('#'))
      assert(Object.hasOwn(repo, inc.slice(1)), `${where}: include ${inc} is not in the repository`);
    else
      assert(['$self', '$base', grammar.scopeName].includes(inc), `${where}: include ${inc} is external`);
    return;
  }
  const shapes = ['match', 'begin', 'patterns'].filter((k) => k in rule);
  assert(shapes.length >= 1, `${where}: a rule needs match, begin/end or patterns`);
  assert(!('match' in rule && 'begin' in rule), `${where}: both match and begin`);
  if ('begin' in rule) assert('end' in rule || 'while' in rule, `${where}: begin without end`);
  assert(!('end' in rule) || 'begin' in rule, `${where}: end without begin`);
  for (const k of ['match', 'begin', 'end', 'while'])
    if (k in rule) {
      assert(typeof rule[k] === 'string' && rule[k] !== '', `${where}.${k}: not a regex string`);
      regexes.push([`${where}.${k}`, rule[k]]);
    }
  for (const k of ['captures', 'beginCaptures', 'endCaptures', 'whileCaptures']) {
    if (!(k in rule)) continue;
    for (const [n, cap] of Object.entries(rule[k])) {
      assert(/^\d+$/.test(n), `${where}.${k}: capture key \`${n}\` is not a group number`);
      if (cap.name !== undefined) checkScopes(`${where}.${k}.${n}.name`, cap.name);
      if (cap.patterns)
        cap.patterns.forEach((p, i) => walkRule(`${where}.${k}.${n}.patterns[${i}]`, p, repo));
    }
  }
  if ('patterns' in rule) {
    assert(Array.isArray(rule.patterns), `${where}.patterns: not an array`);
    rule.patterns.forEach((p, i) => walkRule(`${where}.patterns[${i}]`, p, repo));
  }
}

await check('grammar: rules, includes and scope names are well-formed', () => {
  assert(grammar, 'grammar did not parse');
  assert(grammar.scopeName === 'source.deploy', `scopeName is ${grammar.scopeName}`);
  assert(grammar.scopeName === pkg.contributes.grammars[0].scopeName, 'scopeName differs from package.json');
  assert(Array.isArray(grammar.patterns) && grammar.patterns.length, 'no top-level patterns');
  const repo = grammar.repository ?? {};
  grammar.patterns.forEach((p, i) => walkRule(`patterns[${i}]`, p, repo));
  for (const [k, rule] of Object.entries(repo)) walkRule(`repository.${k}`, rule, repo);
  // Every repository entry is reachable from the top level.
  const used = new Set();
  const visit = (rule) => {
    if (!rule || typeof rule !== 'object') return;
    if (typeof rule.include === 'string' && rule.include.startsWith('#')) {
      const k = rule.include.slice(1);
      if (!used.has(k)) {
        used.add(k);
        visit(repo[k]);
      }
    }
    for (const v of Object.values(rule)) if (typeof v === 'object') visit(v);
  };
  grammar.patterns.forEach(visit);
  const unused = Object.keys(repo).filter((k) => !used.has(k));
  assert(unused.length === 0, `unreachable repository entries: ${unused.join(', ')}`);
  return `${Object.keys(repo).length} repository rules, ${regexes.length} regexes`;
});

let onig = null;
let vsctm = null;
try {
  onig = require('vscode-oniguruma');
  vsctm = require('vscode-textmate');
  const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await onig.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
} catch {
  onig = vsctm = null;
}

await check('grammar: every regex compiles', () => {
  for (const [where, source] of regexes) {
    try {
      if (onig) new onig.OnigScanner([source]).dispose();
      else new RegExp(source, 'u');
    } catch (err) {
      throw new Error(`${where}: ${err.message}\n${source}`);
    }
  }
  return onig ? 'Oniguruma' : 'JavaScript RegExp; `npm install` for Oniguruma';
});

await check('language-configuration.json', () => {
  const c = langConfig;
  assert(c.comments?.lineComment === '//', 'lineComment must be //');
  assert(JSON.stringify(c.comments?.blockComment) === '["/*","*/"]', 'blockComment must be /* */');
  const brackets = JSON.stringify(c.brackets);
  for (const pair of ['["{","}"]', '["[","]"]', '["(",")"]'])
    assert(brackets.includes(pair), `brackets lacks ${pair}`);
  const opens = (c.autoClosingPairs ?? []).map((p) => (Array.isArray(p) ? p[0] : p.open));
  for (const open of ['{', '[', '(', '"', '"""'])
    assert(opens.includes(open), `autoClosingPairs lacks ${open}`);
  const res = [
    ['wordPattern', c.wordPattern],
    ['folding.markers.start', c.folding?.markers?.start],
    ['folding.markers.end', c.folding?.markers?.end],
    ['indentationRules.increaseIndentPattern', c.indentationRules?.increaseIndentPattern],
    ['indentationRules.decreaseIndentPattern', c.indentationRules?.decreaseIndentPattern],
    ...(c.onEnterRules ?? []).map((r, i) => [`onEnterRules[${i}].beforeText`, r.beforeText]),
  ];
  for (const [where, re] of res) {
    if (re === undefined) continue;
    try {
      new RegExp(typeof re === 'string' ? re : re.pattern);
    } catch (err) {
      throw new Error(`${where}: ${err.message}`);
    }
  }
  const word = new RegExp(c.wordPattern, 'g');
  const words = 'cpu = 1.5Gi  steps = [10%, 100%]'.match(word);
  assert(JSON.stringify(words) === '["cpu","1.5Gi","steps","10%","100%"]', `wordPattern: ${words}`);
});

//===----------------------------------------------------------------------===//
// 3. Extension code
//===----------------------------------------------------------------------===//

await check('extension.js and folding.js parse', () => {
  for (const f of ['extension.js', 'folding.js'])
    execFileSync(process.execPath, ['--check', path.join(root, f)], { stdio: 'pipe' });
});

await check('folding ranges', () => {
  const { foldingRanges } = require('./folding.js');
  const text = [
    'import std.tiers.*', //                 0
    'import "./lib.deploy"', //              1
    '/// One', //                            2
    '/// Two', //                            3
    'service api {', //                      4
    '  image = "r/api{"  // {', //           5
    '  env {', //                            6
    '    A = "1"', //                        7
    '  }', //                                8
    '  config "/a" = """', //                9
    '    b: }', //                           10
    '    """', //                            11
    '  /* a', //                             12
    '     b */', //                          13
    '  scaling { replicas = 1..3 }', //      14
    '}', //                                  15
    '// #region jobs', //                    16
    'job j { image = "j" }', //              17
    '// #endregion', //                      18
  ].join('\n');
  const got = JSON.stringify(foldingRanges(text));
  const want = JSON.stringify([
    { start: 0, end: 1, kind: 'imports' },
    { start: 2, end: 3, kind: 'comment' },
    { start: 4, end: 14 },
    { start: 6, end: 7 },
    { start: 9, end: 11 },
    { start: 12, end: 13, kind: 'comment' },
    { start: 16, end: 18, kind: 'region' },
  ]);
  assert(got === want, `got  ${got}\nwant ${want}`);
});

await check('server options: `deployc lsp` without --stdio', () => {
  // extension.js needs the `vscode` module; load it with a stub to read the
  // options it passes to vscode-languageclient.
  const Module = require('node:module');
  const orig = Module._load;
  Module._load = function (request, ...rest) {
    if (request === 'vscode') return {};
    if (request === 'vscode-languageclient/node') return { LanguageClient: class {}, State: {} };
    return orig.call(this, request, ...rest);
  };
  try {
    const ext = require('./extension.js');
    const s = ext.serverOptions('/opt/deployc/bin/deployc');
    assert(JSON.stringify(s) === '{"command":"/opt/deployc/bin/deployc","args":["lsp"]}',
           `serverOptions: ${JSON.stringify(s)}`);
    const c = ext.clientOptions('prod');
    assert(JSON.stringify(c.documentSelector) === '[{"language":"deploy"}]', 'documentSelector');
    assert(c.initializationOptions.environment === 'prod', 'initializationOptions.environment');
  } finally {
    Module._load = orig;
  }
});

//===----------------------------------------------------------------------===//
// 4. Tokenization
//===----------------------------------------------------------------------===//

let tokenize = null;
if (vsctm && onig) {
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new onig.OnigScanner(sources),
      createOnigString: (s) => new onig.OnigString(s),
    }),
    loadGrammar: async (scope) =>
      scope === 'source.deploy'
        ? vsctm.parseRawGrammar(JSON.stringify(grammar), 'deploy.tmLanguage.json')
        : null,
  });
  const g = await registry.loadGrammar('source.deploy');
  // Returns [{line, start, end, text, scopes}] and whether the last line
  // ended at the top level (no declaration, block or string left open).
  tokenize = (text) => {
    let stack = vsctm.INITIAL;
    const out = [];
    text.split(/\r?\n/).forEach((line, n) => {
      const r = g.tokenizeLine(line, stack);
      for (const t of r.tokens)
        out.push({ line: n, start: t.startIndex, end: Math.min(t.endIndex, line.length),
                   text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes });
      stack = r.ruleStack;
    });
    const probe = g.tokenizeLine('probe', stack).tokens[0].scopes;
    const atTop = probe.length === 2 && probe[1] === 'variable.other.deploy';
    return { tokens: out, atTop };
  };
}

// Each case: source and [text, scope] pairs. Every token inside the first
// occurrence of `text` after the previous expectation's match (the same
// occurrence if the text repeats) must carry a scope equal to `scope` or
// starting with `scope.`; a scope written `!x` must be absent.
const cases = [
  ['comments', '/// doc\n// line\n/* block\n   more */ service a { }', [
    ['/// doc', 'comment.line.documentation'], ['// line', 'comment.line.double-slash'],
    ['/* block', 'comment.block'], ['more */', 'comment.block'], ['service', 'storage.type.declaration'],
  ]],
  ['imports', 'import std.tiers.*\nimport std.secrets.{token, certificate}\nimport "./lib.deploy"', [
    ['import', 'keyword.control.import'], ['std', 'entity.name.namespace'], ['*', 'keyword.operator.wildcard'],
    ['token', 'entity.name.type'], ['"./lib.deploy"', 'string.quoted.double'],
  ]],
  ['param', 'param tag: string = "latest"\nparam regions: [string]\nparam n = 3', [
    ['param', 'keyword.other.param'], ['tag', 'entity.name.variable.parameter'],
    ['string', 'support.type.primitive'], ['"latest"', 'string.quoted.double'],
    ['regions', 'entity.name.variable.parameter'], ['[', 'punctuation.section.brackets.begin'],
    ['string', 'support.type.primitive'], ['n', 'entity.name.variable.parameter'], ['3', 'constant.numeric.integer'],
  ]],
  ['declaration kinds', [
    'tier t { }', 'resource_tier r { }', 'environment e { }', 'secret_type st { }',
    'secret s : database_credentials { }', 'service a { }', 'worker w { }', 'job j { }',
    'build b { }', 'devcontainer d { }', 'channel c { }', 'feature f { }'].join('\n'), [
    ['tier', 'storage.type.declaration'], ['t', 'entity.name.type'],
    ['resource_tier', 'storage.type.declaration'], ['environment', 'storage.type.declaration'],
    ['secret_type', 'storage.type.declaration'], ['secret', 'storage.type.declaration'],
    ['database_credentials', 'entity.name.type.secret-type'], ['service', 'storage.type.declaration'],
    ['worker', 'storage.type.declaration'], ['job', 'storage.type.declaration'],
    ['build', 'storage.type.declaration'], ['devcontainer', 'storage.type.declaration'],
    ['channel', 'storage.type.declaration'], ['feature', 'storage.type.declaration'],
  ]],
  ['kind words inside a body are keys or values, not declarations', 'service a {\n  build = app\n  environment = 1\n}', [
    ['build', 'support.type.property-name'], ['build', '!storage.type'],
    ['app', 'variable.other'], ['environment', 'support.type.property-name'],
  ]],
  ['entries: keys, labels, blocks, whitespace-separated', [
    'environment prod {',
    '  network { isolation = strict  routing = mesh }',
    '  port http = 8080',
    '  queue "orders" { broker = rabbitmq }',
    '  env { "MY-VAR" = "1"  B = db.url  C = "x"  D = 2 }',
    '}'].join('\n'), [
    ['network', 'support.type.property-name'], ['isolation', 'support.type.property-name'],
    ['strict', 'variable.other'], ['strict', '!support.type.property-name'],
    ['routing', 'support.type.property-name'], ['mesh', 'variable.other'],
    ['port', 'support.type.property-name'], ['http', 'entity.name.label'],
    ['queue', 'support.type.property-name'], ['"orders"', 'entity.name.label'], ['"orders"', 'string.quoted.double'],
    ['"MY-VAR"', 'support.type.property-name'], ['db', 'variable.other'], ['url', 'variable.other.member'],
    ['C', 'support.type.property-name'], ['"x"', '!support.type.property-name'], ['D', 'support.type.property-name'],
  ]],
  ['on overrides', 'service a {\n  on validation { replicas = 1 }\n  on prod { env { A = "b" } }\n}', [
    ['on', 'keyword.other.on'], ['validation', 'entity.name.type.overlay'],
    ['replicas', 'support.type.property-name'], ['on', 'keyword.other.on'], ['prod', 'entity.name.type.overlay'],
  ]],
  ['conditions', 'service a {\n  scaling { replicas = 3..20  cpu > 75% }\n  strategy = canary { analysis { error_rate < 1%  latency_p99 < 300ms } }\n}', [
    ['3', 'constant.numeric.integer'], ['..', 'keyword.operator.range'], ['20', 'constant.numeric.integer'],
    ['cpu', 'support.type.property-name.condition'], ['>', 'keyword.operator.comparison'],
    ['75%', 'constant.numeric.quantity'], ['75«%»', 'keyword.other.unit'],
    ['canary', 'entity.name.type.constructor'], ['error_rate', 'support.type.property-name.condition'],
    ['latency_p99', 'support.type.property-name.condition'], ['300ms', 'constant.numeric.quantity'],
  ]],
  ['quantities and numbers', 'param a = [30s, 5m, 250m, 1.5Gi, 80%, 300ms, 1_000, 0.25, 2..4, 1.5..2.5]', [
    ['30s', 'constant.numeric.quantity'], ['30«s»', 'keyword.other.unit'], ['«30»s', '!keyword.other.unit'], ['5m', 'constant.numeric.quantity'],
    ['250m', 'constant.numeric.quantity'], ['1.5Gi', 'constant.numeric.quantity'], ['1.5«Gi»', 'keyword.other.unit'],
    ['80%', 'constant.numeric.quantity'], ['300ms', 'constant.numeric.quantity'],
    ['1_000', 'constant.numeric.integer'], ['0.25', 'constant.numeric.decimal'],
    ['2', 'constant.numeric.integer'], ['..', 'keyword.operator.range'], ['4', 'constant.numeric.integer'],
    ['1.5', 'constant.numeric.decimal'], ['..', 'keyword.operator.range'], ['2.5', 'constant.numeric.decimal'],
  ]],
  ['strings, escapes and interpolation', 'service a {\n  image = "r/${registry}:${join(tags, ", ")}"\n  command = ["\\${not}", "a\\"b", "bad\\q", "costs 5$"]\n}', [
    ['"r/', 'string.quoted.double'], ['${', 'punctuation.section.embedded.begin'],
    ['registry', 'meta.embedded.line'], ['registry', 'variable.other'],
    ['join', 'support.function.builtin'], ['", "', 'string.quoted.double'], ['}"', 'string.quoted.double'],
    ['\\$', 'constant.character.escape'], ['{not}', '!meta.interpolation'], ['\\"', 'constant.character.escape'],
    ['\\q', 'invalid.illegal.unknown-escape'], ['costs 5$', 'string.quoted.double'], ['costs 5$', '!invalid'],
  ]],
  ['triple-quoted strings', 'service a {\n  config "/etc/a.yaml" = """\n    name: "${name}"\n    // not a comment\n    """\n  replicas = 1\n}', [
    ['"""', 'string.quoted.triple'], ['name: "', 'string.quoted.triple'], ['name}', 'meta.interpolation'],
    ['// not a comment', 'string.quoted.triple'], ['// not a comment', '!comment'],
    ['replicas', 'support.type.property-name'],
  ]],
  ['expressions', 'service a {\n  env { L = if env.tier == operational && !x || y != 2 then "w" else "d" }\n  health { liveness = http_get("/h", http)  readiness = tcp(80) }\n  strategy = rolling { }\n  resources = moderate\n}', [
    ['if', 'keyword.control.conditional'], ['env', 'variable.language.env'], ['tier', 'variable.other.member'],
    ['==', 'keyword.operator.comparison'], ['operational', 'variable.other'], ['operational', '!support.type'],
    ['&&', 'keyword.operator.logical'], ['!', 'keyword.operator.logical'], ['y', '!support.type'], ['!=', 'keyword.operator.comparison'],
    ['then', 'keyword.control.conditional'], ['else', 'keyword.control.conditional'],
    ['http_get', 'support.function.builtin'], ['http', 'variable.other'], ['readiness', 'support.type.property-name'],
    ['tcp', 'support.function.builtin'], ['rolling', 'entity.name.type.constructor'], ['moderate', 'variable.other'],
  ]],
  ['typed fields in secret_type', 'secret_type t {\n  component port: port = 5432\n  component user: string { generate = true }\n  compose url = "${user}"\n}', [
    ['component', 'support.type.property-name'], ['port', 'entity.name.label'], [': «port»', 'support.type.primitive'],
    ['5432', 'constant.numeric.integer'], ['user', 'entity.name.label'], ['string', 'support.type.primitive'],
    ['true', 'constant.language.boolean'], ['compose', 'support.type.property-name'], ['url', 'entity.name.label'],
  ]],
  ['invalid characters', 'service a { # not a comment\n}', [['#', 'invalid.illegal.character']]],
];

function findTokens(tokens, lines, text, from) {
  // The first occurrence of `text` at or after `from` (line, column); a word
  // only matches as a whole word. In `30«s»` only the part in « » is checked.
  let focus = [0, text.length];
  const m = /^(.*)«(.*)»(.*)$/.exec(text);
  if (m) {
    text = m[1] + m[2] + m[3];
    focus = [m[1].length, m[1].length + m[2].length];
  }
  const word = /^\w+$/.test(text);
  for (let l = from.line; l < lines.length; l++) {
    let col = lines[l].indexOf(text, l === from.line ? from.col : 0);
    while (col >= 0 && word &&
           (/\w/.test(lines[l][col - 1] ?? '') || /\w/.test(lines[l][col + text.length] ?? '')))
      col = lines[l].indexOf(text, col + 1);
    if (col >= 0) {
      const [b, e] = [col + focus[0], col + focus[1]];
      return { at: { line: l, col: b }, start: { line: l, col }, next: { line: l, col: col + text.length },
               tokens: tokens.filter((t) => t.line === l && t.start < e && t.end > b) };
    }
  }
  return null;
}

if (tokenize) {
  for (const [name, src, expectations] of cases) {
    await check(`tokens: ${name}`, () => {
      const { tokens, atTop } = tokenize(src);
      const lines = src.split('\n');
      let from = { line: 0, col: 0 };
      let last = null; // [text, where it was found]: a repeated text checks the same occurrence
      const errors = [];
      for (const [text, scope] of expectations) {
        const plain = text.replace(/[«»]/g, '');
        const f = findTokens(tokens, lines, text, last && last[0] === plain ? last[1] : from);
        if (f) last = [plain, f.start];
        if (!f) {
          errors.push(`\`${text}\` not found after ${from.line}:${from.col}`);
          continue;
        }
        from = f.next;
        const negate = scope.startsWith('!');
        const want = negate ? scope.slice(1) : scope;
        for (const t of f.tokens) {
          const has = t.scopes.some((s) => s === want || s.startsWith(`${want}.`));
          if (has === negate)
            errors.push(`\`${t.text}\` (in \`${text}\` at ${f.at.line}:${f.at.col}) ` +
                        `${negate ? 'has' : 'lacks'} ${want}: ${t.scopes.join(' ')}`);
        }
      }
      if (!atTop) errors.push('the source does not end at the top level');
      assert(errors.length === 0, errors.join('\n'));
    });
  }

  const files = [];
  const collect = (p) => {
    if (statSync(p).isDirectory())
      for (const e of readdirSync(p).sort()) collect(path.join(p, e));
    else if (p.endsWith('.deploy')) files.push(p);
  };
  for (const arg of process.argv.slice(2)) collect(path.resolve(arg));
  for (const file of files) {
    await check(`tokens: ${path.relative(process.cwd(), file)}`, () => {
      const { tokens, atTop } = tokenize(readFileSync(file, 'utf8'));
      const bad = tokens.filter((t) => t.scopes.some((s) => s.startsWith('invalid.')));
      assert(bad.length === 0, bad.slice(0, 5)
        .map((t) => `${t.line + 1}:${t.start + 1} \`${t.text}\` ${t.scopes.at(-1)}`).join('\n'));
      assert(atTop, 'the file does not end at the top level (an unclosed block or string?)');
    });
  }
} else {
  console.log('# vscode-textmate / vscode-oniguruma not installed: tokenization tests skipped');
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
