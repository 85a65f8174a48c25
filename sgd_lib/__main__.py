import sys

from sgd_lib.cli import main

sys.exit(main())
