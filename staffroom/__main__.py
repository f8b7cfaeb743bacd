import sys

from staffroom.cli import main

sys.exit(main())
