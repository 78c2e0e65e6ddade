// The checkout service's order store: a real SQLite database with an `orders`
// table indexed on user_id, seeded on first open with millions of orders of
// many ordinary users and one heavy user (kHeavyUser) who has tens of
// thousands. The default size makes the reference incident real: once the
// "migration" drops the index, every /checkout scans ~12M rows (> 500 ms under
// load on a 2-core machine) instead of probing the index (< 20 ms).
//
// Thread-safety: all methods may be called from any thread; each thread gets
// its own SQLite connection to the same file (WAL mode), so a slow scan on one
// request thread does not serialize the others.
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
    "SELECT COUNT(*), COALESCE(SUM(amount_cents), 0) FROM orders WHERE user_id = ?1";
inline constexpr char kFindOrderSql[] =
    "SELECT id, user_id, amount_cents, created_at FROM orders WHERE id = ?1";

struct SeedPlan {
  int64_t orders = 12'000'000;  // all users' orders
  int64_t users = 200'000;      // ordinary users, ids kHeavyUser+1 .. kHeavyUser+users
  int64_t heavy_user_orders = 60'000;
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
  static quartet::Result<std::unique_ptr<Store>> Open(const std::string& path,
                                                      const SeedPlan& plan);
  ~Store();

  // Sums the user's orders: an index lookup while idx_orders_user_id exists,
  // a full table scan after the "migration" dropped it.
  quartet::Result<QueryResult> SumOrdersForUser(int64_t user_id);
  quartet::Result<std::optional<Order>> FindOrder(int64_t order_id);

  // The migration of the reference incident, and its rollback.
  quartet::Status DropUserIndex();
  quartet::Status CreateUserIndex();
  quartet::Result<bool> HasUserIndex();
  quartet::Result<int64_t> CountOrders();

  struct Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace checkout
