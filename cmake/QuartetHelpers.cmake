# Helpers shared by every folder's CMakeLists.txt.

# Our own code builds warning-clean; third-party headers come in as SYSTEM.
# GCC 12 at -O3 (CMAKE_BUILD_TYPE=Release) reports -Wrestrict inside
# std::string's own memcpy (GCC bug 105329) and -Wmaybe-uninitialized through
# inlined std::string members: in Release they stay warnings, not errors, so
# a Release build works; the presets (-O2) keep both as errors and build clean.
function(quartet_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE
      $<$<CONFIG:Release>:-Wno-error=restrict> $<$<CONFIG:Release>:-Wno-error=maybe-uninitialized>)
  endif()
endfunction()

# quartet_library(NAME SOURCES ... [DEPS ...]) — a static library of our own code.
function(quartet_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  quartet_warnings(${name})
endfunction()

# quartet_test(NAME SOURCES ... [DEPS ...] [LABELS ...]) — a GoogleTest binary
# registered with CTest. Labels pick subsets: "sdk" runs under ASan+UBSan in CI,
# "concurrency" under TSan, "integration" needs the real peers from ./setup.
function(quartet_test name)
  if(NOT QUARTET_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  quartet_warnings(${name})
  add_test(NAME ${name} COMMAND ${name})
  set(timeout 300)
  if(ARG_TIMEOUT)
    set(timeout ${ARG_TIMEOUT})
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${timeout}
    ENVIRONMENT "QUARTET_SOURCE_DIR=${PROJECT_SOURCE_DIR};QUARTET_BIN_DIR=${CMAKE_BINARY_DIR}/bin")
endfunction()

# quartet_benchmark(NAME SOURCES ... [DEPS ...]) — a Google Benchmark binary.
function(quartet_benchmark name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  if(NOT TARGET benchmark::benchmark)
    find_package(benchmark REQUIRED)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
  quartet_warnings(${name})
endfunction()

# quartet_fuzz(NAME SOURCES ... [DEPS ...] CORPUS dir) — a libFuzzer target.
# With QUARTET_FUZZ (clang) it links -fsanitize=fuzzer; otherwise it links a
# replay driver and runs over its corpus as a regression test.
function(quartet_fuzz name)
  cmake_parse_arguments(ARG "" "CORPUS" "SOURCES;DEPS" ${ARGN})
  if(QUARTET_FUZZ)
    add_executable(${name} ${ARG_SOURCES})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  else()
    add_executable(${name} ${ARG_SOURCES} ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cc)
    if(QUARTET_BUILD_TESTS)
      add_test(NAME ${name}_replay COMMAND ${name} ${ARG_CORPUS})
      set_tests_properties(${name}_replay PROPERTIES LABELS "fuzz;sdk")
    endif()
  endif()
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  quartet_warnings(${name})
endfunction()

# quartet_component(NAME INTO <quartet|quartet_wire> SOURCES ... [COMPONENTS ...] [DEPS ...])
# One folder's code as an OBJECT library whose objects also go into the
# installed library INTO. Tests link the components they need directly, so one
# folder's work in progress never breaks another folder's tests.
#   COMPONENTS: other quartet_* object libraries this one uses (a test must
#               list them too: object files do not link transitively).
#   DEPS:       external or static libraries (also linked by INTO).
function(quartet_component name)
  cmake_parse_arguments(ARG "" "INTO" "SOURCES;COMPONENTS;DEPS" ${ARGN})
  add_library(${name} OBJECT ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>)
  target_link_libraries(${name} PUBLIC quartet_base ${ARG_DEPS})
  foreach(component IN LISTS ARG_COMPONENTS)
    target_include_directories(${name} PUBLIC $<TARGET_PROPERTY:${component},INTERFACE_INCLUDE_DIRECTORIES>)
    add_dependencies(${name} ${component})
  endforeach()
  quartet_warnings(${name})
  target_sources(${ARG_INTO} PRIVATE $<TARGET_OBJECTS:${name}>)
  if(ARG_DEPS)
    target_link_libraries(${ARG_INTO} PUBLIC ${ARG_DEPS})
  endif()
endfunction()
