# awsenv completion for zsh: the part written by hand. `awsenv completions zsh` puts the
# generated completion functions (_awsenv and one per command) before it.
#
# Profile and sso-session names come from the config and credentials files, read by zsh
# itself: completing one starts no process. They are kept in the same cache files as the bash
# completion (in $XDG_CACHE_HOME/awsenv, which `awsenv init` creates), used while neither file
# has changed since the parse that wrote them.

# Adds the section names of one file to __awsenv_profiles and __awsenv_sessions, as botocore
# finds them: lines starting with `[`, the header up to `]`; in the config file `default`,
# `profile NAME` and `sso-session NAME` (NAME maybe in double quotes), in the credentials file
# every section the config did not already name. $1: the file, $2: config or credentials.
__awsenv_comp_parse() {
    emulate -L zsh
    setopt extended_glob
    [[ -f $1 && -r $1 ]] || return 0
    local -a lines heads
    lines=("${(@f)$(<$1)}")
    heads=(${${(M)lines:#\[*\]*}#\[})
    heads=(${${${heads%%\]*}##[[:space:]]##}%%[[:space:]]##})
    if [[ $2 == credentials ]]; then
        heads=(${heads:#})
        __awsenv_profiles+=(${heads:|__awsenv_profiles})
        return 0
    fi
    local p='profile[[:space:]]##' s='sso-session[[:space:]]##'
    __awsenv_profiles+=(
        ${(M)heads:#default}
        ${${(M)heads:#${~p}[^[:space:]\"\']##}#${~p}}
        ${${${(M)heads:#${~p}\"[^\"]##\"}#${~p}\"}%\"}
    )
    __awsenv_sessions+=(
        ${${(M)heads:#${~s}[^[:space:]\"\']##}#${~s}}
        ${${${(M)heads:#${~s}\"[^\"]##\"}#${~s}\"}%\"}
    )
}

# Sets __awsenv_names to the profile names ($1 = profiles) or sso-session names ($1 =
# sso-sessions), from the cache file when it is current, else parsed from the files (and the
# caches rewritten): the same files, and rules, as the bash completion's.
__awsenv_comp_names() {
    emulate -L zsh
    local config=${AWS_CONFIG_FILE:-$HOME/.aws/config}
    local credentials=${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}
    [[ $config == \~/* ]] && config=$HOME/${config#\~/}
    [[ $credentials == \~/* ]] && credentials=$HOME/${credentials#\~/}
    local dir=${XDG_CACHE_HOME:-$HOME/.cache}/awsenv mark=+ cmark=+ token=
    local stamp=$dir/completion-stamp cache=$dir/completion-$1
    [[ -e $config ]] || mark=-
    [[ -e $credentials ]] || cmark=-
    # (zsh's -nt is false when the second file is missing; bash's is true.)
    if [[ -f $cache && -f $stamp && ( $mark == - || $stamp -nt $config ) &&
        ( $cmark == - || $stamp -nt $credentials ) ]] &&
        read -r token <$stamp 2>/dev/null; then
        __awsenv_names=("${(@f)$(<$cache)}")
        if (( $#__awsenv_names >= 4 )) && [[ $__awsenv_names[-4] == ']awsenv completion names 2' &&
            $__awsenv_names[-3] == "]$token" && $__awsenv_names[-2] == "]$mark$config" &&
            $__awsenv_names[-1] == "]$cmark$credentials" ]]; then
            __awsenv_names[-4,-1]=()
            return 0
        fi
    fi
    local -a __awsenv_profiles __awsenv_sessions trailer
    token=$$.$RANDOM.${EPOCHREALTIME-}
    trailer=(']awsenv completion names 2' "]$token" "]$mark$config" "]$cmark$credentials")
    [[ -d $dir ]] && print -r -- $token 2>/dev/null >|$stamp
    __awsenv_comp_parse $config config
    __awsenv_comp_parse $credentials credentials
    if [[ -d $dir ]]; then
        print -rl -- $__awsenv_profiles $trailer 2>/dev/null >|$dir/completion-profiles
        print -rl -- $__awsenv_sessions $trailer 2>/dev/null >|$dir/completion-sso-sessions
    fi
    if [[ $1 == profiles ]]; then
        __awsenv_names=($__awsenv_profiles)
    else
        __awsenv_names=($__awsenv_sessions)
    fi
}

__awsenv_complete_profiles() {
    local -a __awsenv_names expl
    __awsenv_comp_names profiles
    _wanted profiles expl profile compadd -a __awsenv_names
}

__awsenv_complete_sso_sessions() {
    local -a __awsenv_names expl
    __awsenv_comp_names sso-sessions
    _wanted sso-sessions expl sso-session compadd -a __awsenv_names
}

# The command line given to `exec`, completed as zsh would complete it on its own. The last
# argument (after what _arguments passes) is how many positional arguments precede it.
__awsenv_complete_command_line() {
    local skip=${argv[-1]}
    [[ ${words[skip + 1]-} == -- ]] && (( CURRENT > skip + 1 )) && (( skip++ ))
    (( CURRENT > skip )) || return 1
    shift $skip words
    (( CURRENT -= skip ))
    _normal
}

# `awsenv init` runs what follows at start, after a _awsenv that loads this script on first
# use; the rest of the script is only read when awsenv is completed.
if (( ${+functions[compdef]} )); then
    compdef _awsenv awsenv
else
    # compinit often runs after this in .zshrc: register at the first prompt instead.
    __awsenv_compdef() {
        (( ${+functions[compdef]} )) && compdef _awsenv awsenv
        precmd_functions=(${precmd_functions:#__awsenv_compdef})
        return 0
    }
    typeset -ag precmd_functions
    precmd_functions=(${precmd_functions:#__awsenv_compdef} __awsenv_compdef)
fi
