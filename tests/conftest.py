import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import os

os.environ.setdefault("DLDERIVE_STRICT", "1")  # a failure of the checker itself fails the test, never becomes a verdict
