// prodcons P C N CAP: P producer threads and C consumer threads share one
// bounded FIFO buffer of CAP items. Producer i puts i*N, ..., i*N+N-1 in
// that order; consumers take items until all P*N are taken, each printing
// "j x" for every item x it takes; main joins every thread and prints
// "done T" (T = P*N). See README.md for the contract.
//
// Theory of operation. One mutex guards all shared state: the ring buffer
// (head, count), the number of items taken so far, and nothing else. Two
// condition variables say what a waiter waits for:
//   not_full   a producer waits here while the buffer holds CAP items;
//   not_empty  a consumer waits here while the buffer is empty and items
//              are still to come.
// Every wait sits in a `while` loop that re-tests its condition after
// waking: a wakeup may be spurious, and with several consumers another one
// may have taken the item before this one got the lock back.
//
// The end: the consumer that takes the last item (taken == total)
// broadcasts not_empty, so every consumer still waiting wakes, sees that
// nothing more will come, and returns. With total == 0 no consumer waits
// at all. Producers never wait at the end: they only wait for room, and a
// consumer frees room with every take.
//
// No call here can fail with EINTR: pthread_mutex_lock and
// pthread_cond_wait never return it, and there are no signal handlers.
// pthread_* functions return an error number instead of setting errno;
// every return value is checked.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The largest counts accepted; larger ones are a usage error (exit 2).
#define MAX_THREADS 4096            // P and C
#define MAX_ITEMS 1000000000LL      // N
#define MAX_CAP 1000000LL           // CAP

struct shared {
  pthread_mutex_t lock;
  pthread_cond_t not_full;
  pthread_cond_t not_empty;
  long long *ring;   // CAP slots
  long long cap;
  long long head;    // index of the oldest item
  long long count;   // items in the buffer
  long long taken;   // items taken by consumers so far
  long long total;   // P*N
  long long n;       // items per producer
};

struct worker {
  struct shared *s;
  int index;
};

static void die_pthread(const char *what, int err) {
  fprintf(stderr, "prodcons: %s: %s\n", what, strerror(err));
  exit(1);
}

static void lock(struct shared *s) {
  int err = pthread_mutex_lock(&s->lock);
  if (err != 0) {
    die_pthread("pthread_mutex_lock", err);
  }
}

static void unlock(struct shared *s) {
  int err = pthread_mutex_unlock(&s->lock);
  if (err != 0) {
    die_pthread("pthread_mutex_unlock", err);
  }
}

static void wait_on(pthread_cond_t *cv, struct shared *s) {
  int err = pthread_cond_wait(cv, &s->lock);
  if (err != 0) {
    die_pthread("pthread_cond_wait", err);
  }
}

static void wake_one(pthread_cond_t *cv) {
  int err = pthread_cond_signal(cv);
  if (err != 0) {
    die_pthread("pthread_cond_signal", err);
  }
}

static void wake_all(pthread_cond_t *cv) {
  int err = pthread_cond_broadcast(cv);
  if (err != 0) {
    die_pthread("pthread_cond_broadcast", err);
  }
}

static void *producer(void *arg) {
  struct worker *w = arg;
  struct shared *s = w->s;
  long long first = (long long)w->index * s->n;
  for (long long k = 0; k < s->n; ++k) {
    lock(s);
    while (s->count == s->cap) {
      wait_on(&s->not_full, s);
    }
    s->ring[(s->head + s->count) % s->cap] = first + k;  // append at the tail
    s->count++;
    wake_one(&s->not_empty);
    unlock(s);
  }
  return NULL;
}

static void *consumer(void *arg) {
  struct worker *w = arg;
  struct shared *s = w->s;
  for (;;) {
    lock(s);
    while (s->count == 0 && s->taken < s->total) {
      wait_on(&s->not_empty, s);
    }
    if (s->taken == s->total) {  // every item is taken: nothing more will come
      unlock(s);
      return NULL;
    }
    // BUG (variant lifo-buffer): takes the newest item (the tail), as a
    // stack does, so a producer's items can come out in reverse order.
    long long x = s->ring[(s->head + s->count - 1) % s->cap];
    s->count--;
    s->taken++;
    wake_one(&s->not_full);
    if (s->taken == s->total) {
      wake_all(&s->not_empty);  // the last item: release every waiting consumer
    }
    unlock(s);
    // Printing outside the lock keeps the critical section short; this
    // thread's own lines stay in the order it took its items.
    printf("%d %lld\n", w->index, x);
  }
}

// Parses a decimal count in [min, max]; digits only, no sign, no spaces.
static int parse_count(const char *text, long long min, long long max, long long *out) {
  if (*text == '\0') {
    return -1;
  }
  long long v = 0;
  for (const char *p = text; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9') {
      return -1;
    }
    v = v * 10 + (*p - '0');
    if (v > max) {
      return -1;
    }
  }
  if (v < min) {
    return -1;
  }
  *out = v;
  return 0;
}

static void usage(void) {
  fprintf(stderr,
          "usage: prodcons P C N CAP  (1 <= P, C <= %d; 0 <= N <= %lld; 1 <= CAP <= %lld)\n",
          MAX_THREADS, MAX_ITEMS, MAX_CAP);
  exit(2);
}

int main(int argc, char **argv) {
  long long p, c, n, cap;
  if (argc != 5 || parse_count(argv[1], 1, MAX_THREADS, &p) != 0 ||
      parse_count(argv[2], 1, MAX_THREADS, &c) != 0 ||
      parse_count(argv[3], 0, MAX_ITEMS, &n) != 0 ||
      parse_count(argv[4], 1, MAX_CAP, &cap) != 0) {
    usage();
  }

  struct shared s;
  memset(&s, 0, sizeof s);
  s.cap = cap;
  s.n = n;
  s.total = p * n;
  s.ring = calloc((size_t)cap, sizeof *s.ring);
  struct worker *workers = calloc((size_t)(p + c), sizeof *workers);
  pthread_t *threads = calloc((size_t)(p + c), sizeof *threads);
  if (s.ring == NULL || workers == NULL || threads == NULL) {
    fprintf(stderr, "prodcons: out of memory\n");
    return 1;
  }
  int err;
  if ((err = pthread_mutex_init(&s.lock, NULL)) != 0) {
    die_pthread("pthread_mutex_init", err);
  }
  if ((err = pthread_cond_init(&s.not_full, NULL)) != 0 ||
      (err = pthread_cond_init(&s.not_empty, NULL)) != 0) {
    die_pthread("pthread_cond_init", err);
  }

  // Consumers first, then producers; either order is correct.
  for (long long t = 0; t < p + c; ++t) {
    int is_consumer = t < c;
    workers[t].s = &s;
    workers[t].index = (int)(is_consumer ? t : t - c);
    err = pthread_create(&threads[t], NULL, is_consumer ? consumer : producer, &workers[t]);
    if (err != 0) {
      die_pthread("pthread_create", err);
    }
  }
  for (long long t = 0; t < p + c; ++t) {
    if ((err = pthread_join(threads[t], NULL)) != 0) {
      die_pthread("pthread_join", err);
    }
  }

  printf("done %lld\n", s.total);
  pthread_cond_destroy(&s.not_empty);
  pthread_cond_destroy(&s.not_full);
  pthread_mutex_destroy(&s.lock);
  free(threads);
  free(workers);
  free(s.ring);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "prodcons: writing stdout failed\n");
    return 1;
  }
  return 0;
}
