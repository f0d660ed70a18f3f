/* The smallest supervised process, for the scale tests and bench/: 10 000
 * Node processes do not fit in memory, 10 000 of these do. It waits for a
 * signal: SIGTERM kills it (a stop is as quick as a stop can be); SIGUSR1
 * makes it exit 0, a clean exit that is restarted at once without the
 * back-off a crash gets (bench/ measures restart latency with it). With
 * TINY_CHILD_STAMP set, it first writes there when it began (CLOCK_MONOTONIC,
 * in ns): bench/ reads the restart latency from it instead of polling /proc,
 * whose cost grows with the number of processes. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void exitCleanly(int sig) {
    (void)sig;
    _exit(0);
}

static void stampStart(const char* path) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    char text[32];
    int n = snprintf(text, sizeof text, "%lld\n",
                     (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
    /* Written whole to a new file, renamed over the old: a reader never
     * sees half a stamp. */
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        ssize_t ignored = write(fd, text, (size_t)n);
        (void)ignored;
        close(fd);
        rename(tmp, path);
    }
}

int main(void) {
    signal(SIGUSR1, exitCleanly);
    const char* stamp = getenv("TINY_CHILD_STAMP");
    if (stamp) {
        stampStart(stamp);
    }
    for (;;) {
        pause();
    }
}
