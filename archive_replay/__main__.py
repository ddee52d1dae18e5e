"""`python -m archive_replay ...`"""

import sys

from archive_replay.cli import main

sys.exit(main())
