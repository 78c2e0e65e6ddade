# `cmake --install` puts the SDK in place for services outside this tree:
# headers, the libraries, a CMake package (find_package(quartet)) and a
# pkg-config file (pkg-config --cflags --libs quartet).
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/quartet DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS quartet quartet_wire quartet_base EXPORT quartetTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT quartetTargets NAMESPACE quartet:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/quartet)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/quartetConfig.cmake.in
  ${CMAKE_BINARY_DIR}/quartetConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/quartet)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/quartetConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/quartetConfig.cmake ${CMAKE_BINARY_DIR}/quartetConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/quartet)

# libquartet is static, so its gRPC dependency must be on the user's link line.
set(QUARTET_PC_REQUIRES "")
if(QUARTET_WITH_GRPC)
  set(QUARTET_PC_REQUIRES "Requires: grpc++\n")
endif()
file(RELATIVE_PATH PC_PREFIX_REL ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
configure_file(${PROJECT_SOURCE_DIR}/cmake/quartet.pc.in ${CMAKE_BINARY_DIR}/quartet.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/quartet.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
