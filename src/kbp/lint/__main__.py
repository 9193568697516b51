"""`python -m kbp.lint`: the same command as `kbp lint`, without loading the rest of the kbp CLI."""

from __future__ import annotations

import sys

from kbp.lint.arguments import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], prog="python -m kbp.lint"))
