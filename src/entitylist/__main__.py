"""Allow `python -m entitylist`."""

import sys

from entitylist.cli import main

sys.exit(main())
