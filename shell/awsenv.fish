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
        case use unset logout
            command $__awsenv_exe $argv | source
            return $pipestatus[1]
        case '*'
            command $__awsenv_exe $argv
    end
end
