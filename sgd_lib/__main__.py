import sys

from sgd_lib.checks import run_command
from sgd_lib.cli import main

sys.exit(run_command("python -m sgd_lib", main))
