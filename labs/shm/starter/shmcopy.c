// shmcopy [CHUNK]: copies stdin to stdout through a shared buffer of CHUNK
// bytes (default 4096) between a parent, which reads stdin, and a child,
// which writes stdout. See README.md for the exact contract;
// `ipcgrade grade --lab shm DIR` checks your work.
//
//   stdin ──► parent ──fills──► [ shared buffer ] ──drains──► child ──► stdout
#define _GNU_SOURCE
#include <errno.h>
#include <semaphore.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

// One possible layout of the shared region: the hand-over state, then the
// CHUNK bytes of the buffer (a flexible array member).
struct Exchange {
  sem_t empty;  // the buffer may be filled
  sem_t full;   // `len` bytes await the child (len == 0: end of data)
  size_t len;
  unsigned char buf[];
};

int main(int argc, char **argv) {
  // TODO 1: no argument means CHUNK = 4096; one argument must be a whole
  //   number 1..1048576; anything else: usage line on stderr, exit 2.
  //
  // TODO 2: map offsetof(struct Exchange, buf) + CHUNK bytes with
  //   MAP_SHARED (anonymous, or shm_open with a unique name that you
  //   remove). Initialise both semaphores with pshared = 1 (sem_init's
  //   second argument): empty = 1, full = 0. (A process-shared mutex and
  //   two condition variables with a flag are fine too.)
  //
  // TODO 3 (child): loop { sem_wait(full); if len == 0: stop; write the
  //   len bytes to stdout (write may be short: loop); sem_post(empty); }
  //   Only post `empty` once the bytes are written: after the post the
  //   parent may overwrite the buffer. Then _exit.
  //
  // TODO 4 (parent): loop { sem_wait(empty); read up to CHUNK bytes of
  //   stdin into the buffer; len = what you read; sem_post(full); } and stop
  //   after handing over len == 0 (end of data). A read may return fewer
  //   bytes than asked long before the end: only 0 means end of input.
  //   sem_wait, read and write may fail with EINTR: retry them.
  //
  // TODO 5 (parent): wait for the child (retry on EINTR), sem_destroy both
  //   semaphores, munmap, exit 0.
  (void)argc;
  (void)argv;
  fprintf(stderr, "shmcopy: not implemented yet\n");
  return 1;
}
