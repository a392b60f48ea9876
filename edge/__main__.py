"""`python -m tilsyn.edge edge run ...`: the agent without the full `tilsyn` command."""

import sys

from tilsyn.edge.cli import main

sys.exit(main())
