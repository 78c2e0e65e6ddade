#include "server/query/profiles/pprof_export.h"

#include <gtest/gtest.h>

namespace quartet::profiles {
namespace {
}  // namespace
}  // namespace quartet::profiles
