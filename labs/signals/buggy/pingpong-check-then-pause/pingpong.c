// pingpong N: a parent and its child play N rounds of ping-pong with signals.
// Reference solution of the signals lab (see ../README.md for the contract).
//
// Theory of operation. Two processes, three signals each way:
//
//   parent ──SIGUSR1──► child      (N times, one at a time)
//   parent ◄──SIGUSR2── child      (the answer to each SIGUSR1)
//   parent ──SIGTERM──► child      (after the N rounds: print and exit)
//   parent ◄──SIGCHLD── child      (it exited, or died)
//
// - Before fork, the parent installs every handler and BLOCKS SIGUSR1,
//   SIGUSR2, SIGTERM and SIGCHLD. The child inherits both, so no signal can
//   reach either process before it is ready: a blocked signal stays pending
//   until the process asks for it.
// - Each process waits with sigsuspend(), which atomically swaps in a mask
//   where those signals are unblocked and sleeps. A signal that arrived
//   earlier is pending and is delivered at once; one that arrives later
//   wakes it. Testing a flag and then calling pause() instead would lose a
//   signal arriving between the test and the pause, and both would wait
//   forever.
// - Handlers only bump a `volatile sig_atomic_t` counter or set a flag (and
//   keep errno intact): everything else, kill() and the output included,
//   happens in the main flow, between sigsuspend() calls, while the signals
//   are blocked again.
// - The parent also watches SIGCHLD, so a child that dies early (killed by a
//   signal it was not ready for) ends the game instead of leaving the parent
//   waiting forever for an answer that cannot come.
// - Output is formatted with snprintf and written with write() in a loop
//   that retries short and interrupted writes. The child prints before it
//   exits and the parent only after reaping it, so the lines come in order.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

// Absurd round counts are refused (usage, exit 2); tests stay far below.
static const long kMaxRounds = 100000000L;

static volatile sig_atomic_t usr1_received;  // child: pings received
static volatile sig_atomic_t usr2_received;  // parent: answers received
static volatile sig_atomic_t term_received;  // child: the game is over
static volatile sig_atomic_t child_changed;  // parent: SIGCHLD arrived

static void on_usr1(int sig) {
  (void)sig;
  usr1_received++;
}

static void on_usr2(int sig) {
  (void)sig;
  usr2_received++;
}

static void on_term(int sig) {
  (void)sig;
  term_received = 1;
}

static void on_chld(int sig) {
  (void)sig;
  child_changed = 1;
}

static void usage(void) {
  static const char msg[] = "usage: pingpong N   (N >= 0 rounds)\n";
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

static void install(int sig, void (*handler)(int), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART | flags;
  if (sigaction(sig, &sa, NULL) < 0) {
    perror("pingpong: sigaction");
    exit(1);
  }
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

// The child: answers every SIGUSR1 with SIGUSR2 until SIGTERM, then reports.
static void run_child(pid_t parent, const sigset_t *wait_mask) {
  (void)wait_mask;
  sig_atomic_t answered = 0;
  while (!term_received) {
    if (usr1_received != answered) {
      answered = usr1_received;
      if (kill(parent, SIGUSR2) < 0) {
        perror("pingpong: child: kill");
        _exit(1);
      }
    }
    // BUG (variant pingpong-check-then-pause): the next SIGUSR1 (the parent
    // answers our kill at once) or the SIGTERM may arrive after the tests
    // above and before pause(): it is handled, and pause() sleeps forever.
    pause();
  }
  char line[64];
  int n = snprintf(line, sizeof line, "child: %d\n", (int)usr1_received);
  _exit(write_all(STDOUT_FILENO, line, (size_t)n) == 0 ? 0 : 1);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    usage();
  }
  long rounds = parse_count(argv[1], kMaxRounds);
  if (rounds < 0) {
    usage();
  }

  // Ready before anyone can signal: handlers installed and signals blocked
  // before fork; the child inherits both.
  install(SIGUSR1, on_usr1, 0);
  install(SIGUSR2, on_usr2, 0);
  install(SIGTERM, on_term, 0);
  install(SIGCHLD, on_chld, SA_NOCLDSTOP);
  sigset_t blocked, wait_mask;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGUSR1);
  sigaddset(&blocked, SIGUSR2);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGCHLD);
  // BUG (variant pingpong-check-then-pause): nothing is blocked (the mask is
  // only read), and both processes wait by testing a flag, then pause(). A
  // signal that arrives between the test and pause() is handled before the
  // pause and never wakes it: both processes then wait forever.
  if (sigprocmask(SIG_BLOCK, NULL, &wait_mask) < 0) {
    perror("pingpong: sigprocmask");
    return 1;
  }
  // wait_mask is the mask from before (empty at start): sigsuspend uses it.
  sigdelset(&wait_mask, SIGUSR1);
  sigdelset(&wait_mask, SIGUSR2);
  sigdelset(&wait_mask, SIGTERM);
  sigdelset(&wait_mask, SIGCHLD);

  pid_t parent = getpid();
  pid_t child = fork();
  if (child < 0) {
    perror("pingpong: fork");
    return 1;
  }
  if (child == 0) {
    run_child(parent, &wait_mask);
  }

  for (long round = 1; round <= rounds && !child_changed; round++) {
    if (kill(child, SIGUSR1) < 0) {
      perror("pingpong: kill");
      break;
    }
    // One SIGUSR1 in flight at a time: signals of one kind do not queue.
    while (usr2_received < round && !child_changed) {
      pause();  // BUG (variant pingpong-check-then-pause)
    }
  }
  if (kill(child, SIGTERM) < 0 && errno != ESRCH) {
    perror("pingpong: kill");
  }

  int wait_status;
  while (waitpid(child, &wait_status, 0) < 0) {
    if (errno != EINTR) {
      perror("pingpong: waitpid");
      return 1;
    }
  }
  char lines[96];
  int n = snprintf(lines, sizeof lines, "parent: %d\nchild exited %d\n", (int)usr2_received,
                   exit_status_of(wait_status));
  if (write_all(STDOUT_FILENO, lines, (size_t)n) < 0) {
    perror("pingpong: write");
    return 1;
  }
  return 0;
}
