#include "cheap.h"
#include <malloc.h>

void cd_heap_configure(void) {
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
}

size_t cd_heap_in_use(void) {
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}
