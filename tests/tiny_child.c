/* The smallest supervised process, for the scale tests and bench/: 10 000
 * Node processes do not fit in memory, 10 000 of these do. It waits for a
 * signal: SIGTERM kills it (a stop is as quick as a stop can be); SIGUSR1
 * makes it exit 0, a clean exit that is restarted at once without the
 * back-off a crash gets (bench/ measures restart latency with it). With
 * TINY_CHILD_STAMP set, it first writes there when it began (CLOCK_MONOTONIC,
 * in ns): bench/ reads the restart latency from it instead of polling /proc,
 * whose cost grows with the number of processes.
 *
 * On x86-64 outside the sanitizers it is built without libc (TINY_NOLIBC):
 * glibc's start-up (its CPU feature probing traps to the hypervisor in a VM)
 * was a quarter of all the CPU of starting 10 000 of them, a cost of the
 * fixture, not of the supervisor under test. */
#ifdef TINY_NOLIBC

enum {
    kWrite = 1,
    kOpen = 2,
    kClose = 3,
    kSigprocmask = 14,
    kGetpid = 39,
    kRename = 82,
    kSigtimedwait = 128,
    kClockGettime = 228,
    kExitGroup = 231,
};

static long sys4(long n, long a, long b, long c, long d) {
    register long r10 __asm__("r10") = d;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
                     : "rcx", "r11", "memory");
    return ret;
}

static long sys3(long n, long a, long b, long c) {
    return sys4(n, a, b, c, 0);
}

static int startsWith(const char* s, const char* prefix) {
    while (*prefix) {
        if (*s++ != *prefix++) {
            return 0;
        }
    }
    return 1;
}

/* Appends the decimal digits of v at out; returns the end. */
static char* decimal(char* out, unsigned long long v) {
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n > 0) {
        *out++ = digits[--n];
    }
    return out;
}

static void stampStart(const char* path) {
    long ts[2];
    sys3(kClockGettime, 1 /* CLOCK_MONOTONIC */, (long)ts, 0);
    char text[32];
    char* end =
        decimal(text, (unsigned long long)ts[0] * 1000000000ULL + (unsigned long long)ts[1]);
    *end++ = '\n';
    /* Written whole to PATH.PID, renamed over PATH: a reader never sees
     * half a stamp. */
    char tmp[4096];
    char* t = tmp;
    while (*path && t < tmp + sizeof tmp - 32) {
        *t++ = *path++;
    }
    if (*path) {
        return; /* too long to be ours */
    }
    *t++ = '.';
    *decimal(t, (unsigned long long)sys3(kGetpid, 0, 0, 0)) = '\0';
    long fd = sys3(kOpen, (long)tmp, 01 | 0100 | 01000 | 02000000, 0644);
    if (fd >= 0) {
        sys3(kWrite, fd, (long)text, end - text);
        sys3(kClose, fd, 0, 0);
        char final[4096];
        int n = (int)(t - 1 - tmp);
        for (int k = 0; k < n; ++k) {
            final[k] = tmp[k];
        }
        final[n] = '\0';
        sys3(kRename, (long)tmp, (long) final, 0);
    }
}

__attribute__((used)) static void tinyMain(long* sp) {
    long argc = sp[0];
    char** envp = (char**)(sp + 1 + argc + 1);
    for (char** e = envp; *e; ++e) {
        if (startsWith(*e, "TINY_CHILD_STAMP=")) {
            stampStart(*e + 17);
        }
    }
    unsigned long usr1 = 1UL << (10 - 1); /* SIGUSR1 */
    sys4(kSigprocmask, 0 /* SIG_BLOCK */, (long)&usr1, 0, 8);
    for (;;) {
        if (sys4(kSigtimedwait, (long)&usr1, 0, 0, 8) == 10) {
            sys3(kExitGroup, 0, 0, 0);
        }
    }
}

__asm__(
    ".text\n"
    ".global _start\n"
    "_start:\n"
    "  xor %rbp, %rbp\n"
    "  mov %rsp, %rdi\n"
    "  and $-16, %rsp\n"
    "  call tinyMain\n"
    "  hlt\n");

#else
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
    int n =
        snprintf(text, sizeof text, "%lld\n", (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
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
#endif
