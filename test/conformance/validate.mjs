#!/usr/bin/env node
// Conformance validator for the output of `deployc emit SPEC -o DIR`.
//
// Usage:
//   node validate.mjs [--schemas DEVCONTAINER_SCHEMA_DIR] [--verbose] OUTDIR [OUTDIR...]
//   node validate.mjs --self-test [--schemas DEVCONTAINER_SCHEMA_DIR]
//
// The script is meant to run from an install directory outside the source
// tree in which `npm ci` was run (see package.json), so that every import
// below resolves from that directory's node_modules.
//
// What is checked (every problem is printed with the file it was found in and
// counted; the run exits 1 if any problem was found):
//
//  * Kubernetes manifests: every *.yaml / *.yml file below OUTDIR is a
//    multi-document YAML stream.  Each document is
//      - looked up by apiVersion/kind in kubernetes-models (built-in groups)
//        or the @kubernetes-models/{argo-rollouts,argo-cd,keda,external-secrets,flux-cd,
//        istio,gateway-api} CRD
//        packages; an unknown apiVersion/kind is a problem;
//      - validated with the library's own JSON-schema validator
//        (`new Model(doc).validate()`);
//      - walked alongside the kind's TypeScript declarations (.d.ts files in
//        the same packages) to reject fields the kind does not declare: the
//        library validator silently ignores unknown fields, and the API
//        server would either drop them (typo = silently lost setting) or
//        reject them (strict field validation);
//      - checked for scalars that YAML 1.1 (the go-yaml dialect used by
//        kubectl/client-go) reads differently from YAML 1.2 (yes/no/on/off);
//      - checked for metadata.name and for label keys/values that the API
//        server would reject, and for duplicate objects in one directory.
//  * Dockerfiles (`Dockerfile`, `*.Dockerfile`): parsed with dockerfile-ast,
//    linted with dockerfile-utils, plus our own checks of the syntax
//    directive, `RUN` flags (`--mount` options per the BuildKit Dockerfile
//    reference, `--network`, `--security`), exec form of ENTRYPOINT/CMD, and
//    ARG/ENV names that look like secrets.
//  * Dev containers: every `.devcontainer/**/devcontainer.json` is validated
//    with ajv (draft 2019-09) against the official Dev Container schema found
//    in --schemas; `build.dockerfile`/`build.context` must exist and
//    `build.target` must be a stage of that Dockerfile.
//  * `.vscode/tasks.json` (minimal shape check) and `docker-bake.json`
//    (groups/targets, dockerfile and context exist, target stage exists,
//    required build secrets are passed).
//
// Output: one line per checked file, `ok  PATH (DETAILS)` or
// `FAIL PATH (DETAILS, N problems)` followed by `  error: ...` lines (each
// names the file, for manifests also the document index and kind/name, and
// the JSON path), `  warning: ...` lines that do not count, and finally
// `conformance: N files, M problems`.  Exit status: 0 when M is 0, 1 when it
// is not, 2 for usage errors.  If the --schemas folder does not exist a
// `SKIP: devcontainer schema folder not found: PATH` line is printed and the
// devcontainer.json schema check is skipped (everything else still runs).
//
// --self-test checks the checks themselves (e.g. that `spec.replicaz` on a
// Deployment and `spec.template.spec.containers[0].imagePullPolicyy` are
// reported and a valid Deployment is not) and ends with
// `self-test: N passed, M failed`.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

import yaml from "js-yaml";
import dockerfileAst from "dockerfile-ast";
import dockerfileUtils from "dockerfile-utils";
import Ajv2019 from "ajv/dist/2019.js";
import addFormats from "ajv-formats";

const require = createRequire(import.meta.url);
const { DockerfileParser } = dockerfileAst;

// ---------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------

class Report {
  constructor(display) {
    this.display = display; // how to show the file in messages
    this.problems = [];
    this.warnings = [];
  }
  error(msg) {
    this.problems.push(msg);
  }
  warn(msg) {
    this.warnings.push(msg);
  }
}

function fmtPath(segments) {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(s)) out += (out ? "." : "") + s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out || "(document root)";
}

function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function editDistance(a, b) {
  const m = a.length;
  const n = b.length;
  const d = Array.from({ length: m + 1 }, (_, i) => [i, ...new Array(n).fill(0)]);
  for (let j = 1; j <= n; j++) d[0][j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      d[i][j] = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1),
      );
    }
  }
  return d[m][n];
}

function suggest(word, candidates) {
  let best = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word, c);
    if (dist < bestD) {
      bestD = dist;
      best = c;
    }
  }
  if (best !== null && bestD <= Math.max(2, Math.floor(word.length / 3))) return best;
  return null;
}

// ---------------------------------------------------------------------------
// TypeScript declaration (.d.ts) reader
//
// kubernetes-models ships one .d.ts per type, e.g.
//   import { IIoK8sApiCoreV1PodTemplateSpec } from "../../v1/PodTemplateSpec.js";
//   export interface IDeploymentSpec { "replicas"?: number; "template": IIoK8s...; }
//   export type { IDeploymentSpec as IIoK8sApiAppsV1DeploymentSpec, ... };
//   export type IIntOrString = string | number;
// We tokenize these files, parse interfaces, type aliases, imports and
// re-exports, and parse type expressions: primitives, string/number literals,
// references (optionally with type arguments or `I["kind"]` indexed access),
// Array<T>, T[], Record<K, V>, unions, intersections, parentheses and inline
// object literals (properties and `[key: string]: T` index signatures).
// ---------------------------------------------------------------------------

function tokenizeTs(src, file) {
  const toks = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
    } else if (c === "/" && src[i + 1] === "/") {
      while (i < n && src[i] !== "\n") i++;
    } else if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      if (end < 0) throw new Error(`${file}: unterminated comment`);
      i = end + 2;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      let v = "";
      while (j < n && src[j] !== c) {
        if (src[j] === "\\") {
          const e = src[j + 1];
          v += { n: "\n", t: "\t", r: "\r" }[e] ?? e;
          j += 2;
        } else {
          v += src[j++];
        }
      }
      if (j >= n) throw new Error(`${file}: unterminated string`);
      toks.push({ t: "str", v });
      i = j + 1;
    } else if (/[0-9]/.test(c)) {
      let j = i;
      while (j < n && /[0-9.eE_xXa-fA-F]/.test(src[j])) j++;
      toks.push({ t: "num", v: src.slice(i, j) });
      i = j;
    } else if (/[A-Za-z_$]/.test(c)) {
      let j = i;
      while (j < n && /[A-Za-z0-9_$]/.test(src[j])) j++;
      toks.push({ t: "id", v: src.slice(i, j) });
      i = j;
    } else if (c === "=" && src[i + 1] === ">") {
      toks.push({ t: "p", v: "=>" });
      i += 2;
    } else if (c === "." && src[i + 1] === "." && src[i + 2] === ".") {
      toks.push({ t: "p", v: "..." });
      i += 3;
    } else {
      toks.push({ t: "p", v: c });
      i++;
    }
  }
  return toks;
}

const PRIMITIVES = new Set([
  "string", "number", "boolean", "bigint", "symbol", "null", "undefined", "never", "void", "true", "false",
]);
const FREEFORM = new Set(["any", "unknown", "object", "Object"]);

class TsParser {
  constructor(toks, file) {
    this.toks = toks;
    this.pos = 0;
    this.file = file;
  }
  peek(o = 0) {
    return this.toks[this.pos + o];
  }
  is(v, o = 0) {
    const t = this.peek(o);
    return t !== undefined && (t.t === "p" || t.t === "id") && t.v === v;
  }
  next() {
    return this.toks[this.pos++];
  }
  expect(v) {
    const t = this.next();
    if (!t || t.v !== v) this.fail(`expected '${v}', found '${t ? t.v : "end of file"}'`);
    return t;
  }
  fail(msg) {
    throw new Error(`${this.file}: cannot parse declarations: ${msg} (token ${this.pos})`);
  }
  eat(v) {
    if (this.is(v)) {
      this.pos++;
      return true;
    }
    return false;
  }

  // Skip one statement we do not care about: up to a ';' at nesting depth 0,
  // or a '}' that closes a block opened at depth 0 (class/namespace/enum).
  skipStatement() {
    let depth = 0;
    let sawBlock = false;
    while (this.pos < this.toks.length) {
      const t = this.next();
      if (t.t !== "p") continue;
      if (t.v === "{" || t.v === "(" || t.v === "[") {
        depth++;
        if (t.v === "{" && depth === 1) sawBlock = true;
      } else if (t.v === "}" || t.v === ")" || t.v === "]") {
        depth--;
        if (depth === 0 && t.v === "}" && sawBlock) {
          this.eat(";");
          return;
        }
      } else if (t.v === ";" && depth === 0) {
        return;
      }
    }
  }

  parseModule() {
    const mod = {
      file: this.file,
      imports: new Map(), // local name -> { spec, name }
      decls: new Map(), // local name -> { kind: 'interface', members, index, extends } | { kind: 'alias', type }
      exportAs: new Map(), // exported name -> local name
      reexports: new Map(), // exported name -> { spec, name }
      stars: [], // export * from spec
    };
    while (this.pos < this.toks.length) {
      if (this.is("import")) {
        this.parseImport(mod);
      } else if (this.is("export")) {
        this.next();
        if (this.is("interface")) this.parseInterface(mod);
        else if (this.is("type") && this.peek(1) && this.peek(1).t === "id") this.parseTypeAlias(mod);
        else if (this.is("type") && this.is("{", 1)) {
          this.next();
          this.parseExportList(mod);
        } else if (this.is("{")) this.parseExportList(mod);
        else if (this.is("*")) {
          this.next();
          if (this.is("as")) {
            this.skipStatement();
            continue;
          }
          this.expect("from");
          mod.stars.push(this.next().v);
          this.eat(";");
        } else this.skipStatement();
      } else if (this.is("interface")) {
        this.parseInterface(mod);
      } else if (this.is("type") && this.peek(1) && this.peek(1).t === "id" && this.is("=", 2)) {
        this.parseTypeAlias(mod);
      } else {
        this.skipStatement();
      }
    }
    return mod;
  }

  parseImport(mod) {
    this.expect("import");
    this.eat("type");
    if (!this.is("{")) {
      this.skipStatement();
      return;
    }
    this.next();
    const names = [];
    while (!this.is("}")) {
      this.eat("type");
      const name = this.next().v;
      let local = name;
      if (this.eat("as")) local = this.next().v;
      names.push([local, name]);
      this.eat(",");
    }
    this.expect("}");
    this.expect("from");
    const spec = this.next().v;
    this.eat(";");
    for (const [local, name] of names) mod.imports.set(local, { spec, name });
  }

  parseExportList(mod) {
    this.expect("{");
    const names = [];
    while (!this.is("}")) {
      this.eat("type");
      const local = this.next().v;
      let exported = local;
      if (this.eat("as")) exported = this.next().v;
      names.push([local, exported]);
      this.eat(",");
    }
    this.expect("}");
    let spec = null;
    if (this.eat("from")) spec = this.next().v;
    this.eat(";");
    for (const [local, exported] of names) {
      if (spec !== null) mod.reexports.set(exported, { spec, name: local });
      else mod.exportAs.set(exported, local);
    }
  }

  parseTypeParams() {
    // `<T extends X = Y, ...>`: skip, we do not model generics.
    if (!this.is("<")) return;
    let depth = 0;
    do {
      const t = this.next();
      if (t.v === "<") depth++;
      else if (t.v === ">") depth--;
    } while (depth > 0 && this.pos < this.toks.length);
  }

  parseInterface(mod) {
    this.expect("interface");
    const name = this.next().v;
    this.parseTypeParams();
    const ext = [];
    if (this.eat("extends")) {
      do {
        ext.push(this.parsePrimary());
      } while (this.eat(","));
    }
    const body = this.parseObjectLiteral();
    mod.decls.set(name, { kind: "interface", name, body, extends: ext });
  }

  parseTypeAlias(mod) {
    this.expect("type");
    const name = this.next().v;
    this.parseTypeParams();
    this.expect("=");
    const start = this.pos;
    try {
      const type = this.parseType();
      this.eat(";");
      mod.decls.set(name, { kind: "alias", name, type });
    } catch (e) {
      // A type we cannot model (mapped/conditional types, ...).  Record it
      // so that using it is an error, but do not fail the whole file.
      this.pos = start;
      this.skipStatement();
      mod.decls.set(name, { kind: "unparsed", name, error: e.message });
    }
  }

  parseType() {
    this.eat("|");
    this.eat("&");
    const first = this.parseIntersection();
    const types = [first];
    while (this.eat("|")) types.push(this.parseIntersection());
    return types.length === 1 ? first : { k: "union", types };
  }

  parseIntersection() {
    const first = this.parsePostfix();
    const types = [first];
    while (this.eat("&")) types.push(this.parsePostfix());
    return types.length === 1 ? first : { k: "inter", types };
  }

  parsePostfix() {
    let t = this.parsePrimary();
    while (this.is("[")) {
      if (this.is("]", 1)) {
        this.pos += 2;
        t = { k: "array", elem: t };
      } else {
        this.next();
        const key = this.parseType();
        this.expect("]");
        t = { k: "indexed", obj: t, key };
      }
    }
    return t;
  }

  parseTypeArgs() {
    const args = [];
    if (!this.eat("<")) return args;
    do {
      args.push(this.parseType());
    } while (this.eat(","));
    this.expect(">");
    return args;
  }

  parsePrimary() {
    const t = this.peek();
    if (!t) this.fail("unexpected end of file in type");
    if (t.t === "str") {
      this.next();
      return { k: "lit", value: t.v };
    }
    if (t.t === "num") {
      this.next();
      return { k: "lit", value: Number(t.v) };
    }
    if (t.t === "p" && t.v === "-" && this.peek(1) && this.peek(1).t === "num") {
      this.pos += 2;
      return { k: "lit", value: -Number(this.peek(-1).v) };
    }
    if (t.t === "p" && t.v === "(" && this.looksLikeParams()) {
      // function type `(a: T) => R`: not data; skip it
      let depth = 0;
      do {
        const x = this.next();
        if (x.v === "(") depth++;
        else if (x.v === ")") depth--;
      } while (depth > 0);
      this.expect("=>");
      if (this.peek() && this.peek().t === "id" && this.is("is", 1)) this.pos += 2; // type predicate
      this.parseType();
      return { k: "prim", name: "function" };
    }
    if (t.t === "p" && t.v === "(") {
      this.next();
      const inner = this.parseType();
      this.expect(")");
      return inner;
    }
    if (t.t === "p" && t.v === "{") return this.parseObjectLiteral();
    if (t.t === "id") {
      this.next();
      if (t.v === "readonly" || t.v === "keyof" || t.v === "typeof" || t.v === "unique") {
        return this.parsePrimary();
      }
      if (PRIMITIVES.has(t.v)) return { k: "prim", name: t.v };
      if (FREEFORM.has(t.v)) return { k: "any", why: t.v };
      if ((t.v === "Array" || t.v === "ReadonlyArray") && this.is("<")) {
        const [elem] = this.parseTypeArgs();
        return { k: "array", elem };
      }
      if (t.v === "Record" && this.is("<")) {
        const [, value] = this.parseTypeArgs();
        return { k: "obj", props: new Map(), index: value };
      }
      if (t.v === "import" && this.is("(")) {
        this.next();
        const spec = this.next().v;
        this.expect(")");
        let name = null;
        while (this.eat(".")) name = this.next().v;
        const args = this.parseTypeArgs();
        return { k: "ref", name, spec, file: this.file, args };
      }
      let name = t.v;
      while (this.is(".") && this.peek(1) && this.peek(1).t === "id") {
        this.next();
        name += "." + this.next().v;
      }
      const args = this.parseTypeArgs();
      return { k: "ref", name, file: this.file, args };
    }
    this.fail(`unexpected '${t.v}' in type`);
  }

  looksLikeParams() {
    // after '(' : ')' or 'name:' / 'name?' / '...'
    const a = this.peek(1);
    if (!a) return false;
    if (a.v === ")" || a.v === "...") return true;
    const b = this.peek(2);
    return a.t === "id" && b && (b.v === ":" || b.v === "?" || b.v === ",");
  }

  parseObjectLiteral() {
    this.expect("{");
    const props = new Map();
    let index = null;
    while (!this.is("}")) {
      if (this.eat(";") || this.eat(",")) continue;
      this.eat("readonly");
      if (this.is("[")) {
        // index signature: [key: string]: T
        this.next();
        this.next(); // key name
        this.expect(":");
        this.parseType();
        this.expect("]");
        this.eat("?");
        this.expect(":");
        index = this.parseType();
        continue;
      }
      const nameTok = this.next();
      if (nameTok.t !== "str" && nameTok.t !== "id" && nameTok.t !== "num") {
        this.fail(`unexpected '${nameTok.v}' in object type`);
      }
      const optional = this.eat("?");
      if (this.is("(") || this.is("<")) {
        // method signature: not data, skip it
        this.skipMember();
        continue;
      }
      this.expect(":");
      const type = this.parseType();
      props.set(nameTok.v, { type, optional });
    }
    this.expect("}");
    return { k: "obj", props, index };
  }

  skipMember() {
    let depth = 0;
    while (this.pos < this.toks.length) {
      const t = this.peek();
      if (depth === 0 && (t.v === ";" || t.v === "}")) {
        this.eat(";");
        return;
      }
      this.next();
      if (t.v === "(" || t.v === "{" || t.v === "[" || t.v === "<") depth++;
      else if (t.v === ")" || t.v === "}" || t.v === "]" || t.v === ">") depth--;
    }
  }
}

// Resolves imports in .d.ts files the way TypeScript's "bundler"/"node16"
// resolution would for these packages: relative specifiers ("./X.js") and
// package specifiers through node_modules + package.json "exports" (the
// "types" condition).
class DtsIndex {
  constructor() {
    this.modules = new Map();
    this.shapes = new Map();
  }

  module(file) {
    let mod = this.modules.get(file);
    if (!mod) {
      const src = fs.readFileSync(file, "utf8");
      mod = new TsParser(tokenizeTs(src, file), file).parseModule();
      this.modules.set(file, mod);
    }
    return mod;
  }

  static dtsCandidates(base) {
    const out = [];
    if (base.endsWith(".d.ts")) out.push(base);
    else if (/\.(m|c)?js$/.test(base)) out.push(base.replace(/\.(m|c)?js$/, ".d.ts"));
    else out.push(base + ".d.ts", path.join(base, "index.d.ts"));
    return out;
  }

  static pickTypes(target) {
    if (typeof target === "string") return target;
    if (Array.isArray(target)) {
      for (const t of target) {
        const r = DtsIndex.pickTypes(t);
        if (r) return r;
      }
      return null;
    }
    if (isPlainObject(target)) {
      for (const cond of ["types", "import", "default", "node"]) {
        if (cond in target) {
          const r = DtsIndex.pickTypes(target[cond]);
          if (r) return r;
        }
      }
    }
    return null;
  }

  resolveSpec(fromFile, spec) {
    if (spec.startsWith(".") || spec.startsWith("/")) {
      const base = path.resolve(path.dirname(fromFile), spec);
      for (const c of DtsIndex.dtsCandidates(base)) if (fs.existsSync(c)) return c;
      throw new Error(`cannot resolve "${spec}" from ${fromFile}`);
    }
    const parts = spec.split("/");
    const pkgName = spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
    const sub = "." + spec.slice(pkgName.length); // "." or "./x/y"
    let dir = path.dirname(fromFile);
    for (;;) {
      const pkgDir = path.join(dir, "node_modules", pkgName);
      const pj = path.join(pkgDir, "package.json");
      if (fs.existsSync(pj)) return this.resolveInPackage(pkgDir, JSON.parse(fs.readFileSync(pj, "utf8")), sub, spec);
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    throw new Error(`cannot find package "${pkgName}" (for "${spec}") from ${fromFile}`);
  }

  resolveInPackage(pkgDir, pj, sub, spec) {
    let exp = pj.exports;
    if (exp !== undefined) {
      if (typeof exp === "string" || Array.isArray(exp) || !Object.keys(exp).some((k) => k.startsWith("."))) {
        exp = { ".": exp };
      }
      let target = null;
      if (sub in exp) target = DtsIndex.pickTypes(exp[sub]);
      else {
        let bestLen = -1;
        for (const [key, value] of Object.entries(exp)) {
          const star = key.indexOf("*");
          if (star < 0) continue;
          const pre = key.slice(0, star);
          const post = key.slice(star + 1);
          if (sub.startsWith(pre) && sub.endsWith(post) && sub.length >= pre.length + post.length && pre.length > bestLen) {
            const t = DtsIndex.pickTypes(value);
            if (t) {
              bestLen = pre.length;
              target = t.replaceAll("*", sub.slice(pre.length, sub.length - post.length));
            }
          }
        }
      }
      if (target) {
        for (const c of DtsIndex.dtsCandidates(path.join(pkgDir, target))) if (fs.existsSync(c)) return c;
      }
    }
    const base = sub === "." ? path.join(pkgDir, pj.types || pj.typings || "index.d.ts") : path.join(pkgDir, sub);
    for (const c of DtsIndex.dtsCandidates(base)) if (fs.existsSync(c)) return c;
    throw new Error(`cannot resolve "${spec}" in ${pkgDir}`);
  }

  // Find the declaration a module exports under `name`.
  lookupExport(file, name, seen = new Set()) {
    const key = file + "#" + name;
    if (seen.has(key)) return null;
    seen.add(key);
    const mod = this.module(file);
    if (mod.decls.has(name)) return { file, decl: mod.decls.get(name) };
    if (mod.exportAs.has(name)) return this.lookupLocal(file, mod.exportAs.get(name), seen);
    if (mod.reexports.has(name)) {
      const r = mod.reexports.get(name);
      return this.lookupExport(this.resolveSpec(file, r.spec), r.name, seen);
    }
    for (const spec of mod.stars) {
      const r = this.lookupExport(this.resolveSpec(file, spec), name, seen);
      if (r) return r;
    }
    return null;
  }

  // Find the declaration that `name` refers to inside `file`.
  lookupLocal(file, name, seen = new Set()) {
    const mod = this.module(file);
    if (mod.decls.has(name)) return { file, decl: mod.decls.get(name) };
    if (mod.imports.has(name)) {
      const imp = mod.imports.get(name);
      return this.lookupExport(this.resolveSpec(file, imp.spec), imp.name, seen);
    }
    return this.lookupExport(file, name, seen);
  }

  // Reduce a type to one of: any | prim | lit | array | obj | union.
  deref(type, depth = 0) {
    if (depth > 64) throw new Error("type alias chain too deep");
    switch (type.k) {
      case "ref": {
        const cacheKey = type.file + "#" + (type.spec || "") + "#" + type.name;
        if (this.shapes.has(cacheKey)) return this.shapes.get(cacheKey);
        let found;
        if (type.spec) found = this.lookupExport(this.resolveSpec(type.file, type.spec), type.name);
        else found = this.lookupLocal(type.file, type.name);
        if (!found) {
          throw new Error(`cannot resolve type ${type.name} referenced from ${type.file}`);
        }
        let shape;
        if (found.decl.kind === "unparsed") {
          throw new Error(`type ${type.name} in ${found.file} could not be parsed: ${found.decl.error}`);
        } else if (found.decl.kind === "alias") {
          shape = this.deref(found.decl.type, depth + 1);
        } else {
          // Interface: own members plus the members of the interfaces it extends.
          const props = new Map();
          let index = found.decl.body.index;
          for (const base of found.decl.extends) {
            const b = this.deref(base, depth + 1);
            if (b.k === "obj") {
              for (const [k, v] of b.props) props.set(k, v);
              index = index || b.index;
            }
          }
          for (const [k, v] of found.decl.body.props) props.set(k, v);
          shape = { k: "obj", props, index, name: found.decl.name, file: found.file };
        }
        this.shapes.set(cacheKey, shape);
        return shape;
      }
      case "indexed":
        return { k: "prim", name: "indexed" };
      case "inter": {
        const props = new Map();
        let index = null;
        for (const t of type.types) {
          const s = this.deref(t, depth + 1);
          if (s.k === "any") return s;
          if (s.k === "obj") {
            for (const [k, v] of s.props) props.set(k, v);
            index = index || s.index;
          }
        }
        return { k: "obj", props, index };
      }
      default:
        return type;
    }
  }

  // Collects unknown-field problems of `value` against `type`.  Type
  // mismatches (a string where an object is expected, ...) are left to the
  // library's JSON-schema validator; this only reports keys the declared
  // object type does not have.
  check(value, type, pathSegs, errors) {
    const t = this.deref(type);
    switch (t.k) {
      case "any":
        return; // free-form (any/unknown/object)
      case "array":
        if (Array.isArray(value)) value.forEach((e, i) => this.check(e, t.elem, [...pathSegs, i], errors));
        return;
      case "obj": {
        if (!isPlainObject(value)) return;
        // An object type with neither properties nor an index signature is
        // `{}` (or an empty interface such as FieldsV1/RawExtension/JSON):
        // generated from a schema of `type: object` without properties,
        // i.e. x-kubernetes-preserve-unknown-fields / free-form objects.
        if (t.props.size === 0 && !t.index) return;
        for (const [key, v] of Object.entries(value)) {
          const p = t.props.get(key);
          if (p) this.check(v, p.type, [...pathSegs, key], errors);
          else if (t.index) this.check(v, t.index, [...pathSegs, key], errors);
          else {
            const declared = [...t.props.keys()];
            const near = suggest(key, declared);
            errors.push({
              path: [...pathSegs, key],
              message:
                `unknown field "${key}"` +
                (t.name ? ` (not declared in ${t.name})` : "") +
                (near ? `; did you mean "${near}"?` : "") +
                `; declared fields: ${declared.join(", ")}`,
            });
          }
        }
        return;
      }
      case "union": {
        if (value === null || typeof value !== "object") return;
        const wantArray = Array.isArray(value);
        const candidates = [];
        for (const m of t.types) {
          const s = this.deref(m);
          if (s.k === "any") return;
          if (s.k === "union") candidates.push(m);
          else if (wantArray ? s.k === "array" : s.k === "obj") candidates.push(m);
        }
        if (candidates.length === 0) return;
        let best = null;
        for (const c of candidates) {
          const errs = [];
          this.check(value, c, pathSegs, errs);
          if (errs.length === 0) return;
          if (best === null || errs.length < best.length) best = errs;
        }
        errors.push(...best);
        return;
      }
      default:
        return; // prim, lit
    }
  }
}

// ---------------------------------------------------------------------------
// Kubernetes
// ---------------------------------------------------------------------------

// API groups served by CRD packages; everything else is looked up in
// kubernetes-models (core group "v1" -> kubernetes-models/v1, "apps/v1" ->
// kubernetes-models/apps/v1, ...).
const CRD_PACKAGES = {
  // Argo Rollouts and Argo CD share the group; a kind is looked up in both.
  "argoproj.io": ["@kubernetes-models/argo-rollouts", "@kubernetes-models/argo-cd"],
  "keda.sh": ["@kubernetes-models/keda"],
  "eventing.keda.sh": ["@kubernetes-models/keda"],
  "external-secrets.io": ["@kubernetes-models/external-secrets"],
  "generators.external-secrets.io": ["@kubernetes-models/external-secrets"],
  "networking.istio.io": ["@kubernetes-models/istio"],
  "gateway.networking.k8s.io": ["@kubernetes-models/gateway-api"],
  "source.toolkit.fluxcd.io": ["@kubernetes-models/flux-cd"],
  "kustomize.toolkit.fluxcd.io": ["@kubernetes-models/flux-cd"],
};

// The modules that may declare apiVersion's kinds, in the order to try them.
function moduleSpecsFor(apiVersion) {
  if (typeof apiVersion !== "string" || !/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion)) return null;
  const slash = apiVersion.indexOf("/");
  if (slash < 0) return [`kubernetes-models/${apiVersion}`];
  const group = apiVersion.slice(0, slash);
  if (CRD_PACKAGES[group]) return CRD_PACKAGES[group].map((p) => `${p}/${apiVersion}`);
  return [`kubernetes-models/${apiVersion}`];
}

const modelCache = new Map();

async function findModel(apiVersion, kind) {
  const specs = moduleSpecsFor(apiVersion);
  if (!specs) return { error: `unknown apiVersion "${apiVersion}"` };
  const key = apiVersion + "#" + kind;
  if (modelCache.has(key)) return modelCache.get(key);
  let result;
  for (const spec of specs) {
    let mod;
    let url;
    try {
      url = import.meta.resolve(spec);
      mod = await import(spec);
    } catch (e) {
      result = result || { error: `unknown apiVersion "${apiVersion}" (no module ${spec}: ${e.code || e.message})` };
      continue;
    }
    const Model = typeof kind === "string" ? mod[kind] : undefined;
    if (typeof Model !== "function" || Model.apiVersion !== apiVersion || Model.kind !== kind) {
      result = { error: `unknown kind "${kind}" in apiVersion "${apiVersion}" (${specs.join(", ")} have no such resource)` };
      continue;
    }
    const dts = path.join(path.dirname(fileURLToPath(url)), `${kind}.d.ts`);
    if (!fs.existsSync(dts)) result = { error: `internal: no declarations ${dts} for ${apiVersion} ${kind}` };
    else result = { Model, dts, iface: `I${kind}`, spec };
    break;
  }
  modelCache.set(key, result);
  return result;
}

const dtsIndex = new DtsIndex();

// Returns the unknown-field problems of `doc` against the declarations of its kind.
function unknownFields(doc, found) {
  const errors = [];
  dtsIndex.check(doc, { k: "ref", name: found.iface, file: found.dts }, [], errors);
  return errors;
}

// ---------------------------------------------------------------------------
// Patch schema (--patch-schema)
//
// deployc type-checks `patch "KIND" { ... }` blocks against the fields of
// KIND. Its table, lib/Sema/KubernetesSchema.txt, is this dump of the same
// declarations the conformance check reads; a lit test regenerates it and
// fails when the committed table differs. One line per kind
// (`kind NAME @ID`), then per object type `type ID` and its fields
// `  NAME EXPR`, where EXPR is `s` string, `n` number, `b` boolean, `x` a
// scalar of several types (int-or-string, quantities), `a` anything,
// `@ID` an object type, `[EXPR]` a list and `{EXPR}` a map.
// ---------------------------------------------------------------------------

const PATCH_KINDS = [
  ["Namespace", "v1"], ["ResourceQuota", "v1"], ["LimitRange", "v1"],
  ["NetworkPolicy", "networking.k8s.io/v1"], ["PriorityClass", "scheduling.k8s.io/v1"],
  ["SecretStore", "external-secrets.io/v1beta1"], ["ClusterSecretStore", "external-secrets.io/v1beta1"],
  ["ExternalSecret", "external-secrets.io/v1beta1"], ["Deployment", "apps/v1"],
  ["Rollout", "argoproj.io/v1alpha1"], ["Service", "v1"], ["ConfigMap", "v1"],
  ["PersistentVolumeClaim", "v1"], ["AnalysisTemplate", "argoproj.io/v1alpha1"],
  ["PodDisruptionBudget", "policy/v1"], ["HorizontalPodAutoscaler", "autoscaling/v2"],
  ["ScaledObject", "keda.sh/v1alpha1"], ["TriggerAuthentication", "keda.sh/v1alpha1"],
  ["Job", "batch/v1"], ["CronJob", "batch/v1"], ["Ingress", "networking.k8s.io/v1"],
];

async function dumpPatchSchema() {
  const ids = new Map();
  const queue = [];
  const scalar = new Set(["s", "n", "b", "x"]);
  const expr = (type) => {
    const t = dtsIndex.deref(type);
    switch (t.k) {
      case "any":
        return "a";
      case "prim":
        if (t.name === "string" || t.name === "indexed") return "s";
        if (t.name === "number" || t.name === "bigint") return "n";
        if (t.name === "boolean" || t.name === "true" || t.name === "false") return "b";
        if (t.name === "null" || t.name === "undefined" || t.name === "never" || t.name === "void") return null;
        return "a";
      case "lit":
        return typeof t.value === "string" ? "s" : typeof t.value === "number" ? "n" : "b";
      case "array": {
        const e = expr(t.elem);
        return `[${e ?? "a"}]`;
      }
      case "obj": {
        if (t.props.size === 0) return t.index ? `{${expr(t.index) ?? "a"}}` : "a";
        if (t.index) return "a";
        // One entry per declared interface, however many paths import it.
        const key = t.name ? `${t.file}#${t.name}` : t;
        if (!ids.has(key)) {
          ids.set(key, ids.size);
          queue.push(t);
        }
        return `@${ids.get(key)}`;
      }
      case "union": {
        const members = [...new Set(t.types.map(expr).filter((e) => e !== null))];
        if (members.length === 1) return members[0];
        if (members.length > 1 && members.every((m) => scalar.has(m))) return "x";
        return "a";
      }
      default:
        return "a";
    }
  };
  const lines = [];
  for (const [kind, apiVersion] of PATCH_KINDS) {
    const found = await findModel(apiVersion, kind);
    if (found.error) throw new Error(found.error);
    const root = dtsIndex.deref({ k: "ref", name: found.iface, file: found.dts });
    const top = { k: "obj", props: new Map([...root.props].filter(([k]) => !["apiVersion", "kind", "status"].includes(k))), index: null, name: kind };
    lines.push(`kind ${kind} ${expr(top)}`);
  }
  const types = [];
  for (let i = 0; i < queue.length; i++) {
    const t = queue[i];
    const fields = [...t.props].map(([name, p]) => `  ${name} ${expr(p.type) ?? "a"}`);
    const name = (t.name || "object").replace(/^I(?=[A-Z])/, "");
    types.push([`type ${i} ${name}`, ...fields].join("\n"));
  }
  const header = [
    "# The fields of every Kubernetes kind `patch` may target, for deployc's type",
    "# checker. Generated by `node test/conformance/validate.mjs --patch-schema`",
    "# from the pinned packages of test/conformance/package-lock.json; the",
    "# patch-schema test fails when this file differs from a fresh dump.",
  ];
  return [...header, ...lines, ...types].join("\n") + "\n";
}

// YAML 1.1 booleans: kubectl/client-go parse manifests with go-yaml, which
// follows YAML 1.1 and reads these plain scalars as booleans, while js-yaml
// (YAML 1.2) reads them as strings.  We load every stream a second time with
// these resolved as booleans and report values whose meaning differs.
const yaml11Bool = new yaml.Type("tag:deployc.conformance,2024:yaml11-bool", {
  kind: "scalar",
  resolve: (s) => /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/.test(s),
  construct: (s) => /^(y|Y|yes|Yes|YES|on|On|ON)$/.test(s),
});
const YAML11_SCHEMA = yaml.DEFAULT_SCHEMA.extend({ implicit: [yaml11Bool] });

function yaml11Differences(a, b, segs, out) {
  if (typeof a === "string" && typeof b === "boolean") {
    out.push({ path: segs, value: a, asBool: b });
  } else if (Array.isArray(a) && Array.isArray(b)) {
    a.forEach((x, i) => yaml11Differences(x, b[i], [...segs, i], out));
  } else if (isPlainObject(a) && isPlainObject(b)) {
    for (const k of Object.keys(a)) {
      if (k in b) yaml11Differences(a[k], b[k], [...segs, k], out);
      else out.push({ path: [...segs, k], value: k, asBool: /^(y|Y|yes|Yes|YES|on|On|ON)$/.test(k), key: true });
    }
  }
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkQualifiedName(key) {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : null;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== null && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    return `prefix "${prefix}" must be a DNS-1123 subdomain`;
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME_PART.test(name)) {
    return `name part "${name}" must be 1-63 characters of [A-Za-z0-9_.-], starting and ending with an alphanumeric character`;
  }
  return null;
}

// Label/annotation syntax is enforced by the API server wherever labels
// appear: object metadata, pod/job templates and label selectors.
function checkLabelMaps(value, segs, where, rep) {
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkLabelMaps(v, [...segs, i], where, rep));
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const here = [...segs, k];
    const isMeta = segs[segs.length - 1] === "metadata" && (k === "labels" || k === "annotations");
    if ((isMeta || k === "matchLabels") && isPlainObject(v)) {
      const isLabels = k !== "annotations";
      for (const [lk, lv] of Object.entries(v)) {
        const bad = checkQualifiedName(lk);
        if (bad) rep.error(`${where}: ${fmtPath(here)} key "${lk}": ${bad}`);
        if (isLabels && typeof lv === "string" && (lv.length > 63 || !LABEL_VALUE.test(lv))) {
          rep.error(
            `${where}: ${fmtPath([...here, lk])}: "${lv}" is not a valid label value (max 63 chars of [A-Za-z0-9_.-], alphanumeric at both ends)`,
          );
        }
      }
    } else {
      checkLabelMaps(v, here, where, rep);
    }
  }
}

function checkMetadata(doc, where, rep) {
  checkLabelMaps(doc, [], where, rep);
  const md = doc.metadata;
  if (!isPlainObject(md) || typeof md.name !== "string" || md.name === "") {
    rep.error(`${where}: metadata.name is missing (every object needs a name)`);
    return;
  }
  if (md.name.length > 253 || !DNS1123_SUBDOMAIN.test(md.name)) {
    rep.error(`${where}: metadata.name "${md.name}" is not a valid DNS-1123 subdomain`);
  }
  // Object kinds whose names must be DNS-1123 labels (the API server
  // validates them with a stricter rule).
  if ((doc.kind === "Namespace" || doc.kind === "Service") && !DNS1123_LABEL.test(md.name)) {
    rep.error(`${where}: metadata.name "${md.name}" must be a DNS-1123 label (max 63 chars, no dots) for ${doc.kind}`);
  } else if ((doc.kind === "Namespace" || doc.kind === "Service") && md.name.length > 63) {
    rep.error(`${where}: metadata.name "${md.name}" is longer than 63 characters`);
  }
}

async function checkYamlFile(file, display, rep, dirObjects) {
  const text = fs.readFileSync(file, "utf8");
  let docs;
  try {
    docs = yaml.loadAll(text, null, { filename: display });
  } catch (e) {
    rep.error(`${display}: YAML syntax error: ${e.message}`);
    return "0 documents";
  }
  let docs11 = null;
  try {
    docs11 = yaml.loadAll(text, null, { schema: YAML11_SCHEMA });
  } catch {
    docs11 = null;
  }
  let count = 0;
  for (let i = 0; i < docs.length; i++) {
    const doc = docs[i];
    if (doc === null || doc === undefined) {
      rep.warn(`${display}: document ${i}: empty document`);
      continue;
    }
    count++;
    const kindName = isPlainObject(doc)
      ? `${doc.kind ?? "?"}/${isPlainObject(doc.metadata) && doc.metadata.name ? doc.metadata.name : "?"}`
      : "?";
    const where = `${display}: document ${i} (${kindName})`;
    if (!isPlainObject(doc)) {
      rep.error(`${where}: document is not a mapping`);
      continue;
    }
    if (docs11 && docs11[i] !== undefined) {
      const diffs = [];
      yaml11Differences(doc, docs11[i], [], diffs);
      for (const d of diffs) {
        rep.error(
          `${where}: ${fmtPath(d.path)}: plain scalar ${d.value}${d.key ? " (a mapping key)" : ""} is the string "${d.value}" in YAML 1.2 but the boolean ${d.asBool} in YAML 1.1 (kubectl/go-yaml); quote it`,
        );
      }
    }
    const found = await findModel(doc.apiVersion, doc.kind);
    if (found.error) {
      rep.error(`${where}: ${found.error}`);
      continue;
    }
    try {
      new found.Model(doc).validate();
    } catch (e) {
      if (Array.isArray(e.errors)) {
        for (const err of e.errors) {
          const p = err.instancePath ? err.instancePath.slice(1).split("/").join(".") : "(document root)";
          let extra = "";
          if (err.params && err.params.allowedValues) extra = ` (allowed: ${err.params.allowedValues.join(", ")})`;
          else if (err.params && err.params.additionalProperty) extra = ` ("${err.params.additionalProperty}")`;
          rep.error(`${where}: ${p}: ${err.message}${extra} [${found.spec} ${doc.kind} schema]`);
        }
      } else {
        rep.error(`${where}: ${e.message} [${found.spec} ${doc.kind} schema]`);
      }
    }
    try {
      for (const err of unknownFields(doc, found)) rep.error(`${where}: ${fmtPath(err.path)}: ${err.message}`);
    } catch (e) {
      rep.error(`${where}: internal error while reading type declarations: ${e.message}`);
    }
    checkMetadata(doc, where, rep);
    if (isPlainObject(doc.metadata) && typeof doc.metadata.name === "string") {
      const group = String(doc.apiVersion).includes("/") ? String(doc.apiVersion).split("/")[0] : "";
      const id = `${group}/${doc.kind}/${doc.metadata.namespace ?? ""}/${doc.metadata.name}`;
      const prev = dirObjects.get(id);
      if (prev) {
        rep.error(
          `${where}: duplicate object: ${doc.kind} "${doc.metadata.name}"${doc.metadata.namespace ? ` in namespace "${doc.metadata.namespace}"` : ""} is also defined at ${prev}`,
        );
      } else dirObjects.set(id, `${display} document ${i}`);
    }
  }
  if (count === 0) rep.warn(`${display}: no documents`);
  return `${count} document${count === 1 ? "" : "s"}`;
}

// ---------------------------------------------------------------------------
// Dockerfiles
// ---------------------------------------------------------------------------

// RUN --mount options per mount type, from the Dockerfile reference
// (https://docs.docker.com/reference/dockerfile/#run---mount) and BuildKit's
// frontend/dockerfile/instructions/commands_runmount.go.  Aliases map to the
// canonical option name.
const MOUNT_ALIASES = { dst: "target", destination: "target", src: "source", ro: "readonly", rw: "readwrite" };
const MOUNT_OPTIONS = {
  bind: new Set(["type", "target", "source", "from", "readonly", "readwrite"]),
  cache: new Set(["type", "id", "target", "readonly", "sharing", "from", "source", "mode", "uid", "gid"]),
  tmpfs: new Set(["type", "target", "size"]),
  secret: new Set(["type", "id", "target", "env", "required", "mode", "uid", "gid"]),
  ssh: new Set(["type", "id", "target", "required", "mode", "uid", "gid"]),
};
const BOOL_VALUES = new Set(["1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"]);
const SHARING = new Set(["shared", "private", "locked"]);

function splitCsv(s) {
  // encoding/csv semantics for one record: fields separated by ',', a field
  // may be double-quoted ("" inside quotes is a literal quote).
  const out = [];
  let cur = "";
  let i = 0;
  let quoted = false;
  let fieldStart = true;
  while (i < s.length) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        cur += '"';
        i += 2;
        continue;
      }
      if (c === '"') {
        quoted = false;
        i++;
        continue;
      }
      cur += c;
      i++;
      continue;
    }
    if (c === '"' && fieldStart) {
      quoted = true;
      fieldStart = false;
      i++;
      continue;
    }
    if (c === ",") {
      out.push(cur);
      cur = "";
      fieldStart = true;
      i++;
      continue;
    }
    cur += c;
    fieldStart = false;
    i++;
  }
  if (quoted) throw new Error("unterminated quote");
  out.push(cur);
  return out;
}

function parseRamBytes(v) {
  return /^[0-9]+(\.[0-9]+)?\s*([kKmMgGtTpP]i?[bB]?|[bB])?$/.test(v);
}

// Checks one `--mount=VALUE`; returns { problems, mount }.
function checkMount(value) {
  const problems = [];
  let fields;
  try {
    fields = splitCsv(value);
  } catch (e) {
    return { problems: [`--mount=${value}: ${e.message}`], mount: null };
  }
  const opts = new Map();
  for (const f of fields) {
    const eq = f.indexOf("=");
    let key = (eq < 0 ? f : f.slice(0, eq)).toLowerCase();
    const val = eq < 0 ? null : f.slice(eq + 1);
    key = MOUNT_ALIASES[key] || key;
    if (opts.has(key)) problems.push(`option "${key}" given twice`);
    opts.set(key, val);
  }
  const type = opts.has("type") ? (opts.get("type") ?? "").toLowerCase() : "bind";
  if (!MOUNT_OPTIONS[type]) {
    problems.push(`unsupported mount type "${opts.get("type")}" (expected one of ${Object.keys(MOUNT_OPTIONS).join(", ")})`);
    return { problems, mount: null };
  }
  const allowed = MOUNT_OPTIONS[type];
  for (const [key, val] of opts) {
    if (!allowed.has(key)) {
      const near = suggest(key, [...allowed]);
      problems.push(
        `unknown option "${key}" for type=${type}${near ? ` (did you mean "${near}"?)` : ""}; allowed: ${[...allowed].join(", ")}`,
      );
      continue;
    }
    const flagOnly = key === "readonly" || key === "readwrite" || key === "required";
    if (val === null) {
      if (!flagOnly) problems.push(`option "${key}" needs a value (${key}=...)`);
      continue;
    }
    switch (key) {
      case "readonly":
      case "readwrite":
      case "required":
        if (!BOOL_VALUES.has(val)) problems.push(`${key}=${val}: expected a boolean (true/false)`);
        break;
      case "sharing":
        if (!SHARING.has(val.toLowerCase())) problems.push(`sharing=${val}: expected one of shared, private, locked`);
        break;
      case "mode":
        if (!/^[0-7]+$/.test(val)) problems.push(`mode=${val}: expected an octal file mode such as 0755`);
        break;
      case "uid":
      case "gid":
        if (!/^[0-9]+$/.test(val)) problems.push(`${key}=${val}: expected a numeric id`);
        break;
      case "size":
        if (!parseRamBytes(val)) problems.push(`size=${val}: expected a size such as 64m`);
        break;
      case "env":
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(val)) problems.push(`env=${val}: not a valid environment variable name`);
        break;
      case "from":
        if (/\$./.test(val)) problems.push(`from=${val}: variable expansion is not supported in from`);
        if (val === "") problems.push("from= is empty");
        break;
      case "id":
      case "target":
      case "source":
        if (val === "") problems.push(`${key}= is empty`);
        break;
      default:
        break;
    }
  }
  if (type === "cache" && !opts.get("target")) problems.push("type=cache requires target=<path>");
  if (type === "bind" && !opts.get("target")) problems.push("type=bind requires target=<path>");
  if (type === "tmpfs" && !opts.get("target")) problems.push("type=tmpfs requires target=<path>");
  if (type === "secret" && !opts.get("id") && !opts.get("target")) problems.push("type=secret requires id=<id> or target=<path>");
  if (opts.has("readonly") && opts.has("readwrite")) problems.push("both readonly and readwrite given");
  const target = opts.get("target");
  const mount = {
    type,
    id: opts.get("id") ?? (type === "secret" && target ? path.posix.basename(target) : type === "ssh" ? "default" : null),
    from: opts.get("from") ?? null,
    required: opts.has("required") && (opts.get("required") === null || /^(1|t|true)$/i.test(opts.get("required"))),
    env: opts.get("env") ?? null,
  };
  return { problems, mount };
}

// Minimum docker/dockerfile frontend version for features we check.
function parseSyntaxVersion(v) {
  const m = /^docker\/dockerfile:(\d+)(?:\.(\d+))?(?:\.(\d+))?(-labs)?$/.exec(v);
  if (!m) return null;
  return [Number(m[1]), Number(m[2] ?? 999), Number(m[3] ?? 999)];
}

const SECRETISH_WORDS = new Set([
  "TOKEN", "TOKENS", "PASSWORD", "PASSWORDS", "PASSWD", "SECRET", "SECRETS", "KEY", "KEYS",
  "APIKEY", "PRIVATEKEY", "CREDENTIAL", "CREDENTIALS", "CREDS", "AUTHTOKEN", "ACCESSKEY", "NPMRC",
]);
function looksSecret(name) {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter(Boolean);
  return words.some((w) => SECRETISH_WORDS.has(w) || /(TOKEN|PASSWORD|SECRET|APIKEY)$/.test(w));
}

function analyzeDockerfile(content) {
  const df = DockerfileParser.parse(content);
  const stages = [];
  let cur = null;
  for (const ins of df.getInstructions()) {
    const kw = ins.getKeyword();
    if (kw === "FROM") {
      const args = ins.getArguments().map((a) => a.getValue());
      const flagless = args.filter((a) => !a.startsWith("--"));
      cur = {
        name: flagless.length >= 3 && flagless[1].toLowerCase() === "as" ? flagless[2] : null,
        base: flagless[0] ?? "",
        deps: new Set(),
        secrets: [],
        line: ins.getRange().start.line + 1,
      };
      stages.push(cur);
      continue;
    }
    if (!cur) continue;
    if (kw === "COPY" || kw === "ADD") {
      for (const f of ins.getFlags()) if (f.getName() === "from" && f.getValue()) cur.deps.add(f.getValue());
    }
    if (kw === "RUN") {
      for (const f of ins.getFlags()) {
        if (f.getName() !== "mount" || !f.getValue()) continue;
        const { mount } = checkMount(f.getValue());
        if (!mount) continue;
        if (mount.from) cur.deps.add(mount.from);
        if (mount.type === "secret") cur.secrets.push(mount);
      }
    }
  }
  for (const s of stages) {
    // FROM <earlier stage>
    if (stages.some((o) => o !== s && o.name && o.name === s.base)) s.deps.add(s.base);
  }
  return { stages };
}

function stageClosure(info, stageName) {
  const byName = new Map(info.stages.filter((s) => s.name).map((s) => [s.name.toLowerCase(), s]));
  const start = stageName ? byName.get(stageName.toLowerCase()) : info.stages[info.stages.length - 1];
  const seen = new Set();
  const todo = start ? [start] : [];
  while (todo.length) {
    const s = todo.pop();
    if (seen.has(s)) continue;
    seen.add(s);
    for (const d of s.deps) {
      const t = byName.get(d.toLowerCase()) ?? (/^[0-9]+$/.test(d) ? info.stages[Number(d)] : undefined);
      if (t) todo.push(t);
    }
  }
  return [...seen];
}

function checkDockerfile(file, display, rep) {
  const content = fs.readFileSync(file, "utf8");
  const at = (range) => `${display}:${range.start.line + 1}`;

  // dockerfile-utils: every Error-severity diagnostic is a problem.  Of the
  // checks that default to Warning we promote those that change what gets
  // built or run, because in generated output they are always bugs:
  //   - several CMD/ENTRYPOINT/HEALTHCHECK in one stage: all but the last
  //     are silently ignored;
  //   - JSON form written with single quotes: silently becomes shell form;
  //   - relative WORKDIR: depends on the base image's working directory;
  //   - empty continuation lines: BuildKit warns that they will become errors.
  // Pure style checks (instruction/directive casing, deprecated MAINTAINER)
  // stay warnings: they are printed but do not fail the run.
  const ERROR = 2;
  const diagnostics = dockerfileUtils.validate(content, {
    instructionCmdMultiple: ERROR,
    instructionEntrypointMultiple: ERROR,
    instructionHealthcheckMultiple: ERROR,
    instructionJSONInSingleQuotes: ERROR,
    instructionWorkdirRelative: ERROR,
    emptyContinuationLine: ERROR,
  });
  for (const d of diagnostics) {
    const msg = `${at(d.range)}: ${d.message} [dockerfile-utils code ${d.code}]`;
    if (d.severity === 1) rep.error(msg);
    else rep.warn(msg);
  }

  const df = DockerfileParser.parse(content);
  const lines = content.split(/\r?\n/);

  // Syntax directive: must be the very first line so BuildKit uses the
  // docker/dockerfile:1 frontend (RUN --mount etc. need it).  deployc emits
  // exactly "# syntax=docker/dockerfile:1"; a pinned docker/dockerfile:1.N is
  // still a working directive, so it is only a warning (plus an error if a
  // feature used below needs a newer 1.N); anything else is an error.
  let syntaxVersion = null;
  const m = /^#\s*syntax\s*=\s*(\S+)\s*$/.exec(lines[0] ?? "");
  if (lines[0] !== "# syntax=docker/dockerfile:1") {
    if (m && parseSyntaxVersion(m[1])) {
      syntaxVersion = parseSyntaxVersion(m[1]);
      rep.warn(`${display}:1: syntax directive is "${lines[0]}", expected "# syntax=docker/dockerfile:1"`);
    } else {
      rep.error(`${display}:1: first line must be "# syntax=docker/dockerfile:1", found ${JSON.stringify(lines[0] ?? "")}`);
    }
  }

  const needVersion = (v, why, range) => {
    if (syntaxVersion && (syntaxVersion[0] < v[0] || (syntaxVersion[0] === v[0] && syntaxVersion[1] < v[1]))) {
      rep.error(`${at(range)}: ${why} needs docker/dockerfile:${v.join(".")} or later`);
    }
  };

  let count = 0;
  for (const ins of df.getInstructions()) {
    count++;
    const kw = ins.getKeyword();
    if (kw === "RUN") {
      for (const f of ins.getFlags()) {
        const name = f.getName();
        const value = f.getValue();
        if (name === "mount") {
          needVersion([1, 2], "RUN --mount", f.getRange());
          if (value === null || value === "") {
            rep.error(`${at(f.getRange())}: RUN --mount needs a value`);
            continue;
          }
          const { problems, mount } = checkMount(value);
          for (const p of problems) rep.error(`${at(f.getRange())}: RUN --mount=${value}: ${p}`);
          if (mount && mount.env) needVersion([1, 10], "RUN --mount=type=secret,env=", f.getRange());
        } else if (name === "network") {
          needVersion([1, 3], "RUN --network", f.getRange());
          if (!["default", "none", "host"].includes(value ?? "")) {
            rep.error(`${at(f.getRange())}: RUN --network=${value}: expected one of default, none, host`);
          }
        } else if (name === "security") {
          if (!["insecure", "sandbox"].includes(value ?? "")) {
            rep.error(`${at(f.getRange())}: RUN --security=${value}: expected insecure or sandbox`);
          }
        } else {
          rep.error(`${at(f.getRange())}: unknown RUN flag --${name} (RUN accepts --mount, --network, --security)`);
        }
      }
    }
    if (kw === "ENTRYPOINT" || kw === "CMD") {
      const open = ins.getOpeningBracket();
      const close = ins.getClosingBracket();
      let parsed = null;
      if (open && close) {
        const raw = content.slice(
          offsetOf(content, open.getRange().start),
          offsetOf(content, close.getRange().end),
        );
        try {
          parsed = JSON.parse(raw.replace(/\\\r?\n/g, ""));
        } catch {
          parsed = null;
        }
      }
      // `CMD []` / `ENTRYPOINT []` (reset the inherited value) are valid exec form.
      if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === "string")) {
        rep.error(`${at(ins.getRange())}: ${kw} must use exec form (a JSON array of strings), found: ${lineText(lines, ins.getRange())}`);
      }
    }
    if (kw === "ARG" || kw === "ENV") {
      for (const p of ins.getProperties()) {
        const name = p.getName();
        if (looksSecret(name)) {
          rep.error(
            `${at(p.getNameRange())}: ${kw} ${name}: looks like a secret; ${kw} values are stored in the image history/metadata. Use RUN --mount=type=secret instead`,
          );
        }
      }
    }
  }

  // Stage names must be unique and COPY --from / RUN --mount from= should
  // name an earlier stage (otherwise BuildKit pulls an image of that name).
  const info = analyzeDockerfile(content);
  const known = new Set();
  for (let i = 0; i < info.stages.length; i++) {
    const s = info.stages[i];
    for (const d of s.deps) {
      if (!known.has(d.toLowerCase()) && !/^[0-9]+$/.test(d) && !/[/:.@]/.test(d)) {
        rep.error(`${display}:${s.line}: stage ${s.name ?? i} uses --from=${d}, which is not an earlier build stage`);
      }
    }
    if (s.name) known.add(s.name.toLowerCase());
  }
  return `${count} instructions`;
}

function offsetOf(content, pos) {
  let off = 0;
  let line = 0;
  while (line < pos.line) {
    const nl = content.indexOf("\n", off);
    if (nl < 0) return content.length;
    off = nl + 1;
    line++;
  }
  return off + pos.character;
}

function lineText(lines, range) {
  return (lines[range.start.line] ?? "").trim();
}

// ---------------------------------------------------------------------------
// JSON helpers (devcontainer.json and tasks.json are JSONC: comments allowed)
// ---------------------------------------------------------------------------

function stripJsonComments(text) {
  let out = "";
  let i = 0;
  let inStr = false;
  while (i < text.length) {
    const c = text[i];
    if (inStr) {
      out += c;
      if (c === "\\") {
        out += text[i + 1] ?? "";
        i += 2;
        continue;
      }
      if (c === '"') inStr = false;
      i++;
    } else if (c === '"') {
      inStr = true;
      out += c;
      i++;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function readJson(file, display, rep, { jsonc = false } = {}) {
  let text = fs.readFileSync(file, "utf8");
  if (jsonc) text = stripJsonComments(text);
  try {
    return JSON.parse(text);
  } catch (e) {
    rep.error(`${display}: invalid JSON: ${e.message}`);
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// Dev containers
// ---------------------------------------------------------------------------

const VSCODE_SCHEMA_URL =
  "https://raw.githubusercontent.com/microsoft/vscode/main/extensions/configuration-editing/schemas/devContainer.vscode.schema.json";
const CODESPACES_SCHEMA_URL =
  "https://raw.githubusercontent.com/microsoft/vscode/main/extensions/configuration-editing/schemas/devContainer.codespaces.schema.json";
const SPEC_SCHEMA_BASE = "https://raw.githubusercontent.com/devcontainers/spec/main/schemas/";

let devcontainerValidator; // undefined: not loaded yet; null: skipped

function loadDevcontainerValidator(schemaDir) {
  if (devcontainerValidator !== undefined) return devcontainerValidator;
  if (!schemaDir || !fs.existsSync(schemaDir) || !fs.statSync(schemaDir).isDirectory()) {
    console.log(`SKIP: devcontainer schema folder not found: ${schemaDir ?? "(no --schemas given)"}`);
    devcontainerValidator = null;
    return null;
  }
  const load = (name) => JSON.parse(fs.readFileSync(path.join(schemaDir, name), "utf8"));
  const ajv = new Ajv2019({
    allErrors: true,
    // The VS Code schemas use draft-07 idioms that trip ajv's strict type
    // checks ("strictTypes"); they are not errors in the schema language.
    strictTypes: false,
    strictTuples: false,
    logger: false,
  });
  addFormats(ajv);
  ajv.addMetaSchema(require("ajv/dist/refs/json-schema-draft-07.json"));
  // VS Code's JSON-language-service annotation keywords: no validation meaning.
  for (const kw of [
    "allowComments", "allowTrailingCommas", "defaultSnippets", "deprecationMessage", "doNotSuggest",
    "enumDescriptions", "errorMessage", "markdownDescription", "markdownEnumDescriptions", "patternErrorMessage",
    "scope", "tags", "enumItemLabels", "suggestSortText",
  ]) {
    ajv.addKeyword({ keyword: kw });
  }
  // VS Code's live machine-settings schema, stubbed as "any object".
  ajv.addSchema({ $id: "vscode://schemas/settings/machine", type: "object" });
  ajv.addSchema(load("devContainer.base.schema.json"), SPEC_SCHEMA_BASE + "devContainer.base.schema.json");
  ajv.addSchema(load("devContainer.vscode.schema.json"), VSCODE_SCHEMA_URL);
  ajv.addSchema(load("devContainer.codespaces.schema.json"), CODESPACES_SCHEMA_URL);
  const wrapperId = SPEC_SCHEMA_BASE + "devContainer.schema.json";
  ajv.addSchema(load("devContainer.schema.json"), wrapperId);
  devcontainerValidator = ajv.getSchema(wrapperId);
  return devcontainerValidator;
}

function ajvErrorText(err) {
  const where = err.instancePath ? err.instancePath.slice(1).split("/").join(".") : "(root)";
  let extra = "";
  if (err.params) {
    if (err.params.additionalProperty) extra = `: "${err.params.additionalProperty}"`;
    else if (err.params.unevaluatedProperty) extra = `: "${err.params.unevaluatedProperty}"`;
    else if (err.params.allowedValues) extra = ` (allowed: ${err.params.allowedValues.join(", ")})`;
  }
  return `${where}: ${err.message}${extra} (schema ${err.schemaPath})`;
}

function checkDevcontainer(file, display, rep, schemaDir) {
  const data = readJson(file, display, rep, { jsonc: true });
  if (data === undefined) return "";
  const validate = loadDevcontainerValidator(schemaDir);
  if (validate) {
    if (!validate(data)) {
      // The schema's top level is a oneOf of "image/Dockerfile" and "Docker
      // Compose" configurations; when the file fails for another reason, the
      // branch it does not use reports every property as "additional".
      // Drop that noise (the oneOf failure itself is still reported) unless
      // it is all there is, and print each distinct message once.
      const altNoise = (e) =>
        e.keyword === "additionalProperties" && /\/(oneOf|anyOf)\/\d+\//.test(e.schemaPath);
      let errors = validate.errors;
      if (errors.some((e) => !altNoise(e) && e.keyword !== "oneOf" && e.keyword !== "anyOf")) {
        errors = errors.filter((e) => !altNoise(e));
      }
      const seen = new Set();
      for (const err of errors) {
        const t = ajvErrorText(err);
        if (!seen.has(t)) {
          seen.add(t);
          rep.error(`${display}: ${t}`);
        }
      }
    }
  }
  // build.dockerfile / build.context are relative to devcontainer.json.
  const dir = path.dirname(file);
  if (isPlainObject(data) && isPlainObject(data.build)) {
    const b = data.build;
    let dfPath = null;
    if (typeof b.dockerfile === "string") {
      dfPath = path.resolve(dir, b.dockerfile);
      if (!fs.existsSync(dfPath)) rep.error(`${display}: build.dockerfile "${b.dockerfile}" does not exist (resolved to ${dfPath})`);
    }
    if (typeof b.context === "string") {
      const ctx = path.resolve(dir, b.context);
      if (!fs.existsSync(ctx) || !fs.statSync(ctx).isDirectory()) {
        rep.error(`${display}: build.context "${b.context}" is not a directory (resolved to ${ctx})`);
      }
    }
    if (dfPath && fs.existsSync(dfPath)) {
      const info = analyzeDockerfile(fs.readFileSync(dfPath, "utf8"));
      const hasTarget = typeof b.target === "string";
      if (hasTarget && !info.stages.some((s) => s.name && s.name.toLowerCase() === b.target.toLowerCase())) {
        rep.error(`${display}: build.target "${b.target}" is not a stage of ${b.dockerfile} (stages: ${info.stages.map((s) => s.name).filter(Boolean).join(", ")})`);
      } else {
        // The dev container is built with `docker build` using only what
        // devcontainer.json says; build secrets can only be passed through
        // build.options ("--secret", "id=...,env=..."). A required secret
        // mount in a stage the target needs makes that build fail.
        const provided = new Set();
        const opts = Array.isArray(b.options) ? b.options.filter((o) => typeof o === "string") : [];
        for (let i = 0; i < opts.length; i++) {
          let v = null;
          if (opts[i] === "--secret") v = opts[i + 1] ?? "";
          else if (opts[i].startsWith("--secret=")) v = opts[i].slice("--secret=".length);
          else if (opts[i].startsWith("--secret ")) v = opts[i].slice("--secret ".length).trim();
          if (v === null) continue;
          const kv = Object.fromEntries(v.split(",").map((p) => [p.split("=")[0], p.split("=").slice(1).join("=")]));
          const id = kv.id || kv.env || (kv.src || kv.source ? path.posix.basename(kv.src || kv.source) : "");
          if (id) provided.add(id);
        }
        for (const stage of stageClosure(info, hasTarget ? b.target : null)) {
          for (const m of stage.secrets) {
            if (m.id && !provided.has(m.id)) {
              const msg = `${display}: build${hasTarget ? ` (target "${b.target}")` : ""} needs Dockerfile stage ${stage.name ?? "?"}, which mounts secret "${m.id}", but build.options passes no --secret with id=${m.id}`;
              if (m.required) rep.error(msg + " (the mount is required=true, so building the dev container fails)");
              else rep.warn(msg);
            }
          }
        }
      }
    }
  }
  if (isPlainObject(data) && typeof data.dockerFile === "string") {
    if (!fs.existsSync(path.resolve(dir, data.dockerFile))) rep.error(`${display}: dockerFile "${data.dockerFile}" does not exist`);
  }
  return validate ? "schema checked" : "schema skipped";
}

// ---------------------------------------------------------------------------
// .vscode/tasks.json
// ---------------------------------------------------------------------------

function checkTasks(file, display, rep) {
  const data = readJson(file, display, rep, { jsonc: true });
  if (data === undefined) return "";
  if (!isPlainObject(data)) {
    rep.error(`${display}: top level must be an object`);
    return "";
  }
  if (data.version !== "2.0.0") rep.error(`${display}: version must be "2.0.0", found ${JSON.stringify(data.version)}`);
  if (!Array.isArray(data.tasks)) {
    rep.error(`${display}: tasks must be an array`);
    return "";
  }
  const labels = new Set();
  data.tasks.forEach((t, i) => {
    const w = `${display}: tasks[${i}]`;
    if (!isPlainObject(t)) {
      rep.error(`${w}: must be an object`);
      return;
    }
    if (typeof t.label !== "string" || t.label === "") rep.error(`${w}: label must be a non-empty string`);
    else if (labels.has(t.label)) rep.error(`${w}: duplicate label "${t.label}"`);
    else labels.add(t.label);
    if (typeof t.type !== "string" || t.type === "") rep.error(`${w}: type must be a non-empty string`);
    else if ((t.type === "shell" || t.type === "process") && !(typeof t.command === "string" && t.command !== "")) {
      rep.error(`${w}: type "${t.type}" needs a non-empty string command`);
    }
    if (t.args !== undefined && !Array.isArray(t.args)) rep.error(`${w}: args must be an array`);
    if (t.group !== undefined) {
      const kind = typeof t.group === "string" ? t.group : isPlainObject(t.group) ? t.group.kind : undefined;
      if (!["build", "test", "none"].includes(kind)) rep.error(`${w}: group must be "build", "test" or "none" (or { kind, isDefault })`);
    }
    if (t.dependsOn !== undefined) {
      const deps = Array.isArray(t.dependsOn) ? t.dependsOn : [t.dependsOn];
      for (const d of deps) {
        if (typeof d === "string" && !data.tasks.some((o) => isPlainObject(o) && o.label === d)) {
          rep.error(`${w}: dependsOn "${d}" is not the label of a task`);
        }
      }
    }
  });
  return `${data.tasks.length} tasks`;
}

// ---------------------------------------------------------------------------
// docker-bake.json
// ---------------------------------------------------------------------------

// Target attributes of the Bake file reference (docs.docker.com/build/bake/reference/).
const BAKE_TARGET_KEYS = new Set([
  "args", "annotations", "attest", "cache-from", "cache-to", "call", "context", "contexts", "description",
  "dockerfile", "dockerfile-inline", "entitlements", "extra-hosts", "inherits", "labels", "matrix", "name", "network",
  "no-cache", "no-cache-filter", "output", "platforms", "pull", "secret", "shm-size", "ssh", "tags", "target",
  "ulimits",
]);
const BAKE_TOP_KEYS = new Set(["group", "target", "variable", "function"]);

function checkBake(file, display, rep) {
  const data = readJson(file, display, rep);
  if (data === undefined) return "";
  if (!isPlainObject(data)) {
    rep.error(`${display}: top level must be an object`);
    return "";
  }
  for (const k of Object.keys(data)) if (!BAKE_TOP_KEYS.has(k)) rep.error(`${display}: unknown top-level key "${k}"`);
  const targets = data.target ?? {};
  const groups = data.group ?? {};
  if (!isPlainObject(targets)) rep.error(`${display}: "target" must be an object`);
  if (!isPlainObject(groups)) rep.error(`${display}: "group" must be an object`);
  if (!isPlainObject(targets) || !isPlainObject(groups)) return "";
  for (const [g, def] of Object.entries(groups)) {
    if (!isPlainObject(def) || !Array.isArray(def.targets)) {
      rep.error(`${display}: group.${g}: must be an object with a "targets" array`);
      continue;
    }
    for (const k of Object.keys(def)) if (!["targets", "description"].includes(k)) rep.error(`${display}: group.${g}: unknown key "${k}"`);
    for (const t of def.targets) {
      if (!(t in targets) && !(t in groups)) rep.error(`${display}: group.${g}: target "${t}" is not defined`);
    }
  }
  const baseDir = path.dirname(file);
  for (const [name, t] of Object.entries(targets)) {
    const w = `${display}: target.${name}`;
    if (!isPlainObject(t)) {
      rep.error(`${w}: must be an object`);
      continue;
    }
    for (const k of Object.keys(t)) if (!BAKE_TARGET_KEYS.has(k)) rep.error(`${w}: unknown attribute "${k}"`);
    for (const k of ["tags", "platforms", "secret", "ssh", "cache-from", "cache-to", "output", "attest", "annotations"]) {
      if (t[k] !== undefined && !(Array.isArray(t[k]) && t[k].every((s) => typeof s === "string" || isPlainObject(s)))) {
        rep.error(`${w}: ${k} must be an array`);
      }
    }
    if (typeof t.context !== "string") {
      rep.error(`${w}: context must be a string`);
      continue;
    }
    if (typeof t.dockerfile !== "string") {
      rep.error(`${w}: dockerfile must be a string`);
      continue;
    }
    // Bake resolves the context relative to the bake file and the
    // dockerfile relative to the context.
    const ctx = path.resolve(baseDir, t.context);
    if (!fs.existsSync(ctx) || !fs.statSync(ctx).isDirectory()) rep.error(`${w}: context "${t.context}" is not a directory`);
    const dfPath = path.resolve(ctx, t.dockerfile);
    if (!fs.existsSync(dfPath)) {
      rep.error(`${w}: dockerfile "${t.dockerfile}" does not exist (resolved to ${dfPath})`);
      continue;
    }
    const info = analyzeDockerfile(fs.readFileSync(dfPath, "utf8"));
    if (typeof t.target === "string" && !info.stages.some((s) => s.name && s.name.toLowerCase() === t.target.toLowerCase())) {
      rep.error(`${w}: target stage "${t.target}" is not a stage of ${t.dockerfile} (stages: ${info.stages.map((s) => s.name).filter(Boolean).join(", ")})`);
    }
    // Build secrets: each entry is "id=...,type=env|file,env=...|src=...".
    const provided = new Set();
    for (const s of Array.isArray(t.secret) ? t.secret : []) {
      if (typeof s !== "string") continue;
      const kv = Object.fromEntries(s.split(",").map((p) => [p.split("=")[0], p.split("=").slice(1).join("=")]));
      for (const k of Object.keys(kv)) {
        if (!["id", "type", "env", "src", "source"].includes(k)) rep.error(`${w}: secret "${s}": unknown key "${k}"`);
      }
      if (!kv.id) rep.error(`${w}: secret "${s}" has no id`);
      if (kv.type && !["env", "file"].includes(kv.type)) rep.error(`${w}: secret "${s}": type must be env or file`);
      if (!kv.env && !kv.src && !kv.source) rep.error(`${w}: secret "${s}" needs env= or src=`);
      if (kv.id) provided.add(kv.id);
    }
    for (const stage of stageClosure(info, typeof t.target === "string" ? t.target : null)) {
      for (const m of stage.secrets) {
        if (m.id && !provided.has(m.id)) {
          const msg = `${w}: Dockerfile stage ${stage.name ?? "?"} mounts secret "${m.id}" but the target passes no secret with that id`;
          if (m.required) rep.error(msg + " (the mount is required=true, so the build fails)");
          else rep.warn(msg);
        }
      }
    }
  }
  return `${Object.keys(targets).length} targets`;
}

// ---------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------

function walk(dir, out = []) {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) {
      if (ent.name === "node_modules" || ent.name === ".git") continue;
      walk(p, out);
    } else if (ent.isFile()) out.push(p);
  }
  return out;
}

function classify(file, root) {
  const base = path.basename(file);
  const rel = path.relative(root, file).split(path.sep);
  if (/\.ya?ml$/.test(base)) return "yaml";
  if (base === "Dockerfile" || base.endsWith(".Dockerfile")) return "dockerfile";
  if (base === "devcontainer.json" && rel.includes(".devcontainer")) return "devcontainer";
  if (base === ".devcontainer.json") return "devcontainer";
  if (base === "tasks.json" && rel.length >= 2 && rel[rel.length - 2] === ".vscode") return "tasks";
  if (base === "docker-bake.json") return "bake";
  return null;
}

async function validateDirs(dirs, schemaDir, verbose) {
  let files = 0;
  let problems = 0;
  try {
    loadDevcontainerValidator(schemaDir); // prints the SKIP line if the folder is missing
  } catch (e) {
    devcontainerValidator = undefined; // reported per devcontainer.json below
  }
  for (const root of dirs) {
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
      console.log(`FAIL ${root}`);
      console.log(`  error: ${root}: not a directory`);
      problems++;
      continue;
    }
    const all = walk(root);
    const checked = all.filter((f) => classify(f, root));
    if (checked.length === 0) {
      console.log(`FAIL ${root}`);
      console.log(`  error: ${root}: no files to check (no *.yaml, Dockerfile, devcontainer.json, tasks.json or docker-bake.json)`);
      problems++;
      continue;
    }
    const objectsByDir = new Map();
    for (const file of checked) {
      const display = path.join(root, path.relative(root, file));
      const rep = new Report(display);
      let summary = "";
      try {
        switch (classify(file, root)) {
          case "yaml": {
            const d = path.dirname(file);
            if (!objectsByDir.has(d)) objectsByDir.set(d, new Map());
            summary = await checkYamlFile(file, display, rep, objectsByDir.get(d));
            break;
          }
          case "dockerfile":
            summary = checkDockerfile(file, display, rep);
            break;
          case "devcontainer":
            summary = checkDevcontainer(file, display, rep, schemaDir);
            break;
          case "tasks":
            summary = checkTasks(file, display, rep);
            break;
          case "bake":
            summary = checkBake(file, display, rep);
            break;
        }
      } catch (e) {
        rep.error(`${display}: internal error: ${e.stack || e.message}`);
      }
      files++;
      problems += rep.problems.length;
      const info = [summary, rep.problems.length ? `${rep.problems.length} problem${rep.problems.length === 1 ? "" : "s"}` : ""]
        .filter(Boolean)
        .join(", ");
      console.log(`${rep.problems.length ? "FAIL" : "ok "} ${display}${info ? ` (${info})` : ""}`);
      for (const p of rep.problems) console.log(`  error: ${p}`);
      for (const w of rep.warnings) console.log(`  warning: ${w}`);
    }
    if (verbose) {
      for (const f of all.filter((f) => !classify(f, root))) console.log(`skip  ${f}`);
    }
  }
  console.log(`conformance: ${files} files, ${problems} problems`);
  return problems;
}

// ---------------------------------------------------------------------------
// Self-test
// ---------------------------------------------------------------------------

async function selfTest(schemaDir) {
  let passed = 0;
  let failed = 0;
  const ok = (cond, what, detail) => {
    if (cond) passed++;
    else {
      failed++;
      console.log(`self-test FAILED: ${what}${detail !== undefined ? `\n  got: ${JSON.stringify(detail, null, 2)}` : ""}`);
    }
  };
  const fieldErrors = async (doc) => {
    const found = await findModel(doc.apiVersion, doc.kind);
    if (found.error) return [found.error];
    return unknownFields(doc, found).map((e) => fmtPath(e.path));
  };
  const modelErrors = async (doc) => {
    const found = await findModel(doc.apiVersion, doc.kind);
    try {
      new found.Model(doc).validate();
      return [];
    } catch (e) {
      return [e.message];
    }
  };
  const deployment = () => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", labels: { "app.kubernetes.io/name": "web", "example.com/any-key": "x" }, annotations: { "a/b": "c" } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [
            {
              name: "web",
              image: "nginx:1.27",
              imagePullPolicy: "IfNotPresent",
              ports: [{ name: "http", containerPort: 8080 }],
              resources: { limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: 0.5 } },
              livenessProbe: { httpGet: { path: "/healthz", port: "http" } },
              env: [{ name: "A", valueFrom: { secretKeyRef: { name: "s", key: "k" } } }],
            },
          ],
          volumes: [{ name: "tmp", emptyDir: {} }],
          nodeSelector: { "kubernetes.io/os": "linux" },
        },
      },
    },
  });

  // Valid document: no unknown fields, library validation passes.
  ok((await fieldErrors(deployment())).length === 0, "valid Deployment has no unknown fields", await fieldErrors(deployment()));
  ok((await modelErrors(deployment())).length === 0, "valid Deployment passes the library validator", await modelErrors(deployment()));

  let d = deployment();
  d.spec.replicaz = 3;
  let errs = await fieldErrors(d);
  ok(errs.length === 1 && errs[0] === "spec.replicaz", "spec.replicaz is reported", errs);
  ok((await modelErrors(d)).length === 0, "library validator alone ignores spec.replicaz (why the field check exists)");

  d = deployment();
  d.spec.template.spec.containers[0].imagePullPolicyy = "Always";
  errs = await fieldErrors(d);
  ok(errs.length === 1 && errs[0] === "spec.template.spec.containers[0].imagePullPolicyy", "containers[0].imagePullPolicyy is reported", errs);

  d = deployment();
  d.metadata.nmae = "x";
  d.spec.strategy.rollingUpdate.maxSurgee = 1;
  d.spec.template.spec.containers[0].resources.limitz = {};
  errs = await fieldErrors(d);
  ok(
    errs.length === 3 &&
      errs.includes("metadata.nmae") &&
      errs.includes("spec.strategy.rollingUpdate.maxSurgee") &&
      errs.includes("spec.template.spec.containers[0].resources.limitz"),
    "unknown fields in ObjectMeta, nested structs and resources are reported",
    errs,
  );

  d = deployment();
  d.spec.template.spec.containers[0].imagePullPolicy = "Sometimes";
  ok((await modelErrors(d)).length === 1, "library validator rejects an invalid enum value");

  // CRDs: free-form (x-kubernetes-preserve-unknown-fields) places accept any keys.
  const rollout = {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Rollout",
    metadata: { name: "r" },
    spec: {
      selector: { matchLabels: { a: "b" } },
      template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c", image: "i" }] } },
      strategy: {
        canary: {
          steps: [{ setWeight: 10 }, { pause: { duration: "1m" } }, { plugin: { name: "p", config: { anything: { goes: [1] } } } }],
          trafficRouting: { plugins: { "argoproj-labs/gatewayAPI": { httpRoute: "x" } } },
        },
      },
    },
  };
  errs = await fieldErrors(rollout);
  ok(errs.length === 0, "Rollout with free-form plugin config has no unknown fields", errs);
  rollout.spec.strategy.canary.steps[0].setWeigth = 5;
  errs = await fieldErrors(rollout);
  ok(errs.length === 1 && errs[0] === "spec.strategy.canary.steps[0].setWeigth", "Rollout typo in a step is reported", errs);

  const scaled = {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name: "s" },
    spec: {
      scaleTargetRef: { name: "w" },
      triggers: [{ type: "rabbitmq", metadata: { queueName: "q", mode: "QueueLength", value: "5" }, authenticationRef: { name: "a" } }],
    },
  };
  errs = await fieldErrors(scaled);
  ok(errs.length === 0, "ScaledObject trigger metadata map accepts any keys", errs);
  scaled.spec.triggers[0].authenticationRef.kindd = "x";
  errs = await fieldErrors(scaled);
  ok(errs.length === 1 && errs[0] === "spec.triggers[0].authenticationRef.kindd", "ScaledObject typo is reported", errs);

  const es = {
    apiVersion: "external-secrets.io/v1beta1",
    kind: "ExternalSecret",
    metadata: { name: "e" },
    spec: {
      secretStoreRef: { name: "s", kind: "SecretStore" },
      target: { name: "t", template: { data: { url: "{{ .x }}" } } },
      data: [{ secretKey: "a", remoteRef: { key: "k", property: "p", versionn: "1" } }],
    },
  };
  errs = await fieldErrors(es);
  ok(errs.length === 1 && errs[0] === "spec.data[0].remoteRef.versionn", "ExternalSecret typo is reported", errs);

  errs = await fieldErrors({ apiVersion: "apps/v1", kind: "Deploymnet", metadata: { name: "x" } });
  ok(errs.length === 1 && /unknown kind/.test(errs[0]), "unknown kind is reported", errs);
  errs = await fieldErrors({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "x" } });
  ok(errs.length === 1 && /unknown apiVersion/.test(errs[0]), "unknown apiVersion is reported", errs);

  // YAML 1.1 booleans.
  const diffs = [];
  const y11 = "a: off\nb: 'off'\nc: [yes]\nd: {on: 1, 'no': 2}\n";
  yaml11Differences(yaml.load(y11), yaml.load(y11, { schema: YAML11_SCHEMA }), [], diffs);
  ok(
    diffs.map((x) => fmtPath(x.path)).join(" ") === "a c[0] d.on",
    "YAML 1.1 booleans (values and keys) are detected",
    diffs,
  );

  // RUN --mount checks.
  const mountProblems = (v) => checkMount(v).problems;
  ok(mountProblems("type=cache,target=/root/.npm,sharing=locked").length === 0, "valid cache mount");
  ok(mountProblems("type=cache,target=/x,id=npm,sharing=private,mode=0755,uid=1000,gid=1000,ro").length === 0, "valid cache mount with all options");
  ok(mountProblems("type=secret,id=npmrc,target=/root/.npmrc,required=true").length === 0, "valid secret mount");
  ok(mountProblems("type=secret,id=tok,env=TOKEN,required").length === 0, "valid secret env mount");
  ok(mountProblems("type=ssh").length === 0, "valid ssh mount");
  ok(mountProblems("type=bind,source=go.sum,target=go.sum").length === 0, "valid bind mount");
  ok(mountProblems("type=tmpfs,target=/tmp,size=64m").length === 0, "valid tmpfs mount");
  ok(mountProblems("type=cache,target=/x,sharing=exclusive").length === 1, "bad sharing value");
  ok(mountProblems("type=cache,id=x").length === 1, "cache without target");
  ok(mountProblems("type=secret,required=true").length === 1, "secret without id or target");
  ok(mountProblems("type=secret,id=a,sharing=locked").length === 1, "sharing on a secret mount");
  ok(mountProblems("type=cache,target=/x,targte=/y").length === 1, "unknown mount option");
  ok(mountProblems("type=volume,target=/x").length === 1, "unknown mount type");
  ok(mountProblems("type=cache,target=/x,mode=rwx").length === 1, "non-octal mode");
  ok(mountProblems("type=secret,id=a,required=maybe").length === 1, "non-boolean required");

  // Whole Dockerfile.
  const tmp = fs.mkdtempSync(path.join(process.env.TMPDIR || "/tmp", "deployc-conf-"));
  try {
    const good = path.join(tmp, "Dockerfile");
    fs.writeFileSync(
      good,
      '# syntax=docker/dockerfile:1\nFROM node:20 AS build\nWORKDIR /app\nRUN --mount=type=cache,target=/root/.npm npm ci\nFROM node:20-slim\nCOPY --from=build ["/app", "/app"]\nENTRYPOINT ["node", "/app/server.js"]\n',
    );
    let rep = new Report("good");
    checkDockerfile(good, "good", rep);
    ok(rep.problems.length === 0, "valid Dockerfile passes", rep.problems);
    const bad = path.join(tmp, "bad.Dockerfile");
    fs.writeFileSync(
      bad,
      "FROM node:20 AS build\nARG NPM_TOKEN\nENV DB_PASSWORD=x\nRUN --mount=type=cache,sharing=sometimes npm ci\nRUN --mnt=x true\nCOPY --from=buld /a /a\nCMD node server.js\n",
    );
    rep = new Report("bad");
    checkDockerfile(bad, "bad", rep);
    const want = [/first line/, /ARG NPM_TOKEN/, /ENV DB_PASSWORD/, /sharing=sometimes/, /requires target/, /unknown RUN flag --mnt/, /--from=buld/, /CMD must use exec form/];
    ok(
      want.every((re) => rep.problems.some((p) => re.test(p))),
      "bad Dockerfile problems are all reported",
      rep.problems,
    );

    // End to end: a directory with one good and one bad manifest.
    const out = path.join(tmp, "out");
    fs.mkdirSync(path.join(out, "env"), { recursive: true });
    delete rollout.spec.strategy.canary.steps[0].setWeigth;
    fs.writeFileSync(path.join(out, "env", "good.yaml"), yaml.dump(deployment()) + "---\n" + yaml.dump(rollout));
    const badDoc = deployment();
    badDoc.metadata.name = "web2";
    badDoc.spec.replicaz = 1;
    badDoc.metadata.labels["app.kubernetes.io/version"] = "1.0.0+build";
    fs.writeFileSync(
      path.join(out, "env", "bad.yaml"),
      yaml.dump(badDoc) + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  FLAG: off\n---\n" +
        yaml.dump({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } }),
    );
    const logged = [];
    const realLog = console.log;
    console.log = (...a) => logged.push(a.join(" "));
    let e2eProblems;
    try {
      e2eProblems = await validateDirs([out], schemaDir, false);
    } finally {
      console.log = realLog;
    }
    ok(logged.includes(`ok  ${path.join(out, "env", "good.yaml")} (2 documents)`), "good manifest prints an ok line", logged);
    ok(logged.some((l) => l.startsWith(`FAIL ${path.join(out, "env", "bad.yaml")}`)), "bad manifest prints a FAIL line", logged);
    ok(
      e2eProblems === 4 &&
        [/document 0 \(Deployment\/web2\): spec\.replicaz: unknown field/, /1\.0\.0\+build/, /document 1 \(ConfigMap\/c\): data\.FLAG: plain scalar off/, /document 2 \(Widget\/w\): unknown apiVersion/].every((re) =>
          logged.some((l) => re.test(l)),
        ),
      "bad manifest problems are reported with file, document and kind/name",
      logged,
    );
    ok(logged[logged.length - 1] === "conformance: 2 files, 4 problems", "summary line", logged[logged.length - 1]);

    // Devcontainer schema.
    const dc = path.join(tmp, ".devcontainer");
    fs.mkdirSync(dc);
    fs.writeFileSync(path.join(dc, "devcontainer.json"), JSON.stringify({ name: "x", image: "node:20", forwardPorts: [3000] }));
    const dc2 = path.join(tmp, ".devcontainer", "bad");
    fs.mkdirSync(dc2);
    fs.writeFileSync(path.join(dc2, "devcontainer.json"), JSON.stringify({ name: "x", image: "node:20", forwardPortz: [3000] }));
    if (loadDevcontainerValidator(schemaDir)) {
      rep = new Report("dc");
      checkDevcontainer(path.join(dc, "devcontainer.json"), "dc", rep, schemaDir);
      ok(rep.problems.length === 0, "valid devcontainer.json passes", rep.problems);
      rep = new Report("dc2");
      checkDevcontainer(path.join(dc2, "devcontainer.json"), "dc2", rep, schemaDir);
      ok(rep.problems.some((p) => /forwardPortz/.test(p)), "unknown devcontainer.json property is reported", rep.problems);
    }

    // Build secrets must reach the build: bake `secret`, devcontainer
    // build.options `--secret`.
    const proj = path.join(tmp, "proj");
    fs.mkdirSync(path.join(proj, "docker", "app"), { recursive: true });
    fs.mkdirSync(path.join(proj, ".devcontainer", "dev"), { recursive: true });
    fs.mkdirSync(path.join(proj, ".vscode"), { recursive: true });
    fs.writeFileSync(
      path.join(proj, "docker", "app", "Dockerfile"),
      '# syntax=docker/dockerfile:1\nFROM node:20 AS builder\nWORKDIR /app\nRUN --mount=type=secret,id=npmrc,target=/root/.npmrc,required=true npm ci\nFROM node:20-slim AS runtime\nCOPY --from=builder ["/app", "/app"]\nCMD ["node", "/app/server.js"]\n',
    );
    const bake = (secret) => ({
      group: { default: { targets: ["app"] } },
      target: { app: { context: ".", dockerfile: "docker/app/Dockerfile", target: "runtime", ...(secret ? { secret } : {}) } },
    });
    const dcBuild = (options) => ({
      name: "dev",
      build: { dockerfile: "../../docker/app/Dockerfile", context: "../..", target: "builder", ...(options ? { options } : {}) },
    });
    const runCheck = (fn, file, data) => {
      fs.writeFileSync(file, JSON.stringify(data));
      const r = new Report("x");
      fn(file, "x", r, schemaDir);
      return r.problems;
    };
    const bakeFile = path.join(proj, "docker-bake.json");
    const dcFile = path.join(proj, ".devcontainer", "dev", "devcontainer.json");
    ok(runCheck(checkBake, bakeFile, bake(["id=npmrc,env=NPMRC"])).length === 0, "bake target passing the required secret passes");
    ok(runCheck(checkBake, bakeFile, bake(null)).some((p) => /secret "npmrc"/.test(p)), "bake target missing a required secret is reported");
    ok(runCheck(checkBake, bakeFile, { target: { app: { context: ".", dockerfile: "docker/app/Dockerfil" } } }).some((p) => /does not exist/.test(p)), "bake dockerfile that does not exist is reported");
    ok(runCheck(checkDevcontainer, dcFile, dcBuild(["--secret", "id=npmrc,env=NPMRC"])).length === 0, "devcontainer passing the required secret passes");
    ok(runCheck(checkDevcontainer, dcFile, dcBuild(null)).some((p) => /secret "npmrc"/.test(p)), "devcontainer missing a required build secret is reported");
    const tasksFile = path.join(proj, ".vscode", "tasks.json");
    ok(runCheck(checkTasks, tasksFile, { version: "2.0.0", tasks: [{ label: "t", type: "shell", command: "npm test", group: "test" }] }).length === 0, "valid tasks.json passes");
    ok(runCheck(checkTasks, tasksFile, { version: "2.0", tasks: [{ label: "t", type: "shell" }] }).length === 2, "bad tasks.json version and missing command are reported");
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  console.log(`self-test: ${passed} passed, ${failed} failed`);
  return failed;
}

// ---------------------------------------------------------------------------

function usage(msg) {
  if (msg) console.error(`validate.mjs: ${msg}`);
  console.error("usage: node validate.mjs [--schemas DIR] [--verbose] OUTDIR [OUTDIR...]\n       node validate.mjs --self-test [--schemas DIR]");
  process.exit(2);
}

async function main(argv) {
  let schemaDir = null;
  let self = false;
  let verbose = false;
  const dirs = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--schemas") {
      if (i + 1 >= argv.length) usage("--schemas needs a directory");
      schemaDir = argv[++i];
    } else if (a.startsWith("--schemas=")) schemaDir = a.slice("--schemas=".length);
    else if (a === "--self-test") self = true;
    else if (a === "--patch-schema") {
      process.stdout.write(await dumpPatchSchema());
      return 0;
    }
    else if (a === "--verbose" || a === "-v") verbose = true;
    else if (a === "--help" || a === "-h") usage();
    else if (a.startsWith("-")) usage(`unknown option ${a}`);
    else dirs.push(a);
  }
  if (self) {
    const failed = await selfTest(schemaDir);
    if (dirs.length === 0) return failed ? 1 : 0;
    if (failed) return 1;
  }
  if (dirs.length === 0) usage("no output directory given");
  const problems = await validateDirs(dirs, schemaDir, verbose);
  return problems > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
