// `ipcgrade doctor`: which isolation tier this machine gives, each feature
// of the full tier with ok or missing, and for each missing one how to get
// it. Exit 0 when the machine gives the full tier, 1 when only the reduced
// one, 3 when the probe itself failed.
#include <fmt/format.h>

#include <iostream>
#include <map>

#include "grader/cli.h"
#include "grader/commands/command.h"
#include "sandbox/sandbox.h"

namespace ipcgrade {

namespace {

// How to get each feature, for the usual reasons it is missing: Ubuntu's
// AppArmor restriction, Debian's old sysctl, Docker's default profiles,
// cgroup v1 or an undelegated cgroup.
const std::map<std::string, std::string>& remedies() {
  static const std::map<std::string, std::string> m = {
      {"user-namespace",
       "Unprivileged user namespaces are refused (or run ipcgrade as root).\n"
       "  - Ubuntu 23.10 and later restrict them through AppArmor. Either allow them for\n"
       "    ipcgrade alone with a profile, /etc/apparmor.d/ipcgrade:\n"
       "        abi <abi/4.0>,\n"
       "        include <tunables/global>\n"
       "        profile ipcgrade /path/to/ipcgrade flags=(unconfined) {\n"
       "          userns,\n"
       "        }\n"
       "    then `sudo apparmor_parser -r /etc/apparmor.d/ipcgrade`; or for everyone:\n"
       "    `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`.\n"
       "  - Older Debian kernels: `sudo sysctl kernel.unprivileged_userns_clone=1`.\n"
       "  - user.max_user_namespaces=0: `sudo sysctl user.max_user_namespaces=10000`.\n"
       "  - Docker: the default seccomp profile refuses unshare; run the container with\n"
       "    `--security-opt seccomp=unconfined --security-opt apparmor=unconfined`\n"
       "    (or a seccomp profile that allows unshare, clone and mount)."},
      {"pid-namespace",
       "unshare(CLONE_NEWPID) is refused. As root in Docker, add `--cap-add SYS_ADMIN\n"
       "  --security-opt seccomp=unconfined`; as a user, get user namespaces first (above).\n"
       "  A systemd unit with RestrictNamespaces= refuses it too."},
      {"ipc-namespace",
       "unshare(CLONE_NEWIPC) is refused: same remedies as pid-namespace."},
      {"network-namespace",
       "unshare(CLONE_NEWNET) is refused: same remedies as pid-namespace (Docker: also\n"
       "  not `--network host` with a restrictive profile)."},
      {"mount-namespace",
       "unshare(CLONE_NEWNS) is refused: same remedies as pid-namespace."},
      {"sandbox-root",
       "The sandbox's file system could not be built (see the step above). Mounting\n"
       "  tmpfs, proc and bind mounts needs CAP_SYS_ADMIN in the new namespaces: Docker\n"
       "  needs `--cap-add SYS_ADMIN --security-opt apparmor=unconfined` (its AppArmor\n"
       "  profile denies mount); a read-only /proc or a masked /proc/sys can refuse a new\n"
       "  proc mount (`--security-opt systempaths=unconfined`)."},
      {"loopback",
       "The new network namespace's lo could not be brought up: CAP_NET_ADMIN is needed\n"
       "  inside it (as root or with a user namespace)."},
      {"no-new-privs",
       "PR_SET_NO_NEW_PRIVS or dropping capabilities failed: the kernel is older than 3.5,\n"
       "  or a security module forbids prctl."},
      {"seccomp",
       "The seccomp filter could not be loaded: the kernel needs CONFIG_SECCOMP_FILTER,\n"
       "  and libseccomp2 must be installed (`sudo apt-get install libseccomp2`)."},
      {"cgroup-v2",
       "No delegated cgroup v2 with the pids and memory controllers, so runs have no\n"
       "  pids.max / memory.max / cgroup.kill (the full tier runs without them).\n"
       "  - Boot with the unified hierarchy (systemd.unified_cgroup_hierarchy=1, the\n"
       "    default since Debian 11 and Ubuntu 21.10); here pids and memory may be on v1.\n"
       "  - Give ipcgrade a cgroup of its own: `systemd-run --user --scope -p Delegate=yes\n"
       "    ipcgrade grade ...`, or a service with `Delegate=yes`.\n"
       "  - Docker on a cgroup v2 host: `--cgroupns=private` gives the container's root a\n"
       "    writable cgroup."},
  };
  return m;
}

}  // namespace

void add_doctor_command(CLI::App& app, const CliContext& ctx, int* exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "doctor",
      "Say which isolation tier this machine gives, what the full tier lacks here and how to\n"
      "get it. Exit 0 when the full tier is available, 1 when only the reduced one.");
  cmd->callback([&ctx, exit_code] {
    Result<CapabilityReport> caps = probe_capabilities(ctx.self_exe);
    if (!caps.ok()) {
      std::cerr << "ipcgrade doctor: internal error: " << caps.status().message() << "\n";
      *exit_code = kExitInternal;
      return;
    }
    const bool full = caps->full_available();
    std::cout << "isolation tier on this machine: " << (full ? "full" : "reduced") << "\n";
    if (!full) {
      std::cout << "(the full tier needs every feature marked required; grading runs in the\n"
                   " reduced tier: rlimits, a keeper that sweeps every process, IPC diffed)\n";
    }
    std::cout << "\n";
    for (const Capability& c : caps->features) {
      std::cout << fmt::format("  {:<8} {:<18} {:<9} {}\n", c.ok ? "ok" : "MISSING", c.name,
                               required_for_full(c.name) ? "required" : "optional", c.detail);
    }
    bool first = true;
    for (const Capability& c : caps->features) {
      if (c.ok) {
        continue;
      }
      if (first) {
        std::cout << "\nHow to get what is missing:\n";
        first = false;
      }
      auto it = remedies().find(c.name);
      std::cout << "\n" << c.name << ": "
                << (it != remedies().end() ? it->second : std::string("see the detail above"))
                << "\n";
    }
    *exit_code = full ? kExitOk : kExitLostPoints;
  });
}

}  // namespace ipcgrade
