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

static thread_local DocumentArena *Active = nullptr;

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
  Current = 0;
  Used = 0;
  return true;
}

bool DocumentArena::owns(const void *P) const {
  auto C = reinterpret_cast<uintptr_t>(P);
  // The slab being filled first: most nodes die in the file they were made for.
  for (size_t I = Slabs.size(); I-- > 0;) {
    auto S = reinterpret_cast<uintptr_t>(Slabs[(I + Current + 1) % Slabs.size()].get());
    if (C >= S && C - S < SlabSize)
      return true;
  }
  return false;
}

void *DocumentArena::allocateHere(size_t Size, size_t Align) {
  for (;;) {
    if (Current < Slabs.size()) {
      size_t Start = (Used + Align - 1) & ~(Align - 1);
      if (Start + Size <= SlabSize) {
        Used = Start + Size;
        LiveBytes += Size;
        return Slabs[Current].get() + Start;
      }
      if (Current + 1 < Slabs.size()) {
        ++Current;
        Used = 0;
        continue;
      }
    }
    // Large nodes, and whatever a very large file needs beyond MaxSlabs,
    // come from the heap: the arena stays the size of an ordinary file.
    if (Size + Align > SlabSize || Slabs.size() == MaxSlabs)
      return nullptr;
    // new[] of char is aligned for any fundamental type.
    Slabs.emplace_back(new char[SlabSize]);
    Current = Slabs.size() - 1;
    Used = 0;
  }
}

void *DocumentArena::allocate(size_t Size, size_t Align) {
  if (Active && Align <= alignof(std::max_align_t))
    if (void *P = Active->allocateHere(Size, Align))
      return P;
  return ::operator new(Size);
}

void DocumentArena::deallocate(void *P, size_t Size) {
  for (DocumentArena *A = Active; A; A = A->Previous)
    if (A->owns(P)) {
      A->LiveBytes -= Size;
      return;
    }
  ::operator delete(P);
}
