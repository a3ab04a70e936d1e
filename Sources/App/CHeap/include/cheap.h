// The C allocator (glibc): one setting the dashboard makes at start, and the
// number the benchmark reports.
#ifndef CLUSTERDASH_CHEAP_H
#define CLUSTERDASH_CHEAP_H
#include <stddef.h>

/// Serves every block of 1 MiB or more with its own mmap, freed straight
/// back to the system. glibc's default raises that threshold after the first
/// large free, so the large buffers of a burst (queue storage, batches) land
/// inside the arenas and, once freed, stay resident as fragmentation.
void cd_heap_configure(void);

/// Bytes handed out by malloc and not yet freed, over every arena,
/// including large blocks served by mmap.
size_t cd_heap_in_use(void);

#endif
