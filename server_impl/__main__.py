"""`python -m server_impl …`: the same command line as the `conversations-server` command."""

import sys

from .ops.cli import main

sys.exit(main(prog="python -m server_impl"))
