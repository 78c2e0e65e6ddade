// The checkout service's order store: a real SQLite database with an `orders`
// table indexed on user_id, seeded on first open with millions of orders of
// many ordinary users and one heavy user (kHeavyUser, a business account) who
// has tens of thousands, and a `settlements` table saying up to which order
// each user has paid. /checkout sums a user's open orders: those after the
// user's settlement. Ordinary users settled recently; the heavy user never.
//
// That makes the reference incident real and specific: with the index, every
// checkout probes it (< 20 ms even for the heavy user). Once the "migration"
// drops it, SQLite answers `id > settled_through` by scanning the rowid range
// instead: a few thousand rows for an ordinary user, all ~12M for the heavy
// user (> 500 ms under load on a 2-core machine). The heavy user's slow
// queries then hold the pool's connections, and ordinary requests wait for
// one: the saturated pool is a symptom, not the cause.
//
// Thread-safety: all methods may be called from any thread. Queries run on a
// fixed pool of SQLite connections to the same file (WAL mode); a caller
// waits for a free connection when all are busy.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"

namespace checkout {

inline constexpr int64_t kHeavyUser = 42;

// The statements the service runs, as spans and log lines show them.
inline constexpr char kSumOrdersSql[] =
    "SELECT COUNT(*), COALESCE(SUM(amount_cents), 0) FROM orders WHERE user_id = ?1 AND id > "
    "COALESCE((SELECT settled_through FROM settlements WHERE user_id = ?1), 0)";
inline constexpr char kFindOrderSql[] =
    "SELECT id, user_id, amount_cents, created_at FROM orders WHERE id = ?1";

struct SeedPlan {
  int64_t orders = 12'000'000;  // all users' orders
  int64_t users = 200'000;      // ordinary users, ids kHeavyUser+1 .. kHeavyUser+users
  int64_t heavy_user_orders = 60'000;
  // Ordinary users settled through an order among the last `open_window`
  // (capped at a tenth of the table): what an unindexed checkout scans.
  int64_t open_window = 100'000;
};

inline constexpr int kDefaultPoolSize = 4;

struct PoolStats {
  int64_t size = 0;     // connections the pool may open
  int64_t active = 0;   // connections running a query now
  int64_t waiting = 0;  // callers waiting for a connection
};

struct QueryResult {
  int64_t rows = 0;  // rows the query returned or aggregated
  int64_t total_cents = 0;
};

struct Order {
  int64_t id = 0;
  int64_t user_id = 0;
  int64_t amount_cents = 0;
  std::string created_at;
};

class Store {
 public:
  // Opens (creating and seeding when missing) the database at `path`.
  static quartet::Result<std::unique_ptr<Store>> Open(const std::string& path, const SeedPlan& plan,
                                                      int pool_size = kDefaultPoolSize);
  ~Store();

  // Sums the user's open orders (after their settlement): an index probe
  // while idx_orders_user_id exists, a rowid range scan after the
  // "migration" dropped it (the whole table for a user who never settled).
  quartet::Result<QueryResult> SumOrdersForUser(int64_t user_id);
  quartet::Result<std::optional<Order>> FindOrder(int64_t order_id);

  // The migration of the reference incident, and its rollback.
  quartet::Status DropUserIndex();
  quartet::Status CreateUserIndex();
  quartet::Result<bool> HasUserIndex();
  quartet::Result<int64_t> CountOrders();

  // The connection pool now, for the db_connections_* gauges.
  PoolStats pool_stats() const;

  struct Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace checkout
