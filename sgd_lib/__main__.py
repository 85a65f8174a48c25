import sys

from sgd_lib.checks import run_command, signals_held


def main() -> int:
    # Imported here, under run_command: a Ctrl-C while torch loads is one line too.
    with signals_held():
        from sgd_lib.cli import main

    return main()


sys.exit(run_command("python -m sgd_lib", main))
