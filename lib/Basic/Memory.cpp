//===- Memory.cpp - Hints to the system about the process's memory --------===//
#include "deployc/Basic/Memory.h"
#include <cstdlib>
#ifdef __linux__
#include <sys/mman.h>
#endif

namespace deployc {

namespace {

constexpr uintptr_t HugePage = uintptr_t(2) << 20;

/// Whether the calling thread asked for huge pages for its heaps.
constinit thread_local bool WantsHugePages = false;
/// Heaps the calling thread advised, most recent first; a few suffice, as
/// blocks come from the newest heap or from free space in the last few.
constexpr unsigned RememberedHeaps = 16;
constinit thread_local uintptr_t AdvisedHeaps[RememberedHeaps] = {};

/// Advises Heap unless the thread already did. Where the guess that Heap is
/// one of glibc's heaps is wrong, the advice goes nowhere (madvise fails) or
/// to other heap memory.
void adviseHeap(uintptr_t Heap) {
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
  for (uintptr_t Advised : AdvisedHeaps)
    if (Advised == Heap)
      return;
  for (unsigned I = RememberedHeaps - 1; I > 0; --I)
    AdvisedHeaps[I] = AdvisedHeaps[I - 1];
  AdvisedHeaps[0] = Heap;
  madvise(reinterpret_cast<void *>(Heap), detail::HeapSize, MADV_HUGEPAGE);
  // glibc wrote the heap's header before the advice could be given, so the
  // first 2 MiB are already mapped page by page and would stay so: 512
  // faults on each heap, the better part of a small check's. Ask Linux (6.1
  // on) to make them one huge page now; older ones refuse.
  constexpr int MadviseCollapse = 25; // MADV_COLLAPSE, not in glibc 2.36's headers
  madvise(reinterpret_cast<void *>(Heap), HugePage, MadviseCollapse);
#endif
}

} // namespace

void adviseHugePagesForThreadHeap() {
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
  WantsHugePages = true;
  void *Probe = malloc(1);
  if (!Probe)
    return;
  adviseHeap(reinterpret_cast<uintptr_t>(Probe) & ~(detail::HeapSize - 1));
  free(Probe);
#endif
}

bool threadWantsHugePages() { return WantsHugePages; }

void detail::adviseHugePagesForNewBlockSlow(void *P, size_t N) {
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
  uintptr_t Begin = reinterpret_cast<uintptr_t>(P);
  if (N >= LargeBlockSize) {
    uintptr_t First = (Begin + HugePage - 1) & ~(HugePage - 1);
    uintptr_t End = (Begin + N) & ~(HugePage - 1);
    if (End > First)
      madvise(reinterpret_cast<void *>(First), End - First, MADV_HUGEPAGE);
    return;
  }
  LastHeap = Begin & ~(HeapSize - 1);
  if (WantsHugePages)
    adviseHeap(LastHeap);
#endif
}

} // namespace deployc
