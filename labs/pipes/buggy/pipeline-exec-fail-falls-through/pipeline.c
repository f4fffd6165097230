// pipeline CMD1 [CMD2 ... CMDn]: runs the commands at once, connected like
// the shell's `CMD1 | CMD2 | ... | CMDn`, and exits with the last one's exit
// status. Reference solution of the pipes lab (see ../README.md).
//
// Theory of operation. n stages, n-1 pipes, the parent in the middle:
//
//   stdin ──► stage 0 ──[pipe 0]──► stage 1 ──[pipe 1]──► ... ──► stage n-1 ──► stdout
//
// - Every argument is split into words before any fork, so a malformed one
//   is a usage error before anything runs.
// - All pipes are created first (close-on-exec, as a second line of
//   defence), then every stage is forked without waiting in between: a
//   stage that writes more than a pipe holds blocks until the next stage
//   reads, so the stages must run concurrently.
// - Each child moves its two ends onto fds 0 and 1 and closes every pipe
//   descriptor, so the exec'd command holds exactly 0, 1 and 2.
// - The parent closes every pipe end it holds (otherwise no stage ever sees
//   EOF: the parent would be a writer that never writes), then reaps every
//   child, remembering the last stage's status.
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

static void usage(void) {
  fprintf(stderr,
          "usage: pipeline CMD1 [CMD2 ... CMDn]   (each CMD is one argument, "
          "words separated by spaces or tabs)\n");
}

// Splits `text` in place into words separated by spaces and tabs. Returns a
// NULL-terminated argv (malloc'd), or NULL if there is no word (or no memory).
static char **split_words(char *text) {
  size_t cap = strlen(text) / 2 + 2;  // at most this many words, plus NULL
  char **words = calloc(cap, sizeof *words);
  if (words == NULL) {
    return NULL;
  }
  size_t count = 0;
  char *save = NULL;
  for (char *word = strtok_r(text, " \t", &save); word != NULL;
       word = strtok_r(NULL, " \t", &save)) {
    words[count++] = word;
  }
  if (count == 0) {
    free(words);
    return NULL;
  }
  return words;
}

// The shell's convention: the exit code, or 128+S for a child killed by S.
static int exit_status_of(int wait_status) {
  if (WIFEXITED(wait_status)) {
    return WEXITSTATUS(wait_status);
  }
  if (WIFSIGNALED(wait_status)) {
    return 128 + WTERMSIG(wait_status);
  }
  return 1;
}

// Waits for `pid`, retrying on EINTR. Returns its exit status, or 1 if it
// could not be waited for.
static int reap(pid_t pid) {
  int wait_status;
  while (waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) {
      perror("pipeline: waitpid");
      return 1;
    }
  }
  return exit_status_of(wait_status);
}

// Closes the pipe descriptors fds[0..count) except 0, 1 and 2.
static void close_all(const int *fds, int count) {
  for (int i = 0; i < count; i++) {
    if (fds[i] > STDERR_FILENO) {
      close(fds[i]);
    }
  }
}

// Makes `from` the descriptor `to` in a child about to exec. dup2 clears
// close-on-exec on the copy; when `from` already is `to` that is done by hand.
static void move_fd(int from, int to) {
  if (from == to) {
    fcntl(to, F_SETFD, 0);
    return;
  }
  if (dup2(from, to) < 0) {
    perror("pipeline: dup2");
    _exit(127);
  }
}

// The child for one stage: `in` and `out` become fds 0 and 1, every pipe
// descriptor is closed, the command is exec'd.
static void run_stage(char **words, int in, int out, const int *fds, int nfds) {
  // BUG (variant pipeline-exec-fail-falls-through): after a failed exec the
  // child returns instead of exiting, and goes on running the parent's code:
  // it tries to start the remaining stages a second time, then waits for
  // children that are not its own, and its exit status is not 127.
  move_fd(in, STDIN_FILENO);
  move_fd(out, STDOUT_FILENO);
  close_all(fds, nfds);
  // Commands start with the default disposition, whatever ours is.
  signal(SIGPIPE, SIG_DFL);
  execvp(words[0], words);
  fprintf(stderr, "pipeline: cannot run %s: %s\n", words[0], strerror(errno));
}

int main(int argc, char **argv) {
  int stages = argc - 1;
  if (stages < 1) {
    usage();
    return 2;
  }

  // Every stage's argv is built before any fork.
  char ***commands = calloc((size_t)stages, sizeof *commands);
  pid_t *pids = calloc((size_t)stages, sizeof *pids);
  int nfds = 2 * (stages - 1);
  int *fds = calloc((size_t)nfds + 1, sizeof *fds);  // pipe i: fds[2i], fds[2i+1]
  if (commands == NULL || pids == NULL || fds == NULL) {
    perror("pipeline: calloc");
    return 1;
  }
  for (int i = 0; i < stages; i++) {
    commands[i] = split_words(argv[i + 1]);
    if (commands[i] == NULL) {
      fprintf(stderr, "pipeline: command %d is empty\n", i + 1);
      usage();
      return 2;
    }
  }

  for (int i = 0; i < stages - 1; i++) {
    if (pipe2(&fds[2 * i], O_CLOEXEC) < 0) {
      perror("pipeline: pipe");
      return 1;
    }
  }

  int started = 0;
  for (int i = 0; i < stages; i++) {
    int in = (i == 0) ? STDIN_FILENO : fds[2 * (i - 1)];
    int out = (i == stages - 1) ? STDOUT_FILENO : fds[2 * i + 1];
    pid_t pid = fork();
    if (pid < 0) {
      perror("pipeline: fork");
      break;
    }
    if (pid == 0) {
      run_stage(commands[i], in, out, fds, nfds);
    }
    pids[started++] = pid;
  }

  // Every end the parent holds must go, or the stages never see EOF.
  close_all(fds, nfds);

  if (started < stages) {
    // A fork failed: stop the stages already running, reap them, fail.
    for (int i = 0; i < started; i++) {
      kill(pids[i], SIGTERM);
    }
    for (int i = 0; i < started; i++) {
      reap(pids[i]);
    }
    return 1;
  }

  int status = 0;
  for (int i = 0; i < stages; i++) {
    int stage_status = reap(pids[i]);
    if (i == stages - 1) {
      status = stage_status;
    }
  }
  return status;
}
