// shmcount K N: K worker processes each add 1 to a counter in shared memory
// N times, every addition under a process-shared mutex; the parent prints
// `counter K*N`. Reference solution of the shm lab (see ../README.md for the
// contract).
//
// Theory of operation. One shared region, K + 1 processes:
//
//   parent: shm_open (a name with its pid in it, so parallel runs never
//           collide) ─ ftruncate ─ mmap MAP_SHARED ─ shm_unlink ─ init mutex
//     ├─ worker 1 ┐
//     ├─ ...      ├─ each: N times { lock; counter += 1; unlock }; _exit(0)
//     └─ worker K ┘
//   parent: waits for all K, prints `counter V`, destroys the mutex, unmaps.
//
// - fork() gives every worker the parent's mappings. A MAP_SHARED mapping
//   stays the same memory in every process; private memory (the stack,
//   malloc, MAP_PRIVATE) becomes a separate copy in each child.
// - The name is removed (shm_unlink) as soon as the region is mapped: the
//   mapping keeps the memory alive until the last process unmaps it, and a
//   run that is killed half-way leaves nothing behind in /dev/shm.
// - The mutex is initialised with PTHREAD_PROCESS_SHARED. Without it glibc
//   uses private futexes, whose wake-ups never reach another process.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

// Counts beyond these are refused as absurd (usage, exit 2): far above what
// any test asks for, low enough that K*N cannot overflow.
enum { kMaxWorkers = 1024 };
static const unsigned long long kMaxAdditions = 1000000000ULL;

// What the processes share: the lock and the value it guards.
struct SharedCounter {
  pthread_mutex_t lock;
  unsigned long long value;
};

static void usage(void) {
  fprintf(stderr, "usage: shmcount K N   (1 <= K <= %d workers, 0 <= N <= %llu additions each)\n",
          kMaxWorkers, kMaxAdditions);
  exit(2);
}

// Parses a whole decimal number (digits only, no sign) no larger than `max`.
static int parse_count(const char *s, unsigned long long max, unsigned long long *out) {
  if (*s == '\0') {
    return -1;
  }
  unsigned long long v = 0;
  for (const char *p = s; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9') {
      return -1;
    }
    v = v * 10 + (unsigned long long)(*p - '0');
    if (v > max) {
      return -1;
    }
  }
  *out = v;
  return 0;
}

// Writes all `count` bytes, going on after a short write or EINTR.
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

// Waits for `pid`, retrying on EINTR. Returns 0 if it exited 0.
static int reap(pid_t pid) {
  int st;
  while (waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) {
      perror("shmcount: waitpid");
      return -1;
    }
  }
  return (WIFEXITED(st) && WEXITSTATUS(st) == 0) ? 0 : -1;
}

// Maps a fresh shared region of `size` bytes through a POSIX shared-memory
// object, and removes the object's name at once. Returns MAP_FAILED on error.
static void *map_shared_region(size_t size) {
  char name[64];
  snprintf(name, sizeof name, "/shmcount-%ld", (long)getpid());
  int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    perror("shmcount: shm_open");
    return MAP_FAILED;
  }
  void *region = MAP_FAILED;
  if (ftruncate(fd, (off_t)size) < 0) {
    perror("shmcount: ftruncate");
  } else {
    region = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (region == MAP_FAILED) {
      perror("shmcount: mmap");
    }
  }
  // The mapping keeps the memory; the name and the descriptor are not
  // needed any more, whatever happened.
  shm_unlink(name);
  close(fd);
  return region;
}

static void work(struct SharedCounter *shared, unsigned long long additions) {
  for (unsigned long long i = 0; i < additions; ++i) {
    pthread_mutex_lock(&shared->lock);
    shared->value += 1;
    pthread_mutex_unlock(&shared->lock);
  }
}

int main(int argc, char **argv) {
  unsigned long long workers, additions;
  if (argc != 3 || parse_count(argv[1], kMaxWorkers, &workers) < 0 || workers < 1 ||
      parse_count(argv[2], kMaxAdditions, &additions) < 0) {
    usage();
  }

  struct SharedCounter *shared = map_shared_region(sizeof *shared);
  if (shared == MAP_FAILED) {
    return 1;
  }
  shared->value = 0;
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  int rc = pthread_mutex_init(&shared->lock, &attr);
  pthread_mutexattr_destroy(&attr);
  if (rc != 0) {
    fprintf(stderr, "shmcount: pthread_mutex_init: %s\n", strerror(rc));
    munmap(shared, sizeof *shared);
    return 1;
  }

  pid_t pids[kMaxWorkers];
  unsigned long long started = 0;
  int failed = 0;
  for (; started < workers; ++started) {
    pid_t pid = fork();
    if (pid < 0) {
      perror("shmcount: fork");
      failed = 1;
      break;  // reap the workers already started, then fail
    }
    if (pid == 0) {
      work(shared, additions);
      _exit(0);
    }
    pids[started] = pid;
  }
  for (unsigned long long i = 0; i < started; ++i) {
    if (reap(pids[i]) < 0) {
      failed = 1;
    }
  }

  if (!failed) {
    char line[64];
    int len = snprintf(line, sizeof line, "counter %llu\n", shared->value);
    if (write_all(STDOUT_FILENO, line, (size_t)len) < 0) {
      perror("shmcount: write");
      failed = 1;
    }
  } else {
    fprintf(stderr, "shmcount: a worker could not be started or did not finish\n");
  }
  pthread_mutex_destroy(&shared->lock);
  munmap(shared, sizeof *shared);
  return failed ? 1 : 0;
}
