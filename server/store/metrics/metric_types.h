// The value types of the metric table (Sample, Exemplar, MetricMetadata,
// SeriesSamples, MetricBatch, MetricAppendResult) are part of the storage
// contract and live in server/store/interface.h beside MetricStore; this
// header keeps the metric table's own spelling. Thread-compatible values.
#pragma once

#include "server/store/interface.h"
