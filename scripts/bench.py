#!/usr/bin/env python3
"""Measure the portal's speed and memory (see README, "性能 / Performance"). Run with `make bench`."""

import sys

from bench_pages import main as pages

from portal.bench import main

if __name__ == "__main__":
    sys.exit(main() or pages())
