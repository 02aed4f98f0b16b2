//===- Memory.h - Hints to the system about the process's memory --*- C++ -*-===//
#ifndef DEPLOYC_BASIC_MEMORY_H
#define DEPLOYC_BASIC_MEMORY_H

#include <cstddef>
#include <cstdint>

namespace deployc {

/// Asks for transparent huge pages for the heap glibc gives the calling
/// thread, and (where the tool's operator new reports new blocks, see below)
/// for every heap the thread allocates from later. A one-shot command
/// allocates tens of megabytes and exits; on virtual machines faulting that
/// in 4 KiB at a time took a fifth of a large emit, and huge pages need 512
/// times fewer faults while peak memory stays as it was (the heap is used
/// densely). Call it first thing on a thread whose allocations live for the
/// rest of the command. Not in the language server, whose heap lives long and
/// is used sparsely. A no-op where the system does not grant huge pages on request or
/// the C library is not glibc. Works best with mallopt(M_TOP_PAD, 64 MiB),
/// which makes each new heap writable whole at once (the tool sets it).
void adviseHugePagesForThreadHeap();

/// Whether the calling thread called adviseHugePagesForThreadHeap; helper
/// threads of a command ask for huge pages only if it did.
bool threadWantsHugePages();

namespace detail {
/// glibc's heap size (HEAP_MAX_SIZE, unchanged since glibc 2.3); heaps are
/// aligned to it.
constexpr uintptr_t HeapSize = uintptr_t(64) << 20;
/// From this size on, glibc maps a block on its own.
constexpr size_t LargeBlockSize = size_t(4) << 20;
/// The heap of the calling thread's last reported block.
inline constinit thread_local uintptr_t LastHeap = 0;
void adviseHugePagesForNewBlockSlow(void *P, size_t N);
} // namespace detail

/// Reports a block of N bytes at P that was just allocated and not yet
/// written (the tool's operator new calls it for every block). A block of
/// 4 MiB or more, which glibc maps on its own, gets huge pages for the whole
/// 2 MiB pages inside it: the type checker's tables and the plan's workloads
/// were faulted in 4 KiB at a time. On a thread that called
/// adviseHugePagesForThreadHeap, a block from a heap the thread has not
/// allocated from before gets the heap advised: glibc adds a heap when the
/// last one is full, in the middle of a pass. Costs a mask and a compare for
/// a block from the same heap as the last one.
inline void adviseHugePagesForNewBlock(void *P, size_t N) {
  if (N < detail::LargeBlockSize &&
      (reinterpret_cast<uintptr_t>(P) & ~(detail::HeapSize - 1)) == detail::LastHeap)
    return;
  detail::adviseHugePagesForNewBlockSlow(P, N);
}

} // namespace deployc

#endif
