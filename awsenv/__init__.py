"""awsenv: switch AWS profiles in bash, zsh and fish, with IAM Identity Center (SSO) login."""

__version__ = "0.1.0"
