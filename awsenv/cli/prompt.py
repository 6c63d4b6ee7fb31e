"""`awsenv prompt`: the prompt segment for tmux status lines, starship and other tools."""

from __future__ import annotations

import os
import time
from typing import Annotated

import typer

from awsenv import prompt as segment
from awsenv.cli import app


@app.command("prompt")
def show(
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="placeholders {profile} {region} {left} {state} {color} {reset}; "
            "( ... ) is shown only when a value in it is set "
            "(default: AWSENV_PROMPT_FORMAT, else " + segment.DEFAULT_FORMAT + ")",
        ),
    ] = None,
) -> None:
    """Print the segment the shell keeps in AWSENV_PROMPT (nothing when no profile is active)."""
    text = segment.segment(os.environ, int(time.time()), fmt=fmt)
    if text:
        print(text)
