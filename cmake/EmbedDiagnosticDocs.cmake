# Turns docs/diagnostics/D*.md into a C++ table of {code, text} for `deployc explain`.
# Usage: cmake -DDOCS_DIR=<dir> -DOUTPUT=<file.inc> -P EmbedDiagnosticDocs.cmake
file(GLOB docs "${DOCS_DIR}/D*.md")
list(SORT docs)
set(content "// Generated from docs/diagnostics by cmake/EmbedDiagnosticDocs.cmake.\n")
foreach(f ${docs})
  get_filename_component(code "${f}" NAME_WE)
  file(READ "${f}" text)
  string(APPEND content "{\"${code}\", R\"deployc_doc(${text})deployc_doc\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp" "${content}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
file(REMOVE "${OUTPUT}.tmp")
