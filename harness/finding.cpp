#include "harness/finding.h"

#include <algorithm>
#include <array>
#include <utility>

namespace ipcgrade {
namespace {

constexpr std::array<std::pair<FindingKind, std::string_view>, 17> kNames = {{
    {FindingKind::kBuild, "build"},
    {FindingKind::kWrongOutput, "wrong-output"},
    {FindingKind::kCrash, "crash"},
    {FindingKind::kTimeout, "timeout"},
    {FindingKind::kDeadlock, "deadlock"},
    {FindingKind::kEofHang, "eof-hang"},
    {FindingKind::kSigpipe, "sigpipe"},
    {FindingKind::kEintr, "eintr"},
    {FindingKind::kShortIo, "short-io"},
    {FindingKind::kRace, "race"},
    {FindingKind::kZombie, "zombie"},
    {FindingKind::kOrphan, "orphan"},
    {FindingKind::kFdLeak, "fd-leak"},
    {FindingKind::kIpcLeak, "ipc-leak"},
    {FindingKind::kBusyWait, "busy-wait"},
    {FindingKind::kSignalUnsafe, "signal-unsafe"},
    {FindingKind::kResourceLimit, "resource-limit"},
}};

}  // namespace

std::string_view to_string(FindingKind kind) {
  for (const auto& [k, name] : kNames) {
    if (k == kind) {
      return name;
    }
  }
  return "unknown";
}

std::optional<FindingKind> parse_finding_kind(std::string_view name) {
  for (const auto& [k, n] : kNames) {
    if (n == name) {
      return k;
    }
  }
  return std::nullopt;
}

const std::vector<FindingKind>& all_finding_kinds() {
  static const std::vector<FindingKind> kinds = [] {
    std::vector<FindingKind> v;
    for (const auto& [k, n] : kNames) {
      v.push_back(k);
    }
    return v;
  }();
  return kinds;
}

void merge_findings(std::vector<Finding>& findings, const std::vector<Finding>& extra) {
  for (const Finding& f : extra) {
    bool dup = std::any_of(findings.begin(), findings.end(), [&](const Finding& g) {
      return g.kind == f.kind && g.test == f.test &&
             (g.program == f.program || g.evidence == f.evidence);
    });
    if (!dup) {
      findings.push_back(f);
    }
  }
}

}  // namespace ipcgrade
