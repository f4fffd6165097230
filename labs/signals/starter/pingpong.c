// pingpong N: a parent and its child play N rounds of ping-pong with
// signals. See ../README.md for the contract; this file is only a skeleton.
//
//   parent ──SIGUSR1──► child   N times, one at a time
//   parent ◄──SIGUSR2── child   the answer to each SIGUSR1
//   parent ──SIGTERM──► child   then: child prints `child: R`, exits 0
//   parent reaps the child, prints `parent: A` and `child exited S`, exits 0
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

// Handlers may only touch variables of this type (and call async-signal-safe
// functions such as write and kill).
static volatile sig_atomic_t usr1_received;  // child: SIGUSR1 received
static volatile sig_atomic_t usr2_received;  // parent: SIGUSR2 received
static volatile sig_atomic_t term_received;  // child: SIGTERM arrived

static void usage(void) {
  fprintf(stderr, "usage: pingpong N   (N >= 0 rounds)\n");
  exit(2);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    usage();
  }
  // TODO: parse N (a whole number >= 0; anything else: usage()).
  (void)argv;

  // TODO: install the handlers (sigaction) and BLOCK SIGUSR1, SIGUSR2 and
  // SIGTERM before fork, so no signal arrives before a process is ready.

  // TODO: fork. The child waits with sigsuspend, counts SIGUSR1 and answers
  // each with SIGUSR2; on SIGTERM it prints `child: R` and exits 0.

  // TODO: the parent plays N rounds (send SIGUSR1, sigsuspend until the
  // answer came), sends SIGTERM, reaps the child (retry waitpid on EINTR),
  // prints `parent: A` and `child exited S`, and exits 0.
  (void)usr1_received;
  (void)usr2_received;
  (void)term_received;
  return 0;
}
