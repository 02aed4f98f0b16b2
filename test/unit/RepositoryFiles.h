//===- RepositoryFiles.h - The .deploy files tests read -----------*- C++ -*-===//
#ifndef DEPLOYC_TEST_UNIT_REPOSITORYFILES_H
#define DEPLOYC_TEST_UNIT_REPOSITORYFILES_H

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include <algorithm>
#include <string>
#include <vector>

namespace deployc::test {

/// The paths of every .deploy file under the repository's examples, stdlib
/// and test folders, in a stable order.
inline std::vector<std::string> repositoryDeployFiles() {
  std::vector<std::string> Paths;
  for (const char *Dir : {"examples", "stdlib", "test"}) {
    llvm::SmallString<256> Root(DEPLOYC_SOURCE_DIR);
    llvm::sys::path::append(Root, Dir);
    std::error_code EC;
    for (llvm::sys::fs::recursive_directory_iterator It(Root, EC), End; It != End && !EC;
         It.increment(EC))
      if (llvm::sys::path::extension(It->path()) == ".deploy")
        Paths.push_back(It->path());
  }
  std::sort(Paths.begin(), Paths.end());
  return Paths;
}

} // namespace deployc::test

#endif
