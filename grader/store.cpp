#include "grader/store.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <system_error>
#include <utility>

#include "grader/report_json.h"

namespace ipcgrade {
namespace {

// Schema version 1. A migration is never edited once released: a change is
// a new entry in kMigrations. The finding kinds are spelled out (not made
// from all_finding_kinds()) so that version 1 means the same schema on every
// ipcgrade; store_test checks the list matches findings.md.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE submissions (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL,
  files_hash TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  UNIQUE (path, files_hash)
);
CREATE INDEX submissions_by_files_hash ON submissions (files_hash);

CREATE TABLE grading_runs (
  id INTEGER PRIMARY KEY,
  submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
  lab TEXT NOT NULL,
  lab_hash TEXT NOT NULL,
  grader_version TEXT NOT NULL,
  started_at TEXT NOT NULL,
  duration_seconds REAL NOT NULL,
  sandbox_tier TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('complete', 'internal-error')),
  internal_error TEXT,
  score REAL NOT NULL,
  max_score REAL NOT NULL,
  build_ok INTEGER NOT NULL CHECK (build_ok IN (0, 1)),
  build_output TEXT NOT NULL,
  report_json TEXT NOT NULL
);
CREATE INDEX grading_runs_by_submission ON grading_runs (submission_id, id);
CREATE INDEX grading_runs_by_lab ON grading_runs (lab, lab_hash, grader_version);

CREATE TABLE test_results (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES grading_runs (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  program TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('passed', 'failed', 'error')),
  score REAL NOT NULL,
  max_score REAL NOT NULL,
  output TEXT NOT NULL,
  visibility TEXT NOT NULL CHECK (visibility IN ('public', 'hidden')),
  repetitions INTEGER NOT NULL CHECK (repetitions >= 0),
  passed_repetitions INTEGER NOT NULL
      CHECK (passed_repetitions BETWEEN 0 AND repetitions),
  wall_seconds REAL NOT NULL,
  UNIQUE (run_id, position)
);

CREATE TABLE findings (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES grading_runs (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN (
      'build', 'wrong-output', 'crash', 'timeout', 'deadlock', 'eof-hang',
      'sigpipe', 'eintr', 'short-io', 'race', 'zombie', 'orphan', 'fd-leak',
      'ipc-leak', 'busy-wait', 'signal-unsafe', 'resource-limit')),
  test TEXT NOT NULL,
  program TEXT NOT NULL,
  message TEXT NOT NULL,
  evidence TEXT NOT NULL,
  repro TEXT NOT NULL,
  UNIQUE (run_id, position)
);
CREATE INDEX findings_by_kind ON findings (kind);
)sql";

// Version 2: advice (remarks that cost no points: static analysis, the
// ThreadSanitizer pass), one row per item in the report's order.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE advice (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES grading_runs (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  tool TEXT NOT NULL,
  check_name TEXT NOT NULL,
  file TEXT NOT NULL,
  line INTEGER NOT NULL CHECK (line >= 0),
  message TEXT NOT NULL,
  UNIQUE (run_id, position)
);
)sql";

// Version 3: what the isolation tier lacked (issue 5). Rows written before
// it read as '' (nothing recorded).
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE grading_runs ADD COLUMN sandbox_lacks TEXT NOT NULL DEFAULT '';
)sql";

struct Migration {
  int version;      // user_version once applied
  const char* sql;  // brings the schema from version - 1 to version
};

// In order. Version 2 is one more line here.
constexpr Migration kMigrations[] = {
    {1, kSchemaV1},
    {2, kSchemaV2},
    {3, kSchemaV3},
};

constexpr const char* kTables[] = {"submissions", "grading_runs", "test_results", "findings",
                                   "advice"};

std::string hex32(std::int64_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08llx",
                static_cast<unsigned long long>(static_cast<std::uint32_t>(value)));
  return text;
}

// Rolls back the transaction it was made for unless dismissed after COMMIT,
// so that every early return from save() leaves nothing behind.
class RollbackGuard {
 public:
  explicit RollbackGuard(sqlite3* db) : db_(db) {}
  RollbackGuard(const RollbackGuard&) = delete;
  RollbackGuard& operator=(const RollbackGuard&) = delete;
  ~RollbackGuard() {
    // A failed COMMIT may already have rolled back; autocommit says so.
    if (db_ != nullptr && sqlite3_get_autocommit(db_) == 0) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  void dismiss() { db_ = nullptr; }

 private:
  sqlite3* db_;
};

}  // namespace

int Store::schema_version() { return kMigrations[std::size(kMigrations) - 1].version; }

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& path, Mode mode) {
  const bool read_only = mode == Mode::kReadOnly;
  std::error_code ec;
  const auto type = std::filesystem::status(path, ec).type();
  if (type == std::filesystem::file_type::not_found && read_only) {
    return Status::InvalidInput(path.string() + ": no such database file");
  }
  if (type == std::filesystem::file_type::directory) {
    return Status::InvalidInput(path.string() + " is a directory, not a database file");
  }

  // No SQLITE_OPEN_URI: the path is a file name, never "file:...?options".
  const int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  SqliteDb db(raw);  // owns the handle even when the open failed
  if (rc != SQLITE_OK) {
    return Status::InvalidInput(path.string() + ": cannot open database: " +
                                (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), 5000);
  // Until the file is known to be ours, closing must not checkpoint a WAL
  // into it: a foreign database has to stay exactly as it was.
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  // A hostile file may carry triggers and views: no schema tricks
  // (DEFENSIVE), and its schema may call only harmless functions.
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
#ifdef SQLITE_DBCONFIG_TRUSTED_SCHEMA
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
#endif

  std::unique_ptr<Store> store(new Store(path, std::move(db)));
  Result<Identity> identity = store->identify();
  if (!identity.ok()) {
    return identity.status();
  }
  if (read_only) {
    if (identity->empty) {
      return Status::InvalidInput(path.string() +
                                  " holds no ipcgrade data yet (an empty database)");
    }
    if (identity->schema_version < schema_version()) {
      return Status::InvalidInput(
          path.string() + " has schema version " + std::to_string(identity->schema_version) +
          ", older than this ipcgrade's " + std::to_string(schema_version()) +
          "; open it once for writing (e.g. by grading) to upgrade it");
    }
  } else {
    // SQLite falls back to read-only when the file's permissions say so.
    if (sqlite3_db_readonly(store->db_.get(), "main") == 1) {
      return Status::InvalidInput(path.string() + " is not writable");
    }
    Status s = store->exec("PRAGMA foreign_keys = ON", "enabling foreign keys");
    if (s.ok()) {
      // Persistent in the file. On a file system without shared memory
      // SQLite keeps its rollback journal: slower for readers, still correct.
      s = store->exec("PRAGMA journal_mode = WAL", "switching to WAL");
    }
    if (s.ok() && identity->schema_version < schema_version()) {
      s = store->migrate();
    }
    if (!s.ok()) {
      return s;
    }
  }
  Status s = store->check_tables();
  if (!s.ok()) {
    return s;
  }
  sqlite3_db_config(store->db_.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);
  return store;
}

Result<Store::Identity> Store::identify() const {
  auto refuse = [this](const std::string& why) {
    return Status::InvalidInput(path_.string() + " is not an ipcgrade database (" + why +
                                "); refusing to modify it");
  };
  // Three reads that never write; on a file that is not SQLite the first
  // one fails with SQLITE_NOTADB.
  constexpr const char* kQueries[] = {"PRAGMA application_id", "PRAGMA user_version",
                                      "SELECT count(*) FROM sqlite_master"};
  std::int64_t values[std::size(kQueries)] = {};
  for (std::size_t i = 0; i < std::size(kQueries); ++i) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db_.get(), kQueries[i], -1, &raw, nullptr);
    SqliteStatement statement(raw);
    if (rc == SQLITE_OK) {
      rc = statement.step();
    }
    if (rc == SQLITE_ROW) {
      values[i] = statement.column_int64(0);
    } else if ((rc & 0xff) == SQLITE_NOTADB) {
      return refuse("not a SQLite file: " + std::string(sqlite3_errmsg(db_.get())));
    } else {
      return error(rc, "reading the database header");
    }
  }
  const std::int64_t application_id = values[0];
  const std::int64_t user_version = values[1];
  const std::int64_t objects = values[2];

  Identity identity;
  if (application_id == 0 && user_version == 0 && objects == 0) {
    identity.empty = true;
    return identity;
  }
  if (application_id != kApplicationId) {
    return refuse("application_id " + hex32(application_id) + ", expected " +
                  hex32(kApplicationId));
  }
  if (user_version > schema_version()) {
    return Status::InvalidInput(
        path_.string() + " was written by a newer ipcgrade (schema version " +
        std::to_string(user_version) + "; this ipcgrade knows up to " +
        std::to_string(schema_version()) + "); refusing to modify it: upgrade ipcgrade");
  }
  if (user_version < 0) {
    return refuse("schema version " + std::to_string(user_version));
  }
  identity.schema_version = static_cast<int>(user_version);
  return identity;
}

Status Store::migrate() {
  Status s = exec("BEGIN IMMEDIATE", "starting the schema migration");
  if (!s.ok()) {
    return s;
  }
  RollbackGuard guard(db_.get());
  // Another process may have initialised or migrated the file since we
  // looked; holding the write lock now, look again.
  Result<Identity> identity = identify();
  if (!identity.ok()) {
    return identity.status();
  }
  for (const Migration& migration : kMigrations) {
    if (migration.version <= identity->schema_version) {
      continue;
    }
    const std::string doing = "migrating to schema version " + std::to_string(migration.version);
    s = exec(migration.sql, doing);
    if (s.ok()) {
      // PRAGMA takes no bound parameters; the value is our own constant.
      s = exec(("PRAGMA user_version = " + std::to_string(migration.version)).c_str(), doing);
    }
    if (!s.ok()) {
      return s;
    }
  }
  s = exec(("PRAGMA application_id = " + std::to_string(kApplicationId)).c_str(),
           "marking the file as an ipcgrade database");
  if (s.ok()) {
    s = exec("COMMIT", "committing the schema migration");
  }
  if (s.ok()) {
    guard.dismiss();
  }
  return s;
}

Status Store::check_tables() const {
  Result<SqliteStatement> statement =
      prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?");
  if (!statement.ok()) {
    return statement.status();
  }
  for (const char* table : kTables) {
    sqlite3_reset(statement->get());
    int rc = statement->bind_all(table);
    if (rc == SQLITE_OK) {
      rc = statement->step();
    }
    if (rc != SQLITE_ROW) {
      return error(rc, "checking the schema");
    }
    if (statement->column_int64(0) != 1) {
      return Status::InvalidInput(path_.string() +
                                  " is marked as an ipcgrade database but has no table " + table +
                                  "; it is damaged");
    }
  }
  return Status::Ok();
}

Status Store::error(int rc, const std::string& doing) const {
  const std::string detail = sqlite3_errmsg(db_.get());
  const std::string message = path_.string() + ": " + doing + ": " + detail;
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::InvalidInput(message + " (the file is damaged or not an ipcgrade database)");
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Status::InvalidInput(message);
    default:
      return Status::Internal(message);
  }
}

Result<SqliteStatement> Store::prepare(const char* sql) const {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db_.get(), sql, -1, &raw, nullptr);
  SqliteStatement statement(raw);
  if (rc != SQLITE_OK) {
    return error(rc, "preparing a query");
  }
  return statement;
}

Status Store::exec(const char* sql, const std::string& doing) {
  const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return error(rc, doing);
  }
  return Status::Ok();
}

template <typename... Values>
Status Store::execute(SqliteStatement& statement, const std::string& doing,
                      const Values&... values) {
  sqlite3_reset(statement.get());
  int rc = statement.bind_all(values...);
  if (rc == SQLITE_OK) {
    rc = statement.step();
  }
  if (rc != SQLITE_DONE) {
    return error(rc, doing);
  }
  return Status::Ok();
}

Result<std::int64_t> Store::save(const Report& report) {
  const std::string doing = "saving the grading of " + report.submission;
  Status s = exec("BEGIN IMMEDIATE", doing);
  if (!s.ok()) {
    return s;
  }
  RollbackGuard guard(db_.get());

  // The submission: found by path and files, or created.
  Result<SqliteStatement> find =
      prepare("SELECT id FROM submissions WHERE path = ? AND files_hash = ?");
  if (!find.ok()) {
    return find.status();
  }
  int rc = find->bind_all(report.submission, report.submission_hash);
  if (rc == SQLITE_OK) {
    rc = find->step();
  }
  std::int64_t submission_id = 0;
  if (rc == SQLITE_ROW) {
    submission_id = find->column_int64(0);
  } else if (rc == SQLITE_DONE) {
    Result<SqliteStatement> insert =
        prepare("INSERT INTO submissions (path, files_hash, first_seen) VALUES (?, ?, ?)");
    if (!insert.ok()) {
      return insert.status();
    }
    s = execute(*insert, doing, report.submission, report.submission_hash, report.started_at);
    if (!s.ok()) {
      return s;
    }
    submission_id = sqlite3_last_insert_rowid(db_.get());
  } else {
    return error(rc, doing);
  }

  // The run.
  Result<SqliteStatement> insert_run = prepare(
      "INSERT INTO grading_runs (submission_id, lab, lab_hash, grader_version, started_at,"
      " duration_seconds, sandbox_tier, status, internal_error, score, max_score, build_ok,"
      " build_output, report_json, sandbox_lacks)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!insert_run.ok()) {
    return insert_run.status();
  }
  const std::optional<std::string> internal_error =
      report.internal_error.empty() ? std::nullopt : std::optional(report.internal_error);
  const std::string report_json =
      to_json(report).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  s = execute(*insert_run, doing, submission_id, report.lab, report.lab_hash, report.grader_version,
              report.started_at, report.duration_seconds, report.sandbox_tier, report.status,
              internal_error, report.score, report.max_score, report.build_ok, report.build_output,
              report_json, report.sandbox_lacks);
  if (!s.ok()) {
    return s;
  }
  const std::int64_t run_id = sqlite3_last_insert_rowid(db_.get());

  // Its tests and findings, in the report's order.
  Result<SqliteStatement> insert_test = prepare(
      "INSERT INTO test_results (run_id, position, name, program, status, score, max_score,"
      " output, visibility, repetitions, passed_repetitions, wall_seconds)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!insert_test.ok()) {
    return insert_test.status();
  }
  for (std::size_t i = 0; i < report.tests.size(); ++i) {
    const TestReport& test = report.tests[i];
    s = execute(*insert_test, doing + ", test " + test.name, run_id, static_cast<std::int64_t>(i),
                test.name, test.program, test.status, test.score, test.max_score, test.output,
                test.hidden ? "hidden" : "public", test.repetitions, test.passed_repetitions,
                test.wall_seconds);
    if (!s.ok()) {
      return s;
    }
  }
  Result<SqliteStatement> insert_finding = prepare(
      "INSERT INTO findings (run_id, position, kind, test, program, message, evidence, repro)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!insert_finding.ok()) {
    return insert_finding.status();
  }
  for (std::size_t i = 0; i < report.findings.size(); ++i) {
    const Finding& finding = report.findings[i];
    s = execute(*insert_finding, doing + ", finding " + std::to_string(i), run_id,
                static_cast<std::int64_t>(i), std::string(to_string(finding.kind)), finding.test,
                finding.program, finding.message, finding.evidence, finding.repro);
    if (!s.ok()) {
      return s;
    }
  }

  Result<SqliteStatement> insert_advice = prepare(
      "INSERT INTO advice (run_id, position, tool, check_name, file, line, message)"
      " VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!insert_advice.ok()) {
    return insert_advice.status();
  }
  for (std::size_t i = 0; i < report.advice.size(); ++i) {
    const Advice& advice = report.advice[i];
    s = execute(*insert_advice, doing + ", advice " + std::to_string(i), run_id,
                static_cast<std::int64_t>(i), advice.tool, advice.check, advice.file,
                static_cast<std::int64_t>(std::max(advice.line, 0)), advice.message);
    if (!s.ok()) {
      return s;
    }
  }

  s = exec("COMMIT", doing);
  if (!s.ok()) {
    return s;
  }
  guard.dismiss();
  return run_id;
}

Result<std::vector<RunSummary>> Store::history(const std::string& submission_path) const {
  const std::string doing = "reading the history of " + submission_path;
  Result<SqliteStatement> query = prepare(
      "SELECT r.id, r.lab, r.started_at, r.score, r.max_score, s.files_hash,"
      " r.grader_version, r.status"
      " FROM grading_runs r JOIN submissions s ON s.id = r.submission_id"
      " WHERE s.path = ? ORDER BY r.id");
  if (!query.ok()) {
    return query.status();
  }
  int rc = query->bind_all(submission_path);
  std::vector<RunSummary> runs;
  while (rc == SQLITE_OK && (rc = query->step()) == SQLITE_ROW) {
    RunSummary run;
    run.run_id = query->column_int64(0);
    run.lab = query->column_text(1);
    run.started_at = query->column_text(2);
    run.score = query->column_double(3);
    run.max_score = query->column_double(4);
    run.files_hash = query->column_text(5);
    run.grader_version = query->column_text(6);
    run.status = query->column_text(7);
    runs.push_back(std::move(run));
    rc = SQLITE_OK;
  }
  if (rc != SQLITE_DONE) {
    return error(rc, doing);
  }
  return runs;
}

// A committed run's rows never change (history is append-only and a run is
// written in one transaction), so the three queries below need no common
// read transaction to agree with each other.
Result<Report> Store::load_run(std::int64_t run_id) const {
  const std::string doing = "loading grading run " + std::to_string(run_id);
  Result<SqliteStatement> query = prepare(
      "SELECT r.lab, r.lab_hash, s.path, s.files_hash, r.grader_version, r.started_at,"
      " r.duration_seconds, r.sandbox_tier, r.status, r.internal_error, r.score, r.max_score,"
      " r.build_ok, r.build_output, r.sandbox_lacks"
      " FROM grading_runs r JOIN submissions s ON s.id = r.submission_id WHERE r.id = ?");
  if (!query.ok()) {
    return query.status();
  }
  int rc = query->bind_all(run_id);
  if (rc == SQLITE_OK) {
    rc = query->step();
  }
  if (rc == SQLITE_DONE) {
    return Status::InvalidInput(path_.string() + " has no grading run " + std::to_string(run_id));
  }
  if (rc != SQLITE_ROW) {
    return error(rc, doing);
  }
  Report report;
  report.lab = query->column_text(0);
  report.lab_hash = query->column_text(1);
  report.submission = query->column_text(2);
  report.submission_hash = query->column_text(3);
  report.grader_version = query->column_text(4);
  report.started_at = query->column_text(5);
  report.duration_seconds = query->column_double(6);
  report.sandbox_tier = query->column_text(7);
  report.status = query->column_text(8);
  report.internal_error = query->column_text(9);  // NULL reads as ""
  report.score = query->column_double(10);
  report.max_score = query->column_double(11);
  report.sandbox_lacks = query->column_text(14);
  report.build_ok = query->column_int64(12) != 0;
  report.build_output = query->column_text(13);

  Result<SqliteStatement> tests = prepare(
      "SELECT name, program, status, score, max_score, output, visibility, repetitions,"
      " passed_repetitions, wall_seconds FROM test_results WHERE run_id = ? ORDER BY position");
  if (!tests.ok()) {
    return tests.status();
  }
  rc = tests->bind_all(run_id);
  while (rc == SQLITE_OK && (rc = tests->step()) == SQLITE_ROW) {
    TestReport test;
    test.name = tests->column_text(0);
    test.program = tests->column_text(1);
    test.status = tests->column_text(2);
    test.score = tests->column_double(3);
    test.max_score = tests->column_double(4);
    test.output = tests->column_text(5);
    test.hidden = tests->column_text(6) == "hidden";
    test.repetitions = static_cast<int>(tests->column_int64(7));
    test.passed_repetitions = static_cast<int>(tests->column_int64(8));
    test.wall_seconds = tests->column_double(9);
    report.tests.push_back(std::move(test));
    rc = SQLITE_OK;
  }
  if (rc != SQLITE_DONE) {
    return error(rc, doing);
  }

  Result<SqliteStatement> findings = prepare(
      "SELECT kind, test, program, message, evidence, repro FROM findings"
      " WHERE run_id = ? ORDER BY position");
  if (!findings.ok()) {
    return findings.status();
  }
  rc = findings->bind_all(run_id);
  while (rc == SQLITE_OK && (rc = findings->step()) == SQLITE_ROW) {
    Finding finding;
    const std::string kind = findings->column_text(0);
    std::optional<FindingKind> parsed = parse_finding_kind(kind);
    if (!parsed) {
      return Status::InvalidInput(path_.string() + ": " + doing + ": \"" + kind +
                                  "\" is not a finding kind of findings.md");
    }
    finding.kind = *parsed;
    finding.test = findings->column_text(1);
    finding.program = findings->column_text(2);
    finding.message = findings->column_text(3);
    finding.evidence = findings->column_text(4);
    finding.repro = findings->column_text(5);
    report.findings.push_back(std::move(finding));
    rc = SQLITE_OK;
  }
  if (rc != SQLITE_DONE) {
    return error(rc, doing);
  }

  Result<SqliteStatement> advice = prepare(
      "SELECT tool, check_name, file, line, message FROM advice WHERE run_id = ?"
      " ORDER BY position");
  if (!advice.ok()) {
    return advice.status();
  }
  rc = advice->bind_all(run_id);
  while (rc == SQLITE_OK && (rc = advice->step()) == SQLITE_ROW) {
    Advice item;
    item.tool = advice->column_text(0);
    item.check = advice->column_text(1);
    item.file = advice->column_text(2);
    item.line = static_cast<int>(advice->column_int64(3));
    item.message = advice->column_text(4);
    report.advice.push_back(std::move(item));
    rc = SQLITE_OK;
  }
  if (rc != SQLITE_DONE) {
    return error(rc, doing);
  }
  return report;
}

Result<std::optional<std::int64_t>> Store::latest_run(const std::string& submission_path,
                                                      const std::string& lab) const {
  Result<SqliteStatement> query = prepare(
      "SELECT r.id FROM grading_runs r JOIN submissions s ON s.id = r.submission_id"
      " WHERE s.path = ? AND r.lab = ? ORDER BY r.id DESC LIMIT 1");
  if (!query.ok()) {
    return query.status();
  }
  int rc = query->bind_all(submission_path, lab);
  if (rc == SQLITE_OK) {
    rc = query->step();
  }
  if (rc == SQLITE_ROW) {
    return std::optional<std::int64_t>(query->column_int64(0));
  }
  if (rc == SQLITE_DONE) {
    return std::optional<std::int64_t>();
  }
  return error(rc, "finding the latest run of " + submission_path);
}

Result<bool> Store::has_run(const std::string& files_hash, const std::string& lab,
                            const std::string& lab_hash, const std::string& grader_version) const {
  Result<SqliteStatement> query = prepare(
      "SELECT EXISTS (SELECT 1 FROM grading_runs r JOIN submissions s"
      " ON s.id = r.submission_id WHERE s.files_hash = ? AND r.lab = ? AND r.lab_hash = ?"
      " AND r.grader_version = ? AND r.status = 'complete')");
  if (!query.ok()) {
    return query.status();
  }
  int rc = query->bind_all(files_hash, lab, lab_hash, grader_version);
  if (rc == SQLITE_OK) {
    rc = query->step();
  }
  if (rc != SQLITE_ROW) {
    return error(rc, "looking for an earlier run of " + files_hash);
  }
  return query->column_int64(0) != 0;
}

}  // namespace ipcgrade
