/* c_algorithms.c — compiler-generated code: CRC-32 (table and bitwise), a shell sort and a
 * quicksort of pseudo-random data, a sieve, 64-bit arithmetic without libgcc helpers, and a
 * bignum factorial (100!) in hex. Every result is printed so both emulators must agree. */
#include "guest.h"


static u32 lcg_state = 12345;
static u32 lcg(void) { return lcg_state = lcg_state * 1103515245u + 12345u; }

static u32 crc_table[256];
static void crc_init(void) {
  for (u32 i = 0; i < 256; i++) {
    u32 c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}
static u32 crc32_table(const u8 *p, u32 n) {
  u32 c = 0xffffffffu;
  while (n--) c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
  return ~c;
}
static u32 crc32_bitwise(const u8 *p, u32 n) {
  u32 c = 0xffffffffu;
  while (n--) {
    c ^= *p++;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & -(c & 1));
  }
  return ~c;
}

#define N 2000
static u32 data[N], copy[N];
static u8 bytes[4096];

static void shell_sort(u32 *a, int n) {
  for (int gap = n / 2; gap > 0; gap /= 2)
    for (int i = gap; i < n; i++) {
      u32 t = a[i];
      int j = i;
      for (; j >= gap && a[j - gap] > t; j -= gap) a[j] = a[j - gap];
      a[j] = t;
    }
}
static void quick_sort(int *a, int lo, int hi) {
  while (lo < hi) {
    int p = a[(lo + hi) / 2], i = lo, j = hi;
    while (i <= j) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i <= j) { int t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    if (j - lo < hi - i) { quick_sort(a, lo, j); lo = i; }
    else { quick_sort(a, i, hi); hi = j; }
  }
}
static u32 checksum(const u32 *a, int n) {
  u32 s = 0;
  for (int i = 0; i < n; i++) s = (s << 5 | s >> 27) ^ a[i];
  return s;
}

static u8 sieve[65536];

/* bignum: little-endian 32-bit limbs */
#define LIMBS 40
static u32 big[LIMBS];

void test_main(void) {
  crc_init();
  for (u32 i = 0; i < sizeof bytes; i++) bytes[i] = (u8)lcg() ^ (u8)(i >> 3);
  print_str("crc32 ");
  put_hex32(crc32_table(bytes, sizeof bytes));
  put_hex32(crc32_bitwise(bytes, sizeof bytes));
  put_hex32(crc32_table((const u8 *)"123456789", 9)); /* check value cbf43926 */
  print_nl();

  for (int i = 0; i < N; i++) data[i] = lcg();
  memcpy(copy, data, sizeof data);
  shell_sort(data, N);
  int sorted = 1;
  for (int i = 1; i < N; i++) if (data[i - 1] > data[i]) sorted = 0;
  print_str("shell ");
  put_hex32(sorted);
  put_hex32(checksum(data, N));
  put_hex32(data[0]);
  put_hex32(data[N / 2]);
  put_hex32(data[N - 1]);
  print_nl();
  quick_sort((int *)copy, 0, N - 1); /* signed order */
  sorted = 1;
  for (int i = 1; i < N; i++) if ((int)copy[i - 1] > (int)copy[i]) sorted = 0;
  print_str("quick ");
  put_hex32(sorted);
  put_hex32(checksum(copy, N));
  put_hex32(copy[0]);
  put_hex32(copy[N - 1]);
  print_nl();

  memset(sieve, 1, sizeof sieve);
  u32 primes = 0, last = 0;
  for (u32 i = 2; i < sizeof sieve; i++) {
    if (!sieve[i]) continue;
    primes++;
    last = i;
    for (u32 j = i * i; j < sizeof sieve; j += i) sieve[j] = 0;
  }
  print_str("primes ");
  put_hex32(primes);
  put_hex32(last);
  print_nl();

  /* 64-bit: multiply, add, shifts, compares (no division: that needs libgcc) */
  u64 x = 0x123456789abcdefull, acc = 0;
  for (int i = 0; i < 100; i++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    acc ^= (x >> (i & 63)) + (x << 7);
    if ((long long)x < 0) acc += 1;
  }
  print_str("u64 ");
  put_hex32((u32)(acc >> 32));
  put_hex32((u32)acc);
  print_nl();

  /* 100! in hex */
  memset(big, 0, sizeof big);
  big[0] = 1;
  for (u32 f = 2; f <= 100; f++) {
    u64 carry = 0;
    for (int i = 0; i < LIMBS; i++) {
      u64 t = (u64)big[i] * f + carry;
      big[i] = (u32)t;
      carry = t >> 32;
    }
  }
  print_str("100! = ");
  int top = LIMBS - 1;
  while (top > 0 && big[top] == 0) top--;
  for (int i = top; i >= 0; i--) print_hex32(big[i]);
  print_nl();
}
