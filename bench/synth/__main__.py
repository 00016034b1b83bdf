"""`python -m bench.synth`: set Django up and generate (see bench/synth/command.py)."""

import sys

from .command import main

sys.exit(main())
