// pipeline CMD1 [CMD2 ... CMDn]: runs the commands at once, connected like
// the shell's `CMD1 | CMD2 | ... | CMDn`, and exits with the last one's exit
// status. See README.md for the exact contract; `ipcgrade grade --lab pipes
// DIR` checks your work.
//
//   stdin ──► stage 1 ──[pipe]──► stage 2 ──[pipe]──► ... ──► stage n ──► stdout
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  // TODO 1: with no argument, print a usage line on stderr and exit 2.
  //   Split every argument into words on spaces and tabs (no quoting):
  //   "tr a-z A-Z" is the argv {"tr", "a-z", "A-Z", NULL}. An argument
  //   with no word at all ("" or "   ") is a usage error too. Do all of
  //   this before the first fork.
  //
  // TODO 2: create the n-1 pipes that connect the n stages.
  //
  // TODO 3: fork ALL the stages without waiting in between (a stage that
  //   writes more than a pipe holds blocks until the next stage reads).
  //   In each child: dup2 the previous pipe's read end onto 0 (not for the
  //   first stage) and the next pipe's write end onto 1 (not for the last),
  //   then close EVERY pipe descriptor, then execvp. If execvp returns,
  //   print "pipeline: cannot run WORD: <strerror(errno)>" on stderr and
  //   _exit(127).
  //
  // TODO 4 (parent): close every pipe end it holds; otherwise no stage
  //   ever sees EOF.
  //
  // TODO 5 (parent): wait for EVERY child (retry waitpid on EINTR) and exit
  //   with the last stage's exit status: the exit code, or 128+S if it was
  //   killed by signal S.
  (void)argc;
  (void)argv;
  fprintf(stderr, "pipeline: not implemented yet\n");
  return 1;
}
