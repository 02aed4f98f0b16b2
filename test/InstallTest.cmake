# Installs into a scratch prefix and checks that what a user gets works on its
# own: the installed binary and a copy of it alone in an empty folder check
# the examples from a folder outside the build tree, with DEPLOYC_STDLIB
# empty; --stdlib (and its alias --stdlib-path) still win; the man page and
# the completions are installed.
set(scratch "${BUILD_DIR}/install-test")
set(prefix "${scratch}/prefix")
file(REMOVE_RECURSE "${scratch}")
execute_process(COMMAND ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed")
endif()
foreach(f bin/deployc
          share/deployc/stdlib/tiers.deploy
          share/man/man1/deployc.1
          share/bash-completion/completions/deployc
          share/zsh/site-functions/_deployc
          share/fish/vendor_completions.d/deployc.fish)
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()

# Run from a folder that is neither the build nor the source tree, with a
# copy of the example there: nothing can be found on disk by accident.
set(work "${scratch}/elsewhere")
set(alone "${scratch}/alone")
file(MAKE_DIRECTORY "${work}" "${alone}")
file(COPY "${SOURCE_DIR}/examples/shop" DESTINATION "${work}")
file(COPY "${prefix}/bin/deployc" DESTINATION "${alone}")
set(ENV{DEPLOYC_STDLIB} "")
foreach(exe "${prefix}/bin/deployc" "${alone}/deployc")
  execute_process(COMMAND "${exe}" check shop/shop.deploy WORKING_DIRECTORY "${work}"
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${exe} check failed: ${err}")
  endif()
  execute_process(COMMAND "${exe}" --version OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT out MATCHES "^deployc [0-9]+\\.[0-9]+\\.[0-9]+ \\(commit ")
    message(FATAL_ERROR "${exe} --version printed: ${out}")
  endif()
endforeach()

# The overrides win over the built-in stdlib.
foreach(flag --stdlib --stdlib-path)
  execute_process(COMMAND "${alone}/deployc" check ${flag} "${scratch}/nowhere" shop/shop.deploy
                  WORKING_DIRECTORY "${work}" RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(rc EQUAL 0 OR NOT err MATCHES "D1101")
    message(FATAL_ERROR "${flag} was not honoured: ${err}")
  endif()
endforeach()
set(ENV{DEPLOYC_STDLIB} "${scratch}/nowhere")
execute_process(COMMAND "${alone}/deployc" check shop/shop.deploy
                WORKING_DIRECTORY "${work}" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "D1101")
  message(FATAL_ERROR "DEPLOYC_STDLIB was not honoured: ${err}")
endif()
file(REMOVE_RECURSE "${scratch}")
