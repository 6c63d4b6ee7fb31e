"""Errors that reach the user as one line on stderr, each with its own exit code."""

from __future__ import annotations

# Exit codes are part of the interface: the shell wrappers and scripts tell these apart.
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_LOGIN_REQUIRED = 4
EXIT_NO_TERMINAL = 5
EXIT_LOGIN_DENIED = 6
EXIT_SERVICE = 7


class AwsenvError(Exception):
    """An error with a message fit for the user and an exit code."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message} ({self.hint})"


class UsageError(AwsenvError):
    """The command line asks for something impossible (bad option value, missing answer)."""

    exit_code = EXIT_USAGE


class ConfigError(AwsenvError):
    """The config or credentials file cannot be read or does not say what is needed."""

    exit_code = EXIT_CONFIG


class ProfileNotFound(ConfigError):
    def __init__(self, name: str, suggestions: list[str], *, hint: str | None = None) -> None:
        if hint is None:
            hint = f"did you mean {', '.join(suggestions)}?" if suggestions else "see: awsenv list"
        super().__init__(f"The config profile ({name}) could not be found", hint=hint)
        self.name = name
        self.suggestions = suggestions


class LoginRequired(AwsenvError):
    """The SSO session is missing or expired and may not be renewed without the user."""

    exit_code = EXIT_LOGIN_REQUIRED


class NoTerminal(LoginRequired):
    """A login would have to ask the user, and there is no terminal to ask on."""

    exit_code = EXIT_NO_TERMINAL


class LoginDenied(AwsenvError):
    exit_code = EXIT_LOGIN_DENIED


class ServiceError(AwsenvError):
    """The SSO or STS service could not be reached or refused the call."""

    exit_code = EXIT_SERVICE
