// SeccompFilter: the system-call filter of the full tier, loaded into the
// student's program (and everything it starts) right before execve.
//
// Default allow; what these labs never need fails with EPERM, never kills:
// a program that probes a forbidden call (a libc that tries clone3 first, a
// test harness that checks for ptrace) must get an error it can handle, not
// a SIGSYS that the judge would read as the student's crash (fairness). The
// denied set: ptrace, process_vm_readv/writev, kcmp; keyctl, add_key,
// request_key; mount, umount2, pivot_root, chroot, move_mount, open_tree,
// fsopen, fsmount, fsconfig, fspick, mount_setattr; bpf, perf_event_open,
// userfaultfd; kexec_load, kexec_file_load, init_module, finit_module,
// delete_module; unshare, setns; reboot, swapon, swapoff; iopl, ioperm;
// acct, quotactl, settimeofday, clock_settime, clock_adjtime, adjtimex,
// syslog, vhangup, name_to_handle_at, open_by_handle_at, lookup_dcookie;
// ioctl(TIOCSTI) and ioctl(TIOCLINUX) (typing into a terminal); clone with
// any CLONE_NEW* flag. clone3 gets ENOSYS: its flags sit behind a pointer a
// filter cannot read, and glibc falls back to clone on ENOSYS.
// The rules are added for x86-64, i386 and x32, so a 32-bit program cannot
// use another syscall table to slip past them.
//
// Build the filter before fork (libseccomp allocates); load() after fork in
// the single-threaded keeper's child, after PR_SET_NO_NEW_PRIVS.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"

namespace ipcgrade {

class SeccompFilter {
 public:
  static Result<SeccompFilter> build();
  SeccompFilter(SeccompFilter&&) noexcept;
  SeccompFilter& operator=(SeccompFilter&&) noexcept;
  ~SeccompFilter();

  // Installs the filter on the calling thread (inherited by children).
  // Returns 0 or an errno.
  int load() const;

 private:
  struct Context;
  explicit SeccompFilter(std::unique_ptr<Context> ctx);
  std::unique_ptr<Context> ctx_;
};

}  // namespace ipcgrade
