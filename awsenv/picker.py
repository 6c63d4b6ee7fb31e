"""`awsenv use` with no profile: pick one on the terminal, fuzzy-filtered as you type.

Rows show the profile, account, role and session state, most recently used first. fzf runs
the picking when it is installed (AWSENV_PICKER=auto|fzf|builtin, or `picker` in the settings
file); otherwise a built-in picker draws a few lines below the cursor on /dev/tty, never on
stdout, which belongs to the shell's eval.
"""

from __future__ import annotations

import codecs
import os
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from awsenv import inventory, recent, settings, ui
from awsenv.config import AwsConfig
from awsenv.errors import EXIT_USAGE, AwsenvError, ConfigError
from awsenv.timefmt import humanize

PICKERS = ("auto", "fzf", "builtin")
PROMPT = "profile> "
MAX_ROWS = 12
_SEPARATORS = " -_./:@"


class NoPicker(AwsenvError):
    """No terminal to pick on: the profile must be named."""

    exit_code = EXIT_USAGE


class Cancelled(AwsenvError):
    """The person left the picker without choosing."""

    exit_code = 130


@dataclass(frozen=True)
class Entry:
    name: str
    account: str
    role: str
    state: str

    @property
    def text(self) -> str:
        """What the query is matched against."""
        return f"{self.name} {self.account} {self.role}"


def _state(row: inventory.Row) -> str:
    if row.state == inventory.VALID and row.expires_in is not None:
        return f"valid {humanize(row.expires_in)}"
    if row.state:
        return "no sign-in" if row.state == inventory.NO_LOGIN else row.state
    return row.kind


def entries(config: AwsConfig, now: datetime, used: Sequence[str]) -> list[Entry]:
    """Every profile, the most recently used first, then in the config's order."""
    rows = inventory.rows(config, now)
    rank = {name: i for i, name in enumerate(used)}
    ordered = sorted(enumerate(rows), key=lambda item: (rank.get(item[1].name, len(rank)), item[0]))
    found = []
    for _, row in ordered:
        account, role = row.account or "", row.role or ""
        if role.startswith("arn:") and ":role/" in role:
            # A role_arn: its account and role name read better than the ARN.
            account = account or role.split(":")[4]
            role = role.rsplit("/", 1)[-1]
        found.append(Entry(row.name, account, role, _state(row)))
    return found


def score(query: str, text: str) -> int | None:
    """How well `query` matches `text` as a subsequence (case-insensitive); None: no match.

    Consecutive characters and characters starting a word score more, gaps cost, so `c1adm`
    ranks Company-1-Administrator above Company-2-Administrator.
    """
    q, t = query.casefold(), text.casefold()
    if not q:
        return 0
    best: int | None = None
    start = t.find(q[0])
    while start != -1:
        points, pos, previous = 0, start, -2
        for char in q:
            pos = t.find(char, pos)
            if pos == -1:
                break
            points += 1
            if pos == previous + 1:
                points += 4
            if pos == 0 or t[pos - 1] in _SEPARATORS:
                points += 3
            if previous >= 0:
                points -= min(pos - previous - 1, 3)
            previous, pos = pos, pos + 1
        else:
            best = points if best is None else max(best, points)
        start = t.find(q[0], start + 1)
    return best


def matching(found: Sequence[Entry], query: str) -> list[Entry]:
    """The entries matching `query`, best first; ties keep their order (recent first)."""
    scored = [(score(query, e.text), i, e) for i, e in enumerate(found)]
    hits = [(s, i, e) for s, i, e in scored if s is not None]
    hits.sort(key=lambda item: (-item[0], item[1]))
    return [e for _, _, e in hits]


def rows_text(found: Iterable[Entry]) -> list[str]:
    """Aligned columns: profile, account, role, session state."""
    items = list(found)
    if not items:
        return []
    widths = [max(len(getattr(e, f)) for e in items) for f in ("name", "account", "role")]
    return [
        "  ".join(
            (e.name.ljust(widths[0]), e.account.ljust(widths[1]), e.role.ljust(widths[2]), e.state)
        ).rstrip()
        for e in items
    ]


def choose(config: AwsConfig, now: datetime) -> str:
    """The profile the person picks; NoPicker without a terminal, Cancelled on Esc/Ctrl-C."""
    if not config.profiles:
        raise ConfigError(f"no profiles in {config.path}", hint="awsenv configure sso")
    found = entries(config, now, recent.load())
    mode = settings.get("picker", PICKERS, "auto")
    fzf = shutil.which("fzf") if mode != "builtin" else None
    if mode == "fzf" and fzf is None:
        raise ConfigError("AWSENV_PICKER is fzf, but fzf is not installed")
    terminal = ui.open_terminal()
    if terminal is None:
        raise NoPicker("name a profile: there is no terminal to pick one on", hint="awsenv list")
    with terminal:
        if fzf is not None:
            return _fzf(fzf, found)
        return _Picker(terminal, found).run()


# What the answer's parsing and the rows rely on, given on the command line so that it comes
# after FZF_DEFAULT_OPTS and wins over it, while the user's look (colours, borders, keys) stays:
# one answer, and only the chosen line on stdout, newline-terminated; every row ours, in order.
_FZF_OPTIONS = (
    "--no-multi",
    "--no-print-query",
    "--no-expect",
    "--no-read0",
    "--no-print0",
    "--header-lines=0",
    "--no-tac",
    "--tiebreak=index",
    "--delimiter=\t",
    "--with-nth=2",
    "--nth=..",
)


def _fzf(fzf: str, found: Sequence[Entry]) -> str:
    # Field 1 is the bare name for the answer; field 2 the aligned row people see.
    lines = [f"{e.name}\t{text}" for e, text in zip(found, rows_text(found), strict=True)]
    proc = subprocess.run(
        [
            fzf,
            "--height=40%",
            "--layout=reverse",
            f"--prompt={PROMPT}",
            "--header=most recently used first",
            *_FZF_OPTIONS,
        ],
        input="\n".join(lines) + "\n",
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if proc.returncode == 2:  # fzf's error, said on the terminal: an option it does not know
        raise AwsenvError(
            f"{fzf} failed; an older fzf may lack an option awsenv passes",
            hint="AWSENV_PICKER=builtin uses awsenv's own picker",
        )
    # Only a line we gave counts: whatever else an fzf version prints is not a profile name.
    offered = set(lines)
    chosen = next((line for line in proc.stdout.split("\n") if line in offered), None)
    if proc.returncode != 0 or chosen is None:
        raise Cancelled("no profile chosen")
    return chosen.split("\t", 1)[0]


class _Picker:
    """The built-in picker: a prompt line and up to MAX_ROWS rows below the cursor."""

    def __init__(self, terminal: ui.Terminal, found: Sequence[Entry]) -> None:
        self.fd = terminal.fd
        self.found = list(found)
        self.query = ""
        self.selected = 0
        self.shown = self.found
        self.color = not os.environ.get("NO_COLOR")

    def run(self) -> str:
        import termios

        saved = termios.tcgetattr(self.fd)
        raw = termios.tcgetattr(self.fd)
        raw[0] &= ~(termios.IXON | termios.ICRNL)
        raw[3] &= ~(termios.ECHO | termios.ICANON | termios.ISIG | termios.IEXTEN)
        raw[6][termios.VMIN], raw[6][termios.VTIME] = 1, 0
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        try:
            termios.tcsetattr(self.fd, termios.TCSANOW, raw)
            self._draw()
            while True:
                key = self._key(decoder)
                chosen = self._press(key)
                if chosen is not None:
                    return chosen
                self._draw()
        finally:
            self._write("\r\x1b[J")
            termios.tcsetattr(self.fd, termios.TCSANOW, saved)

    def _key(self, decoder: codecs.IncrementalDecoder) -> str:
        import select

        data = os.read(self.fd, 64)
        if not data:
            return "\x04"
        if data == b"\x1b" and select.select([self.fd], [], [], 0.05)[0]:
            data += os.read(self.fd, 64)  # the rest of an escape sequence
        return str(decoder.decode(data))

    def _press(self, key: str) -> str | None:
        """Apply one key (or a pasted run of characters); the chosen name when done."""
        moves = {"\x1b[A": -1, "\x1bOA": -1, "\x10": -1, "\x1b[Z": -1}
        moves |= {"\x1b[B": 1, "\x1bOB": 1, "\x0e": 1, "\t": 1}
        if key in ("\r", "\n"):
            if self.shown:
                return self.shown[self.selected].name
            return None
        if key in ("\x03", "\x07") or (key == "\x04" and not self.query):
            raise Cancelled("no profile chosen")
        if key.startswith("\x1b") and key[1:2] not in ("[", "O"):
            raise Cancelled("no profile chosen")  # Esc, maybe with keys typed right after
        if key in moves:
            if self.shown:
                self.selected = (self.selected + moves[key]) % len(self.shown)
            return None
        if key.startswith("\x1b"):
            return None  # another special key
        for char in key:
            if char in ("\x7f", "\x08"):
                self.query = self.query[:-1]
            elif char == "\x15":
                self.query = ""
            elif char == "\x17":
                self.query = self.query.rstrip().rpartition(" ")[0]
            elif char.isprintable():
                self.query += char
        self.shown = matching(self.found, self.query)
        self.selected = 0
        return None

    def _write(self, text: str) -> None:
        data = text.encode("utf-8", "replace")
        while data:
            data = data[os.write(self.fd, data) :]

    def _draw(self) -> None:
        try:
            width, height = os.get_terminal_size(self.fd)
        except OSError:
            width, height = 80, 24
        limit = max(1, min(MAX_ROWS, height - 2))
        top = max(0, self.selected - limit + 1)
        visible = self.shown[top : top + limit]
        texts = rows_text(self.shown)[top : top + limit]
        out = ["\r\x1b[J", _fit(f"{PROMPT}{self.query}", width)]
        for i, text in enumerate(texts):
            chosen = top + i == self.selected
            line = _fit(("> " if chosen else "  ") + text, width)
            if chosen and self.color:
                line = f"\x1b[7m{line}\x1b[0m"
            out.append("\r\n" + line)
        count = f"  {len(self.shown)}/{len(self.found)}"
        out.append("\r\n" + _fit(count, width))
        rows_below = len(visible) + 1
        out.append(f"\x1b[{rows_below}A\r")
        column = min(len(PROMPT) + len(self.query), width - 1)
        if column:
            out.append(f"\x1b[{column}C")
        self._write("".join(out))


def _fit(text: str, width: int) -> str:
    """One screen line at most, so that moving the cursor up lands where it should."""
    return text if len(text) < width else text[: max(0, width - 2)] + "…"
