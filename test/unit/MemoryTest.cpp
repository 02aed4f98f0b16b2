//===- MemoryTest.cpp - Huge page advice ----------------------------------===//

#include "deployc/Basic/Memory.h"
#include "gtest/gtest.h"
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

// Under AddressSanitizer blocks come from its allocator, not glibc's heaps.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DEPLOYC_NO_GLIBC_HEAPS 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define DEPLOYC_NO_GLIBC_HEAPS 1
#endif

using namespace deployc;

namespace {

/// The VmFlags of the mapping that holds Address, or "" when not found.
std::string vmFlagsAt(const void *Address) {
  std::ifstream Smaps("/proc/self/smaps");
  uintptr_t A = reinterpret_cast<uintptr_t>(Address);
  std::string Line;
  bool Inside = false;
  while (std::getline(Smaps, Line)) {
    if (Line.find("VmFlags:") == 0) {
      if (Inside)
        return Line;
      continue;
    }
    // A mapping's first line starts with its address range.
    unsigned long Begin, End;
    char Dash;
    std::istringstream Range(Line);
    if (!Line.empty() && std::isxdigit(static_cast<unsigned char>(Line[0])) &&
        (Range >> std::hex >> Begin >> Dash >> End) && Dash == '-')
      Inside = Begin <= A && A < End;
  }
  return "";
}

bool hasHugePageAdvice(const void *Address) {
  return vmFlagsAt(Address).find(" hg") != std::string::npos;
}

bool systemGrantsAdvice() {
#if defined(__linux__) && defined(__GLIBC__)
  return std::ifstream("/sys/kernel/mm/transparent_hugepage/enabled").good();
#else
  return false;
#endif
}

TEST(MemoryTest, LargeBlocksAskForHugePages) {
  if (!systemGrantsAdvice())
    GTEST_SKIP() << "no transparent huge pages here";
  constexpr size_t Size = size_t(16) << 20;
  char *Block = static_cast<char *>(std::malloc(Size));
  ASSERT_NE(Block, nullptr);
  adviseHugePagesForNewBlock(Block, Size);
  EXPECT_TRUE(hasHugePageAdvice(Block + Size / 2)) << vmFlagsAt(Block + Size / 2);
  std::free(Block);
}

TEST(MemoryTest, SmallBlocksOfAnUnadvisedThreadAreLeftAlone) {
  if (!systemGrantsAdvice())
    GTEST_SKIP() << "no transparent huge pages here";
#if defined(DEPLOYC_NO_GLIBC_HEAPS)
  GTEST_SKIP() << "the sanitizer's allocator has no glibc heaps";
#endif
  // A fresh thread has a heap of its own; it never asked for huge pages.
  std::string Flags;
  std::thread([&] {
    void *Block = std::malloc(64);
    adviseHugePagesForNewBlock(Block, 64);
    Flags = vmFlagsAt(Block);
    std::free(Block);
  }).join();
  EXPECT_FALSE(Flags.empty());
  EXPECT_EQ(Flags.find(" hg"), std::string::npos) << Flags;
}

TEST(MemoryTest, AThreadThatAskedGetsEveryNewHeapAdvised) {
  if (!systemGrantsAdvice())
    GTEST_SKIP() << "no transparent huge pages here";
#if defined(DEPLOYC_NO_GLIBC_HEAPS)
  GTEST_SKIP() << "the sanitizer's allocator has no glibc heaps";
#endif
  std::string FirstFlags, LaterFlags;
  bool AskedBefore = true, Asked = false, HelperAsked = true;
  std::thread([&] {
    AskedBefore = threadWantsHugePages();
    adviseHugePagesForThreadHeap();
    Asked = threadWantsHugePages();
    // Helper threads (import parsing) ask only if the thread starting them did.
    std::thread([&] { HelperAsked = threadWantsHugePages(); }).join();
    constexpr size_t BlockSize = 32 << 10;
    std::vector<void *> Blocks;
    auto heapOf = [](void *P) { return reinterpret_cast<uintptr_t>(P) >> 26; };
    Blocks.push_back(std::malloc(BlockSize));
    adviseHugePagesForNewBlock(Blocks.back(), BlockSize);
    FirstFlags = vmFlagsAt(Blocks.back());
    // Fill the heap until glibc adds another, as a long pass does.
    for (unsigned I = 0; I < 8192; ++I) {
      Blocks.push_back(std::malloc(BlockSize));
      adviseHugePagesForNewBlock(Blocks.back(), BlockSize);
      if (heapOf(Blocks.back()) != heapOf(Blocks.front())) {
        LaterFlags = vmFlagsAt(Blocks.back());
        break;
      }
    }
    for (void *B : Blocks)
      std::free(B);
  }).join();
  EXPECT_FALSE(AskedBefore);
  EXPECT_TRUE(Asked);
  EXPECT_FALSE(HelperAsked);
  EXPECT_NE(FirstFlags.find(" hg"), std::string::npos) << FirstFlags;
  ASSERT_FALSE(LaterFlags.empty()) << "glibc added no heap";
  EXPECT_NE(LaterFlags.find(" hg"), std::string::npos) << LaterFlags;
}

} // namespace
