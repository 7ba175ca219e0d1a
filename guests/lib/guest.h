/* guest.h — the guest library as seen from C test guests (gcc -m32 -ffreestanding).
 * A C guest defines `void test_main(void)`; boot.asm calls it and exits with 0 when it returns.
 * The print routines take their arguments on the stack and pop them (stdcall). */
#ifndef GUEST_H
#define GUEST_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#define STDCALL __attribute__((stdcall))

void STDCALL print_char(u32 ch);
void STDCALL print_str(const char *s);
void STDCALL print_hex8(u32 v);
void STDCALL print_hex16(u32 v);
void STDCALL print_hex32(u32 v);
void print_nl(void);
void print_space(void);
void STDCALL exit_guest(u32 value) __attribute__((noreturn));

void test_main(void);

static inline void put_hex32(u32 v) { print_hex32(v); print_space(); }
static inline void put_line(const char *s) { print_str(s); print_nl(); }

/* gcc may emit calls to these even with -ffreestanding */
void *memset(void *d, int c, unsigned n);
void *memcpy(void *d, const void *s, unsigned n);

#endif
