"""`awsenv prompt`: the prompt segment for tmux status lines, starship and other tools."""

from __future__ import annotations

import os
import time
from typing import Annotated

from awsenv import prompt as segment
from awsenv.cli import app, hot


@app.command("prompt")
def show(
    fmt: Annotated[str | None, hot("prompt", "fmt")] = None,
) -> None:
    """Print the segment the shell keeps in AWSENV_PROMPT (nothing when no profile is active)."""
    text = segment.segment(os.environ, int(time.time()), fmt=fmt)
    if text:
        print(text)
