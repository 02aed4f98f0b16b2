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
  // Called often: only a heap not seen before costs system calls.
  static thread_local uintptr_t LastHeap = 0;
  if (Heap == LastHeap) {
    free(Probe);
    return;
  }
  LastHeap = Heap;
  madvise(reinterpret_cast<void *>(Heap), HeapSize, MADV_HUGEPAGE);
  // glibc wrote the heap's header before the advice could be given, so the
  // first 2 MiB are already mapped page by page and would stay so: 512
  // faults on each thread's heap, the better part of a small check's. Ask
  // Linux (6.1 on) to make them one huge page now; older ones refuse.
  constexpr int MadviseCollapse = 25; // MADV_COLLAPSE, not in glibc 2.36's headers
  madvise(reinterpret_cast<void *>(Heap), uintptr_t(2) << 20, MadviseCollapse);
  free(Probe);
#endif
}

} // namespace deployc
