# awsenv shell integration for bash. Load it with, in ~/.bashrc:
#     eval "$(awsenv init bash)"
# `awsenv init` prints a line setting __awsenv_exe (the program's absolute path) before this
# file, so the function does no PATH lookup. Safe under `set -euo pipefail`.

: "${__awsenv_exe:=awsenv}"
builtin unalias awsenv 2>/dev/null || builtin true

# The verbs that change this shell print shell code; the function evaluates it. Every other
# verb runs as it is. AWSENV_SHELL tells the program which shell called it. awsenv's state
# variables change only through here (and the directory hook), so this is where the prompt
# segment learns that it must be rebuilt, and where renewals held off (see __awsenv_renew)
# may start again.
awsenv() {
    __awsenv_prompt_next=0 __awsenv_renew_retry=0
    unset AWSENV_LOGIN_NEEDED
    case "${1-}" in
        use | unset | logout | allow | deny | pin)
            local __awsenv_code
            __awsenv_code="$(AWSENV_SHELL=bash command "$__awsenv_exe" "$@")" || return
            builtin eval "$__awsenv_code"
            ;;
        *)
            AWSENV_SHELL=bash command "$__awsenv_exe" "$@"
            ;;
    esac
}

# --- awsenv: directory profiles (.awsenv) --------------------------------------------------
# After a `cd`, the prompt hook looks for the nearest .awsenv from $PWD up to / with builtins
# only, and runs the program only when that file differs from the one handled last: it prints
# the code applying the file's profile (if trusted) and a snapshot of what the shell had before,
# kept in __awsenv_dir_restore and evaluated on leaving, without a process. A file is read again
# when the nearest path changes, and after `awsenv allow`, `deny` or `pin` (they call
# __awsenv_dir_refresh). A `use` in a pinned directory holds until the nearest file changes.
: "${__awsenv_dir_file=.}" "${__awsenv_dir_restore=}"

# The walk from $PWD up to /, run by the prompt hook when $PWD changed since the last prompt.
# This is the hot path of every cd: few commands per level, and no quotes inside [[ ]] or
# assignments (none are needed there, and quoted expansions cost bash several µs each).
__awsenv_dir_check() {
    local dir=${PWD%/} found=
    __awsenv_dir_pwd=$PWD
    while [[ -n $dir && ! -f $dir/.awsenv ]]; do
        dir=${dir%/*}
    done
    if [[ -n $dir ]]; then
        found=$dir/.awsenv
    elif [[ -f /.awsenv ]]; then
        found=/.awsenv
    fi
    [[ $found == "$__awsenv_dir_file" ]] || __awsenv_dir_change "$found"
}

# The nearest file is now $1 (empty: none): put back what the shell had, then apply the file.
__awsenv_dir_change() {
    local found="$1" code
    __awsenv_dir_file="$found" __awsenv_prompt_next=0
    if [[ -n "$__awsenv_dir_restore" ]]; then
        builtin eval "$__awsenv_dir_restore" || builtin true
        __awsenv_dir_restore=""
    fi
    # Without a file, the program is needed only to clear a state inherited from a parent shell.
    if [[ -n "$found" || -n "${AWSENV_DIR-}" ]]; then
        if code="$(AWSENV_SHELL=bash command "$__awsenv_exe" _dir "$found")"; then
            builtin eval "$code" || builtin true
        fi
    fi
    return 0
}

# Forget the file handled last and check again: always, or only when $1 is that file.
__awsenv_dir_refresh() {
    if [[ $# -eq 0 || "$1" == "$__awsenv_dir_file" ]]; then
        __awsenv_dir_file=.
        __awsenv_dir_check
    fi
    return 0
}

# --- awsenv: prompt segment and credential renewal -----------------------------------------
# AWSENV_PROMPT holds the segment (profile, region, time left) for "${AWSENV_PROMPT}" in PS1.
# One hook runs first in PROMPT_COMMAND (or bash-preexec's precmd_functions), so that prompt
# renderers after it (starship, powerline...) see a profile that a directory switched to: it
# checks the directory, then rebuilds the segment when the time it shows ticks over, when the
# awsenv function has run (it marks the segment stale), or when a setting users change by hand
# differs (region, format, colours, NO_COLOR, renewal window). The rebuild also works out when
# the keys fall due for renewal (__awsenv_renew_at); until then the DEBUG trap is one
# comparison, and from then the next command renews them through `awsenv use` and the cached
# SSO token; a failed renewal leaves one line on stderr and the command still runs. All of it
# uses builtins: no process per prompt. The format language and the states are those of
# awsenv/prompt.py (`awsenv prompt`).
: "${AWSENV_PROMPT=}"
__awsenv_prompt_key="" __awsenv_prompt_next=0
__awsenv_never=4611686018427387904 __awsenv_renew_retry=0
__awsenv_renew_at=$__awsenv_never
# The clock, as an expression that $(( )) evaluates: EPOCHSECONDS, or before bash 5 SECONDS
# counted from the start of the shell, which printf's %(%s)T tells once here.
__awsenv_now=EPOCHSECONDS
if [[ -z "${EPOCHSECONDS-}" ]]; then
    printf -v __awsenv_epoch0 '%(%s)T' -1
    __awsenv_epoch0=$((__awsenv_epoch0 - SECONDS)) __awsenv_now="__awsenv_epoch0 + SECONDS"
fi

# Runs before each prompt. Its common case is four tests, with no quotes where none are
# needed (quoted expansions cost bash several µs each). $? goes on to the next hook, except
# under `set -e`, where returning it would end the shell.
__awsenv_prompt_hook() {
    local status=$?
    [[ $PWD == "${__awsenv_dir_pwd-}" ]] || __awsenv_dir_check
    if ((__awsenv_now >= __awsenv_prompt_next)) ||
        [[ ${AWS_REGION-}/${AWSENV_RENEW_WINDOW-}/${AWSENV_PROMPT_FORMAT-}/${AWSENV_PROMPT_COLORS-}/${NO_COLOR-} != "$__awsenv_prompt_key" ]]; then
        __awsenv_prompt_update
    fi
    [[ -z ${AWSENV_IDLE_DROP-}${__awsenv_idle_at-} ]] || __awsenv_idle_arm
    [[ $status != 0 && $- != *e* ]] || return 0
    return "$status"
}

__awsenv_prompt_update() {
    __awsenv_prompt_key=${AWS_REGION-}/${AWSENV_RENEW_WINDOW-}/${AWSENV_PROMPT_FORMAT-}/${AWSENV_PROMPT_COLORS-}/${NO_COLOR-}
    __awsenv_prompt_render $((__awsenv_now))
}

# The state at time $1 (ok, soon, renew, login) in __awsenv_state, the time left (or the state
# once expired) in __awsenv_left, in __awsenv_prompt_next when either changes next, and in
# __awsenv_renew_at when the keys fall due for renewal. Numbers are checked before any
# arithmetic: bash evaluates text in $(( )) as code.
__awsenv_state_at() {
    local now="$1" exp="${AWSENV_EXPIRATION-}" sso="${AWSENV_SSO_EXPIRATION-}" window="${AWSENV_RENEW_WINDOW-}"
    local until="${AWSENV_SSO_REFRESH_UNTIL-}" left=0 next=60 days hours minutes
    [[ -n "$exp" && "$exp" != *[!0-9]* ]] || exp=""
    [[ -n "$sso" && "$sso" != *[!0-9]* ]] || sso=""
    [[ -n "$until" && "$until" != *[!0-9]* ]] || until=0
    [[ -n "$window" && "$window" != *[!0-9]* ]] || window=300
    __awsenv_state=ok __awsenv_left="" __awsenv_renew_at=$__awsenv_never
    if [[ -n "$exp" ]]; then
        __awsenv_renew_at=$((10#$exp - 10#$window))
        ((__awsenv_renew_at >= __awsenv_renew_retry)) || __awsenv_renew_at=$__awsenv_renew_retry
        left=$((10#$exp - now))
        if [[ "${AWSENV_LOGIN_NEEDED-}" == "$exp" ]]; then
            __awsenv_state=login __awsenv_renew_at=$__awsenv_never
        elif ((left > 10#$window)); then
            __awsenv_state=ok
        elif ((left > 0)); then
            __awsenv_state=soon
        elif [[ -z "$sso" ]] || ((10#$sso > now || 10#$until > now)); then
            __awsenv_state=renew
        else
            __awsenv_state=login
        fi
    elif [[ -n "$sso" ]]; then
        left=$((10#$sso - now))
        if ((left <= 0)); then
            __awsenv_state=login
            ((10#$until <= now)) || __awsenv_state=renew
        fi
    fi
    if ((left > 0)); then
        days=$((left / 86400)) hours=$((left % 86400 / 3600)) minutes=$((left % 3600 / 60))
        if ((days > 0)); then
            __awsenv_left="${days}d${hours}h"
        elif ((hours > 0 && minutes > 0)); then
            printf -v __awsenv_left '%dh%02dm' "$hours" "$minutes"
        elif ((hours > 0)); then
            __awsenv_left="${hours}h"
        else
            __awsenv_left="${minutes}m"
        fi
        next=$((left % 60 + 1))
        ((left <= 10#$window || left - 10#$window >= next)) || next=$((left - 10#$window))
        ((next <= left)) || next=$left
    elif [[ "$__awsenv_state" != ok ]]; then
        __awsenv_left="$__awsenv_state"
    fi
    __awsenv_prompt_next=$((now + next))
}

# Expands AWSENV_PROMPT_FORMAT into AWSENV_PROMPT for the time $1. Colour sequences are wrapped
# in \001..\002 so that readline leaves them out of the prompt's width; control characters in
# values become "?" so that a profile name cannot drive the terminal.
__awsenv_prompt_render() {
    if [[ -z "${AWSENV_PROFILE-}" ]]; then
        AWSENV_PROMPT="" __awsenv_prompt_next=$__awsenv_never __awsenv_renew_at=$__awsenv_never
        return 0
    fi
    __awsenv_state_at "$1"
    local fmt="${AWSENV_PROMPT_FORMAT:-"aws:{profile}( {region})( {color}{left}{reset})( {envcolor}{env}{reset})"}"
    local colors=":${AWSENV_PROMPT_COLORS-}:" code="" sgr="" reset="" out="" group="" ingroup=""
    local shown="" c piece name value i=0 n=${#fmt}
    case "$__awsenv_state" in
        ok) code=32 ;;
        soon | renew) code=33 ;;
        *) code=31 ;;
    esac
    if [[ "$colors" == *":$__awsenv_state="* ]]; then
        value="${colors##*":$__awsenv_state="}"
        value="${value%%:*}"
        [[ "$value" == *[!0-9\;]* ]] || code="$value"
    fi
    if [[ -z "${NO_COLOR-}" && -n "$code" ]]; then
        sgr=$'\001\e['"$code"$'m\002' reset=$'\001\e[0m\002'
    fi
    # The mark's colour: env.NAME, else env, else the default (production stands out).
    local env="${AWSENV_ENV-}" envcode="" envsgr=""
    if [[ -n "$env" ]]; then
        case "${env,,}" in
            prod | production) envcode="1;97;41" ;;
            *) envcode=36 ;;
        esac
        for name in env "env.$env"; do
            if [[ "$colors" == *":$name="* ]]; then
                value="${colors##*":$name="}"
                value="${value%%:*}"
                [[ "$value" == *[!0-9\;]* ]] || envcode="$value"
            fi
        done
        if [[ -z "${NO_COLOR-}" && -n "$envcode" ]]; then
            envsgr=$'\001\e['"$envcode"$'m\002' reset=$'\001\e[0m\002'
        fi
    fi
    while ((i < n)); do
        c="${fmt:i:1}"
        i=$((i + 1))
        piece="$c"
        case "$c" in
            \\)
                if ((i < n)); then
                    piece="${fmt:i:1}"
                    i=$((i + 1))
                fi
                ;;
            \()
                if [[ -z "$ingroup" ]]; then
                    ingroup=1 group="" shown=""
                    continue
                fi
                ;;
            \))
                if [[ -n "$ingroup" ]]; then
                    [[ -z "$shown" ]] || out+="$group"
                    ingroup=""
                    continue
                fi
                ;;
            \{)
                value="${fmt:i}"
                name="${value%%\}*}"
                if [[ "$value" == *\}* ]]; then
                    case "$name" in
                        profile | region | left | state | env)
                            case "$name" in
                                profile) value="$AWSENV_PROFILE" ;;
                                region) value="${AWS_REGION-}" ;;
                                left) value="$__awsenv_left" ;;
                                env) value="$env" ;;
                                *) value="$__awsenv_state" ;;
                            esac
                            [[ -z "$value" ]] || shown=1
                            piece="${value//[[:cntrl:]]/?}"
                            i=$((i + ${#name} + 1))
                            ;;
                        color)
                            piece="$sgr"
                            i=$((i + 6))
                            ;;
                        envcolor)
                            piece="$envsgr"
                            i=$((i + 9))
                            ;;
                        reset)
                            piece="$reset"
                            i=$((i + 6))
                            ;;
                    esac
                fi
                ;;
        esac
        if [[ -n "$ingroup" ]]; then
            group+="$piece"
        else
            out+="$piece"
        fi
    done
    [[ -z "$ingroup" || -z "$shown" ]] || out+="$group"
    AWSENV_PROMPT="$out"
}

# Before a command ($1) once the keys are due: renew them, unless the command is itself
# `awsenv use`, `unset`, `login` or `logout`. A renewal that finds only a sign-in can help
# exports AWSENV_LOGIN_NEEDED (the expiry it gave up on), which holds renewals off and shows
# in the prompt until an awsenv command clears it. After any other attempt the next waits
# 30 s: after a failure, or keys still due (a renewal window longer than their life), which
# wait only until they expire if that is sooner.
__awsenv_preexec() {
    local exp="${AWSENV_EXPIRATION-}" window="${AWSENV_RENEW_WINDOW-}" word verb rest
    local now=$((__awsenv_now))
    [[ -z ${__awsenv_idle_at-} ]] || __awsenv_idle_check "$now" "${1-}" || return 0
    ((now >= __awsenv_renew_at)) || return 0
    [[ -n "${AWSENV_PROFILE-}" && -n "$exp" && "$exp" != *[!0-9]* ]] || return 0
    [[ -n "$window" && "$window" != *[!0-9]* ]] || window=300
    ((10#$exp - now <= 10#$window)) && [[ "${AWSENV_LOGIN_NEEDED-}" != "$exp" ]] || return 0
    read -r word verb rest <<<"${1-}"
    if [[ "$word" == awsenv ]]; then
        case "$verb" in
            use | unset | login | logout) return 0 ;;
        esac
    fi
    __awsenv_renew "$now"
}

# --- awsenv: a production profile's keys leave an idle shell ------------------------------
# `awsenv use` exports AWSENV_IDLE_DROP (seconds) for a production profile when the
# idle_drop_minutes setting asks for it. Each prompt sets the deadline, __awsenv_idle_at, and
# lowers __awsenv_renew_at to it, so that the DEBUG trap's one comparison covers both; the
# renewal's own time waits in __awsenv_idle_renew_at. Builtins only, no process per prompt.
__awsenv_idle_arm() {
    local drop=${AWSENV_IDLE_DROP-}
    if [[ -z $drop || $drop == *[!0-9]* ]]; then
        unset __awsenv_idle_at
        return 0
    fi
    ((__awsenv_renew_at == ${__awsenv_idle_at-0})) || __awsenv_idle_renew_at=$__awsenv_renew_at
    __awsenv_idle_at=$((__awsenv_now + 10#$drop)) __awsenv_idle_minutes=$(((10#$drop + 59) / 60))
    __awsenv_renew_at=${__awsenv_idle_renew_at-$__awsenv_never}
    ((__awsenv_renew_at <= __awsenv_idle_at)) || __awsenv_renew_at=$__awsenv_idle_at
}

# Before a command ($2) at time $1: past the deadline, drop the keys and return 1. The prompt
# hook is no command of the person's (the last one ran long): the next prompt re-arms.
__awsenv_idle_check() {
    (($1 >= __awsenv_idle_at)) || return 0
    if [[ $2 == __awsenv_prompt_hook ]]; then
        __awsenv_renew_at=$__awsenv_idle_renew_at
        return 0
    fi
    local profile=${AWSENV_PROFILE-}
    unset __awsenv_idle_at
    awsenv unset || return 0
    printf 'awsenv: dropped the keys of %s after %s min without a command (awsenv use %s)\n' \
        "${profile//[[:cntrl:]]/?}" "$__awsenv_idle_minutes" "${profile//[[:cntrl:]]/?}" >&2
    return 1
}

# Renews the keys at time $1, then rebuilds the segment, which also works out when the next
# renewal falls due: the DEBUG trap is back to its single comparison for the rest of the line.
# Meanwhile nothing is due, for a DEBUG trap that functions inherit (extdebug, functrace).
__awsenv_renew() {
    local rc=0 exp
    __awsenv_renew_at=$__awsenv_never
    if [[ -n "${AWSENV_REGION_OVERRIDE-}" ]]; then
        awsenv use "$AWSENV_PROFILE" --region "$AWSENV_REGION_OVERRIDE" || rc=$?
    else
        awsenv use "$AWSENV_PROFILE" || rc=$?
    fi
    case "$rc" in
        4 | 5 | 6) export AWSENV_LOGIN_NEEDED="${AWSENV_EXPIRATION-}" ;;
    esac
    __awsenv_renew_retry=$(($1 + 30)) exp="${AWSENV_EXPIRATION-}"
    if [[ $rc == 0 && -n "$exp" && "$exp" != *[!0-9]* ]] && ((10#$exp > __awsenv_now && 10#$exp < __awsenv_renew_retry)); then
        __awsenv_renew_retry=$((10#$exp))
    fi
    __awsenv_prompt_update
}

# bash has no preexec: the DEBUG trap runs before every simple command at the top level of
# the shell, which includes the hooks of PROMPT_COMMAND, so keys that fall due during a long
# command are renewed before the next prompt. Until they are due it is one comparison (see
# __awsenv_install_debug_trap), then this. Only a command line may sign in: not a completion
# function or a `bind -x` widget.
__awsenv_debug_due() {
    [[ -n "${COMP_LINE-}${READLINE_POINT-}" ]] || __awsenv_preexec "$BASH_COMMAND"
    return 0
}

# With a DEBUG trap already set, it runs after ours and still sees the user's $? and $_.
__awsenv_debug_chain() {
    ((__awsenv_now < __awsenv_renew_at)) || __awsenv_debug_due
    return "$1"
}

# Installs the hooks once, however often the init is evaluated. PROMPT_COMMAND is a string, or
# an array in bash >= 5.1 (VTE and systemd set it so); both are handled. With bash-preexec,
# which owns the DEBUG trap and runs its arrays from PROMPT_COMMAND, the hooks join those.
__awsenv_install_hooks() {
    local hook
    if [[ -n "${bash_preexec_imported-}${__bp_imported-}" ]]; then
        for hook in "${precmd_functions[@]-}"; do
            [[ "$hook" != __awsenv_prompt_hook ]] || return 0
        done
        precmd_functions=(__awsenv_prompt_hook "${precmd_functions[@]}")
        preexec_functions+=(__awsenv_preexec)
    elif [[ -v PROMPT_COMMAND && "${PROMPT_COMMAND@a}" == *a* ]]; then
        for hook in "${PROMPT_COMMAND[@]}"; do
            [[ "$hook" != __awsenv_prompt_hook ]] || return 0
        done
        PROMPT_COMMAND=(__awsenv_prompt_hook "${PROMPT_COMMAND[@]}")
    else
        case ";${PROMPT_COMMAND-};" in
            *";__awsenv_prompt_hook;"*) return 0 ;;
        esac
        # shellcheck disable=SC2128,SC2178 # this branch is the string form
        PROMPT_COMMAND="__awsenv_prompt_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
    fi
}

# Sets the DEBUG trap, after the one already set ($1, as `trap -p` prints it), if any.
__awsenv_install_debug_trap() {
    # "$_" is passed so that, after the trap, it is again what the user's last command left. A
    # trap returning non-zero would skip the command under extdebug: ours always succeeds.
    if [[ -z "$1" ]]; then
        # shellcheck disable=SC2016 # expanded when the trap runs
        builtin trap '((__awsenv_now < __awsenv_renew_at)) || __awsenv_debug_due "$_"' DEBUG
    elif [[ "$1" != *__awsenv_debug_* ]]; then
        builtin eval "local -a words=($1)"
        # shellcheck disable=SC2154 # words is set by the eval above
        builtin trap '__awsenv_debug_chain "$?" "$_"; '"${words[2]}" DEBUG
    fi
}

__awsenv_install_hooks
# A plain `trap` in $( ) outside any function is the only way to read the trap already set.
# That subshell is a process, so a new shell first asks whether there is one: `trap -p` fails
# to write it to /dev/full (without /dev/full the redirection fails, and the subshell reads).
if [[ $- == *i* && -z "${bash_preexec_imported-}${__bp_imported-}" ]]; then
    if builtin trap -p DEBUG >/dev/full 2>/dev/null; then
        __awsenv_install_debug_trap ""
    else
        __awsenv_install_debug_trap "$(trap -p DEBUG)"
    fi
fi

# `awsenv init SHELL --prompt left` ends with this call. bash has no right-hand prompt.
__awsenv_prompt_install() {
    [[ "${PS1-}" == *AWSENV_PROMPT* ]] || PS1='${AWSENV_PROMPT:+$AWSENV_PROMPT }'"${PS1-}"
}

# --- awsenv: completion, loaded on first use -----------------------------------------------
# Reading the completion script would cost a new shell as much as the rest of this file, so
# `awsenv init` registers only this _awsenv at start: the first completion sources the script
# ($__awsenv_completion, set by `init`), whose _awsenv replaces this one, and completes.
_awsenv() {
    builtin source "${__awsenv_completion-}" && _awsenv "$@"
}
