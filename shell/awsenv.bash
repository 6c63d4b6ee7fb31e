# awsenv shell integration for bash. Load it with, in ~/.bashrc:
#     eval "$(awsenv init bash)"
# `awsenv init` prints a line setting __awsenv_exe (the program's absolute path) before this
# file, so the function does no PATH lookup. Safe under `set -euo pipefail`.

: "${__awsenv_exe:=awsenv}"
builtin unalias awsenv 2>/dev/null || builtin true

# The verbs that change this shell print shell code; the function evaluates it. Every other
# verb runs as it is.
awsenv() {
    case "${1-}" in
        use | unset | logout)
            local __awsenv_code
            __awsenv_code="$(AWSENV_SHELL=bash command "$__awsenv_exe" "$@")" || return
            builtin eval "$__awsenv_code"
            ;;
        *)
            command "$__awsenv_exe" "$@"
            ;;
    esac
}
