//===- Version.h - The tool's version and commit ----------------*- C++ -*-===//
//
// Defined in a source generated at build time (cmake/GenerateVersion.cmake),
// so that a new commit rebuilds one small file.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_TOOLS_VERSION_H
#define DEPLOYC_TOOLS_VERSION_H

namespace deployc::tool {
/// project(VERSION) of the top-level CMakeLists.txt, e.g. `0.1.0`.
extern const char Version[];
/// `git describe --always --dirty` of the source tree when built; `unknown`
/// outside a git checkout.
extern const char Commit[];
} // namespace deployc::tool

#endif
