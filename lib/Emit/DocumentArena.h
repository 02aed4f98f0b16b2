//===- DocumentArena.h - Memory for the documents of one file -----*- C++ -*-===//
//
// A Kubernetes manifest is built as a tree of small JSON nodes, rendered to
// YAML and dropped; at 1,000 services that was 1.4 million allocations and
// frees, a quarter of emit's instructions. While a DocumentArena is active on
// a thread, the documents' nodes (objects, arrays, string holders) come from
// it by bumping a pointer, and freeing them only counts them. When every node
// is back, the arena rewinds and the next file reuses the same memory, so
// peak memory is that of the largest file, as before.
//
// Nodes allocated while no arena is active come from the ordinary heap and go
// back to it wherever they die. An arena must outlive the nodes made from it
// (the emitter's documents die with each file, its own state with it).
// Rewinding waits until none of the arena's nodes is alive. Sanitizer builds
// leave the arena out, so that they see each node's bounds and lifetime.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_LIB_EMIT_DOCUMENTARENA_H
#define DEPLOYC_LIB_EMIT_DOCUMENTARENA_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace deployc::emit {

class DocumentArena {
public:
  /// Becomes the calling thread's active arena until destroyed.
  DocumentArena();
  ~DocumentArena();
  DocumentArena(const DocumentArena &) = delete;
  DocumentArena &operator=(const DocumentArena &) = delete;

  /// Reuses the memory from the start when no node from it is alive;
  /// returns whether it did.
  bool rewindIfUnused();

  /// False in sanitizer builds, where every node comes from the heap.
  static bool isEnabled();

  size_t getLiveBytes() const { return LiveBytes; }
  size_t getNumSlabs() const { return Slabs.size(); }

  /// Inline: they run for every node of every document.
  static void *allocate(size_t Size, size_t Align) {
    if (DocumentArena *A = Active) {
      uintptr_t P = (A->Next + Align - 1) & ~uintptr_t(Align - 1);
      if (P + Size <= A->End) {
        A->Next = P + Size;
        A->LiveBytes += Size;
        return reinterpret_cast<void *>(P);
      }
      if (void *Q = A->allocateInNewSlab(Size, Align))
        return Q;
    }
    return ::operator new(Size);
  }

  static void deallocate(void *P, size_t Size) {
    for (DocumentArena *A = Active; A; A = A->Previous)
      if (reinterpret_cast<uintptr_t>(P) - A->Base < SlabSize || A->ownsInOtherSlab(P)) {
        A->LiveBytes -= Size;
        return;
      }
    ::operator delete(P);
  }

private:
  void *allocateInNewSlab(size_t Size, size_t Align);
  bool ownsInOtherSlab(const void *P) const;
  void startSlab(size_t Index);

  static constexpr size_t SlabSize = 256 << 10;
  /// Room for the largest workload's documents several times over.
  static constexpr size_t MaxSlabs = 16;
  /// Kept for the next file: an ordinary workload's documents fit in one.
  static constexpr size_t KeptSlabs = 2;
  static thread_local constinit DocumentArena *Active;

  std::vector<std::unique_ptr<char[]>> Slabs;
  size_t Current = 0; ///< The slab being filled.
  /// Its start, next free byte and end; all zero before the first slab, so
  /// that nothing fits and no pointer is taken for the arena's.
  uintptr_t Base = 0, Next = 0, End = 0;
  size_t LiveBytes = 0;
  DocumentArena *Previous;
};

/// The allocator documents use: the active arena, else the heap.
template <typename T> struct DocumentAllocator {
  using value_type = T;
  DocumentAllocator() = default;
  template <typename U> DocumentAllocator(const DocumentAllocator<U> &) {}
  T *allocate(size_t N) {
    return static_cast<T *>(DocumentArena::allocate(N * sizeof(T), alignof(T)));
  }
  void deallocate(T *P, size_t N) { DocumentArena::deallocate(P, N * sizeof(T)); }
  template <typename U> bool operator==(const DocumentAllocator<U> &) const { return true; }
  template <typename U> bool operator!=(const DocumentAllocator<U> &) const { return false; }
};

} // namespace deployc::emit

#endif
