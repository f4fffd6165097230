// Namespaces: the steps that put one run of the full tier in a world of its
// own. Called by the keeper (sandbox/keeper.h), never by the runner.
//
// The keeper on the grader's side (the *outer* keeper) calls
// unshare_namespaces(): new PID, IPC, mount, network and UTS namespaces
// (and a user namespace mapping the grader's uid to 0 when it is not root).
// Its first child is pid 1 there (the *inner* keeper: init and subreaper of
// the run); it calls build_sandbox_root() and bring_up_loopback(), and each
// student program calls drop_privileges() after fork, before the seccomp
// filter and execve.
//
// The file system the program sees is built from an allow-list, not by
// hiding what must stay secret: a fresh tmpfs becomes the root, and only
// these are mounted into it, at their usual paths:
//   read-only   /usr /bin /sbin /lib /lib32 /lib64 /libx32 /etc /opt /sys
//               (top-level symlinks, as on merged-/usr systems, are copied
//               as symlinks), and the plan's `readable` files (the shim);
//   read-write  the plan's `writable` paths (the run's build directory and
//               its shim log), nosuid and nodev;
//   private     /tmp and /dev/shm: tmpfs limited in bytes and inodes, mode
//               1777; /dev: a read-only tmpfs with null, zero, full,
//               random, urandom and the fd/stdin/stdout/stderr links;
//               /proc: a fresh proc for the new PID namespace, with
//               /proc/sys and /proc/sysrq-trigger read-only.
// The root itself is read-only. So the lab folder (hidden tests, expected
// outputs), the grades database, other submissions and the grader's own
// scratch files are not hidden: they are simply never there, wherever they
// live (under /work, $HOME, /tmp or /srv), and a new secret needs no new
// rule. The one exception is a secret under an allowed tree (a lab
// installed in /usr/share): `hidden` paths get an empty read-only tmpfs
// over them.
//
// Every function returns a Status naming the step that failed ("mount
// /proc: Operation not permitted"), so the capability probe and doctor can
// say exactly what the machine refuses.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/status.h"

namespace ipcgrade {

struct SandboxRootPlan {
  std::vector<std::filesystem::path> writable;  // bound read-write at the same path
  std::vector<std::filesystem::path> readable;  // bound read-only at the same path
  std::vector<std::filesystem::path> hidden;    // covered by an empty tmpfs if visible
  std::uint64_t tmp_bytes = 256ull << 20;
  std::uint64_t tmp_inodes = 16384;
  std::uint64_t shm_bytes = 1ull << 30;
  std::uint64_t shm_inodes = 4096;
};

// unshare() of the run's namespaces; as a non-root user, a user namespace
// first, with the caller's uid and gid mapped to 0.
Status unshare_namespaces();

// In pid 1 of the new namespaces: builds the root described above and makes
// it the process's root and working directory.
Status build_sandbox_root(const SandboxRootPlan& plan);

// The network namespace starts with lo down: brings it up (nothing else).
Status bring_up_loopback();

// In the student's process, after fork: PR_SET_NO_NEW_PRIVS, every
// capability dropped (bounding, ambient, effective, permitted, inheritable).
// Returns 0 or the errno of the step that failed. No allocation.
int drop_privileges();

}  // namespace ipcgrade
