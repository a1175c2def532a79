# Install rules and the exported CMake package `memtile` (issue 6, issue 14 item 5): headers,
# the static libraries as imported targets, and memtileConfig.cmake, in two export sets:
#   memtileTargets    memtile::core, memtile::sc (the peripheral): needs Eigen3, nlohmann_json
#                     and SystemC (pkg-config) only;
#   memtileNnTargets  memtile::nn, memtile::backends: their static archives also need ONNX,
#                     Protobuf and ZLIB at the consumer's link, so memtileConfig.cmake loads this
#                     set only when those are found (or the component `nn` is asked for).
#
# Include once at the end of the top-level CMakeLists.txt (after every target exists):
#   include(MemtileInstall)
# Also registers the ctest `vp_install_outoftree`: install into a prefix inside the build tree,
# configure + build tests/vp/outoftree against it with find_package(memtile), run it.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(MEMTILE_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/memtile CACHE STRING "Where memtileConfig.cmake goes")

set(_memtile_install_targets)     # export set memtileTargets
set(_memtile_nn_install_targets)  # export set memtileNnTargets
foreach(_lib core sc nn backends)
  if(TARGET memtile_${_lib})
    set_target_properties(memtile_${_lib} PROPERTIES EXPORT_NAME ${_lib})
    if(_lib STREQUAL "nn" OR _lib STREQUAL "backends")
      list(APPEND _memtile_nn_install_targets memtile_${_lib})
    else()
      list(APPEND _memtile_install_targets memtile_${_lib})
    endif()
    install(DIRECTORY ${memtile_SOURCE_DIR}/models/${_lib}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
            COMPONENT memtile FILES_MATCHING PATTERN "*.hpp" PATTERN "*.h")
  endif()
endforeach()

if(TARGET memtile_core)
  # What every consumer of the installed package needs (set project-wide in the build tree).
  target_compile_features(memtile_core PUBLIC cxx_std_17)
endif()
if(TARGET memtile_core AND MEMTILE_ARCH_FLAGS)
  # The build's instruction set travels with the package: Eigen objects crossing into the
  # consumer's translation units must be compiled with the same flags (top-level CMakeLists.txt).
  target_compile_options(memtile_core INTERFACE $<INSTALL_INTERFACE:${MEMTILE_ARCH_FLAGS}>)
endif()
if(TARGET memtile_sc)
  target_compile_definitions(memtile_sc INTERFACE $<INSTALL_INTERFACE:SC_INCLUDE_DYNAMIC_PROCESSES>)
endif()
if(MEMTILE_SANITIZE AND TARGET memtile_core)
  target_link_options(memtile_core INTERFACE $<INSTALL_INTERFACE:-fsanitize=address,undefined>)
endif()

install(TARGETS ${_memtile_install_targets} EXPORT memtileTargets COMPONENT memtile
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT memtileTargets NAMESPACE memtile:: DESTINATION ${MEMTILE_INSTALL_CMAKEDIR} COMPONENT memtile)
if(_memtile_nn_install_targets)
  install(TARGETS ${_memtile_nn_install_targets} EXPORT memtileNnTargets COMPONENT memtile
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT memtileNnTargets NAMESPACE memtile:: DESTINATION ${MEMTILE_INSTALL_CMAKEDIR} COMPONENT memtile)
endif()

set(MEMTILE_PACKAGE_HAS_NN OFF)
if(TARGET memtile_nn)
  set(MEMTILE_PACKAGE_HAS_NN ON)
endif()
configure_package_config_file(${memtile_SOURCE_DIR}/cmake/memtileConfig.cmake.in
  ${memtile_BINARY_DIR}/memtileConfig.cmake INSTALL_DESTINATION ${MEMTILE_INSTALL_CMAKEDIR})
write_basic_package_version_file(${memtile_BINARY_DIR}/memtileConfigVersion.cmake
  VERSION ${memtile_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${memtile_BINARY_DIR}/memtileConfig.cmake ${memtile_BINARY_DIR}/memtileConfigVersion.cmake
        DESTINATION ${MEMTILE_INSTALL_CMAKEDIR} COMPONENT memtile)

if(MEMTILE_BUILD_TESTS AND TARGET memtile_sc AND EXISTS ${memtile_SOURCE_DIR}/tests/vp/outoftree/CMakeLists.txt)
  add_test(NAME vp_install_outoftree
    COMMAND ${CMAKE_COMMAND}
      -DBUILD_DIR=${memtile_BINARY_DIR}
      -DSOURCE_DIR=${memtile_SOURCE_DIR}/tests/vp/outoftree
      -DPREFIX=${memtile_BINARY_DIR}/vp-install
      -DWORK_DIR=${memtile_BINARY_DIR}/vp-outoftree
      -DCONFIG=$<CONFIG>
      -DCXX=${CMAKE_CXX_COMPILER}
      -DBUILD_TYPE=${CMAKE_BUILD_TYPE}
      -DSANITIZE=${MEMTILE_SANITIZE}
      -P ${memtile_SOURCE_DIR}/tests/vp/outoftree/run.cmake)
  set_tests_properties(vp_install_outoftree PROPERTIES TIMEOUT 600 LABELS "vp;install")
endif()
