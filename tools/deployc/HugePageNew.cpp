//===- HugePageNew.cpp - operator new that asks for huge pages ------------===//
//
// Replaces the global operator new, which every container allocates through,
// so that huge pages are asked for before memory is first written: for large
// blocks and for heaps glibc adds in the middle of a pass (see
// adviseHugePagesForNewBlock). libstdc++'s array and nothrow forms call this
// one; its operator delete frees with free(), as this allocates with malloc().
// Left out of sanitizer builds, whose runtime replaces operator new itself.
//
//===----------------------------------------------------------------------===//

#include "deployc/Basic/Memory.h"
#include <cstdlib>
#include <new>

void *operator new(std::size_t Size) {
  for (;;) {
    if (void *P = std::malloc(Size ? Size : 1)) {
      deployc::adviseHugePagesForNewBlock(P, Size);
      return P;
    }
    std::new_handler Handler = std::get_new_handler();
    if (!Handler)
      throw std::bad_alloc();
    Handler();
  }
}
