# Writes a text file as a C++ raw string literal, for #include.
# Usage: cmake -DINPUT=<file> -DOUTPUT=<file.inc> -P EmbedText.cmake
file(READ "${INPUT}" text)
file(WRITE "${OUTPUT}.tmp" "R\"deployc_text(${text})deployc_text\"\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
file(REMOVE "${OUTPUT}.tmp")
