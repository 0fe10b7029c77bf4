"""Per-module results of `make mutation`, read from mutmut's files in mutants/.

`python tests/mutation_report.py PATTERN...` prints a Markdown table of the mutants whose
names match the patterns (the Makefile's MUTANTS): per module, how many were killed, timed
out, crashed the test process, survived or were not run, and the share killed. A timeout or
a crash counts as killed, as mutmut counts them: the tests did not pass.
"""

import fnmatch
import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

COLUMNS = ("killed", "timeout", "segfault", "survived", "no tests", "not checked")


def module_of(mutant: str) -> str:
    """The module a mutant's name starts with ('entitylist.data.update.x_vet__mutmut_3')."""
    return mutant.split(".x_")[0].split(".xǁ")[0].removeprefix("entitylist.")


def results(patterns: list[str], root: Path = Path("mutants")) -> dict[str, Counter]:
    """Each module's count of mutants by status, for the mutants the patterns name."""
    by_module: dict[str, Counter] = {}
    for meta in sorted(root.rglob("*.py.meta")):
        for mutant, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if any(fnmatch.fnmatch(mutant, p) for p in patterns):
                counts = by_module.setdefault(module_of(mutant), Counter())
                counts[status_by_exit_code[code]] += 1
    return by_module


def table(by_module: dict[str, Counter]) -> str:
    """The Markdown table, one row per module and a total."""
    head = "| module | mutants | " + " | ".join(COLUMNS) + " | % killed |"
    lines = [head, "|---" + "|---:" * (len(COLUMNS) + 2) + "|"]
    total: Counter = Counter()
    for name, counts in [*sorted(by_module.items()), ("**all**", None)]:
        counts = counts if counts is not None else total
        if name != "**all**":
            total.update(counts)
        n = sum(counts.values())
        done = n - counts["not checked"] - counts["no tests"]
        killed = counts["killed"] + counts["timeout"] + counts["segfault"]
        share = f"{100 * killed / done:.1f}" if done else "-"
        cells = " | ".join(str(counts[c]) for c in COLUMNS)
        lines.append(f"| {name} | {n} | {cells} | {share} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(results(sys.argv[1:])))
