#include "examples/checkout/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <vector>

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

// Ordinary users settled through a pseudo-random order among the last
// open_window ones; the heavy user never settled (0). Also run on databases
// seeded before settlements existed.
Status SeedSettlements(sqlite3* db, const SeedPlan& plan) {
  RETURN_IF_ERROR(Exec(db,
                       "CREATE TABLE settlements (user_id INTEGER PRIMARY KEY, "
                       "settled_through INTEGER NOT NULL)"));
  const int64_t window = std::max<int64_t>(1, std::min(plan.open_window, plan.orders / 10));
  char sql[512];
  std::snprintf(sql, sizeof(sql),
                "WITH RECURSIVE u(x) AS (SELECT %lld UNION ALL SELECT x + 1 FROM u WHERE x < %lld) "
                "INSERT INTO settlements (user_id, settled_through) "
                "SELECT x, CASE WHEN x = %lld THEN 0 "
                "ELSE (SELECT MAX(id) FROM orders) - (x * 7919) %% %lld END FROM u",
                static_cast<long long>(kHeavyUser), static_cast<long long>(kHeavyUser + plan.users),
                static_cast<long long>(kHeavyUser), static_cast<long long>(window));
  return Exec(db, sql);
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
  RETURN_IF_ERROR(Exec(db, "CREATE INDEX idx_orders_user_id ON orders(user_id, amount_cents)"));
  RETURN_IF_ERROR(SeedSettlements(db, plan));
  RETURN_IF_ERROR(Exec(db, "COMMIT"));
  return Exec(db, "PRAGMA synchronous=NORMAL");
}

bool TableExists(sqlite3* db, const char* name) {
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1", -1, &q,
                     nullptr);
  if (q) sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
  bool exists = q && sqlite3_step(q) == SQLITE_ROW;
  sqlite3_finalize(q);
  return exists;
}

}  // namespace

// A fixed-size pool: connections are opened on demand up to `size` and kept;
// a caller waits while all are busy, as a service's real DB pool makes it.
struct Store::Impl {
  std::string path;
  int size = kDefaultPoolSize;
  mutable std::mutex mu;
  std::condition_variable freed;
  std::vector<sqlite3*> idle;
  int open = 0;     // connections opened (idle + active)
  int active = 0;   // connections lent out
  int waiting = 0;  // callers blocked in Acquire

  ~Impl() {
    for (sqlite3* db : idle) sqlite3_close_v2(db);
  }

  Result<sqlite3*> Acquire() {
    std::unique_lock<std::mutex> lock(mu);
    ++waiting;
    freed.wait(lock, [&] { return !idle.empty() || open < size; });
    --waiting;
    if (!idle.empty()) {
      sqlite3* db = idle.back();
      idle.pop_back();
      ++active;
      return db;
    }
    ++open;
    ++active;
    lock.unlock();
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK) {
      Status st = SqlError(db, "open " + path);
      sqlite3_close_v2(db);
      lock.lock();
      --open;
      --active;
      freed.notify_one();
      return st;
    }
    sqlite3_busy_timeout(db, 5000);
    return db;
  }

  void Release(sqlite3* db) {
    {
      std::lock_guard<std::mutex> lock(mu);
      idle.push_back(db);
      --active;
    }
    freed.notify_one();
  }
};

namespace {

// A pooled connection for the duration of one call.
class Lease {
 public:
  explicit Lease(Store::Impl* pool) : pool_(pool), db_(pool->Acquire()) {}
  ~Lease() {
    if (db_.ok()) pool_->Release(*db_);
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  const Result<sqlite3*>& db() const { return db_; }

 private:
  Store::Impl* pool_;
  Result<sqlite3*> db_;
};

}  // namespace

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, const SeedPlan& plan,
                                           int pool_size) {
  if (pool_size < 1) return Status::InvalidArgument("the connection pool needs at least 1");
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    Status st = SqlError(db, "open " + path);
    sqlite3_close_v2(db);
    return st;
  }
  Status st = Exec(db, "PRAGMA journal_mode=WAL");
  if (st.ok() && !TableExists(db, "orders")) st = Seed(db, plan);
  if (st.ok() && !TableExists(db, "settlements")) st = SeedSettlements(db, plan);
  sqlite3_close_v2(db);
  if (!st.ok()) return st;
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->size = pool_size;
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Result<QueryResult> Store::SumOrdersForUser(int64_t user_id) {
  Lease lease(impl_.get());
  ASSIGN_OR_RETURN(sqlite3 * db, lease.db());
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
  Lease lease(impl_.get());
  ASSIGN_OR_RETURN(sqlite3 * db, lease.db());
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
  Lease lease(impl_.get());
  ASSIGN_OR_RETURN(sqlite3 * db, lease.db());
  return Exec(db, "DROP INDEX IF EXISTS idx_orders_user_id");
}

Status Store::CreateUserIndex() {
  Lease lease(impl_.get());
  ASSIGN_OR_RETURN(sqlite3 * db, lease.db());
  return Exec(db, "CREATE INDEX IF NOT EXISTS idx_orders_user_id ON orders(user_id, amount_cents)");
}

Result<bool> Store::HasUserIndex() {
  Lease lease(impl_.get());
  ASSIGN_OR_RETURN(sqlite3 * db, lease.db());
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT 1 FROM sqlite_master WHERE type='index' AND name='idx_orders_user_id'",
                     -1, &q, nullptr);
  bool exists = q && sqlite3_step(q) == SQLITE_ROW;
  sqlite3_finalize(q);
  return exists;
}

PoolStats Store::pool_stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return {.size = impl_->size, .active = impl_->active, .waiting = impl_->waiting};
}

Result<int64_t> Store::CountOrders() {
  Lease lease(impl_.get());
  ASSIGN_OR_RETURN(sqlite3 * db, lease.db());
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM orders", -1, &q, nullptr);
  int64_t n = (q && sqlite3_step(q) == SQLITE_ROW) ? sqlite3_column_int64(q, 0) : -1;
  sqlite3_finalize(q);
  if (n < 0) return SqlError(db, "count orders");
  return n;
}

}  // namespace checkout
