//===- DocumentArena.cpp - Memory for the documents of one file -----------===//
#include "DocumentArena.h"
#include <cassert>
#include <cstdint>
#include <new>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DEPLOYC_DOCUMENT_ARENA_OFF 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define DEPLOYC_DOCUMENT_ARENA_OFF 1
#endif

using namespace deployc::emit;

thread_local constinit DocumentArena *DocumentArena::Active = nullptr;

DocumentArena::DocumentArena() : Previous(Active) {
#ifndef DEPLOYC_DOCUMENT_ARENA_OFF
  Active = this;
#endif
}

DocumentArena::~DocumentArena() {
  assert(LiveBytes == 0 && "a document outlives its arena");
#ifndef DEPLOYC_DOCUMENT_ARENA_OFF
  Active = Previous;
#endif
}

bool DocumentArena::isEnabled() {
#ifdef DEPLOYC_DOCUMENT_ARENA_OFF
  return false;
#else
  return true;
#endif
}

bool DocumentArena::rewindIfUnused() {
  if (LiveBytes)
    return false;
  // What one large file (every secret of 10,000 services) needed beyond an
  // ordinary one goes back to the heap rather than sit unused to the end.
  if (Slabs.size() > KeptSlabs)
    Slabs.resize(KeptSlabs);
  if (!Slabs.empty())
    startSlab(0);
  return true;
}

void DocumentArena::startSlab(size_t Index) {
  Current = Index;
  Base = Next = reinterpret_cast<uintptr_t>(Slabs[Index].get());
  End = Base + SlabSize;
}

bool DocumentArena::ownsInOtherSlab(const void *P) const {
  auto C = reinterpret_cast<uintptr_t>(P);
  for (const std::unique_ptr<char[]> &S : Slabs)
    if (C - reinterpret_cast<uintptr_t>(S.get()) < SlabSize)
      return true;
  return false;
}

void *DocumentArena::allocateInNewSlab(size_t Size, size_t Align) {
  // Large nodes, and whatever a very large file needs beyond MaxSlabs, come
  // from the heap: the arena stays the size of an ordinary file.
  if (Size + Align > SlabSize || Align > alignof(std::max_align_t))
    return nullptr;
  if (Current + 1 < Slabs.size()) {
    startSlab(Current + 1);
  } else if (Slabs.size() < MaxSlabs) {
    // new[] of char is aligned for any fundamental type.
    Slabs.emplace_back(new char[SlabSize]);
    startSlab(Slabs.size() - 1);
  } else {
    return nullptr;
  }
  return allocate(Size, Align);
}
