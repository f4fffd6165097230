#include "harness/ipc_leak.h"

#include <fmt/format.h>
#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ipcgrade {

namespace {

std::string read_small_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A POSIX name ("/x") that names exactly one entry directly in /dev/shm:
// one leading slash, then no slash, not "." or "..", at most NAME_MAX.
bool safe_posix_name(const std::string& name) {
  if (name.size() < 2 || name[0] != '/' || name.size() > 250) {
    return false;
  }
  std::string rest = name.substr(1);
  return rest.find('/') == std::string::npos && rest != "." && rest != ".." &&
         rest.find('\0') == std::string::npos;
}

struct FileId {
  std::uint64_t ino = 0;
  bool fifo = false;
  bool regular = false;
};

std::optional<FileId> lstat_id(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    return std::nullopt;
  }
  return FileId{static_cast<std::uint64_t>(st.st_ino), S_ISFIFO(st.st_mode) != 0,
                S_ISREG(st.st_mode) != 0};
}

void note_removal(IpcLeak& leak, int rc) {
  leak.removed = rc == 0;
  if (rc != 0) {
    leak.remove_error = std::strerror(errno);
  }
}

}  // namespace

std::map<long, IpcSnapshot::SysvObject> parse_sysvipc_table(const std::string& text) {
  std::map<long, IpcSnapshot::SysvObject> out;
  std::istringstream in(text);
  std::string header;
  if (!std::getline(in, header)) {
    return out;
  }
  std::vector<std::string> columns;
  {
    std::istringstream h(header);
    std::string c;
    while (h >> c) {
      columns.push_back(c);
    }
  }
  auto index_of = [&](const char* name) -> int {
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (columns[i] == name) {
        return static_cast<int>(i);
      }
    }
    return -1;
  };
  int key_i = index_of("key");
  int id_i = index_of("shmid") >= 0 ? index_of("shmid")
                                     : (index_of("semid") >= 0 ? index_of("semid")
                                                               : index_of("msqid"));
  int cpid_i = index_of("cpid");
  int lpid_i = index_of("lpid") >= 0 ? index_of("lpid") : index_of("lspid");
  int lrpid_i = index_of("lrpid");
  int ctime_i = index_of("ctime");
  if (key_i < 0 || id_i < 0) {
    return out;
  }
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::vector<std::string> cells;
    std::string c;
    while (l >> c) {
      cells.push_back(c);
    }
    if (cells.size() < columns.size()) {
      continue;
    }
    try {
      IpcSnapshot::SysvObject o;
      long long key = std::stoll(cells[key_i]);
      o.key = static_cast<std::uint64_t>(static_cast<std::uint32_t>(key));
      long id = std::stol(cells[id_i]);
      if (cpid_i >= 0) {
        o.cpid = std::stol(cells[cpid_i]);
      }
      if (lpid_i >= 0) {
        o.lspid = std::stol(cells[lpid_i]);
      }
      if (lrpid_i >= 0) {
        o.lrpid = std::stol(cells[lrpid_i]);
      }
      if (ctime_i >= 0) {
        o.ctime = std::stoll(cells[ctime_i]);
      }
      out[id] = o;
    } catch (const std::exception&) {
      continue;
    }
  }
  return out;
}

IpcSnapshot take_ipc_snapshot(const std::string& dev_shm, const std::string& sysvipc) {
  IpcSnapshot snap;
  if (DIR* d = ::opendir(dev_shm.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") {
        continue;
      }
      struct stat st;
      if (::fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        snap.dev_shm[name] = IpcSnapshot::ShmFile{static_cast<std::uint64_t>(st.st_ino),
                                                  st.st_uid,
                                                  static_cast<std::int64_t>(st.st_ctime)};
      }
    }
    ::closedir(d);
  }
  snap.shm = parse_sysvipc_table(read_small_file(sysvipc + "/shm"));
  snap.sem = parse_sysvipc_table(read_small_file(sysvipc + "/sem"));
  snap.msg = parse_sysvipc_table(read_small_file(sysvipc + "/msg"));
  return snap;
}

std::vector<IpcLeak> sweep_ipc_leaks(const std::vector<IpcEvent>& events,
                                     const IpcSnapshot& before, const IpcSnapshot& after,
                                     const RunIdentity& run, const std::string& dev_shm) {
  std::vector<IpcLeak> leaks;
  std::set<std::string> done_names;  // kind + name, or kind + id
  std::set<long> done_shm, done_msg;

  for (const IpcEvent& e : events) {
    if (!e.create) {
      continue;
    }
    IpcLeak leak;
    leak.kind = e.kind;
    leak.prog = e.prog;
    leak.pid = e.pid;
    if (e.kind == "shm" || e.kind == "sem") {
      if (!safe_posix_name(e.name) || !e.ino) {
        continue;
      }
      std::string entry = (e.kind == "sem" ? "sem." : "") + e.name.substr(1);
      if (!done_names.insert(e.kind + entry).second) {
        continue;
      }
      std::optional<FileId> now = lstat_id(dev_shm + "/" + entry);
      if (!now || !now->regular || now->ino != *e.ino) {
        continue;  // removed, or another object has the name now
      }
      auto was = before.dev_shm.find(entry);
      if (was != before.dev_shm.end() && was->second.ino == *e.ino) {
        continue;  // it was there before the run: not the run's
      }
      leak.name = e.name;
      if (dev_shm == "/dev/shm") {
        note_removal(leak, e.kind == "shm" ? ::shm_unlink(e.name.c_str())
                                           : ::sem_unlink(e.name.c_str()));
      } else {
        note_removal(leak, ::unlink((dev_shm + "/" + entry).c_str()));
      }
      leaks.push_back(leak);
    } else if (e.kind == "mq") {
      if (!safe_posix_name(e.name) || !e.ino || !done_names.insert("mq" + e.name).second) {
        continue;
      }
      mqd_t q = ::mq_open(e.name.c_str(), O_RDONLY | O_NONBLOCK);
      if (q == static_cast<mqd_t>(-1)) {
        continue;
      }
      struct stat st;
      bool same = ::fstat(static_cast<int>(q), &st) == 0 &&
                  static_cast<std::uint64_t>(st.st_ino) == *e.ino;
      ::mq_close(q);
      if (!same) {
        continue;
      }
      leak.name = e.name;
      note_removal(leak, ::mq_unlink(e.name.c_str()));
      leaks.push_back(leak);
    } else if (e.kind == "fifo") {
      if (e.name.empty() || e.name[0] != '/' || !e.ino ||
          !done_names.insert("fifo" + e.name).second) {
        continue;
      }
      std::optional<FileId> now = lstat_id(e.name);
      if (!now || !now->fifo || now->ino != *e.ino) {
        continue;
      }
      leak.name = e.name;
      note_removal(leak, ::unlink(e.name.c_str()));
      leaks.push_back(leak);
    } else if (e.id) {
      long id = *e.id;
      const auto& was = e.kind == "sysv-shm"   ? before.shm
                        : e.kind == "sysv-sem" ? before.sem
                                               : before.msg;
      if (was.count(id) != 0 || !done_names.insert(e.kind + std::to_string(id)).second) {
        continue;  // there before the run
      }
      std::uint64_t key = 0;
      std::int64_t ctime = 0;
      bool ours = false;
      if (e.kind == "sysv-shm") {
        struct shmid_ds ds;
        if (::shmctl(static_cast<int>(id), IPC_STAT, &ds) == 0) {
          key = static_cast<std::uint32_t>(ds.shm_perm.__key);
          ctime = ds.shm_ctime;
          ours = run.pids.count(ds.shm_cpid) != 0;
        }
      } else if (e.kind == "sysv-sem") {
        struct semid_ds ds;
        if (::semctl(static_cast<int>(id), 0, IPC_STAT, &ds) == 0) {
          key = static_cast<std::uint32_t>(ds.sem_perm.__key);
          ctime = ds.sem_ctime;
          ours = true;  // new since the run began, with the recorded key
        }
      } else {
        struct msqid_ds ds;
        if (::msgctl(static_cast<int>(id), IPC_STAT, &ds) == 0) {
          key = static_cast<std::uint32_t>(ds.msg_perm.__key);
          ctime = ds.msg_ctime;
          ours = true;
        }
      }
      if (!ours || (e.key && *e.key != key) ||
          (run.started != 0 && (ctime + 1 < run.started || ctime > run.ended + 1))) {
        continue;
      }
      leak.name = "id " + std::to_string(id) + " (key " + fmt::format("{:#x}", key) + ")";
      int rc = e.kind == "sysv-shm"   ? ::shmctl(static_cast<int>(id), IPC_RMID, nullptr)
               : e.kind == "sysv-sem" ? ::semctl(static_cast<int>(id), 0, IPC_RMID)
                                      : ::msgctl(static_cast<int>(id), IPC_RMID, nullptr);
      note_removal(leak, rc);
      (e.kind == "sysv-shm" ? done_shm : done_msg).insert(id);
      leaks.push_back(leak);
    }
  }

  // The backstop: objects created without the shim, when provably the run's.
  auto in_window = [&](std::int64_t t) {
    return run.started == 0 || (t + 1 >= run.started && t <= run.ended + 1);
  };
  for (const auto& [id, o] : after.shm) {
    if (before.shm.count(id) != 0 || done_shm.count(id) != 0 || run.pids.count(o.cpid) == 0 ||
        !in_window(o.ctime)) {
      continue;
    }
    struct shmid_ds ds;
    if (::shmctl(static_cast<int>(id), IPC_STAT, &ds) != 0 || ds.shm_cpid != o.cpid) {
      continue;
    }
    IpcLeak leak;
    leak.kind = "sysv-shm";
    leak.name = "id " + std::to_string(id) + " (key " + fmt::format("{:#x}", o.key) + ")";
    leak.pid = o.cpid;
    leak.from_backstop = true;
    note_removal(leak, ::shmctl(static_cast<int>(id), IPC_RMID, nullptr));
    leaks.push_back(leak);
  }
  for (const auto& [id, o] : after.msg) {
    bool used_by_run = (o.lspid != 0 || o.lrpid != 0) &&
                       (o.lspid == 0 || run.pids.count(o.lspid) != 0) &&
                       (o.lrpid == 0 || run.pids.count(o.lrpid) != 0);
    if (before.msg.count(id) != 0 || done_msg.count(id) != 0 || !used_by_run ||
        !in_window(o.ctime)) {
      continue;
    }
    IpcLeak leak;
    leak.kind = "sysv-msg";
    leak.name = "id " + std::to_string(id) + " (key " + fmt::format("{:#x}", o.key) + ")";
    leak.pid = o.lspid != 0 ? o.lspid : o.lrpid;
    leak.from_backstop = true;
    note_removal(leak, ::msgctl(static_cast<int>(id), IPC_RMID, nullptr));
    leaks.push_back(leak);
  }
  if (run.uid_exclusive) {
    for (const auto& [name, f] : after.dev_shm) {
      auto was = before.dev_shm.find(name);
      bool recorded = done_names.count("shm" + name) != 0 ||
                      (name.rfind("sem.", 0) == 0 && done_names.count("sem" + name) != 0);
      if ((was != before.dev_shm.end() && was->second.ino == f.ino) || recorded ||
          f.uid != run.uid || !in_window(f.ctime)) {
        continue;
      }
      std::optional<FileId> now = lstat_id(dev_shm + "/" + name);
      if (!now || now->ino != f.ino) {
        continue;
      }
      IpcLeak leak;
      bool sem = name.rfind("sem.", 0) == 0;
      leak.kind = sem ? "sem" : "shm";
      leak.name = "/" + (sem ? name.substr(4) : name);
      leak.from_backstop = true;
      note_removal(leak, ::unlink((dev_shm + "/" + name).c_str()));
      leaks.push_back(leak);
    }
  }
  return leaks;
}

std::vector<Finding> ipc_leak_findings(const std::vector<IpcLeak>& leaks,
                                       const ObservationContext& c) {
  std::vector<Finding> out;
  constexpr std::size_t kMaxFindings = 8;
  for (const IpcLeak& l : leaks) {
    if (out.size() == kMaxFindings) {
      out.back().evidence += "\n... and " + std::to_string(leaks.size() - kMaxFindings) +
                             " more object(s), removed as well";
      break;
    }
    std::string what, fix;
    if (l.kind == "shm") {
      what = "the POSIX shared-memory object " + l.name;
      fix = "call shm_unlink(\"" + l.name + "\") once every process has opened it";
    } else if (l.kind == "sem") {
      what = "the named semaphore " + l.name;
      fix = "call sem_unlink(\"" + l.name + "\") once every process has opened it";
    } else if (l.kind == "mq") {
      what = "the message queue " + l.name;
      fix = "call mq_unlink(\"" + l.name + "\") when it is no longer needed";
    } else if (l.kind == "fifo") {
      what = "the FIFO " + l.name;
      fix = "unlink() the FIFO when both ends are open or the work is done";
    } else if (l.kind == "sysv-shm") {
      what = "a System V shared-memory segment, " + l.name;
      fix = "call shmctl(id, IPC_RMID, NULL) after the last shmat (it is removed when the "
            "last process detaches)";
    } else if (l.kind == "sysv-sem") {
      what = "a System V semaphore set, " + l.name;
      fix = "call semctl(id, 0, IPC_RMID) when every process is done with it";
    } else {
      what = "a System V message queue, " + l.name;
      fix = "call msgctl(id, IPC_RMID, NULL) when every process is done with it";
    }
    std::string who = l.prog.empty() ? std::string() : " ./" + l.prog;
    Finding f;
    f.kind = FindingKind::kIpcLeak;
    f.test = c.test;
    f.program = l.prog.empty() ? c.program : l.prog;
    f.message = "./" + f.program + " left " + what +
                " behind: IPC objects outlive the processes that made them, until they are "
                "removed or the machine reboots. To fix it, " + fix + ".";
    f.evidence = what + " still existed when the run ended" +
                 (l.pid != 0 ? " (made by pid " + std::to_string(l.pid) + who + ")" : "") +
                 (l.from_backstop ? "; seen in the system's IPC tables" : "") +
                 (l.removed ? "; the grader removed it" : "; the grader could not remove it: " +
                                                              l.remove_error);
    f.repro = c.repro;
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace ipcgrade
