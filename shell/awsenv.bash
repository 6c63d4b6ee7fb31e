# awsenv shell integration for bash. Load it with, in ~/.bashrc:
#     eval "$(awsenv init bash)"
# `awsenv init` prints a line setting __awsenv_exe (the program's absolute path) before this
# file, so the function does no PATH lookup. Safe under `set -euo pipefail`.

: "${__awsenv_exe:=awsenv}"
builtin unalias awsenv 2>/dev/null || builtin true

# The verbs that change this shell print shell code; the function evaluates it. Every other
# verb runs as it is. AWSENV_SHELL tells the program which shell called it.
awsenv() {
    case "${1-}" in
        use | unset | logout)
            local __awsenv_code
            __awsenv_code="$(AWSENV_SHELL=bash command "$__awsenv_exe" "$@")" || return
            builtin eval "$__awsenv_code"
            ;;
        *)
            AWSENV_SHELL=bash command "$__awsenv_exe" "$@"
            ;;
    esac
}

# Runs a hook before each prompt, once however often the init is evaluated. PROMPT_COMMAND is a
# string, or an array in bash >= 5.1 (VTE and systemd set it so); both are handled. Hooks go
# first so that they see the user's `$?`, and each returns it unchanged for the rest.
__awsenv_add_prompt_command() {
    local hook="$1" entry
    if [[ -v PROMPT_COMMAND && "${PROMPT_COMMAND@a}" == *a* ]]; then
        for entry in "${PROMPT_COMMAND[@]}"; do
            [[ "$entry" == "$hook" ]] && return 0
        done
        PROMPT_COMMAND=("$hook" "${PROMPT_COMMAND[@]}")
    else
        case ";${PROMPT_COMMAND-};" in
            *";$hook;"*) return 0 ;;
        esac
        # shellcheck disable=SC2128,SC2178 # this branch is the string form
        PROMPT_COMMAND="$hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
    fi
}
