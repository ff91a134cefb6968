"""`python -m flowforge_desktop` is the same as the `flowforge-desktop` command."""

import sys

from flowforge_desktop.cli import main

sys.exit(main())
