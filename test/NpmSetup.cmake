# Installs the npm packages of one test folder (package.json + package-lock.json,
# pinned) into a folder of the build tree, outside the sources. Reinstalls only
# when the lock file changed.
# Usage: cmake -DSOURCE=<dir> -DDEST=<dir> [-DRECURSE=ON] -P NpmSetup.cmake
# With -DRECURSE=ON the whole folder is copied (an editor extension).
file(MAKE_DIRECTORY "${DEST}")
if(RECURSE)
  file(COPY "${SOURCE}/" DESTINATION "${DEST}" PATTERN node_modules EXCLUDE)
else()
  file(GLOB files "${SOURCE}/*.json" "${SOURCE}/*.mjs" "${SOURCE}/*.js")
  foreach(f ${files})
    file(COPY "${f}" DESTINATION "${DEST}")
  endforeach()
endif()
file(SHA256 "${SOURCE}/package-lock.json" lock_hash)
set(stamp "${DEST}/node_modules/.deployc-lock")
if(EXISTS "${stamp}")
  file(READ "${stamp}" old_hash)
  if(old_hash STREQUAL lock_hash)
    return()
  endif()
endif()
find_program(NPM npm REQUIRED)
execute_process(COMMAND ${NPM} ci --no-audit --no-fund --loglevel=error
                WORKING_DIRECTORY "${DEST}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "npm ci failed in ${DEST}")
endif()
file(WRITE "${stamp}" "${lock_hash}")
