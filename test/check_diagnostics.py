#!/usr/bin/env python3
"""Guard tests over the diagnostic table (include/deployc/Basic/DiagnosticKinds.def).

Fails when a diagnostic code
  - has no test: no `expected-error|warning ... Dxxxx` directive and no
    `error[Dxxxx]`/`warning[Dxxxx]` FileCheck line anywhere under test/;
  - has no explanation page docs/diagnostics/Dxxxx.md, or the page does not
    name its own code in its title;
  - is reported from no place in lib/ (dead), or from several places without
    being marked `// shared` in the table.
Usage: check_diagnostics.py SOURCE_ROOT
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
table = (root / "include/deployc/Basic/DiagnosticKinds.def").read_text()
diags = re.findall(r'^DIAG\((\w+), "(D\d{4})",[^\n]*?(// shared)?$', table, re.M)

tests = ""
for path in (root / "test").rglob("*"):
    if path.is_file() and path.suffix in (".deploy", ".test"):
        tests += path.read_text(errors="replace") + "\n"
tested = set(re.findall(r"expected-(?:error|warning)(?:@[-+]?\d+)?\s*(D\d{4})", tests))
tested |= set(re.findall(r"(?:error|warning)\[(D\d{4})\]", tests))

sources = ""
for path in sorted((root / "lib").rglob("*.cpp")) + sorted((root / "lib").rglob("*.h")):
    sources += path.read_text() + "\n"

problems = []
for name, code, shared in diags:
    if code not in tested:
        problems.append(f"{code} ({name}) has no test")
    page = root / "docs/diagnostics" / f"{code}.md"
    if not page.exists():
        problems.append(f"{code} ({name}) has no page docs/diagnostics/{code}.md")
    else:
        first = page.read_text().splitlines()[0] if page.read_text() else ""
        if not first.startswith(f"# {code}"):
            problems.append(f"docs/diagnostics/{code}.md does not start with `# {code}`")
    uses = len(re.findall(r"DiagID::%s\b" % name, sources))
    if uses == 0:
        problems.append(f"{code} ({name}) is never reported")
    elif uses > 1 and not shared:
        problems.append(f"{code} ({name}) is reported from {uses} places but not marked `// shared`")

codes = {code for _, code, _ in diags}
for page in (root / "docs/diagnostics").glob("D*.md"):
    if page.stem not in codes:
        problems.append(f"docs/diagnostics/{page.name} documents no diagnostic in the table")

for p in problems:
    print(p)
print(f"{len(diags)} diagnostics, {len(problems)} problems")
sys.exit(1 if problems else 0)
