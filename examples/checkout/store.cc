#include "examples/checkout/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace checkout {
namespace {

using quartet::Result;
using quartet::Status;

Status SqlError(sqlite3* db, const std::string& what) {
  return Status::Internal(what + ": " + (db ? sqlite3_errmsg(db) : "no connection"));
}

Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Status::Internal(std::string(sql).substr(0, 60) + ": " + msg);
  }
  return Status::Ok();
}

// Deterministic, cheap pseudo-random numbers for the seed data.
uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

Status Seed(sqlite3* db, const SeedPlan& plan) {
  RETURN_IF_ERROR(Exec(db,
                       "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, "
                       "amount_cents INTEGER NOT NULL, created_at TEXT NOT NULL)"));
  RETURN_IF_ERROR(Exec(db, "BEGIN"));
  sqlite3_stmt* insert = nullptr;
  if (sqlite3_prepare_v2(
          db, "INSERT INTO orders (user_id, amount_cents, created_at) VALUES (?1, ?2, ?3)", -1,
          &insert, nullptr) != SQLITE_OK) {
    return SqlError(db, "prepare insert");
  }
  auto add = [&](int64_t user, uint64_t n) -> Status {
    sqlite3_bind_int64(insert, 1, user);
    sqlite3_bind_int64(insert, 2, static_cast<int64_t>(100 + Mix(n) % 20000));
    char day[32];
    std::snprintf(day, sizeof(day), "2026-%02d-%02d", static_cast<int>(1 + Mix(n + 1) % 12),
                  static_cast<int>(1 + Mix(n + 2) % 28));
    sqlite3_bind_text(insert, 3, day, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(insert) != SQLITE_DONE) return SqlError(db, "insert order");
    sqlite3_reset(insert);
    return Status::Ok();
  };
  // Interleave the heavy user's orders with everyone else's, as real data is,
  // so a scan cannot stop early.
  uint64_t n = 0;
  int64_t heavy_left = plan.heavy_user_orders;
  for (int64_t user = 1; user <= plan.users; ++user) {
    if (user == kHeavyUser) continue;
    int64_t count = 1 + static_cast<int64_t>(Mix(user) % plan.orders_per_user);
    for (int64_t i = 0; i < count; ++i) {
      Status st = add(user, ++n);
      if (!st.ok()) {
        sqlite3_finalize(insert);
        return st;
      }
    }
    int64_t heavy_now =
        std::min<int64_t>(heavy_left, (plan.heavy_user_orders + plan.users - 1) / plan.users);
    for (int64_t i = 0; i < heavy_now; ++i) {
      Status st = add(kHeavyUser, ++n);
      if (!st.ok()) {
        sqlite3_finalize(insert);
        return st;
      }
    }
    heavy_left -= heavy_now;
  }
  for (; heavy_left > 0; --heavy_left) RETURN_IF_ERROR(add(kHeavyUser, ++n));
  sqlite3_finalize(insert);
  RETURN_IF_ERROR(Exec(db, "CREATE INDEX idx_orders_user_id ON orders(user_id)"));
  return Exec(db, "COMMIT");
}

}  // namespace

struct Store::Impl {
  std::string path;
  std::mutex mu;
  std::unordered_map<std::thread::id, sqlite3*> connections;  // one per request thread

  ~Impl() {
    for (auto& [id, db] : connections) sqlite3_close_v2(db);
  }

  // This thread's connection, opened on first use.
  Result<sqlite3*> Connection() {
    std::lock_guard<std::mutex> lock(mu);
    auto it = connections.find(std::this_thread::get_id());
    if (it != connections.end()) return it->second;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK) {
      Status st = SqlError(db, "open " + path);
      sqlite3_close_v2(db);
      return st;
    }
    sqlite3_busy_timeout(db, 5000);
    connections.emplace(std::this_thread::get_id(), db);
    return db;
  }
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, const SeedPlan& plan) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    Status st = SqlError(db, "open " + path);
    sqlite3_close_v2(db);
    return st;
  }
  Status st = Exec(db, "PRAGMA journal_mode=WAL");
  if (st.ok()) {
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='orders'", -1,
                       &q, nullptr);
    bool exists = q && sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    if (!exists) st = Seed(db, plan);
  }
  sqlite3_close_v2(db);
  if (!st.ok()) return st;
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Result<QueryResult> Store::SumOrdersForUser(int64_t user_id) {
  ASSIGN_OR_RETURN(sqlite3 * db, impl_->Connection());
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db, kSumOrdersSql, -1, &q, nullptr) != SQLITE_OK)
    return SqlError(db, "prepare sum");
  sqlite3_bind_int64(q, 1, user_id);
  QueryResult r;
  int rc = sqlite3_step(q);
  if (rc == SQLITE_ROW) {
    r.rows = sqlite3_column_int64(q, 0);
    r.total_cents = sqlite3_column_int64(q, 1);
  }
  sqlite3_finalize(q);
  if (rc != SQLITE_ROW) return SqlError(db, "sum orders");
  return r;
}

Result<std::optional<Order>> Store::FindOrder(int64_t order_id) {
  ASSIGN_OR_RETURN(sqlite3 * db, impl_->Connection());
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db, kFindOrderSql, -1, &q, nullptr) != SQLITE_OK)
    return SqlError(db, "prepare find");
  sqlite3_bind_int64(q, 1, order_id);
  std::optional<Order> order;
  int rc = sqlite3_step(q);
  if (rc == SQLITE_ROW) {
    order =
        Order{sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1), sqlite3_column_int64(q, 2),
              reinterpret_cast<const char*>(sqlite3_column_text(q, 3))};
  }
  sqlite3_finalize(q);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return SqlError(db, "find order");
  return order;
}

Status Store::DropUserIndex() {
  ASSIGN_OR_RETURN(sqlite3 * db, impl_->Connection());
  return Exec(db, "DROP INDEX IF EXISTS idx_orders_user_id");
}

Status Store::CreateUserIndex() {
  ASSIGN_OR_RETURN(sqlite3 * db, impl_->Connection());
  return Exec(db, "CREATE INDEX IF NOT EXISTS idx_orders_user_id ON orders(user_id)");
}

Result<bool> Store::HasUserIndex() {
  ASSIGN_OR_RETURN(sqlite3 * db, impl_->Connection());
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT 1 FROM sqlite_master WHERE type='index' AND name='idx_orders_user_id'",
                     -1, &q, nullptr);
  bool exists = q && sqlite3_step(q) == SQLITE_ROW;
  sqlite3_finalize(q);
  return exists;
}

Result<int64_t> Store::CountOrders() {
  ASSIGN_OR_RETURN(sqlite3 * db, impl_->Connection());
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM orders", -1, &q, nullptr);
  int64_t n = (q && sqlite3_step(q) == SQLITE_ROW) ? sqlite3_column_int64(q, 0) : -1;
  sqlite3_finalize(q);
  if (n < 0) return SqlError(db, "count orders");
  return n;
}

}  // namespace checkout
