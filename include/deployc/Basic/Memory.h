//===- Memory.h - Hints to the system about the process's memory --*- C++ -*-===//
#ifndef DEPLOYC_BASIC_MEMORY_H
#define DEPLOYC_BASIC_MEMORY_H

namespace deployc {

/// Asks for transparent huge pages for the heap glibc gives the calling
/// thread. A one-shot command allocates tens of megabytes and exits; on
/// virtual machines faulting that in 4 KiB at a time took a fifth of a large
/// emit, and huge pages need 512 times fewer faults while peak memory stays
/// as it was (the heap is used densely). Call it first thing on a thread whose
/// allocations live for the rest of the command, and again now and then (the
/// front end's passes): a thread that outgrows its heap gets another, which
/// the next call advises; calls that find no new heap make no system call.
/// Not in the language server, whose heap lives long and is used sparsely. A
/// no-op where the system does not grant huge pages on request or the C
/// library is not glibc. Works best with mallopt(M_TOP_PAD, 64 MiB), which
/// makes each new heap writable whole at once (the tool sets it).
void adviseHugePagesForThreadHeap();

} // namespace deployc

#endif
