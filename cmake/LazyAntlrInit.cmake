# Makes ANTLR's generated recognizers deserialize their ATN on first use.
# Usage: cmake -DSOURCE=<generated Lexer.cpp or Parser.cpp> -P LazyAntlrInit.cmake
#
# ANTLR 4.7.2's C++ target does it in a static initializer, so every process
# paid for it at start-up (two thirds of `deployc --version`'s instructions),
# although only files the hand-written parser gives up on reach ANTLR. The
# initializer becomes a function-local static of the constructor: run once,
# thread-safe. A changed template fails the build rather than going unnoticed.
function(replace_once text from to out)
  string(FIND "${text}" "${from}" first)
  string(FIND "${text}" "${from}" last REVERSE)
  if(first EQUAL -1 OR NOT first EQUAL last)
    message(FATAL_ERROR "LazyAntlrInit: expected `${from}` exactly once")
  endif()
  string(REPLACE "${from}" "${to}" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

get_filename_component(class "${SOURCE}" NAME_WE)
file(READ "${SOURCE}" text)
replace_once("${text}" "${class}::Initializer ${class}::_init;\n" "" text)
replace_once("${text}" "  _interpreter = new"
             "  static Initializer OnFirstUse;\n  _interpreter = new" text)
file(WRITE "${SOURCE}" "${text}")
