"""Prefix each line of standard input with the minutes and seconds since CI started.

CI keeps only the end of its output: when a run is stopped at its time limit, these show where
the time went. CI_STARTED (seconds since the epoch) is the start; without it, this script's own.
Lines pass as bytes: output that is not UTF-8 must not stop the pipe the tests write into.
"""

import os
import sys
import time

started = float(os.environ.get("CI_STARTED") or time.time())
for line in sys.stdin.buffer:
    minutes, seconds = divmod(int(time.time() - started), 60)
    sys.stdout.buffer.write(b"[%02d:%02d] " % (minutes, seconds) + line)
    sys.stdout.buffer.flush()
