# Turns the stdlib's .deploy files into a C++ table of {name, text}, so the
# binary carries its standard library wherever it is copied.
# Usage: cmake -DSTDLIB_DIR=<dir> -DOUTPUT=<file.inc> -P EmbedStdlib.cmake
file(GLOB_RECURSE files RELATIVE "${STDLIB_DIR}" "${STDLIB_DIR}/*.deploy")
list(SORT files)
set(content "// Generated from stdlib/ by cmake/EmbedStdlib.cmake.\n")
foreach(f ${files})
  file(READ "${STDLIB_DIR}/${f}" text)
  # The raw string would end early; no stdlib file needs this sequence.
  if(text MATCHES "\\)deployc_stdlib\"")
    message(FATAL_ERROR "stdlib/${f} contains )deployc_stdlib\" and cannot be embedded")
  endif()
  string(APPEND content "{\"${f}\", R\"deployc_stdlib(${text})deployc_stdlib\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp" "${content}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
file(REMOVE "${OUTPUT}.tmp")
