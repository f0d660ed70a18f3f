/* The smallest supervised process, for the scale tests and bench/: 10 000
 * Node processes do not fit in memory, 10 000 of these do. It waits for a
 * signal: SIGTERM kills it (a stop is as quick as a stop can be); SIGUSR1
 * makes it exit 0, a clean exit that is restarted at once without the
 * back-off a crash gets (bench/ measures restart latency with it). */
#include <signal.h>
#include <unistd.h>

static void exitCleanly(int sig) {
    (void)sig;
    _exit(0);
}

int main(void) {
    signal(SIGUSR1, exitCleanly);
    for (;;) {
        pause();
    }
}
