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

  static void *allocate(size_t Size, size_t Align);
  static void deallocate(void *P, size_t Size);

private:
  void *allocateHere(size_t Size, size_t Align);
  bool owns(const void *P) const;

  static constexpr size_t SlabSize = 256 << 10;
  /// Room for the largest workload's documents several times over.
  static constexpr size_t MaxSlabs = 16;
  std::vector<std::unique_ptr<char[]>> Slabs;
  size_t Current = 0; ///< The slab being filled.
  size_t Used = 0;    ///< Bytes of it handed out.
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
