// prodcons P C N CAP: P producer threads and C consumer threads share one
// bounded FIFO buffer of CAP items. See README.md for the exact contract;
// `ipcgrade grade --lab prodcons DIR` checks your work.
//
//   producer 0 ─┐                        ┌─► consumer 0  prints "0 x"
//   producer 1 ─┼─► [ buffer: CAP slots ] ┼─► consumer 1  prints "1 x"
//   ...         ┘    (mutex + condvars)   └─► ...
//
// This skeleton compiles and runs, but does nothing useful yet: fill in the
// TODOs.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct shared {
  pthread_mutex_t lock;
  // TODO 1: the buffer (a ring of CAP slots: where the oldest item is, how
  //   many items it holds), the condition variables a producer and a
  //   consumer wait on, and what a consumer needs to know that every item
  //   has been taken (for example a count of items taken and the total P*N).
  long long n;  // items per producer
};

struct worker {
  struct shared *s;
  int index;  // this producer's or consumer's number, from 0
};

static void *producer(void *arg) {
  struct worker *w = arg;
  // TODO 2: put w->index*N, w->index*N+1, ..., w->index*N+N-1, in that order.
  //   For each item: lock; WHILE the buffer is full, pthread_cond_wait on
  //   "not full"; append the item at the tail; wake a consumer; unlock.
  (void)w;
  return NULL;
}

static void *consumer(void *arg) {
  struct worker *w = arg;
  // TODO 3: loop: lock; WHILE the buffer is empty and items are still to
  //   come, pthread_cond_wait on "not empty"; if every item has been taken,
  //   unlock and return; otherwise take the item at the head, wake a
  //   producer, and if it was the very last item wake EVERY waiting
  //   consumer (pthread_cond_broadcast); unlock; then print
  //   "<your index> <item>\n" with ONE printf call.
  (void)w;
  return NULL;
}

int main(int argc, char **argv) {
  // TODO 4: exactly four arguments P C N CAP, decimal numbers with
  //   P >= 1, C >= 1, N >= 0, CAP >= 1; anything else: a usage line on
  //   stderr and exit 2.
  //
  // TODO 5: initialise the shared state, start P producers and C consumers
  //   (check what pthread_create returns: an error number, not -1),
  //   join every one of them, then print "done T" with T = P*N and exit 0.
  (void)argc;
  (void)argv;
  (void)producer;
  (void)consumer;
  fprintf(stderr, "prodcons: not implemented yet\n");
  return 1;
}
