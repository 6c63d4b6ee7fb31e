"""Which profile a command names: PROFILE or `--profile PROFILE`, else the AWS CLI's variables.

`--profile` is there because readers of the AWS CLI's guides type it (`aws sso login --profile
X`); giving a profile both ways is fine when they agree and a usage error when they differ.
"""

from __future__ import annotations

from awsenv.errors import UsageError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on every `use`
if TYPE_CHECKING:
    from collections.abc import Mapping

# The AWS CLI v2's order: AWS_PROFILE wins (botocore in boto3 reads them the other way round).
DEFAULT_VARS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")
DEFAULT_HELP = "default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE"


def named(positional: str | None, option: str | None) -> str | None:
    """The profile the command line gives, as PROFILE or as --profile; None for neither."""
    if positional is not None and option is not None and positional != option:
        raise UsageError(
            f"two profiles given: {positional!r} and --profile {option!r}",
            hint="name the profile once, as PROFILE or --profile PROFILE",
        )
    return option if positional is None else positional


def from_environment(environ: Mapping[str, str]) -> str | None:
    """The profile the AWS CLI would use when none is named: AWS_PROFILE, AWS_DEFAULT_PROFILE."""
    for name in DEFAULT_VARS:
        value = environ.get(name)
        if value:
            return value
    return None
