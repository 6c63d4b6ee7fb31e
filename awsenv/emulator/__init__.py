"""A local IAM Identity Center (SSO OIDC + portal) and STS emulator for tests and demos.

In-process::

    with Emulator() as emu:                 # 127.0.0.1, any free port
        os.environ.update(emu.env())        # AWS_ENDPOINT_URL_{SSO_OIDC,SSO,STS}
        emu.knobs.access_token_ttl = 60     # see Knobs
        emu.approve()                       # a pending device login, as the user

Standalone: ``python -m awsenv.emulator [--port N] [--state-file F] [--verbose]`` prints its URL
on stdout line 1 and serves until SIGTERM/SIGINT. The same knobs and actions are reachable
over HTTP under ``/_emulator/``: ``knobs`` (GET, POST partial update), ``calls`` (GET,
DELETE), ``approve``, ``expire``, ``reset``, ``users``, ``orgs`` (POST).
"""

from .context import Call
from .directory import Account, Directory, Org, big_org
from .knobs import Knobs
from .server import Emulator

__all__ = ["Account", "Call", "Directory", "Emulator", "Knobs", "Org", "big_org"]
