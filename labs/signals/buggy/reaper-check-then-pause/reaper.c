// reaper K: forks K children and reaps them all from a SIGCHLD handler.
// Reference solution of the signals lab (see ../README.md for the contract).
//
// Theory of operation. One parent, K children:
//
// - The parent installs its SIGCHLD handler and BLOCKS SIGCHLD before the
//   first fork, so the handler never runs while main tests the count.
// - Child i sleeps i % 7 ms and exits with status i % 256.
// - Standard signals do not queue: while SIGCHLD is pending, more children
//   may exit, and the handler runs once for all of them. So the handler
//   reaps in a loop, `waitpid(-1, &st, WNOHANG)` until it returns 0 (some
//   children still running) or -1 (none left), counting and summing as it
//   goes. It saves and restores errno, because waitpid sets it (ECHILD) and
//   the handler may interrupt main between a call and its errno check.
// - main waits with sigsuspend(), which unblocks SIGCHLD only while asleep:
//   a SIGCHLD that came before the wait is pending and delivered at once,
//   so no wake-up is lost. When the count reaches K it prints the result.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// Absurd child counts are refused (usage, exit 2); tests stay far below.
static const long kMaxChildren = 10000;

static volatile sig_atomic_t reaped;      // children reaped so far
static volatile sig_atomic_t status_sum;  // sum of their exit statuses

static void on_chld(int sig) {
  (void)sig;
  int saved_errno = errno;
  int wait_status;
  while (waitpid(-1, &wait_status, WNOHANG) > 0) {
    reaped++;
    if (WIFEXITED(wait_status)) {
      status_sum += WEXITSTATUS(wait_status);
    } else if (WIFSIGNALED(wait_status)) {
      status_sum += 128 + WTERMSIG(wait_status);
    }
  }
  errno = saved_errno;
}

static void usage(void) {
  static const char msg[] = "usage: reaper K   (K >= 0 children)\n";
  (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
  exit(2);
}

// A whole decimal number 0..max with nothing else around it, or -1.
static long parse_count(const char *s, long max) {
  if (*s == '\0') {
    return -1;
  }
  long value = 0;
  for (; *s != '\0'; s++) {
    if (*s < '0' || *s > '9') {
      return -1;
    }
    value = value * 10 + (*s - '0');
    if (value > max) {
      return -1;
    }
  }
  return value;
}

// Writes all of buf, retrying short and interrupted writes.
static int write_all(int fd, const char *buf, size_t count) {
  while (count > 0) {
    ssize_t put = write(fd, buf, count);
    if (put < 0) {
      if (errno == EINTR) {
        continue;
      }
      return -1;
    }
    buf += put;
    count -= (size_t)put;
  }
  return 0;
}

// Child i: sleep i % 7 ms (the whole time, even if interrupted), exit i % 256.
static void run_child(long i) {
  struct timespec left = {0, (i % 7) * 1000000L};
  while (nanosleep(&left, &left) < 0 && errno == EINTR) {
  }
  _exit((int)(i % 256));
}

int main(int argc, char **argv) {
  if (argc != 2) {
    usage();
  }
  long children = parse_count(argv[1], kMaxChildren);
  if (children < 0) {
    usage();
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_chld;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  if (sigaction(SIGCHLD, &sa, NULL) < 0) {
    perror("reaper: sigaction");
    return 1;
  }
  sigset_t chld, wait_mask;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  // BUG (variant reaper-check-then-pause): SIGCHLD is never blocked (the
  // mask is only read) and main waits by testing the count, then pause().
  // The last SIGCHLD arriving between the test and pause() is handled before
  // the pause and never wakes it: main waits forever.
  if (sigprocmask(SIG_BLOCK, NULL, &wait_mask) < 0) {
    perror("reaper: sigprocmask");
    return 1;
  }
  sigdelset(&wait_mask, SIGCHLD);

  long started = 0;
  for (; started < children; started++) {
    pid_t pid = fork();
    if (pid < 0) {
      perror("reaper: fork");
      break;  // reap those already started, then fail
    }
    if (pid == 0) {
      run_child(started);
    }
  }

  // SIGCHLD is blocked here, so the count cannot change between the test
  // and sigsuspend; a SIGCHLD sent meanwhile waits, pending.
  while (reaped < started) {
    pause();  // BUG (variant reaper-check-then-pause)
  }
  if (started < children) {
    return 1;
  }
  char line[64];
  int n = snprintf(line, sizeof line, "reaped %d sum %d\n", (int)reaped, (int)status_sum);
  if (write_all(STDOUT_FILENO, line, (size_t)n) < 0) {
    perror("reaper: write");
    return 1;
  }
  return 0;
}
