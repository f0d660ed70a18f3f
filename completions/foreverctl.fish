# fish completion for foreverctl and forever
function __foreverctl_action
    set -l words (commandline -opc)
    for w in $words[2..-1]
        if not string match -q -- '-*' $w
            echo $w
            return
        end
    end
end
for cmd in foreverctl forever
    complete -c $cmd -f
    complete -c $cmd -n 'test -z (__foreverctl_action)' -a "($cmd __complete actions)"
    complete -c $cmd -n 'contains -- (__foreverctl_action) stop restart logs status' -a "($cmd __complete targets)"
    complete -c $cmd -n 'contains -- (__foreverctl_action) start' -F
    complete -c $cmd -n 'string match -q -- "-*" (commandline -ct)' -a "($cmd __complete options (__foreverctl_action))"
end
