// Store: the SQLite database that keeps every grading of every submission.
// One row per submission (its path and the hash of its files), one per
// grading run, one per test result and one per finding; history is only
// ever added to, never overwritten, so re-grading a submission adds a run.
// Each run also keeps its public JSON (report_json.h) for exports, but
// load_run() rebuilds a Report from the rows alone.
//
// The file is ours only if its PRAGMA application_id says so: a file that is
// not SQLite, another application's database, or one written by a newer
// ipcgrade is refused with InvalidInput and left byte-for-byte as it was. An
// empty (0-byte) or missing file is initialised. The schema version lives in
// PRAGMA user_version and is brought up to date by the ordered migrations in
// store.cpp when the file is opened for writing.
//
// The database uses WAL, so readers (reports, exports) never block a grading
// batch; writers wait up to five seconds for each other (busy_timeout). A
// Store owns its connection and may be used by one thread at a time; other
// threads and processes open their own Store on the same file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "grader/report.h"
#include "grader/sqlite_handle.h"

namespace ipcgrade {

// One line of a submission's history.
struct RunSummary {
  std::int64_t run_id = 0;
  std::string lab;
  std::string started_at;
  double score = 0;
  double max_score = 0;
  std::string files_hash;  // the submission's files when it was graded
  std::string grader_version;
  std::string status;  // complete | internal-error
};

class Store {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // 'IPCG': marks a SQLite file as an ipcgrade store.
  static constexpr std::int32_t kApplicationId = 0x49504347;

  // Opens the store at `path`. kReadWrite creates a missing file and
  // migrates an older schema; kReadOnly requires an existing, current store
  // and never writes to it.
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& path,
                                             Mode mode = Mode::kReadWrite);
  // The schema version this ipcgrade writes (the last migration's).
  static int schema_version();

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Saves one graded submission in one transaction and returns the new run's
  // id: either every row of it is visible afterwards, or none is. The
  // submission row is found by (report.submission, report.submission_hash)
  // or created with first_seen = report.started_at.
  Result<std::int64_t> save(const Report& report);

  // Every run of the submission at this path (any files hash), in the order
  // they were saved: oldest first.
  Result<std::vector<RunSummary>> history(const std::string& submission_path) const;

  // The full Report of one run, rebuilt from its rows. An id that is not in
  // the store is InvalidInput.
  Result<Report> load_run(std::int64_t run_id) const;

  // The id of the last run of `lab` on the submission at this path, if any.
  Result<std::optional<std::int64_t>> latest_run(const std::string& submission_path,
                                                 const std::string& lab) const;

  // Whether these files were already graded completely (status complete)
  // for this lab, lab version and grader version: a batch resuming after an
  // interruption skips them. Runs that ended in an internal error do not
  // count, so they are graded again.
  Result<bool> has_run(const std::string& files_hash, const std::string& lab,
                       const std::string& lab_hash, const std::string& grader_version) const;

 private:
  Store(std::filesystem::path path, SqliteDb db) : path_(std::move(path)), db_(std::move(db)) {}

  // What the file holds, read without writing to it.
  struct Identity {
    bool empty = false;      // no schema, no application id: ours to initialise
    int schema_version = 0;  // user_version, when the file is ours
  };
  Result<Identity> identify() const;
  Status migrate();
  Status check_tables() const;

  // A failed SQLite call as a Status naming the file and what we were doing.
  // A damaged or foreign file is InvalidInput; anything else is Internal.
  Status error(int rc, const std::string& doing) const;
  Result<SqliteStatement> prepare(const char* sql) const;
  Status exec(const char* sql, const std::string& doing);
  // Binds `values` to a statement that returns no rows (an INSERT) and
  // steps it once; the statement may be executed again with other values.
  template <typename... Values>
  Status execute(SqliteStatement& statement, const std::string& doing, const Values&... values);

  std::filesystem::path path_;
  SqliteDb db_;
};

}  // namespace ipcgrade
