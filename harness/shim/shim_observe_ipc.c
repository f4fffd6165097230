/* shim_observe_ipc.c: IPC objects the student's programs create and remove,
 * so the harness can tell, after the run, which were left behind
 * (`ipc-leak`) and remove them. One record per creation or removal:
 *
 *   ev=ipc-create pid=.. tid=.. prog=shmcount kind=shm name=/counter ino=77
 *   ev=ipc-create ... kind=sem name=/ready ino=78     (/dev/shm/sem.ready)
 *   ev=ipc-create ... kind=mq name=/jobs ino=79
 *   ev=ipc-create ... kind=fifo path=/tmp/x/f ino=80 (an absolute path)
 *   ev=ipc-create ... kind=sysv-shm id=32769 key=0x0  (sysv-sem, sysv-msg)
 *   ev=ipc-remove ... kind=shm name=/counter          (and so on)
 *
 * A creation is recorded only when this call made the object: O_EXCL or
 * IPC_EXCL or IPC_PRIVATE, or the object did not exist just before the call
 * (checked with one extra syscall, only on O_CREAT/IPC_CREAT calls). ino
 * (or id) names the object, so the harness never removes a different object
 * that happens to have the same name afterwards.
 *
 * Interposed: shm_open, shm_unlink, sem_open, sem_unlink, mq_open,
 * mq_unlink, mkfifo, mkfifoat, mknod, mknodat (FIFOs only), unlink,
 * unlinkat, remove (FIFOs only), shmget, semget, msgget, shmctl, semctl,
 * msgctl (IPC_RMID only).
 *
 * THE CODE IS RATHER DELICATE. THE FOLLOWING RULES MUST BE FOLLOWED:
 *
 * 1. Interposers and what they call are async-signal-safe: raw syscalls,
 *    fixed buffers; no locks, no malloc, no stdio.
 * 2. errno is the real call's: every helper saves and restores it.
 * 3. The real call is always made with the caller's arguments, and its
 *    result returned unchanged.
 * 4. The real functions are resolved with dlsym(RTLD_NEXT) in the
 *    constructor, or on first use before it.
 * 5. Records only from the student's own programs.
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim_log.h"
#include "shim_sys.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

static int g_observe;

static int (*real_shm_open)(const char *, int, mode_t);
static int (*real_shm_unlink)(const char *);
static sem_t *(*real_sem_open)(const char *, int, ...);
static int (*real_sem_unlink)(const char *);
static mqd_t (*real_mq_open)(const char *, int, ...);
static int (*real_mq_unlink)(const char *);
static int (*real_mkfifo)(const char *, mode_t);
static int (*real_mkfifoat)(int, const char *, mode_t);
static int (*real_mknod)(const char *, mode_t, dev_t);
static int (*real_mknodat)(int, const char *, mode_t, dev_t);
static int (*real_unlink)(const char *);
static int (*real_unlinkat)(int, const char *, int);
static int (*real_remove)(const char *);
static int (*real_shmget)(key_t, size_t, int);
static int (*real_semget)(key_t, int, int);
static int (*real_msgget)(key_t, int);
static int (*real_shmctl)(int, int, struct shmid_ds *);
static int (*real_semctl)(int, int, int, ...);
static int (*real_msgctl)(int, int, struct msqid_ds *);


/* ---- Helpers (raw syscalls, errno kept) -------------------------------- */

/* p != NULL, for arguments glibc declares nonnull: a student may still pass
 * NULL, and the shim must not crash where the real call returns EFAULT. */
static int present(const void *p) {
  __asm__("" : "+r"(p));
  return p != NULL;
}

enum { kPathMax = 512 };

/* dir + "/" + name without the leading slashes of name, cut to fit. */
static void join(char out[kPathMax], const char *dir, const char *prefix,
                 const char *name) {
  size_t n = 0;
  for (const char *p = dir; *p != '\0' && n < kPathMax - 1; p++) {
    out[n++] = *p;
  }
  for (const char *p = prefix; *p != '\0' && n < kPathMax - 1; p++) {
    out[n++] = *p;
  }
  while (*name == '/') {
    name++;
  }
  for (const char *p = name; *p != '\0' && n < kPathMax - 1; p++) {
    out[n++] = *p;
  }
  out[n] = '\0';
}

/* The inode of path (not following a last symlink), or 0. */
static unsigned long long inode_of(int dirfd, const char *path) {
  int saved = errno;
  struct stat st;
  long rc = syscall(SYS_newfstatat, dirfd, path, &st, AT_SYMLINK_NOFOLLOW);
  errno = saved;
  return rc == 0 ? (unsigned long long)st.st_ino : 0;
}

static unsigned long long inode_of_fd(int fd) {
  int saved = errno;
  struct stat st;
  long rc = syscall(SYS_fstat, fd, &st);
  errno = saved;
  return rc == 0 ? (unsigned long long)st.st_ino : 0;
}

static int is_fifo(int dirfd, const char *path) {
  int saved = errno;
  struct stat st;
  long rc = syscall(SYS_newfstatat, dirfd, path, &st, AT_SYMLINK_NOFOLLOW);
  errno = saved;
  return rc == 0 && S_ISFIFO(st.st_mode);
}

/* An absolute form of (dirfd, path) for the harness: the cwd or the
 * directory's /proc link before a relative path. */
static void absolute(char out[kPathMax], int dirfd, const char *path) {
  if (path[0] == '/') {
    size_t n = 0;
    for (const char *p = path; *p != '\0' && n < kPathMax - 1; p++) {
      out[n++] = *p;
    }
    out[n] = '\0';
    return;
  }
  int saved = errno;
  char dir[kPathMax];
  long n;
  if (dirfd == AT_FDCWD) {
    n = syscall(SYS_getcwd, dir, sizeof dir);
    n = n > 0 ? (long)strlen(dir) : -1;
  } else {
    char link[32];
    struct shim_text t;
    shim_text_init(&t, link, sizeof link);
    shim_text_str(&t, "/proc/self/fd/");
    shim_text_dec(&t, dirfd < 0 ? 0u : (unsigned)dirfd);
    n = syscall(SYS_readlinkat, AT_FDCWD, link, dir, sizeof dir - 1);
  }
  errno = saved;
  if (n <= 0) {
    join(out, "", "", path); /* relative, as given */
    return;
  }
  dir[n] = '\0';
  join(out, dir, "/", path);
}

static void record_named(const char *ev, const char *kind, const char *name,
                         unsigned long long ino) {
  struct shim_rec r;
  shim_rec_begin(&r, ev);
  shim_rec_str(&r, "kind", kind);
  shim_rec_str(&r, "name", name);
  if (ino != 0) {
    shim_rec_int(&r, "ino", (long long)ino);
  }
  shim_rec_emit(&r);
}

static void record_fifo(const char *ev, const char *path,
                        unsigned long long ino) {
  struct shim_rec r;
  shim_rec_begin(&r, ev);
  shim_rec_str(&r, "kind", "fifo");
  shim_rec_str(&r, "path", path);
  if (ino != 0) {
    shim_rec_int(&r, "ino", (long long)ino);
  }
  shim_rec_emit(&r);
}

static void record_sysv(const char *ev, const char *kind, int id, key_t key,
                        int with_key) {
  struct shim_rec r;
  shim_rec_begin(&r, ev);
  shim_rec_str(&r, "kind", kind);
  shim_rec_int(&r, "id", id);
  if (with_key) {
    shim_rec_hex(&r, "key", (unsigned long long)(unsigned)key);
  }
  shim_rec_emit(&r);
}

/* ---- POSIX shared memory, named semaphores, message queues ------------- */

SHIM_EXPORT int shm_open(const char *name, int oflag, mode_t mode) {
  int watch = g_observe && (oflag & O_CREAT) && present(name);
  char path[kPathMax];
  int existed = 0;
  if (watch && !(oflag & O_EXCL)) {
    join(path, "/dev/shm/", "", name);
    existed = inode_of(AT_FDCWD, path) != 0;
  }
  int fd = SHIM_REAL(real_shm_open, "shm_open")(name, oflag, mode);
  if (watch && fd >= 0 && !existed) {
    record_named("ipc-create", "shm", name, inode_of_fd(fd));
  }
  return fd;
}

SHIM_EXPORT int shm_unlink(const char *name) {
  int rc = SHIM_REAL(real_shm_unlink, "shm_unlink")(name);
  if (g_observe && rc == 0) {
    record_named("ipc-remove", "shm", name, 0);
  }
  return rc;
}

SHIM_EXPORT sem_t *sem_open(const char *name, int oflag, ...) {
  mode_t mode = 0;
  unsigned value = 0;
  if (oflag & O_CREAT) {
    va_list ap;
    va_start(ap, oflag);
    mode = va_arg(ap, mode_t);
    value = va_arg(ap, unsigned);
    va_end(ap);
  }
  int watch = g_observe && (oflag & O_CREAT) && present(name);
  char path[kPathMax];
  int existed = 0;
  if (watch) {
    join(path, "/dev/shm/", "sem.", name);
    existed = !(oflag & O_EXCL) && inode_of(AT_FDCWD, path) != 0;
  }
  sem_t *s = SHIM_REAL(real_sem_open, "sem_open")(name, oflag, mode, value);
  if (watch && s != SEM_FAILED && !existed) {
    record_named("ipc-create", "sem", name, inode_of(AT_FDCWD, path));
  }
  return s;
}

SHIM_EXPORT int sem_unlink(const char *name) {
  int rc = SHIM_REAL(real_sem_unlink, "sem_unlink")(name);
  if (g_observe && rc == 0) {
    record_named("ipc-remove", "sem", name, 0);
  }
  return rc;
}

SHIM_EXPORT mqd_t mq_open(const char *name, int oflag, ...) {
  mode_t mode = 0;
  struct mq_attr *attr = NULL;
  if (oflag & O_CREAT) {
    va_list ap;
    va_start(ap, oflag);
    mode = va_arg(ap, mode_t);
    attr = va_arg(ap, struct mq_attr *);
    va_end(ap);
  }
  int watch = g_observe && (oflag & O_CREAT) && present(name);
  int existed = 0;
  if (watch && !(oflag & O_EXCL)) {
    /* Is there one already? A raw open with no O_CREAT tells, and the
     * descriptor is closed at once. */
    int saved = errno;
    const char *n = name[0] == '/' ? name + 1 : name;
    long fd = syscall(SYS_mq_open, n, O_RDONLY, 0, NULL);
    if (fd >= 0) {
      existed = 1;
      syscall(SYS_close, (int)fd);
    }
    errno = saved;
  }
  mqd_t q = SHIM_REAL(real_mq_open, "mq_open")(name, oflag, mode, attr);
  if (watch && q != (mqd_t)-1 && !existed) {
    record_named("ipc-create", "mq", name, inode_of_fd((int)q));
  }
  return q;
}

SHIM_EXPORT int mq_unlink(const char *name) {
  int rc = SHIM_REAL(real_mq_unlink, "mq_unlink")(name);
  if (g_observe && rc == 0) {
    record_named("ipc-remove", "mq", name, 0);
  }
  return rc;
}

/* ---- FIFOs ------------------------------------------------------------- */

static void fifo_made(int dirfd, const char *path) {
  char abs[kPathMax];
  absolute(abs, dirfd, path);
  record_fifo("ipc-create", abs, inode_of(dirfd, path));
}

SHIM_EXPORT int mkfifo(const char *path, mode_t mode) {
  int rc = SHIM_REAL(real_mkfifo, "mkfifo")(path, mode);
  if (g_observe && rc == 0) {
    fifo_made(AT_FDCWD, path);
  }
  return rc;
}

SHIM_EXPORT int mkfifoat(int dirfd, const char *path, mode_t mode) {
  int rc = SHIM_REAL(real_mkfifoat, "mkfifoat")(dirfd, path, mode);
  if (g_observe && rc == 0) {
    fifo_made(dirfd, path);
  }
  return rc;
}

SHIM_EXPORT int mknod(const char *path, mode_t mode, dev_t dev) {
  int rc = SHIM_REAL(real_mknod, "mknod")(path, mode, dev);
  if (g_observe && rc == 0 && S_ISFIFO(mode)) {
    fifo_made(AT_FDCWD, path);
  }
  return rc;
}

SHIM_EXPORT int mknodat(int dirfd, const char *path, mode_t mode, dev_t dev) {
  int rc = SHIM_REAL(real_mknodat, "mknodat")(dirfd, path, mode, dev);
  if (g_observe && rc == 0 && S_ISFIFO(mode)) {
    fifo_made(dirfd, path);
  }
  return rc;
}

/* Removing a FIFO: the path is made absolute before the call, while it
 * still names the FIFO. */
SHIM_EXPORT int unlink(const char *path) {
  int fifo = g_observe && present(path) && is_fifo(AT_FDCWD, path);
  char abs[kPathMax];
  if (fifo) {
    absolute(abs, AT_FDCWD, path);
  }
  int rc = SHIM_REAL(real_unlink, "unlink")(path);
  if (fifo && rc == 0) {
    record_fifo("ipc-remove", abs, 0);
  }
  return rc;
}

SHIM_EXPORT int unlinkat(int dirfd, const char *path, int flags) {
  int fifo = g_observe && present(path) && !(flags & AT_REMOVEDIR) &&
             is_fifo(dirfd, path);
  char abs[kPathMax];
  if (fifo) {
    absolute(abs, dirfd, path);
  }
  int rc = SHIM_REAL(real_unlinkat, "unlinkat")(dirfd, path, flags);
  if (fifo && rc == 0) {
    record_fifo("ipc-remove", abs, 0);
  }
  return rc;
}

SHIM_EXPORT int remove(const char *path) {
  int fifo = g_observe && present(path) && is_fifo(AT_FDCWD, path);
  char abs[kPathMax];
  if (fifo) {
    absolute(abs, AT_FDCWD, path);
  }
  int rc = SHIM_REAL(real_remove, "remove")(path);
  if (fifo && rc == 0) {
    record_fifo("ipc-remove", abs, 0);
  }
  return rc;
}

/* ---- System V ---------------------------------------------------------- */

SHIM_EXPORT int shmget(key_t key, size_t size, int flags) {
  int watch = g_observe && (flags & IPC_CREAT);
  int existed = 0;
  if (watch && key != IPC_PRIVATE && !(flags & IPC_EXCL)) {
    int saved = errno;
    existed = SHIM_REAL(real_shmget, "shmget")(key, 0, 0) >= 0;
    errno = saved;
  }
  int id = SHIM_REAL(real_shmget, "shmget")(key, size, flags);
  if (watch && id >= 0 && !existed) {
    record_sysv("ipc-create", "sysv-shm", id, key, 1);
  }
  return id;
}

SHIM_EXPORT int semget(key_t key, int nsems, int flags) {
  int watch = g_observe && (flags & IPC_CREAT);
  int existed = 0;
  if (watch && key != IPC_PRIVATE && !(flags & IPC_EXCL)) {
    int saved = errno;
    existed = SHIM_REAL(real_semget, "semget")(key, 0, 0) >= 0;
    errno = saved;
  }
  int id = SHIM_REAL(real_semget, "semget")(key, nsems, flags);
  if (watch && id >= 0 && !existed) {
    record_sysv("ipc-create", "sysv-sem", id, key, 1);
  }
  return id;
}

SHIM_EXPORT int msgget(key_t key, int flags) {
  int watch = g_observe && (flags & IPC_CREAT);
  int existed = 0;
  if (watch && key != IPC_PRIVATE && !(flags & IPC_EXCL)) {
    int saved = errno;
    existed = SHIM_REAL(real_msgget, "msgget")(key, 0) >= 0;
    errno = saved;
  }
  int id = SHIM_REAL(real_msgget, "msgget")(key, flags);
  if (watch && id >= 0 && !existed) {
    record_sysv("ipc-create", "sysv-msg", id, key, 1);
  }
  return id;
}

SHIM_EXPORT int shmctl(int id, int cmd, struct shmid_ds *buf) {
  int rc = SHIM_REAL(real_shmctl, "shmctl")(id, cmd, buf);
  if (g_observe && rc == 0 && cmd == IPC_RMID) {
    record_sysv("ipc-remove", "sysv-shm", id, 0, 0);
  }
  return rc;
}

/* semctl's fourth argument is a union semun passed by value when the
 * command needs one; it is forwarded as it came (one register wide). */
union shim_semun {
  int val;
  void *ptr;
};

SHIM_EXPORT int semctl(int id, int num, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  union shim_semun arg = va_arg(ap, union shim_semun);
  va_end(ap);
  int rc = SHIM_REAL(real_semctl, "semctl")(id, num, cmd, arg);
  if (g_observe && rc == 0 && cmd == IPC_RMID) {
    record_sysv("ipc-remove", "sysv-sem", id, 0, 0);
  }
  return rc;
}

SHIM_EXPORT int msgctl(int id, int cmd, struct msqid_ds *buf) {
  int rc = SHIM_REAL(real_msgctl, "msgctl")(id, cmd, buf);
  if (g_observe && rc == 0 && cmd == IPC_RMID) {
    record_sysv("ipc-remove", "sysv-msg", id, 0, 0);
  }
  return rc;
}

__attribute__((constructor)) static void observe_ipc_init(void) {
  int saved_errno = errno;
  shim_log_init();
  SHIM_REAL(real_shm_open, "shm_open");
  SHIM_REAL(real_shm_unlink, "shm_unlink");
  SHIM_REAL(real_sem_open, "sem_open");
  SHIM_REAL(real_sem_unlink, "sem_unlink");
  SHIM_REAL(real_mq_open, "mq_open");
  SHIM_REAL(real_mq_unlink, "mq_unlink");
  SHIM_REAL(real_mkfifo, "mkfifo");
  SHIM_REAL(real_mkfifoat, "mkfifoat");
  SHIM_REAL(real_mknod, "mknod");
  SHIM_REAL(real_mknodat, "mknodat");
  SHIM_REAL(real_unlink, "unlink");
  SHIM_REAL(real_unlinkat, "unlinkat");
  SHIM_REAL(real_remove, "remove");
  SHIM_REAL(real_shmget, "shmget");
  SHIM_REAL(real_semget, "semget");
  SHIM_REAL(real_msgget, "msgget");
  SHIM_REAL(real_shmctl, "shmctl");
  SHIM_REAL(real_semctl, "semctl");
  SHIM_REAL(real_msgctl, "msgctl");
  g_observe = shim_student_program() && shim_log_on();
  errno = saved_errno;
}
