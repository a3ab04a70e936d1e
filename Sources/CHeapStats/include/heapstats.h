// Heap bytes in use (glibc mallinfo2), for the benchmark's memory numbers.
#ifndef CLUSTERDASH_HEAPSTATS_H
#define CLUSTERDASH_HEAPSTATS_H
#include <stddef.h>

/// Bytes handed out by malloc and not yet freed, over every arena,
/// including large blocks served by mmap.
size_t cd_heap_in_use(void);

#endif
