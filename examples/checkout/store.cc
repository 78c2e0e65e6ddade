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

// One set-based INSERT (SQLite generates the rows itself: ~1M rows/s, where
// row-by-row binding was 5x slower). The heavy user's orders are spread
// evenly through the table, as real data is, so a scan cannot stop early;
// ordinary users get pseudo-random ids, so each has orders/users on average.
Status Seed(sqlite3* db, const SeedPlan& plan) {
  if (plan.orders <= 0 || plan.users <= 0 || plan.heavy_user_orders <= 0 ||
      plan.heavy_user_orders > plan.orders) {
    return Status::InvalidArgument("seed plan needs 0 < heavy_user_orders <= orders, users > 0");
  }
  RETURN_IF_ERROR(Exec(db,
                       "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, "
                       "amount_cents INTEGER NOT NULL, created_at TEXT NOT NULL)"));
  // Losing a half-seeded table to a crash only means seeding again.
  RETURN_IF_ERROR(Exec(db, "PRAGMA synchronous=OFF"));
  const int64_t heavy_every = plan.orders / plan.heavy_user_orders;
  char sql[768];
  std::snprintf(sql, sizeof(sql),
                "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < %lld) "
                "INSERT INTO orders (user_id, amount_cents, created_at) "
                "SELECT CASE WHEN x %% %lld = 0 AND x / %lld <= %lld THEN %lld "
                "ELSE %lld + (x * 2654435761) %% %lld END, "
                "100 + (x * 7919) %% 20000, "
                "printf('2026-%%02d-%%02d', 1 + (x * 31) %% 12, 1 + (x * 17) %% 28) FROM n",
                static_cast<long long>(plan.orders), static_cast<long long>(heavy_every),
                static_cast<long long>(heavy_every), static_cast<long long>(plan.heavy_user_orders),
                static_cast<long long>(kHeavyUser), static_cast<long long>(kHeavyUser + 1),
                static_cast<long long>(plan.users));
  RETURN_IF_ERROR(Exec(db, "BEGIN"));
  RETURN_IF_ERROR(Exec(db, sql));
  RETURN_IF_ERROR(Exec(db, "CREATE INDEX idx_orders_user_id ON orders(user_id)"));
  RETURN_IF_ERROR(Exec(db, "COMMIT"));
  return Exec(db, "PRAGMA synchronous=NORMAL");
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
