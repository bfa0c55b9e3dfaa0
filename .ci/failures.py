"""Print the last few Ansible failures of a log, briefly: CI keeps only the end of its output.

Usage: failures.py LOG. Each failure is the task header before it and the fatal line, cut short;
a failure that Ansible ignored ("...ignoring") is left out. Molecule boxes a playbook's output
("  │ " before each line) and wraps long lines (continued with two more spaces): both are undone.
"""

import re
import sys

ANSI = re.compile(r"\x1b\[[0-9;]*m")
BOX = re.compile(r"^\s*│ ?")
LIMIT = 5
WIDTH = 700


def logical_lines(path):
    """Yield the log's lines without colours, with molecule's box and wrapping undone."""
    pending = None
    with open(path, encoding="utf-8", errors="replace") as log:
        for raw in log:
            line = ANSI.sub("", raw.rstrip("\n"))
            boxed = BOX.match(line)
            if boxed:
                line = line[boxed.end() :]
                if line.startswith("  ") and pending is not None:
                    pending += " " + line.strip()
                    continue
            if pending is not None:
                yield pending
            pending = line
    if pending is not None:
        yield pending


task = ""
failures = []
for line in logical_lines(sys.argv[1]):
    if line.startswith(("TASK [", "RUNNING HANDLER [")):
        task = line.rstrip("* ")
    elif re.match(r"(fatal|failed): \[", line):
        failures.append([task, line])
    elif line.strip() == "...ignoring" and failures:
        failures.pop()

if failures:
    print(f"=== the last {min(LIMIT, len(failures))} of {len(failures)} Ansible failures in the log ===")
for task_line, fatal in failures[-LIMIT:]:
    print(task_line[:200])
    print("  " + (fatal[:WIDTH] + " ..." if len(fatal) > WIDTH else fatal))
