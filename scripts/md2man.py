#!/usr/bin/env python3
"""Turns docs/cli.md into the man page deployc.1.

Usage: md2man.py CLI_MD VERSION OUTPUT

Handles the Markdown docs/cli.md is written in: `#`/`##`/`###` headings,
paragraphs, fenced code blocks, `*`/`-`/`1.` lists with indented continuation
lines, pipe tables, `---` rules, and inline `code`, **strong**, *emphasis* and
[links](target). Anything else is kept as plain text. Non-ASCII characters
become groff's \\[uXXXX] escapes, so the page renders the same whatever
encoding groff assumes. The first code block is the SYNOPSIS.
"""

import re
import sys

NAME_LINE = "deployc \\- compiler for .deploy deployment specifications"


def escape(text):
    """Escapes plain text for groff (no formatting)."""
    out = []
    for ch in text.replace("\\", "\\e"):
        if ord(ch) > 127:
            out.append("\\[u%04X]" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def escape_literal(text):
    """Literal text (code): dashes are minus signs, so options copy as typed."""
    return escape(text).replace("-", "\\-")


def inline(text):
    """Markdown inline markup to groff font changes."""
    out = []
    pos = 0
    pattern = re.compile(r"`([^`]+)`|\*\*(.+?)\*\*|(?<![\w*])\*([^*\s][^*]*?)\*(?!\w)|\[([^\]]+)\]\(([^)]+)\)")
    for m in pattern.finditer(text):
        out.append(escape(text[pos:m.start()].replace("\\|", "|")))
        if m.group(1) is not None:
            out.append("\\fB" + escape_literal(m.group(1).replace("\\|", "|")) + "\\fR")
        elif m.group(2) is not None:
            out.append("\\fB" + inline(m.group(2)) + "\\fR")
        elif m.group(3) is not None:
            out.append("\\fI" + inline(m.group(3)) + "\\fR")
        else:
            label, target = m.group(4), m.group(5)
            out.append(inline(label))
            if target.startswith(("http://", "https://")):
                out.append(" <" + escape(target) + ">")
        pos = m.end()
    out.append(escape(text[pos:].replace("\\|", "|")))
    return "".join(out)


def line_out(text):
    """A text line; a leading dot or quote would start a request."""
    if text.startswith((".", "'")):
        return "\\&" + text
    return text


def heading_text(text):
    return re.sub(r"`([^`]*)`", r"\1", text)


def table_cells(line):
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    return [c.strip() for c in re.split(r"(?<!\\)\|", line)]


def convert(markdown, version):
    lines = markdown.splitlines()
    out = [
        '.TH DEPLOYC 1 "" "deployc %s" "User Commands"' % escape(version),
        ".SH NAME",
        NAME_LINE,
    ]
    i = 0
    synopsis_done = False
    paragraph = []

    def flush():
        if paragraph:
            out.append(".PP")
            out.append(line_out(inline(" ".join(paragraph))))
            paragraph.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            block = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                block.append(lines[i])
                i += 1
            i += 1
            if not synopsis_done:
                out.append(".SH SYNOPSIS")
                synopsis_done = True
                out.append(".nf")
                out += [line_out(escape_literal(b)) for b in block]
                out.append(".fi")
                out.append(".SH DESCRIPTION")
                continue
            out += [".PP", ".RS 4", ".nf"]
            out += [line_out(escape_literal(b)) for b in block]
            out += [".fi", ".RE"]
            continue
        if stripped == "---" or stripped == "":
            flush()
            i += 1
            continue
        m = re.match(r"^(#{1,6})\s+(.*)$", line)
        if m:
            flush()
            level, text = len(m.group(1)), heading_text(m.group(2))
            if level == 1:
                pass  # the title is the NAME section
            elif level == 2:
                out.append('.SH "%s"' % escape(text.upper()).replace('"', '\\(dq'))
            else:
                out.append('.SS "%s"' % escape(text).replace('"', '\\(dq'))
            i += 1
            continue
        if stripped.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                cells = table_cells(lines[i])
                if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                    rows.append(cells)
                i += 1
            header, body = rows[0], rows[1:]
            for row in body:
                out.append(".TP")
                out.append(line_out(inline(row[0])))
                if len(row) == 2:
                    out.append(line_out(inline(row[1])))
                else:
                    for k, cell in enumerate(row[1:], start=1):
                        if k > 1:
                            out.append(".br")
                        name = header[k] if k < len(header) else ""
                        out.append(line_out(inline("%s: %s" % (name, cell) if name else cell)))
            continue
        m = re.match(r"^(\s*)([*-]|\d+\.)\s+(.*)$", line)
        if m:
            flush()
            bullet = "\\(bu" if m.group(2) in "*-" else m.group(2)
            item = [m.group(3)]
            i += 1
            while i < len(lines) and lines[i].startswith("  ") and lines[i].strip() and \
                    not re.match(r"^\s*([*-]|\d+\.)\s+", lines[i]):
                item.append(lines[i].strip())
                i += 1
            out.append(".IP %s 4" % bullet)
            out.append(line_out(inline(" ".join(item))))
            continue
        paragraph.append(stripped)
        i += 1
    flush()
    out += [
        ".SH SEE ALSO",
        "The language reference, \\fIdocs/language.md\\fR, and the diagnostic pages,",
        "\\fIdocs/diagnostics/\\fR, in the deployc sources;",
        "\\fBdeployc explain \\-\\-list\\fR.",
    ]
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: md2man.py CLI_MD VERSION OUTPUT")
    source, version, output = sys.argv[1:]
    with open(source, encoding="utf-8") as f:
        page = convert(f.read(), version)
    with open(output, "w", encoding="ascii") as f:
        f.write(page)


if __name__ == "__main__":
    main()
