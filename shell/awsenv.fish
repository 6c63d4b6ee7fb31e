# awsenv shell integration for fish. Load it with, in ~/.config/fish/config.fish:
#     awsenv init fish | source
# `awsenv init` prints a line setting __awsenv_exe (the program's absolute path) before this
# file, so the function does no PATH lookup.

set -q __awsenv_exe; or set -g __awsenv_exe awsenv

# The verbs that change this shell print shell code; the function sources it. Every other verb
# runs as it is. AWSENV_SHELL tells the program which shell called it. The program prints all
# of its code at once and nothing when it fails, so `source` never runs half of it.
function awsenv --description 'Switch AWS profiles'
    set -lx AWSENV_SHELL fish
    switch "$argv[1]"
        case use unset logout allow deny pin
            command $__awsenv_exe $argv | source
            return $pipestatus[1]
        case '*'
            command $__awsenv_exe $argv
    end
end

# --- awsenv: directory profiles (.awsenv) --------------------------------------------------
# When PWD changes in an interactive shell, the nearest .awsenv from $PWD up to / is looked up
# with builtins only; the program runs only when that file differs from the one handled last:
# it prints the code applying the file's profile (if trusted) and a snapshot of what the shell
# had before, kept in __awsenv_dir_restore and evaluated on leaving, without a process. A file
# is read again when the nearest path changes, and after `awsenv allow`, `deny` or `pin` (they
# call __awsenv_dir_refresh). A `use` in a pinned directory holds until the nearest file changes.
set -q __awsenv_dir_file; or set -g __awsenv_dir_file .
set -q __awsenv_dir_restore; or set -g __awsenv_dir_restore ''

# The walk, for fish >= 3.5, in two builtins: the candidates are $PWD/.awsenv and the same
# with `/..` appended up to 15 times, resolved lexically by `path normalize` (so the parent of
# a symlinked directory is the one in $PWD, as in bash and zsh; extra `..` stop at /), and one
# `path filter` tests them all, nearest first. Deeper directories walk level by level.
set -g __awsenv_dir_ups '' /.. /../.. /../../.. /../../../.. /../../../../.. /../../../../../.. /../../../../../../.. /../../../../../../../.. /../../../../../../../../.. /../../../../../../../../../.. /../../../../../../../../../../.. /../../../../../../../../../../../.. /../../../../../../../../../../../../.. /../../../../../../../../../../../../../.. /../../../../../../../../../../../../../../..
function __awsenv_dir_check_path
    if string match -q -- '/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*' $PWD
        __awsenv_dir_check_test
        return 0
    end
    set -l found ''
    if path normalize -Z -- $PWD$__awsenv_dir_ups/.awsenv | path filter -z -q -f
        set found (path normalize -Z -- $PWD$__awsenv_dir_ups/.awsenv | path filter -z -Z -f | string split0)[1]
    end
    test "$found" = "$__awsenv_dir_file"; or __awsenv_dir_change $found
end

# The walk, for older fish: top-down from /, the last file found is the nearest.
function __awsenv_dir_check_test
    set -l found ''
    set -l dir ''
    test -f /.awsenv; and set found /.awsenv
    printf %s $PWD | read -lz -a --delimiter / parts
    for part in $parts
        test -n "$part"; or continue
        set dir "$dir/$part"
        test -f "$dir/.awsenv"; and set found "$dir/.awsenv"
    end
    test "$found" = "$__awsenv_dir_file"; or __awsenv_dir_change $found
end

functions -q __awsenv_dir_check; and functions -e __awsenv_dir_check
if builtin -q path
    functions -c __awsenv_dir_check_path __awsenv_dir_check
else
    functions -c __awsenv_dir_check_test __awsenv_dir_check
end

# The nearest file is now $argv[1] (empty: none): put back what the shell had, then apply it.
function __awsenv_dir_change --argument-names found
    set -g __awsenv_dir_file $found
    if test -n "$__awsenv_dir_restore"
        eval $__awsenv_dir_restore
        set -g __awsenv_dir_restore ''
    end
    # Without a file, the program is needed only to clear a state inherited from a parent shell.
    if test -n "$found" -o -n "$AWSENV_DIR"
        AWSENV_SHELL=fish command $__awsenv_exe _dir $found | source
    end
    return 0
end

# Forget the file handled last and check again: always, or only when $argv[1] is that file.
function __awsenv_dir_refresh
    if test (count $argv) -eq 0; or test "$argv[1]" = "$__awsenv_dir_file"
        set -g __awsenv_dir_file .
        __awsenv_dir_check
    end
    return 0
end

function __awsenv_dir_on_pwd --on-variable PWD
    status is-interactive; or return 0
    __awsenv_dir_check
end

# PWD does not change when a shell starts: the first prompt checks the starting directory.
if test "$__awsenv_dir_file" = .
    function __awsenv_dir_first_prompt --on-event fish_prompt
        functions -e __awsenv_dir_first_prompt
        __awsenv_dir_check
    end
end

# --- awsenv: prompt segment and credential renewal -----------------------------------------
# AWSENV_PROMPT holds the segment (profile, region, time left) for "$AWSENV_PROMPT" in a prompt
# function. A fish_prompt handler keeps it up to date without starting a process, and rebuilds
# it only when its inputs change or the time it shows ticks over. Before each command
# (fish_preexec), credentials within AWSENV_RENEW_WINDOW seconds (default 300) of expiry are
# renewed by `awsenv use`, through the cached SSO token; a failed renewal leaves one line on
# stderr and the command still runs. The format language and the states are those of
# awsenv/prompt.py (`awsenv prompt`).
#
# fish has no clock builtin and a command substitution costs it about as much as the rest of a
# prompt, so the hooks do not read the clock: they read a tick (the whole seconds of
# /proc/uptime, one `read`) and compare it with the tick at which the segment must be rebuilt
# (__awsenv_prompt_due) or the keys fall due (__awsenv_renew_due), both worked out with the
# clock by each rebuild. A change of any input marks both due at once (__awsenv_stale).
set -q AWSENV_PROMPT; or set -g AWSENV_PROMPT ''
set -g __awsenv_prompt_next 0
set -g __awsenv_prompt_due 0
set -g __awsenv_renew_at 0
set -g __awsenv_renew_due 0
set -g __awsenv_renew_retry 0
set -g __awsenv_never 4611686018427387904

# fish has no clock builtin. `path mtime` (fish >= 3.5) gives a file's mtime and its age, whose
# sum is now. Older fish count /proc/uptime from a `date` taken at most once a minute.
function __awsenv_clock_path
    set -g __awsenv_now (math (path mtime /) + (path mtime -R /))
end

function __awsenv_clock_uptime
    set -l up -1
    if test -r /proc/uptime
        read -l line </proc/uptime
        set up (string split -m1 . -- $line)[1]
    end
    if test $up -lt 0; or not set -q __awsenv_clock_base[1]; or test (math $up - $__awsenv_clock_up) -ge 60
        set -g __awsenv_clock_base (command date +%s)
        set -g __awsenv_clock_up $up
    end
    set -g __awsenv_now (math $__awsenv_clock_base + $up - $__awsenv_clock_up)
end

functions -q __awsenv_clock; and functions -e __awsenv_clock
if builtin -q path
    functions -c __awsenv_clock_path __awsenv_clock
else
    functions -c __awsenv_clock_uptime __awsenv_clock
end

# The hooks' common case: one `read` and one `test`. Without /proc/uptime the tick is the clock.
functions -q __awsenv_tick; and functions -e __awsenv_tick
if test -r /proc/uptime
    function __awsenv_prompt_hook --on-event fish_prompt
        read -d . -l tick fraction </proc/uptime
        test "$tick" -lt $__awsenv_prompt_due; or __awsenv_prompt_update
    end

    function __awsenv_preexec --on-event fish_preexec
        read -d . -l tick fraction </proc/uptime
        test "$tick" -lt $__awsenv_renew_due; or __awsenv_preexec_due $argv
    end

    function __awsenv_tick
        read -d . -g __awsenv_tick fraction </proc/uptime
    end
else
    function __awsenv_prompt_hook --on-event fish_prompt
        __awsenv_clock
        test $__awsenv_now -lt $__awsenv_prompt_due; or __awsenv_prompt_update
    end

    function __awsenv_preexec --on-event fish_preexec
        __awsenv_clock
        test $__awsenv_now -lt $__awsenv_renew_due; or __awsenv_preexec_due $argv
    end

    function __awsenv_tick
        set -g __awsenv_tick $__awsenv_now
    end
end

function __awsenv_stale --on-variable AWSENV_PROFILE --on-variable AWSENV_ENV --on-variable AWS_REGION \
    --on-variable AWSENV_EXPIRATION --on-variable AWSENV_SSO_EXPIRATION \
    --on-variable AWSENV_SSO_REFRESH_UNTIL --on-variable AWSENV_LOGIN_NEEDED \
    --on-variable AWSENV_RENEW_WINDOW --on-variable AWSENV_PROMPT_FORMAT \
    --on-variable AWSENV_PROMPT_COLORS --on-variable NO_COLOR
    set -g __awsenv_prompt_due 0
    set -g __awsenv_renew_due 0
end

# Rebuilds the segment and works out the ticks at which the hooks must look again: a second
# early rather than late, as the tick and the clock may be a second apart. While a sign-in is
# needed every command is looked at, for an `awsenv` command that clears it.
function __awsenv_prompt_update
    if test -z "$AWSENV_PROFILE"
        set -g AWSENV_PROMPT ''
        set -g __awsenv_prompt_due $__awsenv_never
        set -g __awsenv_renew_due $__awsenv_never
        return 0
    end
    __awsenv_clock
    __awsenv_tick
    __awsenv_prompt_render $__awsenv_now
    set -l offset (math $__awsenv_tick - $__awsenv_now - 1)
    set -g __awsenv_prompt_due (math $__awsenv_prompt_next + $offset)
    if set -q AWSENV_LOGIN_NEEDED
        set -g __awsenv_renew_due 0
    else if test $__awsenv_renew_at -lt $__awsenv_never
        set -g __awsenv_renew_due (math $__awsenv_renew_at + $offset)
    else
        set -g __awsenv_renew_due $__awsenv_never
    end
end

# The state at time $argv[1] (ok, soon, renew, login) in __awsenv_state, the time left (or the
# state once expired) in __awsenv_left, and in __awsenv_prompt_next when either changes next.
function __awsenv_state_at --argument-names now
    set -l exp $AWSENV_EXPIRATION
    set -l sso $AWSENV_SSO_EXPIRATION
    set -l until $AWSENV_SSO_REFRESH_UNTIL
    set -l window $AWSENV_RENEW_WINDOW
    string match -qr '^[0-9]+$' -- "$exp"; or set exp ''
    string match -qr '^[0-9]+$' -- "$sso"; or set sso ''
    string match -qr '^[0-9]+$' -- "$until"; or set until 0
    string match -qr '^[0-9]+$' -- "$window"; or set window 300
    set -l left 0
    set -l next 60
    set -g __awsenv_state ok
    set -g __awsenv_left ''
    set -g __awsenv_renew_at $__awsenv_never
    if test -n "$exp"
        set __awsenv_renew_at (math $exp - $window)
        test $__awsenv_renew_at -ge $__awsenv_renew_retry; or set __awsenv_renew_at $__awsenv_renew_retry
        set left (math $exp - $now)
        if test "$AWSENV_LOGIN_NEEDED" = "$exp"
            set __awsenv_state login
        else if test $left -gt $window
            set __awsenv_state ok
        else if test $left -gt 0
            set __awsenv_state soon
        else if test -z "$sso"; or test $sso -gt $now; or test $until -gt $now
            set __awsenv_state renew
        else
            set __awsenv_state login
        end
    else if test -n "$sso"
        set left (math $sso - $now)
        if test $left -le 0
            set __awsenv_state login
            test $until -le $now; or set __awsenv_state renew
        end
    end
    if test $left -gt 0
        set -l days (math --scale=0 $left / 86400)
        set -l hours (math --scale=0 $left % 86400 / 3600)
        set -l minutes (math --scale=0 $left % 3600 / 60)
        if test $days -gt 0
            set __awsenv_left {$days}d{$hours}h
        else if test $hours -gt 0 -a $minutes -gt 0
            set __awsenv_left (printf '%dh%02dm' $hours $minutes)
        else if test $hours -gt 0
            set __awsenv_left {$hours}h
        else
            set __awsenv_left {$minutes}m
        end
        set next (math $left % 60 + 1)
        if test $left -gt $window -a (math $left - $window) -lt $next
            set next (math $left - $window)
        end
        test $next -le $left; or set next $left
    else if test $__awsenv_state != ok
        set __awsenv_left $__awsenv_state
    end
    set -g __awsenv_prompt_next (math $now + $next)
end

# Expands AWSENV_PROMPT_FORMAT into AWSENV_PROMPT for the time $argv[1]. Control characters in
# values become "?" so that a profile name cannot drive the terminal. The state also tells when
# a renewal falls due (__awsenv_renew_at), so that the preexec hook only compares.
function __awsenv_prompt_render --argument-names now
    __awsenv_state_at $now
    set -l fmt $AWSENV_PROMPT_FORMAT
    test -n "$fmt"; or set fmt 'aws:{profile}( {region})( {color}{left}{reset})( {envcolor}{env}{reset})'
    set -l code 31
    switch $__awsenv_state
        case ok
            set code 32
        case soon renew
            set code 33
    end
    set -l chosen
    for entry in (string split : -- "$AWSENV_PROMPT_COLORS")
        set -l pair (string split -m1 = -- $entry)
        if test (count $pair) -eq 2 -a "$pair[1]" = "$__awsenv_state"
            set chosen $pair[2]
        end
    end
    if set -q chosen[1]; and string match -qr '^[0-9;]*$' -- "$chosen"
        set code $chosen
    end
    set -l sgr ''
    set -l reset ''
    if test -z "$NO_COLOR" -a -n "$code"
        set sgr \e\[{$code}m
        set reset \e\[0m
    end
    # The mark's colour: env.NAME, else env, else the default (production stands out).
    set -l envsgr ''
    if test -n "$AWSENV_ENV"
        set -l envcode 36
        contains -- (string lower -- $AWSENV_ENV) prod production; and set envcode '1;97;41'
        for key in env "env.$AWSENV_ENV"
            set -l given
            for entry in (string split : -- "$AWSENV_PROMPT_COLORS")
                set -l pair (string split -m1 = -- $entry)
                if test (count $pair) -eq 2; and test "$pair[1]" = $key
                    set given $pair[2]
                end
            end
            if set -q given[1]; and string match -qr '^[0-9;]*$' -- "$given"
                set envcode $given
            end
        end
        if test -z "$NO_COLOR" -a -n "$envcode"
            set envsgr \e\[{$envcode}m
            set reset \e\[0m
        end
    end
    set -l chars (string split '' -- $fmt)
    set -l n (count $chars)
    set -l i 0
    set -l out ''
    set -l group ''
    set -l ingroup 0
    set -l shown 0
    while test $i -lt $n
        set i (math $i + 1)
        set -l c $chars[$i]
        set -l piece $c
        switch $c
            case '\\'
                if test $i -lt $n
                    set i (math $i + 1)
                    set piece $chars[$i]
                end
            case '('
                if test $ingroup = 0
                    set ingroup 1
                    set group ''
                    set shown 0
                    continue
                end
            case ')'
                if test $ingroup = 1
                    test $shown = 1; and set out "$out$group"
                    set ingroup 0
                    continue
                end
            case '{'
                set -l rest (string sub -s (math $i + 1) -- $fmt)
                if string match -q '*}*' -- "$rest"
                    set -l name (string split -m1 '}' -- "$rest")[1]
                    set -l value
                    switch $name
                        case profile
                            set value $AWSENV_PROFILE
                        case region
                            set value $AWS_REGION
                        case left
                            set value $__awsenv_left
                        case state
                            set value $__awsenv_state
                        case env
                            set value $AWSENV_ENV
                        case color
                            set piece $sgr
                        case envcolor
                            set piece $envsgr
                        case reset
                            set piece $reset
                    end
                    switch $name
                        case profile region left state env
                            test -n "$value"; and set shown 1
                            set piece (string replace -ra '[\x00-\x1f\x7f-\x9f]' '?' -- "$value")
                            set i (math $i + (string length -- $name) + 1)
                        case color reset envcolor
                            set i (math $i + (string length -- $name) + 1)
                    end
                end
        end
        if test $ingroup = 1
            set group "$group$piece"
        else
            set out "$out$piece"
        end
    end
    test $ingroup = 1 -a $shown = 1; and set out "$out$group"
    set -g AWSENV_PROMPT $out
end

# Before a command ($argv[1], the line as typed) once the keys are due: renew them, unless the
# command is itself `awsenv use`, `unset`, `login` or `logout`. After a renewal found that only
# a sign-in can help, AWSENV_LOGIN_NEEDED holds the expiry it gave up on, so the next commands
# do not ask again; any `awsenv` command clears it. Other failures are retried after 30 s.
function __awsenv_preexec_due
    test -n "$AWSENV_PROFILE"; or return 0
    __awsenv_clock
    test $__awsenv_now -lt $__awsenv_renew_at; and not set -q AWSENV_LOGIN_NEEDED; and return 0
    set -l exp $AWSENV_EXPIRATION
    string match -qr '^[0-9]+$' -- "$exp"; or return 0
    set -l window $AWSENV_RENEW_WINDOW
    string match -qr '^[0-9]+$' -- "$window"; or set window 300
    set -l due 0
    test (math $exp - $__awsenv_now) -le $window; and set due 1
    if set -q AWSENV_LOGIN_NEEDED; or test $due = 1
        if string match -qr '^\s*awsenv(\s|$)' -- $argv[1]
            set -eg AWSENV_LOGIN_NEEDED
            string match -qr '^\s*awsenv\s+(use|unset|login|logout)(\s|$)' -- $argv[1]; and return 0
        end
    end
    if test "$AWSENV_LOGIN_NEEDED" != "$exp" -a $due = 1 -a $__awsenv_now -ge $__awsenv_renew_retry
        __awsenv_renew
    end
    return 0
end

function __awsenv_renew
    if test -n "$AWSENV_REGION_OVERRIDE"
        awsenv use $AWSENV_PROFILE --region $AWSENV_REGION_OVERRIDE
    else
        awsenv use $AWSENV_PROFILE
    end
    switch $status
        case 0
            set -g __awsenv_renew_retry 0
        case 4 5 6
            set -gx AWSENV_LOGIN_NEEDED $AWSENV_EXPIRATION
        case '*'
            set -g __awsenv_renew_retry (math $__awsenv_now + 30)
            set -g __awsenv_prompt_due 0
    end
end

# --- awsenv: a production profile's keys leave an idle shell ------------------------------
# `awsenv use` exports AWSENV_IDLE_DROP (seconds) for a production profile when the
# idle_drop_minutes setting asks for it. Each prompt sets the deadline, and before the next
# command a comparison tells whether it has passed. No process per prompt.
function __awsenv_idle_arm --on-event fish_prompt
    set -q AWSENV_IDLE_DROP; or set -q __awsenv_idle_at; or return 0
    if not string match -qr '^[0-9]+$' -- "$AWSENV_IDLE_DROP"
        set -eg __awsenv_idle_at
        return 0
    end
    __awsenv_clock
    set -g __awsenv_idle_at (math $__awsenv_now + $AWSENV_IDLE_DROP)
    set -g __awsenv_idle_after $AWSENV_IDLE_DROP
end

function __awsenv_idle_preexec --on-event fish_preexec
    set -q __awsenv_idle_at; or return 0
    __awsenv_clock
    test $__awsenv_now -lt $__awsenv_idle_at; and return 0
    set -l profile (string replace -ra '[\x00-\x1f\x7f-\x9f]' '?' -- "$AWSENV_PROFILE")
    set -l minutes (math --scale=0 "($__awsenv_idle_after + 59) / 60")
    set -eg __awsenv_idle_at
    awsenv unset; or return 0
    printf 'awsenv: dropped the keys of %s after %s min without a command (awsenv use %s)\n' \
        "$profile" $minutes "$profile" >&2
end

# `awsenv init fish --prompt left|right` ends with this call: the prompt function is kept under
# another name and called after the segment, with its $status intact.
function __awsenv_prompt_install --argument-names side
    set -l target fish_prompt
    test "$side" = right; and set target fish_right_prompt
    functions -q __awsenv_user_$target; and return 0
    if functions -q $target
        functions -c $target __awsenv_user_$target
    else
        function __awsenv_user_$target
        end
    end
    if test $target = fish_right_prompt
        function fish_right_prompt
            set -l last $status
            printf '%s' $AWSENV_PROMPT
            __awsenv_return $last
            set -l theirs (__awsenv_user_fish_right_prompt)
            test -n "$AWSENV_PROMPT" -a -n "$theirs"; and printf ' '
            printf '%s' $theirs
        end
    else
        function fish_prompt
            set -l last $status
            test -n "$AWSENV_PROMPT"; and printf '%s ' $AWSENV_PROMPT
            __awsenv_return $last
            __awsenv_user_fish_prompt
        end
    end
end

function __awsenv_return
    return $argv[1]
end

# --- awsenv: completion, loaded on first use -----------------------------------------------
# Reading the completion script would cost a new shell more than the rest of this file: fish
# reads it from fish_complete_path the first time awsenv is completed. `init` sets
# __awsenv_completion to its path.
if set -q __awsenv_completion[1]
    set -l dir (string replace -r '/[^/]*$' '' -- $__awsenv_completion)
    if not contains -- $dir $fish_complete_path
        set -g fish_complete_path $fish_complete_path $dir
    end
end
