/* shim_sys.c: see shim_sys.h. Raw syscalls, the caller's buffers, errno
 * saved and restored around every call that may set it. */
#define _GNU_SOURCE
#include "shim_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- Numbers and texts ------------------------------------------------- */

SHIM_SYS_HIDDEN size_t shim_digits(char out[kShimDigitsMax], unsigned long long v, unsigned base) {
  char rev[kShimDigitsMax];
  size_t n = 0;
  do {
    rev[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v != 0);
  for (size_t i = 0; i < n; i++) {
    out[i] = rev[n - 1 - i];
  }
  return n;
}

SHIM_SYS_HIDDEN void shim_text_init(struct shim_text *t, char *buf, size_t size) {
  t->buf = buf;
  t->size = size;
  t->len = 0;
  t->cut = 0;
  buf[0] = '\0';
}

static void text_put(struct shim_text *t, const char *s, size_t n) {
  if (t->cut || n >= t->size - t->len) {
    t->cut = 1;
    return;
  }
  for (size_t i = 0; i < n; i++) {
    t->buf[t->len++] = s[i];
  }
  t->buf[t->len] = '\0';
}

SHIM_SYS_HIDDEN void shim_text_str(struct shim_text *t, const char *s) {
  size_t n = 0;
  while (s[n] != '\0') {
    n++;
  }
  text_put(t, s, n);
}

SHIM_SYS_HIDDEN void shim_text_dec(struct shim_text *t, unsigned long long v) {
  char d[kShimDigitsMax];
  text_put(t, d, shim_digits(d, v, 10));
}

/* ---- Files ------------------------------------------------------------- */

SHIM_SYS_HIDDEN long shim_read_small(const char *path, char *out, size_t size) {
  int saved = errno;
  long got = -1;
  long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    got = syscall(SYS_read, (int)fd, out, size - 1);
    syscall(SYS_close, (int)fd);
  }
  if (got < 0) {
    got = -1;
  } else {
    out[got] = '\0';
  }
  errno = saved;
  return got;
}

/* ---- Numbered directories ---------------------------------------------- */

/* The kernel's record; glibc declares no such type. */
struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

/* The number a name spells, or -1 when it is not one (empty, another
 * character, or above 167772169). */
static long parse_number(const char *s) {
  if (*s == '\0') {
    return -1;
  }
  long v = 0;
  for (; *s != '\0'; s++) {
    if (*s < '0' || *s > '9' || v > 1 << 24) {
      return -1;
    }
    v = v * 10 + (*s - '0');
  }
  return v;
}

SHIM_SYS_HIDDEN int shim_numdir_open(struct shim_numdir *d, const char *path) {
  int saved = errno;
  long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  errno = saved;
  d->fd = (int)fd;
  d->got = 0;
  d->off = 0;
  return fd < 0 ? -1 : 0;
}

SHIM_SYS_HIDDEN int shim_numdir_next(struct shim_numdir *d, long *num, const char **name) {
  for (;;) {
    if (d->off >= d->got) {
      int saved = errno;
      d->got = syscall(SYS_getdents64, d->fd, d->buf, sizeof d->buf);
      errno = saved;
      d->off = 0;
      if (d->got <= 0) {
        d->got = 0;
        return 0;
      }
    }
    const struct linux_dirent64 *e = (const struct linux_dirent64 *)(d->buf + d->off);
    d->off += e->d_reclen;
    long v = parse_number(e->d_name);
    if (v >= 0) {
      *num = v;
      if (name != NULL) {
        *name = e->d_name;
      }
      return 1;
    }
  }
}

SHIM_SYS_HIDDEN void shim_numdir_close(struct shim_numdir *d) {
  if (d->fd >= 0) {
    int saved = errno;
    syscall(SYS_close, d->fd);
    errno = saved;
    d->fd = -1;
  }
}
