// relay CMD [ARG...]: copies relay's own stdin into CMD's stdin through a
// pipe, then exits with CMD's exit status. Reference solution of the pipes
// lab (see ../README.md for the contract).
//
// Theory of operation. Two processes, one pipe:
//
//   relay's stdin ──► parent ──write──► [pipe] ──read──► child = CMD
//
// - The child makes the read end its stdin, closes both original pipe
//   descriptors (a write end left open in the reader means it never sees
//   EOF), and execs CMD. If the exec fails it says so and exits 127.
// - The parent closes the read end it does not use, copies stdin into the
//   write end (every write may be short or interrupted), closes the write
//   end (that is CMD's EOF), reaps the child and exits with its status.
// - If CMD stops reading early, the write fails with EPIPE. The parent
//   ignores SIGPIPE so that it gets the error instead of being killed,
//   reports it once and stops writing.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kBufferSize = 64 * 1024 };

// read() that retries when a signal interrupts it before any byte moved.
static ssize_t read_retry(int fd, void *buf, size_t count) {
  for (;;) {
    ssize_t got = read(fd, buf, count);
    if (got >= 0 || errno != EINTR) {
      return got;
    }
  }
}

// Writes all `count` bytes: a write may move fewer bytes than asked (a short
// write) or fail with EINTR, and neither loses nor repeats data here.
// Returns 0, or -1 with errno set by the write that failed.
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

// Waits for `pid`, retrying on EINTR.
static int reap(pid_t pid) {
  int wait_status;
  while (waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) {
      perror("relay: waitpid");
      return 1;
    }
  }
  // BUG (variant relay-wrong-exit-status): returns waitpid's raw status
  // word, not the child's exit code (exit 3 is 0x300, so relay exits 0).
  return wait_status;
}

// The child: stdin from the pipe's read end, then CMD. Never returns.
static void run_command(int fds[2], char **command) {
  if (dup2(fds[0], STDIN_FILENO) < 0) {
    perror("relay: dup2");
    _exit(127);
  }
  // Both originals go: fd 0 is now the read end, and a write end kept open
  // here would keep CMD from ever seeing EOF (it would be its own writer).
  close(fds[0]);
  close(fds[1]);
  execvp(command[0], command);
  fprintf(stderr, "relay: cannot run %s: %s\n", command[0], strerror(errno));
  _exit(127);
}

// Copies stdin into `out` until end of input or the first EPIPE.
static void copy_stdin_to(int out) {
  static char buf[kBufferSize];
  for (;;) {
    ssize_t got = read_retry(STDIN_FILENO, buf, sizeof buf);
    if (got == 0) {
      return;
    }
    if (got < 0) {
      perror("relay: read");
      return;
    }
    if (write_all(out, buf, (size_t)got) < 0) {
      // EPIPE: CMD closed its end (it stopped reading). Report it once and
      // stop writing; nothing more can reach CMD.
      fprintf(stderr, "relay: write: %s\n", strerror(errno));
      return;
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: relay CMD [ARG...]\n");
    return 2;
  }

  int fds[2];
  if (pipe(fds) < 0) {
    perror("relay: pipe");
    return 1;
  }

  pid_t pid = fork();
  if (pid < 0) {
    perror("relay: fork");
    return 1;
  }
  if (pid == 0) {
    run_command(fds, argv + 1);
  }

  // Only the parent ignores SIGPIPE, after the fork: an ignored signal stays
  // ignored across exec, and CMD must start with the default disposition.
  struct sigaction ignore;
  memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, NULL);

  close(fds[0]);  // the parent only writes
  copy_stdin_to(fds[1]);
  close(fds[1]);  // CMD's EOF: must happen before waiting for CMD
  return reap(pid);
}
