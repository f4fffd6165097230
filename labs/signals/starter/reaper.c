// reaper K: forks K children and reaps them all from a SIGCHLD handler.
// See ../README.md for the contract; this file is only a skeleton.
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

static volatile sig_atomic_t reaped;      // children reaped so far
static volatile sig_atomic_t status_sum;  // sum of their exit statuses

static void on_chld(int sig) {
  (void)sig;
  // TODO: save errno; reap every child that has exited with a
  // `waitpid(-1, &st, WNOHANG)` loop (SIGCHLD signals coalesce), adding to
  // reaped and status_sum; restore errno.
}

static void usage(void) {
  fprintf(stderr, "usage: reaper K   (K >= 0 children)\n");
  exit(2);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    usage();
  }
  // TODO: parse K (a whole number >= 0; anything else: usage()).
  (void)argv;

  // TODO: install on_chld for SIGCHLD (sigaction) and block SIGCHLD.

  // TODO: fork K children; child i sleeps i % 7 ms and _exit(i % 256).

  // TODO: sigsuspend until all K are reaped, then print `reaped K sum S`.
  (void)on_chld;
  (void)reaped;
  (void)status_sum;
  return 0;
}
