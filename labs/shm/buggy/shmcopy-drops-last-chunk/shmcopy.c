// shmcopy [CHUNK]: copies stdin to stdout through a shared buffer of CHUNK
// bytes (default 4096) between two processes. Reference solution of the shm
// lab (see ../README.md for the contract).
//
// Theory of operation. One anonymous MAP_SHARED region, two processes, two
// process-shared semaphores that pass the buffer back and forth:
//
//   stdin ──► parent ──fills──► [ len | buf[CHUNK] ] ──drains──► child ──► stdout
//
//   empty (starts at 1): the buffer is the parent's to fill;
//   full  (starts at 0): the buffer holds `len` bytes for the child.
//
//   parent: loop { wait(empty); len = read up to CHUNK bytes; post(full);
//                  stop after handing over len == 0 }; wait for the child.
//   child:  loop { wait(full); if len == 0: end of data, stop;
//                  write the len bytes; post(empty) }.
//
// - Exactly one process owns the buffer at any time, so neither needs a
//   lock around it: the semaphores order every access (and sem_post /
//   sem_wait make the bytes written before the post visible after the wait).
// - End of data travels through the region itself: a hand-over of 0 bytes.
// - The parent fills the whole chunk unless input ends (a read on a pipe may
//   return fewer bytes than asked long before end of file), so only a read
//   returning 0 means the end.
// - The region is anonymous: no name to remove, nothing left behind even if
//   the run is killed. The semaphores are destroyed before it is unmapped.
// - Every blocking call is retried on EINTR (read, write, sem_wait, waitpid)
//   and every write goes on after a short count.
// - If stdout breaks, the child keeps taking hand-overs without writing them
//   so that the parent never waits for a buffer nobody will empty, and both
//   exit 1 at the end.
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

enum { kDefaultChunk = 4096, kMaxChunk = 1048576 };

// The shared region: the hand-over state, then CHUNK bytes of buffer.
struct Exchange {
  sem_t empty;  // posted when the buffer may be filled
  sem_t full;   // posted when `len` bytes (0: end of data) await the child
  size_t len;
  unsigned char buf[];
};

static void usage(void) {
  fprintf(stderr, "usage: shmcopy [CHUNK]   (1 <= CHUNK <= %d, default %d)\n", kMaxChunk,
          kDefaultChunk);
  exit(2);
}

static int parse_chunk(const char *s, size_t *out) {
  if (*s == '\0') {
    return -1;
  }
  size_t v = 0;
  for (const char *p = s; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9') {
      return -1;
    }
    v = v * 10 + (size_t)(*p - '0');
    if (v > kMaxChunk) {
      return -1;
    }
  }
  if (v < 1) {
    return -1;
  }
  *out = v;
  return 0;
}

// sem_wait that goes on waiting when a signal interrupts it.
static void sem_wait_retry(sem_t *sem) {
  while (sem_wait(sem) < 0) {
    if (errno != EINTR) {
      perror("shmcopy: sem_wait");
      _exit(1);  // cannot happen with a valid semaphore
    }
  }
}

// Reads until `count` bytes arrived or input ended: a read may return fewer
// bytes than asked, and only 0 means end of file. Returns the bytes read,
// or -1 on an error.
static ssize_t read_full(int fd, unsigned char *buf, size_t count) {
  size_t got = 0;
  while (got < count) {
    ssize_t n = read(fd, buf + got, count - got);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return -1;
    }
    if (n == 0) {
      break;
    }
    got += (size_t)n;
  }
  return (ssize_t)got;
}

// Writes all `count` bytes, going on after a short write or EINTR.
static int write_all(int fd, const unsigned char *buf, size_t count) {
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

// The child: writes every hand-over to stdout until the empty one.
static int drain(struct Exchange *x) {
  signal(SIGPIPE, SIG_IGN);  // a closed stdout is an error to report, not death
  int failed = 0;
  for (;;) {
    sem_wait_retry(&x->full);
    size_t len = x->len;
    if (len == 0) {
      return failed;
    }
    if (!failed && write_all(STDOUT_FILENO, x->buf, len) < 0) {
      perror("shmcopy: write");
      failed = 1;  // keep taking hand-overs so the parent can finish
    }
    sem_post(&x->empty);
  }
}

// The parent: hands stdin over chunk by chunk, then the empty hand-over.
static int fill(struct Exchange *x, size_t chunk) {
  int failed = 0;
  for (;;) {
    sem_wait_retry(&x->empty);
    ssize_t n = failed ? 0 : read_full(STDIN_FILENO, x->buf, chunk);
    // BUG (variant shmcopy-drops-last-chunk): a chunk that is not full is
    // taken for the end of data, so the last, partial chunk (1 byte of a
    // 1-byte input, the last byte of CHUNK+1) is never handed over.
    if (n > 0 && (size_t)n < chunk) {
      n = 0;
    }
    if (n < 0) {
      perror("shmcopy: read");
      failed = 1;
      n = 0;  // end the copy
    }
    x->len = (size_t)n;
    sem_post(&x->full);
    if (n == 0) {
      return failed;
    }
  }
}

int main(int argc, char **argv) {
  size_t chunk = kDefaultChunk;
  if (argc > 2 || (argc == 2 && parse_chunk(argv[1], &chunk) < 0)) {
    usage();
  }

  size_t size = offsetof(struct Exchange, buf) + chunk;
  struct Exchange *x = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (x == MAP_FAILED) {
    perror("shmcopy: mmap");
    return 1;
  }
  // pshared = 1: the semaphores live in shared memory and are used by two
  // processes (with 0, a wake-up in one process never reaches the other).
  if (sem_init(&x->empty, 1, 1) < 0 || sem_init(&x->full, 1, 0) < 0) {
    perror("shmcopy: sem_init");
    munmap(x, size);
    return 1;
  }

  pid_t pid = fork();
  if (pid < 0) {
    perror("shmcopy: fork");
    sem_destroy(&x->empty);
    sem_destroy(&x->full);
    munmap(x, size);
    return 1;
  }
  if (pid == 0) {
    _exit(drain(x));
  }

  int failed = fill(x, chunk);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) {
      perror("shmcopy: waitpid");
      failed = 1;
      break;
    }
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    failed = 1;
  }
  sem_destroy(&x->empty);
  sem_destroy(&x->full);
  munmap(x, size);
  return failed ? 1 : 0;
}
