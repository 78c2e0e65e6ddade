// Status and Result<T> are part of the public API (quartet/status.h); this
// forwarding header keeps the internal spelling `base/status.h` working.
#pragma once

#include "quartet/status.h"
