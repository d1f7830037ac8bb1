"""`python -m training.dance ...`: see training.dance.cli."""

import sys

from training.dance.cli import main

sys.exit(main())
