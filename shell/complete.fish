# awsenv completion for fish: the part written by hand. `awsenv completions fish` puts the
# generated command table (__awsenv_comp_spec) and the `complete` lines before it.
#
# Profile and sso-session names come from the config and credentials files, read by fish's
# own `string` builtin: completing one starts no process.

# Where the command line before the cursor stands, one value a line: the command path, how
# many positional arguments it has, 1 when the next word is an option's value, 1 once options
# have ended (after `--`, or after the first argument of `exec`), and the index in
# `commandline -opc` where the command to run starts (0 when none). Kept for the line at hand:
# every `complete` condition asks.
function __awsenv_comp_state
    set -l line (commandline -cp)
    if test "$line" = "$__awsenv_comp_line"
        string join \n -- $__awsenv_comp_memo
        return
    end
    set -l tokens (commandline -opc)
    set -l path ''
    set -l spec (__awsenv_comp_spec '')
    set -l positionals 0
    set -l expecting 0
    set -l ended 0
    set -l rest 0
    set -l i 1
    set -e tokens[1]
    for token in $tokens
        set i (math $i + 1)
        if test -n "$spec[1]"
            # A group: the next word that is no option names the subcommand.
            string match -q -- '-*' $token; and continue
            set path (string trim -- "$path $token")
            set spec (__awsenv_comp_spec $path); or break
            continue
        end
        if test $rest -gt 0
            set positionals (math $positionals + 1)
        else if test $expecting = 1
            set expecting 0
        else if test $ended = 0; and test "$token" = --
            set ended 1
        else if test $ended = 0; and string match -q -- '-*' $token
            if not string match -q -- '*=*' $token
                and contains -- $token (string split ' ' -- $spec[2])
                set expecting 1
            end
        else
            set positionals (math $positionals + 1)
            if contains -- - (string split ' ' -- $spec[2])
                set ended 1
                set rest (math $i + 1)
            end
        end
    end
    set -g __awsenv_comp_line $line
    set -g __awsenv_comp_memo $path $positionals $expecting $ended $rest
    string join \n -- $__awsenv_comp_memo
end

# At the command path $argv (none: awsenv itself), with a subcommand to name.
function __awsenv_comp_at
    set -l state (__awsenv_comp_state)
    test "$state[1]" = "$argv"; and test "$state[3]" = 0
end

# At the command $argv, where options may still be given (fish itself tells an option's
# value from a new option).
function __awsenv_comp_options
    set -l state (__awsenv_comp_state)
    test "$state[1]" = "$argv"; and test "$state[4]" = 0
end

# At the command $argv[2..], completing its positional argument $argv[1] (`N+`: N or later).
function __awsenv_comp_argument
    set -l state (__awsenv_comp_state)
    test "$state[1]" = "$argv[2..-1]"; and test "$state[3]" = 0; or return 1
    set -l position (math $state[2] + 1)
    set -l wanted (string trim -r -c + -- $argv[1])
    if string match -q -- '*+' $argv[1]
        test $position -ge $wanted
    else
        test $position -eq $wanted
    end
end

# The files botocore reads, `~` expanded.
function __awsenv_comp_files
    set -l config $AWS_CONFIG_FILE
    set -q config[1]; and test -n "$config"; or set config ~/.aws/config
    set -l credentials $AWS_SHARED_CREDENTIALS_FILE
    set -q credentials[1]; and test -n "$credentials"; or set credentials ~/.aws/credentials
    string replace -r '^~/' "$HOME/" -- $config $credentials
end

# Profile names as botocore finds them: `[default]` and `[profile NAME]` in the config file
# (NAME maybe in double quotes), every section of the credentials file.
function __awsenv_complete_profiles
    set -l files (__awsenv_comp_files)
    if test -f $files[1] -a -r $files[1]
        string replace -rf '^\[\s*(?:profile\s+(?:"([^"\]]+)"|([^\s"\'\]]+))|(default))\s*\].*$' \
            '$1$2$3' <$files[1]
    end
    if test -f $files[2] -a -r $files[2]
        string replace -rf '^\[\s*([^\]]*?)\s*\].*$' '$1' <$files[2] | string match -v ''
    end
end

function __awsenv_complete_sso_sessions
    set -l files (__awsenv_comp_files)
    if test -f $files[1] -a -r $files[1]
        string replace -rf '^\[\s*sso-session\s+(?:"([^"\]]+)"|([^\s"\'\]]+))\s*\].*$' \
            '$1$2' <$files[1]
    end
end

# The command line given to `exec`, completed as fish would complete it on its own.
function __awsenv_complete_command_line
    set -l state (__awsenv_comp_state)
    set -l tokens (commandline -opc)
    set -l words $tokens[$state[5]..-1]
    test "$words[1]" = --; and set -e words[1]
    complete -C (string join ' ' -- (string escape -- $words) (commandline -ct))
end
