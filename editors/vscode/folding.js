// Folding ranges for .deploy files, computed from the text: every bracket
// pair ({ }, [ ], ( )) that spans lines, block comments, multi-line strings,
// runs of line comments, runs of imports and `// #region` markers.
//
// The language server has no folding provider, and VS Code's language
// configuration can only fold by indentation, so the extension registers this
// one. It has no dependency on the `vscode` module so that scripts/check.mjs
// can test it with plain Node.
'use strict';

const Kind = { Comment: 'comment', Imports: 'imports', Region: 'region' };

/**
 * @param {string} text
 * @returns {{start: number, end: number, kind?: string}[]} zero-based lines
 */
function foldingRanges(text) {
  const ranges = [];
  const stack = []; // open brackets: {ch, line}
  const regions = [];
  const close = { '}': '{', ']': '[', ')': '(' };
  let line = 0;
  let i = 0;
  const n = text.length;
  const lineComments = []; // first and last line of the current run
  const imports = [];
  const pushRun = (run, kind) => {
    if (run.length === 2 && run[1] > run[0]) ranges.push({ start: run[0], end: run[1], kind });
    run.length = 0;
  };
  let lineStart = true; // only whitespace so far on this line
  while (i < n) {
    const c = text[i];
    if (c === '\n') {
      line++;
      i++;
      lineStart = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      let end = text.indexOf('\n', i);
      if (end < 0) end = n;
      const comment = text.slice(i, end);
      if (/^\/\/\s*#?region\b/.test(comment)) regions.push(line);
      else if (/^\/\/\s*#?endregion\b/.test(comment) && regions.length)
        ranges.push({ start: regions.pop(), end: line, kind: Kind.Region });
      if (lineStart) {
        if (lineComments.length === 2 && lineComments[1] === line - 1) lineComments[1] = line;
        else {
          pushRun(lineComments, Kind.Comment);
          lineComments.push(line, line);
        }
      }
      i = end;
      continue;
    }
    if (lineStart && !(lineComments.length === 2 && lineComments[1] === line)) pushRun(lineComments, Kind.Comment);
    if (c === '/' && text[i + 1] === '*') {
      const startLine = line;
      let end = text.indexOf('*/', i + 2);
      end = end < 0 ? n : end + 2;
      for (let k = i; k < end; k++) if (text[k] === '\n') line++;
      if (line > startLine) ranges.push({ start: startLine, end: line, kind: Kind.Comment });
      i = end;
      lineStart = false;
      continue;
    }
    if (c === '"' && text.startsWith('"""', i)) {
      const startLine = line;
      let end = text.indexOf('"""', i + 3);
      end = end < 0 ? n : end + 3;
      for (let k = i; k < end; k++) if (text[k] === '\n') line++;
      if (line > startLine) ranges.push({ start: startLine, end: line });
      i = end;
      lineStart = false;
      continue;
    }
    if (c === '"') {
      // A string ends at its closing quote or at the end of the line.
      i++;
      while (i < n && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      if (text[i] === '"') i++;
      lineStart = false;
      continue;
    }
    if (lineStart && text.startsWith('import', i) && !/[A-Za-z0-9_]/.test(text[i + 6] || '')) {
      if (imports.length === 2 && imports[1] === line - 1) imports[1] = line;
      else {
        pushRun(imports, Kind.Imports);
        imports.push(line, line);
      }
    }
    if (c === '{' || c === '[' || c === '(') {
      stack.push({ ch: c, line });
    } else if (close[c]) {
      // Unbalanced input: drop openers until the matching one.
      let k = stack.length - 1;
      while (k >= 0 && stack[k].ch !== close[c]) k--;
      if (k >= 0) {
        const open = stack[k];
        stack.length = k;
        // Fold up to the line before the closing bracket, so it stays visible.
        if (line - 1 > open.line) ranges.push({ start: open.line, end: line - 1 });
      }
    }
    lineStart = false;
    i++;
  }
  pushRun(lineComments, Kind.Comment);
  pushRun(imports, Kind.Imports);
  ranges.sort((a, b) => a.start - b.start || b.end - a.end);
  return ranges;
}

module.exports = { foldingRanges, Kind };
