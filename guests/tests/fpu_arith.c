/* fpu_arith.c — x87 arithmetic against QEMU: FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR on a table of
 * extended-precision operands (normals, values needing rounding, denormals, zeros, infinities,
 * NaNs, extremes) under every rounding mode and precision control; FSQRT and FRNDINT likewise.
 * Each line prints the 80-bit result (sign/exponent, significand) and the status word.
 *
 * Not tested, because QEMU 7.2 deviates from hardware there: the DE flag (QEMU's softfloat never
 * reports denormal operands of arithmetic), so the status word is printed with DE masked off;
 * pseudo-denormals and unnormals as operands; C0/C2/C3, which the SDM leaves undefined here. The x87 instructions are emitted as bytes so that
 * GNU as's swapped AT&T FSUB/FSUBR/FDIV/FDIVR mnemonics cannot confuse the operand order. */
#include "guest.h"


typedef struct { u64 sig; u16 se; } __attribute__((packed)) f80;

static const f80 operands[] = {
  {0x8000000000000000ull, 0x3fff},     /* 1.0 */
  {0xc000000000000000ull, 0xbfff},     /* -1.5 */
  {0xaaaaaaaaaaaaaaabull, 0x3ffd},     /* ~1/3 */
  {0xc90fdaa22168c235ull, 0x4000},     /* pi */
  {0xffffffffffffffffull, 0x3fff},     /* 2 - ulp */
  {0x8000000000000001ull, 0x4030},     /* 2^49 + tiny */
  {0xb17217f7d1cf79acull, 0xbffe},     /* -ln 2 */
  {0xffffffffffffffffull, 0x7ffe},     /* largest finite */
  {0x8000000000000000ull, 0x0001},     /* smallest normal */
  {0x0000000012345678ull, 0x0000},     /* denormal */
  {0x0000000000000000ull, 0x0000},     /* +0 */
  {0x0000000000000000ull, 0x8000},     /* -0 */
  {0x8000000000000000ull, 0x7fff},     /* +inf */
  {0x8000000000000000ull, 0xffff},     /* -inf */
  {0xc000000000001234ull, 0x7fff},     /* QNaN */
  {0xa000000000005678ull, 0xffff},     /* -SNaN */
  {0x9e3779b97f4a7c15ull, 0x3ff0},     /* 0x1.3c6ef372fe94f82ap-15 */
  {0xfedcba9876543210ull, 0xc005},     /* -127.4... */
};
#define NOPS (sizeof(operands) / sizeof(operands[0]))

static void put_f80(const f80 *v) {
  print_hex16(v->se);
  print_char(':');
  print_hex32((u32)(v->sig >> 32));
  print_hex32((u32)v->sig);
  print_space();
}

static u16 control_for(int rc, int pc) { return (u16)(0x007f | (pc << 8) | (rc << 10)); }

/* ST0 = a, ST1 = b; run `opbytes` (two bytes of a D8 register form), print ST0 and the status. */
#define BINARY_OP(name, b0, b1) \
  static u16 name(const f80 *a, const f80 *b, f80 *r) { \
    u16 sw; \
    __asm__ volatile("fldt %3\n\tfldt %2\n\t.byte " #b0 ", " #b1 "\n\tfstpt %0\n\tfstp %%st(0)\n\tfnstsw %%ax" \
                     : "=m"(*r), "=a"(sw) : "m"(*a), "m"(*b) : "memory", "st", "st(1)"); \
    return sw; \
  }
BINARY_OP(op_add, 0xd8, 0xc1)
BINARY_OP(op_mul, 0xd8, 0xc9)
BINARY_OP(op_sub, 0xd8, 0xe1)
BINARY_OP(op_subr, 0xd8, 0xe9)
BINARY_OP(op_div, 0xd8, 0xf1)
BINARY_OP(op_divr, 0xd8, 0xf9)

typedef u16 (*binary_fn)(const f80 *, const f80 *, f80 *);
static const binary_fn binary_ops[] = {op_add, op_mul, op_sub, op_subr, op_div, op_divr};
static const char *const binary_names[] = {"add", "mul", "sub", "subr", "div", "divr"};

static void set_control(u16 cw) { __asm__ volatile("fnclex\n\tfldcw %0" : : "m"(cw)); }

static u16 unary(int which, const f80 *a, f80 *r) {
  u16 sw;
  if (which == 0)
    __asm__ volatile("fldt %2\n\t.byte 0xd9, 0xfa\n\tfstpt %0\n\tfnstsw %%ax" : "=m"(*r), "=a"(sw) : "m"(*a) : "memory", "st");
  else
    __asm__ volatile("fldt %2\n\t.byte 0xd9, 0xfc\n\tfstpt %0\n\tfnstsw %%ax" : "=m"(*r), "=a"(sw) : "m"(*a) : "memory", "st");
  return sw;
}

/* C0, C2 and C3 are undefined after these instructions (SDM vol. 2); QEMU sets C2 for a negative
 * FSQRT operand and leaves it. */
static void put_sw(u16 sw) { print_hex16(sw & ~0x4502u); print_nl(); }

void test_main(void) {
  f80 r;
  __asm__ volatile("fninit");
  static const int modes[][2] = {{0, 3}, {1, 3}, {2, 3}, {3, 3}, {0, 2}, {3, 2}, {0, 0}, {2, 0}};
  for (unsigned m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
    u16 cw = control_for(modes[m][0], modes[m][1]);
    print_str("mode cw="); print_hex16(cw); print_nl();
    for (unsigned op = 0; op < 6; op++) {
      print_str(binary_names[op]); print_nl();
      for (unsigned i = 0; i < NOPS; i++) {
        for (unsigned j = 0; j < NOPS; j++) {
          set_control(cw);
          u16 sw = binary_ops[op](&operands[i], &operands[j], &r);
          print_hex8(i); print_hex8(j); print_space();
          put_f80(&r);
          put_sw(sw);
        }
      }
    }
    /* FRNDINT ignores precision control on hardware; QEMU 7.2 applies it, so only PC=64 here. */
    for (unsigned u = 0; u < (modes[m][1] == 3 ? 2u : 1u); u++) {
      print_str(u == 0 ? "sqrt" : "rndint"); print_nl();
      for (unsigned i = 0; i < NOPS; i++) {
        set_control(cw);
        u16 sw = unary(u, &operands[i], &r);
        print_hex8(i); print_space();
        put_f80(&r);
        put_sw(sw);
      }
    }
  }
  __asm__ volatile("fninit");
}
