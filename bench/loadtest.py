"""Load tester: G QuizZone games at once (default 1), N players each, over HTTP + WebSocket, measured from
outside, every game's results checked.

    .venv/bin/python bench/loadtest.py --players 200 [--games 1] [--questions 3] [--baselines] [--help]

The code lives in bench/loadgen/ (client processes, coordinator, report, plots); the stack is started by
bench/harness.py. Results: bench/results/<timestamp>-<label>/report.json and PNG plots.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
