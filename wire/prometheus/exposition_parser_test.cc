#include "wire/prometheus/exposition_parser.h"

#include <gtest/gtest.h>
