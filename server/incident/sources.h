// Adapters from the optional stores of the storage contract to the engine's
// evidence sources (engine.h): deploy annotations from an AnnotationStore
// (those tagged service=<name>, or with no service tag), and the CPU profile
// of a service from a ProfileStore (self samples per function). Each returns
// an empty function for a null store, which the engine reads as "not
// available". Thread-safe as the stores are.
#pragma once

#include "server/incident/engine.h"
#include "server/store/interface.h"

namespace quartet::incident {

AnnotationSource AnnotationsFrom(store::AnnotationStore* annotations);
ProfileSource CpuProfilesFrom(store::ProfileStore* profiles);

}  // namespace quartet::incident
