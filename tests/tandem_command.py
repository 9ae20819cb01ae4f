"""How tests start the ``tandem`` command: as its users do, through the installed console script.

The script follows the package's entry point wherever ``main`` lives (``bot.cli`` today), so a
test that runs it survives the code moving; without the script on the virtual environment's
``bin`` (an unusual install), the entry point is imported the same way the script would.
"""

from __future__ import annotations

import shutil
import sys
from importlib.metadata import entry_points
from pathlib import Path


def tandem_command() -> list[str]:
    """The argv prefix that runs ``tandem``: add the subcommand and its arguments."""
    script = shutil.which("tandem", path=str(Path(sys.executable).parent))
    if script is not None:
        return [script]
    (entry,) = entry_points(group="console_scripts", name="tandem")
    return [sys.executable, "-c", f"import sys; from {entry.module} import {entry.attr} as main; sys.exit(main())"]
