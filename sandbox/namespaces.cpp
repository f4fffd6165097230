// See namespaces.h for what the sandbox's file system holds and why.
#include "sandbox/namespaces.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "base/scoped_fd.h"

namespace ipcgrade {
namespace fs = std::filesystem;

namespace {

// Where the new root is assembled before pivot_root: covering /tmp in our
// private mount namespace hides nothing from anyone else.
constexpr const char* kStaging = "/tmp";

constexpr const char* kSystemTrees[] = {"/usr", "/bin", "/sbin", "/lib", "/lib32",
                                        "/lib64", "/libx32", "/etc", "/opt", "/sys"};
constexpr const char* kDevices[] = {"null", "zero", "full", "random", "urandom"};

Status step_error(const std::string& step, int err) {
  return Status::Internal(step + ": " + std::strerror(err));
}

Status do_mount(const char* source, const std::string& target, const char* type,
                unsigned long flags, const std::string& data = "") {
  if (::mount(source, target.c_str(), type, flags, data.empty() ? nullptr : data.c_str()) != 0) {
    return step_error("mount " + target, errno);
  }
  return Status::Ok();
}

// mkdir -p, or an empty file for a file's mount point.
Status make_mount_point(const fs::path& target, bool directory) {
  std::error_code ec;
  fs::create_directories(directory ? target : target.parent_path(), ec);
  if (ec) {
    return Status::Internal("mkdir " + target.string() + ": " + ec.message());
  }
  if (!directory && !fs::exists(target, ec)) {
    int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      return step_error("create " + target.string(), errno);
    }
    ::close(fd);
  }
  return Status::Ok();
}

struct MountAttr {
  std::uint64_t attr_set, attr_clr, propagation, userns_fd;
};

// Read-only, down the whole tree below `target`. mount_setattr (Linux 5.12)
// changes only the read-only bit, which keeps the flags a user namespace
// locks; older kernels get a remount with the flags statvfs reports.
Status make_read_only(const std::string& target, bool recursive) {
#ifdef SYS_mount_setattr
  MountAttr attr{0x00000001 /* MOUNT_ATTR_RDONLY */, 0, 0, 0};
  if (::syscall(SYS_mount_setattr, AT_FDCWD, target.c_str(),
                recursive ? 0x8000 /* AT_RECURSIVE */ : 0, &attr, sizeof attr) == 0) {
    return Status::Ok();
  }
  if (errno != ENOSYS) {
    return step_error("read-only " + target, errno);
  }
#endif
  struct statvfs sv;
  unsigned long keep = 0;
  if (::statvfs(target.c_str(), &sv) == 0) {
    keep = sv.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NOATIME | ST_NODIRATIME |
                        ST_RELATIME);
  }
  return do_mount(nullptr, target, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | keep);
}

// A bind of what `fd` (O_PATH) names: sources are opened before /tmp is
// covered by the staging root, since the run's scratch usually lives there.
// Not recursive: a recursive bind of /tmp itself would bring the staging
// root mounted on it along instead of /tmp's files, and nothing mounted
// below a run's folder belongs in the sandbox anyway.
Status bind_fd(int fd, const std::string& target, bool read_only) {
  std::string source = "/proc/self/fd/" + std::to_string(fd);
  Status s = do_mount(source.c_str(), target, nullptr, MS_BIND);
  if (!s.ok()) {
    return s;
  }
  if (read_only) {
    return make_read_only(target, false);
  }
  return do_mount(nullptr, target, nullptr, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV);
}

struct Source {
  fs::path path;
  ScopedFd fd;
  bool directory = false;
  bool read_only = false;
};

Result<Source> open_source(const fs::path& path, bool read_only) {
  int fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) {
    return step_error("open " + path.string(), errno);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return step_error("stat " + path.string(), e);
  }
  Source s;
  s.path = path;
  s.fd = ScopedFd(fd);
  s.directory = S_ISDIR(st.st_mode);
  s.read_only = read_only;
  return s;
}

Status write_file(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return step_error("open " + path, errno);
  }
  ssize_t n = ::write(fd, text.data(), text.size());
  int e = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    return step_error("write " + path, n < 0 ? e : EIO);
  }
  return Status::Ok();
}

std::string tmpfs_options(std::uint64_t bytes, std::uint64_t inodes, const char* mode) {
  return "size=" + std::to_string(bytes) + ",nr_inodes=" + std::to_string(inodes) +
         ",mode=" + mode;
}

}  // namespace

Status unshare_namespaces() {
  int flags = CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWUTS;
  const uid_t uid = ::geteuid();
  const gid_t gid = ::getegid();
  if (uid != 0) {
    flags |= CLONE_NEWUSER;
  }
  if (::unshare(flags) != 0) {
    return step_error(uid != 0 ? "unshare (with a user namespace)" : "unshare", errno);
  }
  if (uid != 0) {
    Status s = write_file("/proc/self/setgroups", "deny");
    if (s.ok()) {
      s = write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1");
    }
    if (s.ok()) {
      s = write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
    }
    if (!s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

Status build_sandbox_root(const SandboxRootPlan& plan) {
  Status s = do_mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE);
  if (!s.ok()) {
    return s;
  }
  std::vector<Source> binds;
  for (const fs::path& p : plan.writable) {
    Result<Source> src = open_source(p, false);
    if (!src.ok()) {
      return src.status();
    }
    binds.push_back(std::move(src.value()));
  }
  for (const fs::path& p : plan.readable) {
    Result<Source> src = open_source(p, true);
    if (!src.ok()) {
      return src.status();
    }
    binds.push_back(std::move(src.value()));
  }

  const std::string root = kStaging;
  s = do_mount("ipcgrade-root", root, "tmpfs", MS_NOSUID | MS_NODEV,
               tmpfs_options(1 << 20, 4096, "0755"));
  if (!s.ok()) {
    return s;
  }
  for (const char* tree : kSystemTrees) {
    struct stat st;
    if (::lstat(tree, &st) != 0) {
      continue;  // not on this system
    }
    const std::string target = root + tree;
    if (S_ISLNK(st.st_mode)) {
      char link[4096];
      ssize_t n = ::readlink(tree, link, sizeof link - 1);
      if (n <= 0 || ::symlink(std::string(link, static_cast<std::size_t>(n)).c_str(),
                              target.c_str()) != 0) {
        return step_error(std::string("symlink ") + tree, errno);
      }
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      continue;
    }
    if (::mkdir(target.c_str(), 0755) != 0) {
      return step_error("mkdir " + target, errno);
    }
    s = do_mount(tree, target, nullptr, MS_BIND | MS_REC);
    if (s.ok()) {
      s = make_read_only(target, true);
    }
    if (!s.ok()) {
      return s;
    }
  }

  // /dev: a few harmless devices, bound from the host's.
  const std::string dev = root + "/dev";
  ::mkdir(dev.c_str(), 0755);
  s = do_mount("ipcgrade-dev", dev, "tmpfs", MS_NOSUID | MS_NOEXEC,
               tmpfs_options(64 << 10, 64, "0755"));
  if (!s.ok()) {
    return s;
  }
  for (const char* d : kDevices) {
    const std::string target = dev + "/" + d;
    s = make_mount_point(target, false);
    if (s.ok()) {
      s = do_mount(("/dev/" + std::string(d)).c_str(), target, nullptr, MS_BIND);
    }
    if (!s.ok()) {
      return s;
    }
  }
  const std::pair<const char*, const char*> links[] = {{"/proc/self/fd", "fd"},
                                                       {"/proc/self/fd/0", "stdin"},
                                                       {"/proc/self/fd/1", "stdout"},
                                                       {"/proc/self/fd/2", "stderr"}};
  for (const auto& [to, name] : links) {
    if (::symlink(to, (dev + "/" + name).c_str()) != 0) {
      return step_error("symlink /dev/" + std::string(name), errno);
    }
  }
  const std::string shm = dev + "/shm";
  const std::string mqueue = dev + "/mqueue";
  ::mkdir(shm.c_str(), 0755);
  ::mkdir(mqueue.c_str(), 0755);
  s = do_mount("ipcgrade-shm", shm, "tmpfs", MS_NOSUID | MS_NODEV,
               tmpfs_options(plan.shm_bytes, plan.shm_inodes, "1777"));
  if (!s.ok()) {
    return s;
  }
  // The new IPC namespace's message queues, for programs that look at them.
  (void)do_mount("mqueue", mqueue, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC);
  s = do_mount(nullptr, dev, nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC,
               tmpfs_options(64 << 10, 64, "0755"));
  if (!s.ok()) {
    return s;
  }

  // /proc of the new PID namespace; what writes to the kernel stays read-only.
  const std::string proc = root + "/proc";
  ::mkdir(proc.c_str(), 0555);
  s = do_mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
  if (!s.ok()) {
    return s;
  }
  for (const char* p : {"/sys", "/sysrq-trigger"}) {
    const std::string target = proc + p;
    if (::access(target.c_str(), F_OK) != 0) {
      continue;
    }
    s = do_mount(target.c_str(), target, nullptr, MS_BIND | MS_REC);
    if (s.ok()) {
      s = make_read_only(target, true);
    }
    if (!s.ok()) {
      return s;
    }
  }

  const std::string tmp = root + "/tmp";
  ::mkdir(tmp.c_str(), 0755);
  s = do_mount("ipcgrade-tmp", tmp, "tmpfs", MS_NOSUID | MS_NODEV,
               tmpfs_options(plan.tmp_bytes, plan.tmp_inodes, "1777"));
  if (!s.ok()) {
    return s;
  }

  for (Source& b : binds) {
    const std::string target = root + b.path.string();
    s = make_mount_point(target, b.directory);
    if (s.ok()) {
      s = bind_fd(b.fd.get(), target, b.read_only);
    }
    if (!s.ok()) {
      return s;
    }
  }
  for (const fs::path& h : plan.hidden) {
    // Only the allowed system trees show the host's files: anywhere else a
    // secret is already absent (and covering /tmp would hide the run's own
    // folder).
    bool in_system_tree = false;
    for (const char* tree : kSystemTrees) {
      in_system_tree = in_system_tree || h.string().rfind(std::string(tree) + "/", 0) == 0;
    }
    if (!in_system_tree) {
      continue;
    }
    const std::string target = root + h.string();
    struct stat st;
    if (::stat(target.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      continue;  // not visible in the sandbox: nothing to hide
    }
    s = do_mount("ipcgrade-hidden", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV,
                 tmpfs_options(4096, 1, "0555"));
    if (!s.ok()) {
      return s;
    }
  }

  if (::chdir(root.c_str()) != 0) {
    return step_error("chdir " + root, errno);
  }
  if (::syscall(SYS_pivot_root, ".", ".") != 0) {
    return step_error("pivot_root", errno);
  }
  if (::umount2(".", MNT_DETACH) != 0) {
    return step_error("umount the old root", errno);
  }
  if (::chdir("/") != 0) {
    return step_error("chdir /", errno);
  }
  return do_mount(nullptr, "/", nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
                  tmpfs_options(1 << 20, 4096, "0755"));
}

Status bring_up_loopback() {
  int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    return step_error("socket for lo", errno);
  }
  ScopedFd guard(sock);
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(sock, SIOCGIFFLAGS, &ifr) != 0) {
    return step_error("lo flags", errno);
  }
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (::ioctl(sock, SIOCSIFFLAGS, &ifr) != 0) {
    return step_error("lo up", errno);
  }
  return Status::Ok();
}

int drop_privileges() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return errno;
  }
  for (int cap = 0; cap <= 63; ++cap) {
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno == EINVAL) {
      break;  // past the kernel's last capability
    }
  }
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  std::memset(data, 0, sizeof data);
  if (::syscall(SYS_capset, &header, data) != 0) {
    return errno;
  }
  return 0;
}

}  // namespace ipcgrade
