#!/usr/bin/env python3
"""Checks every ```deploy block of a Markdown file with `deployc check`.

  check_doc_examples.py DEPLOYC MARKDOWN WORKDIR

A block preceded by a `<!-- not a whole spec: WHY -->` line is skipped (it
imports a file it does not show, or shows an error on purpose); every other
block must check without errors. Prints one line per failing block and exits
1 if there is any.
"""
import os
import re
import subprocess
import sys

deployc, markdown, workdir = sys.argv[1:4]
os.makedirs(workdir, exist_ok=True)
text = open(markdown, encoding="utf-8").read()
checked = skipped = failed = 0
for m in re.finditer(r"(<!-- not a whole spec: [^>]*-->\n)?```deploy\n(.*?)```", text, re.S):
    line = text.count("\n", 0, m.start(2))
    if m.group(1):
        skipped += 1
        continue
    path = os.path.join(workdir, f"block-at-line-{line}.deploy")
    with open(path, "w", encoding="utf-8") as f:
        f.write(m.group(2))
    r = subprocess.run([deployc, "check", "--color=never", path], capture_output=True, text=True)
    checked += 1
    if r.returncode != 0:
        failed += 1
        first = r.stderr.strip().splitlines()[0] if r.stderr.strip() else f"exit {r.returncode}"
        print(f"{markdown}:{line}: example does not check: {first}")
print(f"{checked} examples checked, {skipped} skipped, {failed} failed")
sys.exit(1 if failed else 0)
