#include "sandbox/seccomp_filter.h"

#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

namespace ipcgrade {

struct SeccompFilter::Context {
  scmp_filter_ctx ctx = nullptr;
  ~Context() {
    if (ctx != nullptr) {
      seccomp_release(ctx);
    }
  }
};

namespace {

constexpr const char* kDenied[] = {
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
    "keyctl", "add_key", "request_key",
    "mount", "umount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
    "fsmount", "fsconfig", "fspick", "mount_setattr",
    "bpf", "perf_event_open", "userfaultfd",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "unshare", "setns",
    "reboot", "swapon", "swapoff",
    "iopl", "ioperm",
    "acct", "quotactl", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "syslog",
    "vhangup", "name_to_handle_at", "open_by_handle_at", "lookup_dcookie",
};

constexpr unsigned long kCloneNewTime = 0x00000080;  // CLONE_NEWTIME, not in every header

}  // namespace

SeccompFilter::SeccompFilter(std::unique_ptr<Context> ctx) : ctx_(std::move(ctx)) {}
SeccompFilter::SeccompFilter(SeccompFilter&&) noexcept = default;
SeccompFilter& SeccompFilter::operator=(SeccompFilter&&) noexcept = default;
SeccompFilter::~SeccompFilter() = default;

Result<SeccompFilter> SeccompFilter::build() {
  auto c = std::make_unique<Context>();
  c->ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (c->ctx == nullptr) {
    return Status::Internal("seccomp: cannot create a filter");
  }
  // Every table a program could call through; an architecture libseccomp or
  // the kernel does not know is skipped (its calls then fail: bad arch).
  for (std::uint32_t arch : {SCMP_ARCH_X86, SCMP_ARCH_X32}) {
    if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
      int rc = seccomp_arch_add(c->ctx, arch);
      if (rc != 0 && rc != -EEXIST) {
        return Status::Internal(std::string("seccomp: cannot add an architecture: ") +
                                std::strerror(-rc));
      }
    }
  }
  seccomp_attr_set(c->ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(EPERM));
  const std::uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
  for (const char* name : kDenied) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) {
      continue;  // unknown to this libseccomp: no kernel here has it either
    }
    int rc = seccomp_rule_add(c->ctx, eperm, nr, 0);
    if (rc != 0 && rc != -EDOM) {  // EDOM: not on one of the added arches
      return Status::Internal(std::string("seccomp: cannot deny ") + name + ": " +
                              std::strerror(-rc));
    }
  }
  for (unsigned long request : {static_cast<unsigned long>(TIOCSTI),
                                static_cast<unsigned long>(TIOCLINUX)}) {
    int rc = seccomp_rule_add(c->ctx, eperm, SCMP_SYS(ioctl), 1,
                              SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, request));
    if (rc != 0) {
      return Status::Internal(std::string("seccomp: cannot filter ioctl: ") + std::strerror(-rc));
    }
  }
  // clone(flags, ...): flags come first on every added table. One rule per
  // flag: a filter compares for equality, so "any of them" is eight rules.
  const unsigned long clone_new[] = {CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,
                                     CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
                                     CLONE_NEWCGROUP, kCloneNewTime};
  for (unsigned long flag : clone_new) {
    int rc = seccomp_rule_add(c->ctx, eperm, SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
    if (rc != 0) {
      return Status::Internal(std::string("seccomp: cannot filter clone: ") + std::strerror(-rc));
    }
  }
  int rc = seccomp_rule_add(c->ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  if (rc != 0 && rc != -EDOM) {
    return Status::Internal(std::string("seccomp: cannot filter clone3: ") + std::strerror(-rc));
  }
  return SeccompFilter(std::move(c));
}

int SeccompFilter::load() const {
  int rc = seccomp_load(ctx_->ctx);
  return rc == 0 ? 0 : -rc;
}

}  // namespace ipcgrade
