// relay CMD [ARG...]: copies relay's own stdin into CMD's stdin through a
// pipe, then exits with CMD's exit status. See README.md for the exact
// contract; `ipcgrade grade --lab pipes DIR` checks your work.
//
//   relay's stdin ──► parent ──write──► [pipe] ──read──► child = CMD
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  // TODO 1: with no CMD, print a usage line on stderr and exit 2.
  //
  // TODO 2: create a pipe, then fork.
  //
  // TODO 3 (child): make the pipe's read end its stdin with dup2, close
  //   BOTH original pipe descriptors (a write end left open in the reader
  //   means it never sees EOF), then execvp(argv[1], argv + 1). If execvp
  //   returns, print "relay: cannot run CMD: <strerror(errno)>" on stderr
  //   and _exit(127).
  //
  // TODO 4 (parent): close the read end; make sure a reader that leaves
  //   early gives you EPIPE instead of killing you (ignore SIGPIPE here,
  //   after the fork, so that CMD keeps the default disposition).
  //
  // TODO 5 (parent): copy stdin into the write end until read() returns 0.
  //   read() may return fewer bytes than asked, write() may write fewer
  //   bytes than asked, and both may fail with EINTR: loop and retry.
  //   At the first EPIPE print ONE line containing "Broken pipe"
  //   (perror("relay: write") does that) and stop writing.
  //
  // TODO 6 (parent): close the write end (that is CMD's EOF), wait for the
  //   child (retry waitpid on EINTR), and exit with its exit status: the
  //   exit code, or 128+S if it was killed by signal S.
  (void)argc;
  (void)argv;
  fprintf(stderr, "relay: not implemented yet\n");
  return 1;
}
