// SqliteDb and SqliteStatement: move-only owners of a sqlite3* connection and
// a sqlite3_stmt* prepared statement, closed and finalized on destruction, in
// the manner of ScopedFd. They are thin on purpose: return codes stay SQLite's
// own ints, and the Store, which knows the file's name, turns them into a
// Status. A statement must be destroyed before the connection it came from.
//
// Like the sqlite3 objects they hold, they may be used by one thread at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace ipcgrade {

class SqliteDb {
 public:
  SqliteDb() = default;
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;
  SqliteDb(SqliteDb&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  SqliteDb& operator=(SqliteDb&& other) noexcept {
    if (this != &other) {
      reset(std::exchange(other.db_, nullptr));
    }
    return *this;
  }
  ~SqliteDb() { reset(); }

  sqlite3* get() const { return db_; }
  void reset(sqlite3* db = nullptr) {
    if (db_ != nullptr) {
      // _v2: still closes once any forgotten statement is finalized.
      sqlite3_close_v2(db_);
    }
    db_ = db;
  }

 private:
  sqlite3* db_ = nullptr;
};

class SqliteStatement {
 public:
  SqliteStatement() = default;
  explicit SqliteStatement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  SqliteStatement(SqliteStatement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
  SqliteStatement& operator=(SqliteStatement&& other) noexcept {
    if (this != &other) {
      reset(std::exchange(other.stmt_, nullptr));
    }
    return *this;
  }
  ~SqliteStatement() { reset(); }

  sqlite3_stmt* get() const { return stmt_; }
  void reset(sqlite3_stmt* stmt = nullptr) {
    if (stmt_ != nullptr) {
      sqlite3_finalize(stmt_);
    }
    stmt_ = stmt;
  }

  // Binds parameters 1, 2, ... in order; returns the first code that is not
  // SQLITE_OK. Values are always bound, never spliced into SQL text. Strings
  // are copied (SQLITE_TRANSIENT) with their exact length, NUL bytes and all;
  // an empty optional binds NULL.
  template <typename... Values>
  int bind_all(const Values&... values) {
    int index = 0;
    int rc = SQLITE_OK;
    ((rc = rc == SQLITE_OK ? bind(++index, values) : rc), ...);
    return rc;
  }

  // SQLITE_ROW, SQLITE_DONE, or an error code.
  int step() { return sqlite3_step(stmt_); }

  std::int64_t column_int64(int column) const { return sqlite3_column_int64(stmt_, column); }
  double column_double(int column) const { return sqlite3_column_double(stmt_, column); }
  // The column's exact bytes; NULL reads as the empty string.
  std::string column_text(int column) const {
    const auto* text = sqlite3_column_text(stmt_, column);
    if (text == nullptr) {
      return std::string();
    }
    return std::string(reinterpret_cast<const char*>(text),
                       static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
  }

 private:
  int bind(int index, std::string_view text) {
    // A null data pointer would bind NULL; an empty string is not NULL.
    const char* data = text.data() == nullptr ? "" : text.data();
    return sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  int bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  int bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  int bind(int index, double value) { return sqlite3_bind_double(stmt_, index, value); }
  int bind(int index, std::int64_t value) { return sqlite3_bind_int64(stmt_, index, value); }
  int bind(int index, int value) { return sqlite3_bind_int(stmt_, index, value); }
  int bind(int index, bool value) { return sqlite3_bind_int(stmt_, index, value ? 1 : 0); }
  int bind(int index, const std::optional<std::string>& text) {
    if (!text) {
      return sqlite3_bind_null(stmt_, index);
    }
    return bind(index, *text);
  }

  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace ipcgrade
