# bash completion for foreverctl and forever
_foreverctl() {
    local cur prev words cword
    _init_completion 2>/dev/null || {
        cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}
        words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
    }
    local cmd=${words[0]} action="" i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in -*) ;; *) action=${words[i]}; break ;; esac
    done
    if [[ -z $action ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$($cmd __complete options)" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$($cmd __complete actions)" -- "$cur"))
        fi
        return
    fi
    case $prev in
        -l|-o|-e|--logFile|--outFile|--errFile|--pidFile)
            COMPREPLY=($(compgen -f -- "$cur")); return ;;
        -p|--path|--sourceDir|--workingDir)
            COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --killSignal)
            COMPREPLY=($(compgen -W "SIGTERM SIGINT SIGHUP SIGQUIT SIGKILL SIGUSR1 SIGUSR2" -- "$cur")); return ;;
        --restart)
            COMPREPLY=($(compgen -W "always on-failure no" -- "$cur")); return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$($cmd __complete options "$action")" -- "$cur"))
        return
    fi
    case $action in
        stop|restart|logs|status)
            COMPREPLY=($(compgen -W "$($cmd __complete targets)" -- "$cur")) ;;
        help)
            COMPREPLY=($(compgen -W "$($cmd __complete actions)" -- "$cur")) ;;
        start)
            COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
}
complete -F _foreverctl foreverctl forever
