//===- StandaloneMain.cpp - Runs a fuzz target on files, without libFuzzer ===//
//
// Compilers without libFuzzer (GCC) still build each target: this main runs
// it once on every file given, or every file in a folder given, so the kept
// crashers are regression tests in every build.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size);

static void runFile(const std::filesystem::path &P) {
  std::ifstream In(P, std::ios::binary);
  std::vector<char> Bytes((std::istreambuf_iterator<char>(In)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(Bytes.data()), Bytes.size());
}

int main(int argc, char **argv) {
  unsigned Count = 0;
  for (int I = 1; I < argc; ++I) {
    std::filesystem::path P(argv[I]);
    if (std::filesystem::is_directory(P)) {
      std::vector<std::filesystem::path> Files;
      for (const auto &E : std::filesystem::recursive_directory_iterator(P))
        if (E.is_regular_file())
          Files.push_back(E.path());
      std::sort(Files.begin(), Files.end());
      for (const auto &F : Files) {
        runFile(F);
        ++Count;
      }
    } else {
      runFile(P);
      ++Count;
    }
  }
  std::printf("ran %u input(s)\n", Count);
  return 0;
}
