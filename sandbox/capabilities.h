// Capabilities: what this machine lets the full tier do, found by trying
// each feature for real in throwaway processes, never guessed from sysctls
// (a sysctl can say yes while AppArmor, a container's seccomp profile or a
// read-only /sys says no). Sysctl values are read only to explain a refusal.
//
// Theory of operation: probe_capabilities() runs `ipcgrade __keeper --probe`
// (fork and exec at once: safe in a threaded grader), which reports one JSON
// line on fd 3. The probe process tries, each in its own child:
//   user-namespace     unshare(CLONE_NEWUSER) (not needed as root)
//   pid-, ipc-, network-, mount-namespace   unshare of that namespace
//   sandbox-root       the real full-tier set-up (sandbox/namespaces.h) in
//                      a fresh set of namespaces, then, in a process inside:
//                      pid 1 is the keeper, / is read-only, /tmp and a
//                      scratch folder are writable, /dev/shm works
//   loopback           a TCP connection over 127.0.0.1 inside
//   no-new-privs       PR_SET_NO_NEW_PRIVS and every capability dropped
//   seccomp            the filter loads and ptrace() then fails with EPERM
//   cgroup-v2          a child cgroup can be made under our own, with the
//                      pids and memory controllers (a delegated cgroup)
// IPCGRADE_PROBE_DISABLE=name[,name...] is a test seam: those features are
// reported missing without being tried (doctor's and the tiers' tests).
// Everything but cgroup-v2 is needed for the full tier; without cgroup-v2
// the full tier runs and the report says it lacked it.
//
// A CapabilityReport is a plain value.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/status.h"

namespace ipcgrade {

struct Capability {
  std::string name;    // "user-namespace", ... (the list above)
  bool ok = false;
  std::string detail;  // why not, in the machine's words; or what was seen
};

struct CapabilityReport {
  std::vector<Capability> features;

  // Every feature the full tier needs is there.
  bool full_available() const;
  // "name (detail); name (detail)" of the missing features, "" if none.
  std::string missing() const;
  const Capability* find(const std::string& name) const;
};

// True for the features the full tier cannot run without.
bool required_for_full(const std::string& feature);

// Runs the probe with `keeper_binary` (the ipcgrade executable).
Result<CapabilityReport> probe_capabilities(const std::filesystem::path& keeper_binary);

// Parses the probe's JSON line.
Result<CapabilityReport> parse_capability_report(const std::string& text);

// The `__keeper --probe` process: tries everything, writes one JSON line to
// `status_fd`, returns its exit code.
int capability_probe_main(int status_fd);

}  // namespace ipcgrade
