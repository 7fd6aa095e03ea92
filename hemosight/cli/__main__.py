"""`python -m hemosight.cli`: the command line without the installed `hemosight` script."""

import sys

from hemosight.cli import main

sys.exit(main())
