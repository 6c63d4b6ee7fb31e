# awsenv completion for bash: the part written by hand. `awsenv completions bash` puts the
# generated command table (__awsenv_comp_spec) before it.
#
# Profile and sso-session names come from the config and credentials files, read by bash
# itself: completing one starts no process. Parsing 2,000 profiles costs bash tens of
# milliseconds, so the names are kept in cache files (in $XDG_CACHE_HOME/awsenv, which
# `awsenv init` creates), shared with zsh, used while neither file has changed since the parse
# that wrote them; a shell that finds them stale parses again and rewrites them.

# Adds the section names of one file to __awsenv_profiles and __awsenv_sessions, as botocore
# finds them: a `[` that starts a line, the header up to `]`; in the config file `default`,
# `profile NAME` and `sso-session NAME`, in the credentials file every section (unless the
# config already named that profile). $1: the file, $2: config or credentials. Splitting at
# `[` makes the loop one turn per section rather than one per line.
__awsenv_comp_parse() {
    [[ -f $1 && -r $1 ]] || return 0
    # Byte-wise matching is faster, and the characters that matter here are ASCII.
    local LC_ALL=C
    local -a chunks
    mapfile -d '[' -t chunks <"$1" 2>/dev/null || return 0
    local chunk head name line_start=0 first=1
    local -A known=()
    if [[ $2 == credentials ]]; then
        for name in ${__awsenv_profiles[@]+"${__awsenv_profiles[@]}"}; do
            known[$name]=1
        done
    fi
    for chunk in "${chunks[@]}"; do
        if ((first)); then
            # The text before the first `[`, empty when the file starts with one.
            first=0
            [[ -z $chunk ]] && line_start=1 && continue
        elif ((line_start)); then
            head=${chunk%%']'*}
            if [[ $head == "$chunk" ]]; then
                :
            elif [[ $2 == credentials ]]; then
                __awsenv_comp_trim
                [[ -n $head && -z ${known[$head]-} ]] && __awsenv_profiles+=("$head")
            else
                case $head in
                    'profile '[!\ ]* | 'sso-session '[!\ ]*)
                        if [[ ${head#* } == *[[:space:]\"\']* ]]; then
                            __awsenv_comp_odd_header
                        elif [[ $head == p* ]]; then
                            __awsenv_profiles+=("${head#profile }")
                        else
                            __awsenv_sessions+=("${head#sso-session }")
                        fi
                        ;;
                    default) __awsenv_profiles+=(default) ;;
                    profile[[:space:]]* | sso-session[[:space:]]* | default[[:space:]]* | [[:space:]]*)
                        __awsenv_comp_odd_header
                        ;;
                esac
            fi
        fi
        if [[ $chunk == *$'\n' ]]; then
            line_start=1
        else
            line_start=0
        fi
    done
}

# Removes the blanks around $head.
__awsenv_comp_trim() {
    head=${head#"${head%%[![:space:]]*}"}
    head=${head%"${head##*[![:space:]]}"}
}

# A config header with odd spacing or a quoted name: split as botocore's shlex would, for
# the plain cases (one name, maybe in double quotes).
__awsenv_comp_odd_header() {
    __awsenv_comp_trim
    local kind=${head%%[[:space:]]*} name=${head#*[[:space:]]}
    name=${name#"${name%%[![:space:]]*}"}
    if [[ $name == \"*\" && $name != \"*\"*\" ]]; then
        name=${name:1:${#name}-2}
    elif [[ $name == *[[:space:]\"\']* ]]; then
        return 0
    fi
    if [[ -n $name && $kind == profile ]]; then
        __awsenv_profiles+=("$name")
    elif [[ -n $name && $kind == sso-session ]]; then
        __awsenv_sessions+=("$name")
    elif [[ $kind == default && -z $name ]]; then
        __awsenv_profiles+=(default)
    fi
}

# Sets __awsenv_names to the profile names ($1 = profiles) or sso-session names ($1 =
# sso-sessions): from the cache file when it is current, else parsed from the files (and the
# caches rewritten). A parse first writes a new token into the stamp file, whose time is then
# older than anything the parse reads; a cache file holds the names, then four lines starting
# with `]` (which no name can hold): a version, that token, and the two paths, each marked `+`
# if the file existed, `-` if not. The cache is current when the stamp still holds its token
# and is newer than both files.
__awsenv_comp_names() {
    local config=${AWS_CONFIG_FILE:-$HOME/.aws/config}
    local credentials=${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}
    [[ $config == \~/* ]] && config=$HOME/${config#\~/}
    [[ $credentials == \~/* ]] && credentials=$HOME/${credentials#\~/}
    local dir=${XDG_CACHE_HOME:-$HOME/.cache}/awsenv mark=+ cmark=+ token=''
    local stamp=$dir/completion-stamp cache=$dir/completion-$1
    [[ -e $config ]] || mark=-
    [[ -e $credentials ]] || cmark=-
    if [[ $stamp -nt $config && $stamp -nt $credentials && -f $cache ]] &&
        read -r token <"$stamp" 2>/dev/null; then
        mapfile -t __awsenv_names <"$cache" 2>/dev/null
        local n=${#__awsenv_names[@]}
        if ((n >= 4)) && [[ ${__awsenv_names[n - 4]} == ']awsenv completion names 2' &&
            ${__awsenv_names[n - 3]} == "]$token" &&
            ${__awsenv_names[n - 2]} == "]$mark$config" &&
            ${__awsenv_names[n - 1]} == "]$cmark$credentials" ]]; then
            unset '__awsenv_names[n - 1]' '__awsenv_names[n - 2]' '__awsenv_names[n - 3]' \
                '__awsenv_names[n - 4]'
            return 0
        fi
    fi
    local -a __awsenv_profiles=() __awsenv_sessions=() trailer
    token=$$.$RANDOM.${EPOCHREALTIME-}
    trailer=(']awsenv completion names 2' "]$token" "]$mark$config" "]$cmark$credentials")
    [[ -d $dir ]] && printf '%s\n' "$token" 2>/dev/null >|"$stamp"
    __awsenv_comp_parse "$config" config
    __awsenv_comp_parse "$credentials" credentials
    if [[ -d $dir ]]; then
        printf '%s\n' ${__awsenv_profiles[@]+"${__awsenv_profiles[@]}"} "${trailer[@]}" \
            2>/dev/null >|"$dir/completion-profiles"
        printf '%s\n' ${__awsenv_sessions[@]+"${__awsenv_sessions[@]}"} "${trailer[@]}" \
            2>/dev/null >|"$dir/completion-sso-sessions"
    fi
    if [[ $1 == profiles ]]; then
        __awsenv_names=(${__awsenv_profiles[@]+"${__awsenv_profiles[@]}"})
    else
        __awsenv_names=(${__awsenv_sessions[@]+"${__awsenv_sessions[@]}"})
    fi
}

# Keeps in __awsenv_names the names that start with $1: a few operations on the whole array
# rather than a loop, which bash runs slowly.
__awsenv_comp_prefixed() {
    [[ -n $1 ]] || return 0
    __awsenv_names=("${__awsenv_names[@]/#"$1"/$'\n\001'}")
    __awsenv_names=("${__awsenv_names[@]/#[!$'\n']*/}")
    local IFS=$'\n'
    # shellcheck disable=SC2206 # split on newlines (the marks); globbing is off (set -f)
    __awsenv_names=(${__awsenv_names[@]})
    __awsenv_names=(${__awsenv_names[@]+"${__awsenv_names[@]/#$'\001'/"$1"}"})
}

# bash splits words at the characters of COMP_WORDBREAKS (`=` and `:` among them): put them
# back together, so that `--shell=ba` and a profile named `org:dev` are one word each. Sets
# __awsenv_words, __awsenv_cword and __awsenv_starts (each word's first index in COMP_WORDS).
__awsenv_comp_words() {
    local line=${COMP_LINE:0:COMP_POINT} word i
    __awsenv_words=() __awsenv_starts=()
    for ((i = 0; i <= COMP_CWORD && i < ${#COMP_WORDS[@]}; i++)); do
        word=${COMP_WORDS[i]}
        if ((i == 0)) || [[ $line == [[:space:]]* ]]; then
            __awsenv_words+=("$word")
            __awsenv_starts+=("$i")
        else
            __awsenv_words[${#__awsenv_words[@]} - 1]+=$word
        fi
        line=${line#"${line%%[![:space:]]*}"}
        line=${line#"$word"}
    done
    if ((COMP_CWORD >= ${#COMP_WORDS[@]})); then
        __awsenv_words+=("")
        __awsenv_starts+=("$COMP_CWORD")
    fi
    __awsenv_cword=$((${#__awsenv_words[@]} - 1))
}

# Adds to COMPREPLY the names in __awsenv_names that start with the word being completed ($1),
# as readline will insert them: without the part of the word up to its last word-break
# character, and quoted when a name holds characters the shell would read as syntax.
__awsenv_comp_offer() {
    local cur=$1 breaks='' prefix='' name
    __awsenv_comp_prefixed "$cur"
    ((${#__awsenv_names[@]})) || return 0
    [[ ${COMP_WORDBREAKS-} == *=* ]] && breaks+='='
    [[ ${COMP_WORDBREAKS-} == *:* ]] && breaks+=':'
    if [[ -n $breaks && $cur == *["$breaks"]* ]]; then
        prefix=${cur%"${cur##*["$breaks"]}"}
        __awsenv_names=("${__awsenv_names[@]#"$prefix"}")
    fi
    local IFS=$'\n'
    if [[ "${__awsenv_names[*]}" == *[!A-Za-z0-9._@%+=:,/$'\n'-]* ]]; then
        for name in "${__awsenv_names[@]}"; do
            [[ $name == *[!A-Za-z0-9._@%+=:,/-]* ]] && printf -v name '%q' "$name"
            COMPREPLY+=("$name")
        done
    else
        COMPREPLY+=("${__awsenv_names[@]}")
    fi
}

# Completes the value ($2, possibly empty) of a word ($1 is what precedes the value in that
# word, as in `--shell=`) that is of kind $3.
__awsenv_comp_value() {
    local before=$1 value=$2 kind=$3 choice
    local -a __awsenv_names=()
    case $kind in
        profile | sso-session)
            if [[ $kind == profile ]]; then
                __awsenv_comp_names profiles
            else
                __awsenv_comp_names sso-sessions
            fi
            ;;
        :*)
            local IFS=:
            for choice in ${kind#:}; do
                __awsenv_names+=("$choice")
            done
            ;;
        file)
            compopt -o default 2>/dev/null
            return 0
            ;;
        directory)
            compopt -o dirnames 2>/dev/null
            return 0
            ;;
        *)
            return 0
            ;;
    esac
    if [[ -n $before ]]; then
        __awsenv_names=(${__awsenv_names[@]+"${__awsenv_names[@]/#/"$before"}"})
    fi
    __awsenv_comp_offer "$before$value"
}

# The command line after `awsenv exec PROFILE [--]`: bash-completion's _command_offset when it
# is loaded, else file names.
__awsenv_comp_command_line() {
    if declare -F _command_offset >/dev/null; then
        _command_offset "$1"
    else
        compopt -o default 2>/dev/null
    fi
}

# The kind of the positional argument at index $1 of the command: the last one repeats when
# it ends in `...`; `command` is the rest of the line.
__awsenv_comp_kind() {
    local last=''
    ((${#__awsenv_argv[@]} == 0)) || last=${__awsenv_argv[${#__awsenv_argv[@]} - 1]}
    if (($1 < ${#__awsenv_argv[@]})); then
        __awsenv_kind=${__awsenv_argv[$1]}
    elif [[ $last == *... ]]; then
        __awsenv_kind=$last
    else
        __awsenv_kind=''
    fi
}

_awsenv() {
    COMPREPLY=()
    local -
    set -f
    local -a __awsenv_words __awsenv_starts __awsenv_argv=()
    local __awsenv_cword __awsenv_subs='' __awsenv_opts='' __awsenv_args='' __awsenv_kind=''
    __awsenv_comp_words
    local cur=${__awsenv_words[__awsenv_cword]} path='' word option i
    local expecting='' ended=0 position=0 rest=-1
    __awsenv_comp_spec "$path"
    for ((i = 1; i <= __awsenv_cword; i++)); do
        word=${__awsenv_words[i]}
        if [[ -n $__awsenv_subs ]]; then
            # A group: the next word that is no option names the subcommand.
            ((i < __awsenv_cword)) || break
            [[ $word == -* ]] && continue
            path=${path:+$path }$word
            __awsenv_comp_spec "$path" || return 0
            # shellcheck disable=SC2206 # split on spaces; globbing is off (set -f)
            __awsenv_argv=($__awsenv_args)
            continue
        fi
        __awsenv_comp_kind "$position"
        if [[ $__awsenv_kind == command && -z $expecting ]]; then
            # What follows the last positional argument is the command to run.
            if ((!ended)) && [[ $word == -- ]] && ((i < __awsenv_cword)); then
                ended=1
                continue
            fi
            rest=$i
            break
        fi
        ((i < __awsenv_cword)) || break
        if [[ -n $expecting ]]; then
            expecting=''
        elif ((!ended)) && [[ $word == -- ]]; then
            ended=1
        elif ((!ended)) && [[ $word == --*=* ]]; then
            :
        elif ((!ended)) && [[ $word == -?* ]]; then
            for option in $__awsenv_opts; do
                [[ $option == "$word="* ]] && expecting=${option#*=}
            done
        elif [[ $__awsenv_kind != *... ]]; then
            position=$((position + 1))
        fi
    done
    if ((rest >= 0)); then
        __awsenv_comp_command_line "${__awsenv_starts[rest]}"
    elif [[ -n $expecting ]]; then
        __awsenv_comp_value '' "$cur" "$expecting"
    elif ((!ended)) && [[ $cur == --*=* ]]; then
        for option in $__awsenv_opts; do
            if [[ $option == "${cur%%=*}="* ]]; then
                __awsenv_comp_value "${cur%%=*}=" "${cur#*=}" "${option#*=}"
            fi
        done
    elif ((!ended)) && [[ $cur == -* ]]; then
        local -a __awsenv_names=()
        for option in $__awsenv_opts; do
            __awsenv_names+=("${option%%=*}")
        done
        __awsenv_comp_offer "$cur"
    elif [[ -n $__awsenv_subs ]]; then
        # shellcheck disable=SC2206 # split on spaces; globbing is off (set -f)
        local -a __awsenv_names=($__awsenv_subs)
        __awsenv_comp_offer "$cur"
    else
        __awsenv_comp_value '' "$cur" "${__awsenv_kind%...}"
    fi
    return 0
}

# `awsenv init` runs what follows at start, after a _awsenv that loads this script on first
# use; the rest of the script is only read when awsenv is completed.
complete -F _awsenv awsenv
