/* The smallest supervised process, for the scale tests and bench/: 10 000
 * Node processes do not fit in memory, 10 000 of these do. It waits for a
 * signal and dies of it (SIGTERM's default action), so a stop is as quick
 * as a stop can be. */
#include <unistd.h>

int main(void) {
    for (;;) {
        pause();
    }
}
