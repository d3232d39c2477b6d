"""A fuller schemathesis run over the tenant API than `make test` makes; results in bench/results/api_fuzz.*.

    .venv/bin/python bench/api_fuzz.py [--examples 25]

Runs tests/test_api_fuzz.py (its own test database, the real stack through the WSGI app)
with more generated cases per operation, and writes bench/results/api_fuzz.{json,md}.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=25, help="cases per operation and mode (valid, invalid)")
    args = parser.parse_args()
    env = {
        **os.environ,
        "API_FUZZ_EXAMPLES": str(args.examples),
        "API_FUZZ_REPORT": str(ROOT / "bench/results/api_fuzz"),
        "HF_HUB_OFFLINE": "1",
    }
    command = [sys.executable, "-m", "pytest", "tests/test_api_fuzz.py", "-q", "-p", "no:cacheprovider"]
    return subprocess.call(command, cwd=ROOT, env=env)  # noqa: S603 - our own interpreter and test file


if __name__ == "__main__":
    raise SystemExit(main())
