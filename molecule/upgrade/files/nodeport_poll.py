"""Fetch a NodePort page every INTERVAL seconds, round robin over the given node addresses, until
STOP_FILE exists or MAX_REQUESTS were made; write a JSON summary (requests, failures, each
failure's time, address and reason) to OUT_FILE. Only the addresses on the command line are
contacted (the test containers' node IPs).

    nodeport_poll.py OUT_FILE STOP_FILE PORT MARKER ADDRESS...
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request

INTERVAL = 0.5
MAX_REQUESTS = 2400  # 20 minutes at most
TIMEOUT = 2.0


def fetch(url: str, marker: str) -> str | None:
    """None when the page came back with the marker, else why not."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            body = response.read().decode(errors="replace")
            if response.status != 200:
                return f"HTTP {response.status}"
            return None if marker in body else "page without the marker"
    except Exception as error:  # noqa: BLE001 - every failure counts, whatever its kind
        return f"{type(error).__name__}: {error}"


def main() -> int:
    out_file, stop_file, port, marker, *addresses = sys.argv[1:]
    if not addresses:
        print(__doc__, file=sys.stderr)
        return 2
    started = time.time()
    requests, failures = 0, []
    while requests < MAX_REQUESTS and not os.path.exists(stop_file):
        address = addresses[requests % len(addresses)]
        began = time.time()
        reason = fetch(f"http://{address}:{port}/", marker)
        requests += 1
        if reason is not None:
            failures.append({"t": round(began - started, 1), "address": address, "reason": reason})
        time.sleep(max(0.0, INTERVAL - (time.time() - began)))
    summary = {
        "requests": requests,
        "failed": len(failures),
        "seconds": round(time.time() - started, 1),
        "stopped": os.path.exists(stop_file),
        "addresses": addresses,
        "failures": failures[:50],
    }
    with open(out_file, "w", encoding="utf-8") as handle:
        json.dump(summary, handle, indent=1)
    print(json.dumps({k: v for k, v in summary.items() if k != "failures"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
