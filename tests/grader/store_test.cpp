#include "grader/store.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "grader/report_json.h"
#include "grader/sqlite_handle.h"
#include "tests/grader/sample_report.h"

using namespace ipcgrade;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir() {
    const char* tmp = getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/ipcgrade-store-XXXXXX";
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  REQUIRE(out.good());
}

// Opens its own raw connection (not a Store), runs `sql` and returns the
// first column of the first row as text, or "" when there is no row.
std::string query_one(const fs::path& db_path, const std::string& sql) {
  sqlite3* raw = nullptr;
  const int open_rc = sqlite3_open_v2(db_path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
  SqliteDb db(raw);
  REQUIRE(open_rc == SQLITE_OK);
  sqlite3_stmt* raw_statement = nullptr;
  INFO(sql);
  REQUIRE(sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &raw_statement, nullptr) == SQLITE_OK);
  SqliteStatement statement(raw_statement);
  const int rc = statement.step();
  REQUIRE((rc == SQLITE_ROW || rc == SQLITE_DONE));
  return rc == SQLITE_ROW ? statement.column_text(0) : "";
}

// Runs SQL on a raw connection, creating the file if needed.
void exec_sql(const fs::path& db_path, const std::string& sql, bool keep_wal = false) {
  sqlite3* raw = nullptr;
  const int open_rc =
      sqlite3_open_v2(db_path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  SqliteDb db(raw);
  REQUIRE(open_rc == SQLITE_OK);
  if (keep_wal) {
    sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  }
  char* error = nullptr;
  const int rc = sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, &error);
  INFO(sql << ": " << (error != nullptr ? error : ""));
  sqlite3_free(error);
  REQUIRE(rc == SQLITE_OK);
}

std::unique_ptr<Store> open_store(const fs::path& path,
                                  Store::Mode mode = Store::Mode::kReadWrite) {
  Result<std::unique_ptr<Store>> store = Store::open(path, mode);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(store).value();
}

std::int64_t save_ok(Store& store, const Report& report) {
  Result<std::int64_t> id = store.save(report);
  INFO(id.status().ToString());
  REQUIRE(id.ok());
  return *id;
}

std::string row_counts(const fs::path& db) {
  return query_one(db,
                   "SELECT (SELECT count(*) FROM submissions) || '/' ||"
                   " (SELECT count(*) FROM grading_runs) || '/' ||"
                   " (SELECT count(*) FROM test_results) || '/' ||"
                   " (SELECT count(*) FROM findings)");
}

}  // namespace

TEST_CASE("a saved report loads back from the rows with every field intact", "[grader][store]") {
  TempDir dir;
  const fs::path db = dir / "grades.db";
  auto store = open_store(db);

  SECTION("a report with tests, findings and bytes that are not UTF-8") {
    const Report report = testing::sample_report(/*binary=*/true);
    const std::int64_t id = save_ok(*store, report);
    CHECK(id > 0);

    Result<Report> loaded = store->load_run(id);
    REQUIRE(loaded.ok());
    testing::check_same_report(report, *loaded);

    // The JSON kept beside the rows is the public document of the report.
    const std::string kept =
        query_one(db, "SELECT report_json FROM grading_runs WHERE id = " + std::to_string(id));
    CHECK(nlohmann::json::parse(kept) == to_json(report));
  }

  SECTION("a report whose build failed, with no tests and no internal error") {
    Report report = testing::sample_report();
    report.status = "complete";
    report.internal_error.clear();
    report.build_ok = false;
    report.score = 0;
    report.tests.clear();
    report.findings.resize(1);
    const std::int64_t id = save_ok(*store, report);

    Result<Report> loaded = store->load_run(id);
    REQUIRE(loaded.ok());
    testing::check_same_report(report, *loaded);
    CHECK(query_one(db, "SELECT internal_error IS NULL FROM grading_runs") == "1");
  }
}

TEST_CASE("the store's schema accepts every finding kind of findings.md", "[grader][store]") {
  TempDir dir;
  auto store = open_store(dir / "grades.db");
  Report report = testing::sample_report();
  report.findings.clear();
  for (FindingKind kind : all_finding_kinds()) {
    Finding finding;
    finding.kind = kind;
    finding.message = std::string(to_string(kind));
    report.findings.push_back(finding);
  }
  Result<Report> loaded = store->load_run(save_ok(*store, report));
  REQUIRE(loaded.ok());
  testing::check_same_report(report, *loaded);
}

TEST_CASE("re-grading a submission adds a run and keeps the earlier ones", "[grader][store]") {
  TempDir dir;
  const fs::path db = dir / "grades.db";
  auto store = open_store(db);
  Report first = testing::sample_report();
  first.status = "complete";
  first.internal_error.clear();
  Report second = first;
  second.started_at = "2026-11-22T08:00:00Z";
  second.score = 18;
  Report changed = first;  // the student changed their files
  changed.submission_hash = "b" + first.submission_hash.substr(1);
  changed.started_at = "2026-11-23T08:00:00Z";
  changed.score = 20;

  const std::int64_t id1 = save_ok(*store, first);
  const std::int64_t id2 = save_ok(*store, second);
  CHECK(row_counts(db) == "1/2/6/6");  // one submission row, two runs
  const std::int64_t id3 = save_ok(*store, changed);
  CHECK(row_counts(db) == "2/3/9/9");

  Result<std::vector<RunSummary>> history = store->history(first.submission);
  REQUIRE(history.ok());
  REQUIRE(history->size() == 3);
  CHECK((*history)[0].run_id == id1);
  CHECK((*history)[0].score == 7.5);
  CHECK((*history)[0].started_at == first.started_at);
  CHECK((*history)[0].files_hash == first.submission_hash);
  CHECK((*history)[0].lab == "pipes");
  CHECK((*history)[0].grader_version == "0.1.0");
  CHECK((*history)[0].status == "complete");
  CHECK((*history)[1].run_id == id2);
  CHECK((*history)[1].score == 18);
  CHECK((*history)[2].run_id == id3);
  CHECK((*history)[2].files_hash == changed.submission_hash);
  CHECK((*history)[2].max_score == 20);

  // The earlier gradings are kept as they were.
  Result<Report> old = store->load_run(id1);
  REQUIRE(old.ok());
  testing::check_same_report(first, *old);

  SECTION("the latest run is the last one saved for that lab") {
    Result<std::optional<std::int64_t>> latest = store->latest_run(first.submission, "pipes");
    REQUIRE(latest.ok());
    CHECK(*latest == std::optional<std::int64_t>(id3));
    Result<std::optional<std::int64_t>> none = store->latest_run(first.submission, "shm");
    REQUIRE(none.ok());
    CHECK_FALSE(none->has_value());
    Result<std::optional<std::int64_t>> stranger = store->latest_run("subs/nobody", "pipes");
    REQUIRE(stranger.ok());
    CHECK_FALSE(stranger->has_value());
  }

  SECTION("a batch can tell which files were already graded completely") {
    auto has = [&](const std::string& hash, const std::string& lab, const std::string& lab_hash,
                   const std::string& version) {
      Result<bool> found = store->has_run(hash, lab, lab_hash, version);
      REQUIRE(found.ok());
      return *found;
    };
    CHECK(has(first.submission_hash, "pipes", first.lab_hash, "0.1.0"));
    CHECK(has(changed.submission_hash, "pipes", first.lab_hash, "0.1.0"));
    CHECK_FALSE(has(first.submission_hash, "pipes", first.lab_hash, "0.2.0"));
    CHECK_FALSE(has(first.submission_hash, "pipes", "another lab hash", "0.1.0"));
    CHECK_FALSE(has(first.submission_hash, "shm", first.lab_hash, "0.1.0"));

    Report broken = first;  // graded, but the grader broke: grade it again
    broken.submission_hash = "c" + first.submission_hash.substr(1);
    broken.status = "internal-error";
    broken.internal_error = "no space left on device";
    save_ok(*store, broken);
    CHECK_FALSE(has(broken.submission_hash, "pipes", first.lab_hash, "0.1.0"));
  }

  SECTION("history is empty for a submission never graded") {
    Result<std::vector<RunSummary>> none = store->history("subs/nobody");
    REQUIRE(none.ok());
    CHECK(none->empty());
  }
}

TEST_CASE("a save that fails midway leaves nothing of it in the store", "[grader][store]") {
  TempDir dir;
  const fs::path db = dir / "grades.db";
  auto store = open_store(db);
  const Report good = testing::sample_report();
  save_ok(*store, good);
  const std::string counts_before = row_counts(db);

  // Each way breaks the report's *last* row, after the submission, the run,
  // and the other rows have been inserted in the transaction.
  const std::string way =
      GENERATE(as<std::string>(), "a finding kind outside findings.md",
               "a test status outside the vocabulary", "more passed repetitions than repetitions");
  CAPTURE(way);
  Report bad = testing::sample_report();
  if (way == "a finding kind outside findings.md") {
    bad.findings.back().kind = static_cast<FindingKind>(99);
  } else if (way == "a test status outside the vocabulary") {
    bad.tests.back().status = "skipped";
  } else {
    bad.tests.back().passed_repetitions = bad.tests.back().repetitions + 1;
  }
  const bool same_submission = GENERATE(false, true);
  CAPTURE(same_submission);
  if (!same_submission) {
    bad.submission = "subs/mallory";
  }

  Result<std::int64_t> saved = store->save(bad);
  REQUIRE_FALSE(saved.ok());
  CHECK(saved.status().code() == Status::Code::kInternal);
  CHECK_THAT(saved.status().message(), Contains(db.string()));
  CHECK_THAT(saved.status().message(), Contains("CHECK constraint failed"));
  CHECK(row_counts(db) == counts_before);
  Result<std::vector<RunSummary>> history = store->history(bad.submission);
  REQUIRE(history.ok());
  CHECK(history->size() == (same_submission ? 1u : 0u));

  // No transaction was left open: the next save goes through.
  save_ok(*store, good);
  CHECK(row_counts(db) != counts_before);
}

TEST_CASE("a file that is not an ipcgrade store is refused and left as it was", "[grader][store]") {
  TempDir dir;
  const fs::path db = dir / "their.db";
  const fs::path wal = dir / "their.db-wal";
  auto [what, expected] = GENERATE(table<std::string, std::string>({
      {"a text file", "is not an ipcgrade database (not a SQLite file"},
      {"a short text file", "is not an ipcgrade database (not a SQLite file"},
      {"random bytes", "is not an ipcgrade database (not a SQLite file"},
      {"another application's database",
       "is not an ipcgrade database (application_id 0x00000000, expected 0x49504347)"},
      {"a database with another application_id",
       "is not an ipcgrade database (application_id 0x12345678, expected 0x49504347)"},
      {"another application's database with changes still in its WAL",
       "is not an ipcgrade database (application_id 0x00000000"},
      {"a store written by a newer ipcgrade",
       "was written by a newer ipcgrade (schema version 99; this ipcgrade knows up to 3)"},
  }));
  const Store::Mode mode = GENERATE(Store::Mode::kReadWrite, Store::Mode::kReadOnly);
  CAPTURE(what, mode == Store::Mode::kReadOnly);

  if (what == "a text file") {
    std::string text;
    for (int i = 0; i < 200; ++i) {
      text += "student,score\nalice," + std::to_string(i) + "\n";
    }
    write_bytes(db, text);
  } else if (what == "a short text file") {
    write_bytes(db, "hello\n");
  } else if (what == "random bytes") {
    std::mt19937 random(42);
    std::string bytes(8192, '\0');
    for (char& byte : bytes) {
      byte = static_cast<char>(random() & 0xff);
    }
    write_bytes(db, bytes);
  } else if (what == "another application's database") {
    exec_sql(db, "CREATE TABLE grades (who TEXT, score REAL); INSERT INTO grades VALUES ('a', 1);");
  } else if (what == "a database with another application_id") {
    exec_sql(db, "PRAGMA application_id = 305419896; CREATE TABLE t (x);");
  } else if (what == "another application's database with changes still in its WAL") {
    exec_sql(db,
             "PRAGMA journal_mode = WAL; CREATE TABLE grades (who TEXT);"
             " INSERT INTO grades VALUES ('bob');",
             /*keep_wal=*/true);
    REQUIRE(fs::file_size(wal) > 0);
  } else {
    {
      auto store = open_store(db);
      save_ok(*store, testing::sample_report());
    }
    exec_sql(db, "PRAGMA user_version = 99");
  }
  const std::string bytes_before = read_bytes(db);
  const std::string wal_before = fs::exists(wal) ? read_bytes(wal) : "";

  Result<std::unique_ptr<Store>> store = Store::open(db, mode);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == Status::Code::kInvalidInput);
  CHECK_THAT(store.status().message(), Contains(db.string()));
  CHECK_THAT(store.status().message(), Contains(expected));
  CHECK_THAT(store.status().message(), Contains("refusing to modify it"));

  CHECK(read_bytes(db) == bytes_before);
  CHECK((fs::exists(wal) ? read_bytes(wal) : "") == wal_before);
}

TEST_CASE("an empty or missing file becomes a store", "[grader][store]") {
  TempDir dir;
  const fs::path db = dir / "grades.db";
  const bool exists = GENERATE(false, true);
  CAPTURE(exists);
  if (exists) {
    write_bytes(db, "");
  }
  auto store = open_store(db);
  CHECK(query_one(db, "PRAGMA application_id") == std::to_string(Store::kApplicationId));
  CHECK(query_one(db, "PRAGMA user_version") == std::to_string(Store::schema_version()));
  CHECK(Store::schema_version() == 3);
  CHECK(query_one(db, "PRAGMA journal_mode") == "wal");
  CHECK(query_one(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'") == "5");
}

TEST_CASE("a read-only open needs an existing, initialised store", "[grader][store]") {
  TempDir dir;
  const fs::path db = dir / "grades.db";

  SECTION("a missing file is an error, and is not created") {
    Result<std::unique_ptr<Store>> store = Store::open(db, Store::Mode::kReadOnly);
    REQUIRE_FALSE(store.ok());
    CHECK(store.status().code() == Status::Code::kInvalidInput);
    CHECK_THAT(store.status().message(), Contains("no such database file"));
    CHECK_FALSE(fs::exists(db));
  }
  SECTION("an empty file is an error, and stays empty") {
    write_bytes(db, "");
    Result<std::unique_ptr<Store>> store = Store::open(db, Store::Mode::kReadOnly);
    REQUIRE_FALSE(store.ok());
    CHECK_THAT(store.status().message(), Contains("holds no ipcgrade data"));
    CHECK(fs::file_size(db) == 0);
  }
  SECTION("a directory is not a database file, in either mode") {
    const Store::Mode mode = GENERATE(Store::Mode::kReadWrite, Store::Mode::kReadOnly);
    Result<std::unique_ptr<Store>> store = Store::open(dir / ".", mode);
    REQUIRE_FALSE(store.ok());
    CHECK(store.status().code() == Status::Code::kInvalidInput);
    CHECK_THAT(store.status().message(), Contains("is a directory"));
  }
}

TEST_CASE("a store reopens with what it held, also read-only", "[grader][store]") {
  TempDir dir;
  const fs::path db = dir / "grades.db";
  const Report report = testing::sample_report(/*binary=*/true);
  std::int64_t id = 0;
  {
    auto store = open_store(db);
    id = save_ok(*store, report);
  }
  {
    auto store = open_store(db);
    Result<std::vector<RunSummary>> history = store->history(report.submission);
    REQUIRE(history.ok());
    CHECK(history->size() == 1);
    save_ok(*store, report);
  }
  const std::string bytes_before = read_bytes(db);
  auto reader = open_store(db, Store::Mode::kReadOnly);
  Result<Report> loaded = reader->load_run(id);
  REQUIRE(loaded.ok());
  testing::check_same_report(report, *loaded);
  Result<std::vector<RunSummary>> history = reader->history(report.submission);
  REQUIRE(history.ok());
  CHECK(history->size() == 2);

  Result<std::int64_t> saved = reader->save(report);
  REQUIRE_FALSE(saved.ok());
  CHECK_THAT(saved.status().message(), Contains(db.string()));
  reader.reset();
  CHECK(read_bytes(db) == bytes_before);
}

TEST_CASE("loading a run that is not in the store is invalid input", "[grader][store]") {
  TempDir dir;
  auto store = open_store(dir / "grades.db");
  Result<Report> loaded = store->load_run(12345);
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.status().code() == Status::Code::kInvalidInput);
  CHECK_THAT(loaded.status().message(), Contains("has no grading run 12345"));
}

TEST_CASE("a damaged store gives an error naming the file, never a crash", "[grader][store]") {
  TempDir dir;
  const fs::path db = dir / "grades.db";
  std::int64_t id = 0;
  {
    auto store = open_store(db);
    Report report = testing::sample_report();
    report.tests[0].output = std::string(20000, 'o');  // spread over many pages
    for (int i = 0; i < 5; ++i) {
      id = save_ok(*store, report);
    }
  }
  // Keep page 1 (header and schema), overwrite every other page.
  std::string bytes = read_bytes(db);
  const std::size_t page_size = std::stoul(query_one(db, "PRAGMA page_size"));
  REQUIRE(bytes.size() > 4 * page_size);
  for (std::size_t i = page_size; i < bytes.size(); ++i) {
    bytes[i] = static_cast<char>(0xA5);
  }
  write_bytes(db, bytes);

  Result<std::unique_ptr<Store>> store = Store::open(db);
  Status status = store.status();
  if (store.ok()) {
    Result<std::vector<RunSummary>> history =
        (*store)->history(testing::sample_report().submission);
    Result<Report> loaded = (*store)->load_run(id);
    status = !history.ok() ? history.status() : loaded.status();
  }
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == Status::Code::kInvalidInput);
  CHECK_THAT(status.message(), Contains(db.string()));
}

TEST_CASE("two stores on one file, in two threads, both save every run", "[grader][store]") {
  TempDir dir;
  const fs::path db = dir / "grades.db";
  open_store(db);  // create it first, as `ipcgrade grade` would
  constexpr int kRuns = 20;
  std::vector<std::string> errors(2);
  auto worker = [&](int index) {
    Result<std::unique_ptr<Store>> store = Store::open(db);
    if (!store.ok()) {
      errors[index] = store.status().ToString();
      return;
    }
    Report report = testing::sample_report();
    report.submission = "subs/worker" + std::to_string(index);
    for (int i = 0; i < kRuns && errors[index].empty(); ++i) {
      Result<std::int64_t> id = (*store)->save(report);
      if (!id.ok()) {
        errors[index] = id.status().ToString();
      }
    }
  };
  std::thread first(worker, 0);
  std::thread second(worker, 1);
  first.join();
  second.join();
  CHECK(errors[0].empty());
  CHECK(errors[1].empty());
  auto store = open_store(db, Store::Mode::kReadOnly);
  for (const char* path : {"subs/worker0", "subs/worker1"}) {
    Result<std::vector<RunSummary>> history = store->history(path);
    REQUIRE(history.ok());
    CHECK(history->size() == kRuns);
  }
}

TEST_CASE("a store passes SQLite's integrity and foreign key checks after use", "[grader][store]") {
  TempDir dir;
  const fs::path db = dir / "grades.db";
  {
    auto store = open_store(db);
    save_ok(*store, testing::sample_report(/*binary=*/true));
    save_ok(*store, testing::sample_report());
    Report bad = testing::sample_report();
    bad.findings.back().kind = static_cast<FindingKind>(99);
    REQUIRE_FALSE(store->save(bad).ok());
  }
  CHECK(query_one(db, "PRAGMA integrity_check") == "ok");
  CHECK(query_one(db, "PRAGMA foreign_key_check") == "");
  CHECK(row_counts(db) == "1/2/6/6");
}

TEST_CASE("opening for writing brings an older store up to the current schema", "[grader][store]") {
  TempDir dir;
  const fs::path db = dir / "grades.db";
  // Version 0: marked as ours, before any migration ran.
  exec_sql(db, "PRAGMA application_id = " + std::to_string(Store::kApplicationId));

  SECTION("a read-only open refuses to upgrade it") {
    Result<std::unique_ptr<Store>> store = Store::open(db, Store::Mode::kReadOnly);
    REQUIRE_FALSE(store.ok());
    CHECK_THAT(store.status().message(), Contains("has schema version 0, older than"));
  }
  SECTION("a read-write open migrates it") {
    auto store = open_store(db);
    CHECK(query_one(db, "PRAGMA user_version") == std::to_string(Store::schema_version()));
    save_ok(*store, testing::sample_report());
  }
}

TEST_CASE("a store that lost one of its tables is reported as damaged", "[grader][store]") {
  TempDir dir;
  const fs::path db = dir / "grades.db";
  open_store(db);
  exec_sql(db, "DROP TABLE findings");
  Result<std::unique_ptr<Store>> store = Store::open(db);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == Status::Code::kInvalidInput);
  CHECK_THAT(store.status().message(), Contains("has no table findings; it is damaged"));
}

TEST_CASE("random damage to a store gives errors that name the file, never a crash",
          "[grader][store]") {
  TempDir dir;
  const fs::path pristine = dir / "pristine.db";
  std::int64_t id = 0;
  {
    auto store = open_store(pristine);
    for (int i = 0; i < 3; ++i) {
      id = save_ok(*store, testing::sample_report(/*binary=*/true));
    }
  }
  const std::string bytes = read_bytes(pristine);
  std::mt19937 random(7);
  for (int round = 0; round < 40; ++round) {
    CAPTURE(round);
    std::string damaged = bytes;
    for (int flip = 0; flip < 16; ++flip) {
      damaged[random() % damaged.size()] = static_cast<char>(random() & 0xff);
    }
    const fs::path db = dir / ("damaged" + std::to_string(round) + ".db");
    write_bytes(db, damaged);

    Result<std::unique_ptr<Store>> store = Store::open(db);
    std::vector<Status> statuses = {store.status()};
    if (store.ok()) {
      statuses.push_back((*store)->history(testing::sample_report().submission).status());
      statuses.push_back((*store)->load_run(id).status());
      statuses.push_back((*store)->save(testing::sample_report()).status());
    }
    for (const Status& status : statuses) {
      if (!status.ok()) {
        CHECK_THAT(status.message(), Contains(db.string()));
      }
    }
  }
}

TEST_CASE("a version 2 store keeps every result when it gains the sandbox_lacks column",
          "[grader][store]") {
  TempDir dir;
  const fs::path db = dir / "grades.db";
  {
    auto store = open_store(db);
    save_ok(*store, testing::sample_report());
  }
  // What an ipcgrade of schema version 2 left: no sandbox_lacks column.
  exec_sql(db, "ALTER TABLE grading_runs DROP COLUMN sandbox_lacks");
  exec_sql(db, "PRAGMA user_version = 2");
  const std::string rows_before = row_counts(db);
  auto store = open_store(db);
  CHECK(query_one(db, "PRAGMA user_version") == "3");
  CHECK(row_counts(db) == rows_before);
  CHECK(query_one(db, "SELECT sandbox_lacks FROM grading_runs") == "");
  CHECK(query_one(db, "SELECT sandbox_tier FROM grading_runs") == "reduced");
  CHECK(query_one(db, "PRAGMA integrity_check") == "ok");
}
