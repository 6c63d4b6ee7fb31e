# awsenv shell integration for zsh. Load it with, in ~/.zshrc:
#     eval "$(awsenv init zsh)"
# `awsenv init` prints a line setting __awsenv_exe (the program's absolute path) before this
# file, so the function does no PATH lookup. Safe under `set -euo pipefail`.

: "${__awsenv_exe:=awsenv}"
builtin unalias awsenv 2>/dev/null || builtin true

# The verbs that change this shell print shell code; the function evaluates it. Every other
# verb runs as it is. AWSENV_SHELL tells the program which shell called it. `export` in zsh is
# `typeset -gx`, so the eval reaches the globals. awsenv's state variables change only through
# here (and the directory hook), so this is where the prompt segment learns that it must be
# rebuilt, and where renewals held off (see __awsenv_renew) may start again.
awsenv() {
    builtin emulate -L zsh
    __awsenv_prompt_next=0 __awsenv_renew_retry=0
    unset AWSENV_LOGIN_NEEDED
    case "${1-}" in
        use | unset | logout | allow | deny | pin)
            local __awsenv_code
            __awsenv_code="$(AWSENV_SHELL=zsh command "$__awsenv_exe" "$@")" || return
            builtin eval "$__awsenv_code"
            ;;
        *)
            AWSENV_SHELL=zsh command "$__awsenv_exe" "$@"
            ;;
    esac
}

# --- awsenv: directory profiles (.awsenv) --------------------------------------------------
# On each `cd` (chpwd) the nearest .awsenv from $PWD up to / is looked up with builtins only;
# the program runs only when that file differs from the one handled last: it prints the code
# applying the file's profile (if trusted) and a snapshot of what the shell had before, kept in
# __awsenv_dir_restore and evaluated on leaving, without a process. A file is read again when
# the nearest path changes, and after `awsenv allow`, `deny` or `pin` (they call
# __awsenv_dir_refresh). A `use` in a pinned directory holds until the nearest file changes.
typeset -g __awsenv_dir_file="${__awsenv_dir_file-.}" __awsenv_dir_restore="${__awsenv_dir_restore-}"

# The hot path, run on every cd in an interactive shell (scripts that cd switch nothing), stays
# free of `emulate` (~10 µs alone) and uses only constructs that mean the same under any
# options; the rest runs only on a change.
__awsenv_dir_check() {
    [[ -o interactive ]] || return 0
    local dir=$PWD found=
    while [[ $dir != / && ! -f $dir/.awsenv ]]; do
        dir=${dir:h}
    done
    if [[ $dir != / ]]; then
        found=$dir/.awsenv
    elif [[ -f /.awsenv ]]; then
        found=/.awsenv
    fi
    [[ $found != "$__awsenv_dir_file" ]] || return 0
    __awsenv_dir_change "$found"
}

__awsenv_dir_change() {
    builtin emulate -L zsh
    local found="$1" code
    __awsenv_dir_file="$found" __awsenv_prompt_next=0
    if [[ -n "$__awsenv_dir_restore" ]]; then
        builtin eval "$__awsenv_dir_restore" || builtin true
        __awsenv_dir_restore=""
    fi
    # Without a file, the program is needed only to clear a state inherited from a parent shell.
    if [[ -n "$found" || -n "${AWSENV_DIR-}" ]]; then
        if code="$(AWSENV_SHELL=zsh command "$__awsenv_exe" _dir "$found")"; then
            builtin eval "$code" || builtin true
        fi
    fi
    return 0
}

# Forget the file handled last and check again: always, or only when $1 is that file.
__awsenv_dir_refresh() {
    builtin emulate -L zsh
    if [[ $# -eq 0 || "$1" == "$__awsenv_dir_file" ]]; then
        __awsenv_dir_file=.
        __awsenv_dir_check
    fi
    return 0
}

# chpwd does not run for the directory a shell starts in: the first prompt checks that one.
# $? goes on to the next hook, except under `set -e`, where returning it would end the shell.
__awsenv_dir_first_prompt() {
    local status_=$?
    precmd_functions=(${precmd_functions:#__awsenv_dir_first_prompt})
    __awsenv_dir_check
    [[ ! -o errexit ]] || return 0
    return $status_
}

typeset -ag chpwd_functions precmd_functions
chpwd_functions=(${chpwd_functions:#__awsenv_dir_check} __awsenv_dir_check)
if [[ "$__awsenv_dir_file" == . ]]; then
    precmd_functions=(${precmd_functions:#__awsenv_dir_first_prompt} __awsenv_dir_first_prompt)
fi

# --- awsenv: prompt segment and credential renewal -----------------------------------------
# AWSENV_PROMPT holds the segment (profile, region, time left) for '${AWSENV_PROMPT}' in PROMPT
# or RPROMPT (with prompt_subst). A precmd hook keeps it up to date with builtins only (the clock
# is zsh/datetime's EPOCHSECONDS): it rebuilds the segment when the time it shows ticks over,
# when the awsenv function has run (it marks the segment stale), or when a setting users change
# by hand differs (region, format, colours, NO_COLOR, renewal window). The rebuild also works
# out when the keys fall due for renewal (__awsenv_renew_at); until then the preexec hook is one
# comparison, and from then the next command renews them through `awsenv use` and the cached
# SSO token; a failed renewal leaves one line on stderr and the command still runs. The format
# language and the states are those of awsenv/prompt.py (`awsenv prompt`).
builtin zmodload zsh/datetime
typeset -g AWSENV_PROMPT="${AWSENV_PROMPT-}" __awsenv_prompt_key=""
typeset -gi __awsenv_prompt_next=0 __awsenv_renew_retry=0
typeset -gi __awsenv_never=4611686018427387904
typeset -gi __awsenv_renew_at=$__awsenv_never

# The common case is two tests before any option is touched; they read ${VAR-} and use no array,
# so the user's options cannot break them. zsh gives each hook and the prompt the command's $?
# whatever a hook returns, and a hook returning non-zero ends a shell under err_exit.
__awsenv_prompt_hook() {
    if ((EPOCHSECONDS >= __awsenv_prompt_next)) ||
        [[ ${AWS_REGION-}/${AWSENV_RENEW_WINDOW-}/${AWSENV_PROMPT_FORMAT-}/${AWSENV_PROMPT_COLORS-}/${NO_COLOR-} != "$__awsenv_prompt_key" ]]; then
        __awsenv_prompt_update
    fi
    [[ -z ${AWSENV_IDLE_DROP-}${__awsenv_idle_at-} ]] || __awsenv_idle_arm
    return 0
}

__awsenv_prompt_update() {
    __awsenv_prompt_key=${AWS_REGION-}/${AWSENV_RENEW_WINDOW-}/${AWSENV_PROMPT_FORMAT-}/${AWSENV_PROMPT_COLORS-}/${NO_COLOR-}
    if [[ -z "${AWSENV_PROFILE-}" ]]; then
        AWSENV_PROMPT="" __awsenv_prompt_next=$__awsenv_never __awsenv_renew_at=$__awsenv_never
    else
        __awsenv_prompt_render "$EPOCHSECONDS"
    fi
}

# The state at time $1 (ok, soon, renew, login) in __awsenv_state, the time left (or the state
# once expired) in __awsenv_left, in __awsenv_prompt_next when either changes next, and in
# __awsenv_renew_at when the keys fall due for renewal. Numbers are checked before any
# arithmetic, which would evaluate other text as an expression.
__awsenv_state_at() {
    builtin emulate -L zsh
    local now="$1" exp="${AWSENV_EXPIRATION-}" sso="${AWSENV_SSO_EXPIRATION-}" window="${AWSENV_RENEW_WINDOW-}"
    local until="${AWSENV_SSO_REFRESH_UNTIL-}" left=0 next=60 days hours minutes
    [[ -n "$exp" && "$exp" != *[^0-9]* ]] || exp=""
    [[ -n "$sso" && "$sso" != *[^0-9]* ]] || sso=""
    [[ -n "$until" && "$until" != *[^0-9]* ]] || until=0
    [[ -n "$window" && "$window" != *[^0-9]* ]] || window=300
    typeset -g __awsenv_state=ok __awsenv_left=""
    __awsenv_renew_at=$__awsenv_never
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
            __awsenv_left="${hours}h${(l:2::0:)minutes}m"
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
# in %{..%} so that they take no width, "%" in text becomes "%%" so that it is no prompt escape,
# and control characters in values become "?" so that a profile name cannot drive the terminal.
__awsenv_prompt_render() {
    builtin emulate -L zsh
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
        value="${colors##*:$__awsenv_state=}"
        value="${value%%:*}"
        [[ "$value" == *[^0-9\;]* ]] || code="$value"
    fi
    if [[ -z "${NO_COLOR-}" && -n "$code" ]]; then
        sgr="%{"$'\e['"$code"'m%}' reset="%{"$'\e[0m'"%}"
    fi
    # The mark's colour: env.NAME, else env, else the default (production stands out).
    local env="${AWSENV_ENV-}" envcode="" envsgr=""
    if [[ -n "$env" ]]; then
        case "${(L)env}" in
            prod | production) envcode="1;97;41" ;;
            *) envcode=36 ;;
        esac
        for name in env "env.$env"; do
            if [[ "$colors" == *":$name="* ]]; then
                value="${colors##*":$name="}"
                value="${value%%:*}"
                [[ "$value" == *[^0-9\;]* ]] || envcode="$value"
            fi
        done
        if [[ -z "${NO_COLOR-}" && -n "$envcode" ]]; then
            envsgr="%{"$'\e['"$envcode"'m%}' reset="%{"$'\e[0m'"%}"
        fi
    fi
    while ((i < n)); do
        i=$((i + 1))
        c="${fmt[i]}"
        piece="${c//\%/%%}"
        case "$c" in
            \\)
                if ((i < n)); then
                    i=$((i + 1))
                    piece="${fmt[i]//\%/%%}"
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
                value="${fmt[i + 1, -1]}"
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
                            value="${value//[[:cntrl:]]/?}"
                            piece="${value//\%/%%}"
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

# Before each command ($1, the line as typed). Like the prompt hook this runs every time, so
# options are set only once the keys are due.
__awsenv_preexec() {
    ((EPOCHSECONDS < __awsenv_renew_at)) || __awsenv_preexec_due "$1"
    return 0
}

# The keys are due: renew them, unless the command is itself `awsenv use`, `unset`, `login` or
# `logout`. A renewal that finds only a sign-in can help exports AWSENV_LOGIN_NEEDED (the expiry
# it gave up on), which holds renewals off and shows in the prompt until an awsenv command
# clears it. After any other attempt the next waits 30 s: after a failure, or keys still due (a
# renewal window longer than their life), which wait only until they expire if that is sooner.
__awsenv_preexec_due() {
    builtin emulate -L zsh
    local exp="${AWSENV_EXPIRATION-}" window="${AWSENV_RENEW_WINDOW-}" now=$EPOCHSECONDS
    [[ -n "${AWSENV_PROFILE-}" && -n "$exp" && "$exp" != *[^0-9]* ]] || return 0
    [[ -n "$window" && "$window" != *[^0-9]* ]] || window=300
    ((10#$exp - now <= 10#$window)) && [[ "${AWSENV_LOGIN_NEEDED-}" != "$exp" ]] || return 0
    local -a words=(${(z)1})
    if [[ "${words[1]-}" == awsenv ]]; then
        case "${words[2]-}" in
            use | unset | login | logout) return 0 ;;
        esac
    fi
    __awsenv_renew "$now"
}

# Renews the keys at time $1, then rebuilds the segment, which also works out when the next
# renewal falls due.
__awsenv_renew() {
    builtin emulate -L zsh
    local rc=0 exp
    if [[ -n "${AWSENV_REGION_OVERRIDE-}" ]]; then
        awsenv use "$AWSENV_PROFILE" --region "$AWSENV_REGION_OVERRIDE" || rc=$?
    else
        awsenv use "$AWSENV_PROFILE" || rc=$?
    fi
    case "$rc" in
        4 | 5 | 6) export AWSENV_LOGIN_NEEDED="${AWSENV_EXPIRATION-}" ;;
    esac
    __awsenv_renew_retry=$(($1 + 30)) exp="${AWSENV_EXPIRATION-}"
    if [[ $rc == 0 && -n "$exp" && "$exp" != *[^0-9]* ]] && ((10#$exp > EPOCHSECONDS && 10#$exp < __awsenv_renew_retry)); then
        __awsenv_renew_retry=$((10#$exp))
    fi
    __awsenv_prompt_update
}

# --- awsenv: a production profile's keys leave an idle shell ------------------------------
# `awsenv use` exports AWSENV_IDLE_DROP (seconds) for a production profile when the
# idle_drop_minutes setting asks for it. Each prompt sets the deadline, and before the next
# command a comparison tells whether it has passed. Builtins only, no process per prompt.
__awsenv_idle_arm() {
    local drop=${AWSENV_IDLE_DROP-}
    if [[ -z $drop || $drop == *[^0-9]* ]]; then
        unset __awsenv_idle_at
        return 0
    fi
    typeset -gi __awsenv_idle_at=$((EPOCHSECONDS + 10#$drop))
    typeset -gi __awsenv_idle_minutes=$(((10#$drop + 59) / 60))
}

__awsenv_idle_preexec() {
    [[ -z ${__awsenv_idle_at-} ]] || ((EPOCHSECONDS < __awsenv_idle_at)) || __awsenv_idle_drop
    return 0
}

__awsenv_idle_drop() {
    builtin emulate -L zsh
    local profile=${AWSENV_PROFILE-}
    unset __awsenv_idle_at
    awsenv unset || return 0
    printf 'awsenv: dropped the keys of %s after %s min without a command (awsenv use %s)\n' \
        "${profile//[[:cntrl:]]/?}" "$__awsenv_idle_minutes" "${profile//[[:cntrl:]]/?}" >&2
}

# `awsenv init SHELL --prompt left|right` ends with this call.
__awsenv_prompt_install() {
    builtin setopt prompt_subst
    if [[ "${1-}" == right ]]; then
        [[ "${RPROMPT-}" == *AWSENV_PROMPT* ]] || RPROMPT='${AWSENV_PROMPT}'"${RPROMPT:+ $RPROMPT}"
    else
        [[ "${PROMPT-}" == *AWSENV_PROMPT* ]] || PROMPT='${AWSENV_PROMPT:+$AWSENV_PROMPT }'"${PROMPT-}"
    fi
}

typeset -ag precmd_functions preexec_functions
precmd_functions=(${precmd_functions:#__awsenv_prompt_hook} __awsenv_prompt_hook)
preexec_functions=(${preexec_functions:#__awsenv_idle_preexec} __awsenv_idle_preexec)
preexec_functions=(${preexec_functions:#__awsenv_preexec} __awsenv_preexec)

# --- awsenv: completion, loaded on first use -----------------------------------------------
# Reading the completion script would cost a new shell as much as the rest of this file, so
# `awsenv init` registers only this _awsenv at start: the first completion sources the script
# ($__awsenv_completion, set by `init`), whose _awsenv replaces this one, and completes.
_awsenv() {
    builtin source "${__awsenv_completion-}" && _awsenv "$@"
}
