// A small CPU-bound benchmark for bench/linux-guest.js: typical integer work (a quicksort, a
// table-driven CRC-32, a sieve, recursive calls, formatting and scanning strings), repeated for a
// number of rounds given as the only argument. Everything derives from a fixed seed, so the
// output is the same on any correct IA-32 CPU: the benchmark checks the guest's line against the
// same binary run natively on the host.
//   gcc -m32 -static -O2 cbench.c -o cbench && ./cbench 40
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SORT_COUNT 20000     // integers sorted per round
#define CRC_BYTES (64 << 10) // bytes checksummed per round
#define SIEVE_LIMIT 200000   // primes counted below this per round
#define FIB_ARGUMENT 20      // recursive calls: fib(20) makes 21891 of them
#define TEXT_RECORDS 2000    // records formatted and scanned per round

static uint32_t random_state;

// xorshift32 (Marsaglia, 2003): cheap, deterministic, never 0 from a non-zero seed.
static uint32_t next_random(void) {
  uint32_t x = random_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return random_state = x;
}

// Mixes a value into the running checksum (FNV-1a over its four bytes).
static uint32_t mix(uint32_t hash, uint32_t value) {
  for (int i = 0; i < 4; i++) {
    hash ^= (value >> (8 * i)) & 0xff;
    hash *= 16777619u;
  }
  return hash;
}

static void quicksort(int32_t *items, int low, int high) {
  while (low < high) {
    int32_t pivot = items[low + (high - low) / 2];
    int i = low, j = high;
    while (i <= j) {
      while (items[i] < pivot) i++;
      while (items[j] > pivot) j--;
      if (i <= j) {
        int32_t swap = items[i];
        items[i++] = items[j];
        items[j--] = swap;
      }
    }
    // Recurse into the smaller side, loop on the larger: the stack stays shallow.
    if (j - low < high - i) {
      quicksort(items, low, j);
      low = i;
    } else {
      quicksort(items, i, high);
      high = j;
    }
  }
}

static uint32_t sort_round(void) {
  static int32_t items[SORT_COUNT];
  for (int i = 0; i < SORT_COUNT; i++) items[i] = (int32_t)next_random();
  quicksort(items, 0, SORT_COUNT - 1);
  uint32_t hash = 2166136261u;
  for (int i = 0; i < SORT_COUNT; i++) {
    if (i > 0 && items[i - 1] > items[i]) return 0; // not sorted: the checksum will not match
    if (i % 64 == 0) hash = mix(hash, (uint32_t)items[i]);
  }
  return hash;
}

// CRC-32 as in IEEE 802.3 and zlib: reflected, polynomial 0xEDB88320.
static uint32_t crc_table[256];

static void crc_init(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[n] = c;
  }
}

static uint32_t crc_round(void) {
  static uint8_t bytes[CRC_BYTES];
  for (int i = 0; i < CRC_BYTES; i += 4) {
    uint32_t value = next_random();
    memcpy(&bytes[i], &value, 4);
  }
  uint32_t crc = 0xffffffffu;
  for (int i = 0; i < CRC_BYTES; i++) crc = crc_table[(crc ^ bytes[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

static uint32_t sieve_round(void) {
  static uint8_t composite[SIEVE_LIMIT];
  memset(composite, 0, sizeof composite);
  uint32_t count = 0, sum = 0;
  for (uint32_t n = 2; n < SIEVE_LIMIT; n++) {
    if (composite[n]) continue;
    count++;
    sum += n;
    if (n > SIEVE_LIMIT / n) continue; // n * n is past the limit (and would overflow later)
    for (uint32_t multiple = n * n; multiple < SIEVE_LIMIT; multiple += n) composite[multiple] = 1;
  }
  return mix(count, sum);
}

// Deliberately naive, for the calls and returns.
static uint32_t fib(uint32_t n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

// Formats records with snprintf, then scans them back: strchr, strtoul, strlen, memcmp.
static uint32_t text_round(void) {
  static char text[TEXT_RECORDS * 32];
  size_t length = 0;
  for (int i = 0; i < TEXT_RECORDS; i++) {
    uint32_t value = next_random();
    length += snprintf(text + length, sizeof text - length, "r%d=%x,%u;", i, value & 0xffff, value >> 20);
  }
  uint32_t hash = (uint32_t)strlen(text);
  uint32_t matches = 0;
  for (const char *at = text; (at = strchr(at, '=')) != NULL; at++) {
    char *end;
    hash = mix(hash, (uint32_t)strtoul(at + 1, &end, 16));
    if (*end == ',' && memcmp(end + 1, "12", 2) == 0) matches++;
  }
  return mix(hash, matches);
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 10;
  if (rounds < 1) {
    fprintf(stderr, "usage: %s [rounds]\n", argv[0]);
    return 2;
  }
  crc_init();
  uint32_t checksum = 2166136261u;
  for (int round = 0; round < rounds; round++) {
    random_state = 0x9e3779b9u ^ (uint32_t)round;
    checksum = mix(checksum, sort_round());
    checksum = mix(checksum, crc_round());
    checksum = mix(checksum, sieve_round());
    checksum = mix(checksum, fib(FIB_ARGUMENT) + (uint32_t)round);
    checksum = mix(checksum, text_round());
  }
  printf("cbench: %d rounds, checksum %08x\n", rounds, checksum);
  return 0;
}
