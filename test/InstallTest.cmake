# Installs into a scratch prefix and checks an example with the installed binary,
# which must find the installed stdlib without help.
set(prefix "${BUILD_DIR}/install-test")
file(REMOVE_RECURSE "${prefix}")
execute_process(COMMAND ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed")
endif()
if(NOT EXISTS "${prefix}/share/deployc/stdlib/tiers.deploy")
  message(FATAL_ERROR "stdlib not installed")
endif()
set(ENV{DEPLOYC_STDLIB} "")
execute_process(COMMAND "${prefix}/bin/deployc" check "${SOURCE_DIR}/examples/shop/shop.deploy"
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "installed deployc failed: ${err}")
endif()
# The override wins over the installed copy.
execute_process(COMMAND "${prefix}/bin/deployc" check --stdlib-path "${prefix}/nowhere"
                        "${SOURCE_DIR}/examples/shop/shop.deploy"
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "D1101")
  message(FATAL_ERROR "--stdlib-path was not honoured: ${err}")
endif()
file(REMOVE_RECURSE "${prefix}")
