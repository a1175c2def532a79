# cmake -DBUILD=... -DPREFIX=... -DPY=... -DSITE=... -P install_and_import.cmake
file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD} --component python --prefix ${PREFIX} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install --component python failed (${rc})")
endif()
if(IS_ABSOLUTE ${SITE})
  set(site ${SITE})
else()
  set(site ${PREFIX}/${SITE})
endif()
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env --unset=PYTHONPATH PYTHONPATH=${site} ${PY} -c
          "import memtile, numpy as np, os; assert memtile.__file__.startswith(os.path.realpath('${site}')) or memtile.__file__.startswith('${site}'), memtile.__file__; c = memtile.dot(np.eye(3), np.eye(3), preset='mpimpy', var=0.0); assert c.shape == (3, 3); from memtile.mpimpy import memmat; print('installed package imports from', memtile.__file__)"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the installed package does not import from ${site}")
endif()
