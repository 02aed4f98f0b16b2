"""Structural checks of a SARIF 2.1.0 log beyond what FileCheck sees."""
import json
import sys

log = json.load(open(sys.argv[1]))
assert log["version"] == "2.1.0"
run = log["runs"][0]
rules = run["tool"]["driver"]["rules"]
ids = [r["id"] for r in rules]
assert len(ids) == len(set(ids)), "duplicate rules"
for result in run["results"]:
    assert rules[result["ruleIndex"]]["id"] == result["ruleId"], result
    assert result["level"] in ("error", "warning", "note")
    for loc in result.get("locations", []):
        region = loc["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
print("ok")
