# awsenv shell integration for zsh. Load it with, in ~/.zshrc:
#     eval "$(awsenv init zsh)"
# `awsenv init` prints a line setting __awsenv_exe (the program's absolute path) before this
# file, so the function does no PATH lookup. Safe under `set -euo pipefail`.

: "${__awsenv_exe:=awsenv}"
builtin unalias awsenv 2>/dev/null || builtin true

# The verbs that change this shell print shell code; the function evaluates it. Every other
# verb runs as it is. AWSENV_SHELL tells the program which shell called it. `export` in zsh is
# `typeset -gx`, so the eval reaches the globals.
awsenv() {
    builtin emulate -L zsh
    case "${1-}" in
        use | unset | logout)
            local __awsenv_code
            __awsenv_code="$(AWSENV_SHELL=zsh command "$__awsenv_exe" "$@")" || return
            builtin eval "$__awsenv_code"
            ;;
        *)
            AWSENV_SHELL=zsh command "$__awsenv_exe" "$@"
            ;;
    esac
}
