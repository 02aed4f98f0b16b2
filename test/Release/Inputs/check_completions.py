"""Checks the generated bash completion against the tool's own option lists.

Usage: check_completions.py DEPLOYC BASH_COMPLETION

For every command in `deployc help`, completing `deployc SUB -` in bash must
offer exactly the options `deployc SUB --help` prints (every spelling, short
and long), and completing the first word must offer exactly the commands.
"""
import re
import subprocess
import sys

deployc, script = sys.argv[1:]


def complete(*words):
    words = list(words)
    array = " ".join("'%s'" % w for w in words)
    out = subprocess.run(
        ["bash", "-c", 'source "$1"; COMP_WORDS=(%s); COMP_CWORD=%d; _deployc; '
         'printf "%%s\\n" "${COMPREPLY[@]}"' % (array, len(words) - 1), "bash", script],
        check=True, capture_output=True, text=True).stdout
    return sorted(w for w in out.splitlines() if w)


def help_text(*args):
    return subprocess.run([deployc, *args], check=True, capture_output=True, text=True).stdout


top = help_text("help")
subs = sorted(re.findall(r"^  ([a-z][\w-]*)  ", top.split("Commands:")[1].split("\n\n")[0], re.M))
problems = []
if complete("deployc", "") != subs:
    problems.append("subcommands: %s != %s" % (complete("deployc", ""), subs))
for sub in subs:
    listed = set()
    for spellings in re.findall(r"^  (-[^ ,]*(?:, -[^ ,]*)?)", help_text(sub, "--help"), re.M):
        listed.update(spellings.split(", "))
    listed = sorted(listed)
    offered = complete("deployc", sub, "-")
    if offered != listed:
        problems.append("%s: offered %s, --help lists %s" % (sub, offered, listed))
if problems:
    sys.exit("\n".join(problems))
print("completions match for %d subcommands" % len(subs))
