// memset and memcpy for the freestanding C guests: gcc emits calls to them for struct copies and
// initialisers even with -ffreestanding. Byte loops, so they exercise plain moves.
#include "guest.h"

void *memset(void *d, int c, unsigned n) {
  u8 *p = d;
  while (n--) *p++ = (u8)c;
  return d;
}

void *memcpy(void *d, const void *s, unsigned n) {
  u8 *p = d;
  const u8 *q = s;
  while (n--) *p++ = *q++;
  return d;
}
