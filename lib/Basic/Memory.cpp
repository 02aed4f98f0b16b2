//===- Memory.cpp - Hints to the system about the process's memory --------===//
#include "deployc/Basic/Memory.h"
#include <cstdint>
#include <cstdlib>
#ifdef __linux__
#include <sys/mman.h>
#endif

namespace deployc {

/// glibc gives each thread (but the process's first) an arena whose heap is a
/// region of 64 MiB aligned to its size (HEAP_MAX_SIZE, unchanged since glibc
/// 2.3); its own `hugetlb` tunable advises the same, but that is read from the
/// environment only. Where the guess is wrong, the advice goes nowhere
/// (madvise fails) or to other heap memory.
void adviseHugePagesForThreadHeap() {
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t HeapSize = uintptr_t(64) << 20;
  void *Probe = malloc(1);
  if (!Probe)
    return;
  uintptr_t Heap = reinterpret_cast<uintptr_t>(Probe) & ~(HeapSize - 1);
  madvise(reinterpret_cast<void *>(Heap), HeapSize, MADV_HUGEPAGE);
  free(Probe);
#endif
}

} // namespace deployc
