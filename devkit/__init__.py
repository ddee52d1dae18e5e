"""Developer kit: run the receiver locally against an emulated AWS built from template.yaml.

Nothing here is deployed; the Lambda package is `src/handler` alone, which this kit imports from
the source tree exactly as Lambda would (`src` on the path, `handler.app.lambda_handler`).
"""

import sys
from pathlib import Path

_SRC = str(Path(__file__).resolve().parent.parent / "src")
if _SRC not in sys.path:
    sys.path.insert(0, _SRC)
