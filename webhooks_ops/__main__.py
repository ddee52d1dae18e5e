"""`python -m webhooks_ops ...`, the same as the `webhooks-ops` console script."""

import sys

from webhooks_ops.cli import main

sys.exit(main())
