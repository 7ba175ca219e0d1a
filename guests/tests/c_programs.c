/* c_programs.c — a broad sample of compiler-generated code: a small printf (varargs), 64-bit
 * arithmetic with a hand-written divide (no libgcc), a bytecode interpreter dispatched both by a
 * switch (jump table) and by computed goto, function-pointer tables and a generic sort, recursion
 * (Ackermann, N-queens, Hanoi, a recursive-descent expression parser), bit tricks, string and
 * memory routines, an open-addressing hash table, struct copies, bitfields and signed division.
 * Every result is printed, so QEMU and wasmvisor must agree on all of it. */
#include <stdarg.h>
#include "guest.h"

typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;


/* ---- strings and memory ------------------------------------------------------------------- */

static unsigned str_len(const char *s) {
  const char *p = s;
  while (*p) p++;
  return (unsigned)(p - s);
}
static int str_cmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (u8)*a - (u8)*b;
}
static char *str_cpy(char *d, const char *s) {
  char *r = d;
  while ((*d++ = *s++)) {}
  return r;
}
static void *mem_move(void *d, const void *s, unsigned n) {
  u8 *dp = d;
  const u8 *sp = s;
  if (dp < sp) {
    while (n--) *dp++ = *sp++;
  } else if (dp > sp) {
    dp += n, sp += n;
    while (n--) *--dp = *--sp;
  }
  return d;
}
static int mem_cmp(const void *a, const void *b, unsigned n) {
  const u8 *p = a, *q = b;
  for (; n; n--, p++, q++)
    if (*p != *q) return *p - *q;
  return 0;
}
static const char *str_str(const char *h, const char *n) {
  unsigned k = str_len(n);
  for (; *h; h++)
    if (mem_cmp(h, n, k) == 0) return h;
  return 0;
}
static void str_rev(char *s) {
  for (char *e = s + str_len(s) - 1; s < e; s++, e--) {
    char t = *s;
    *s = *e;
    *e = t;
  }
}
static int to_lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* ---- 64-bit arithmetic without libgcc --------------------------------------------------------- */

/* Restoring division, one quotient bit per step (what __udivmoddi4 would do, slowly). */
static u64 udivmod64(u64 n, u64 d, u64 *rem) {
  if (d == 0) {
    *rem = n;
    return ~0ull;
  }
  u64 q = 0, r = 0;
  for (int i = 63; i >= 0; i--) {
    r = (r << 1) | ((n >> i) & 1);
    if (r >= d) {
      r -= d;
      q |= 1ull << i;
    }
  }
  *rem = r;
  return q;
}
static s64 sdiv64(s64 a, s64 b, s64 *rem) {
  int neg_q = (a < 0) != (b < 0), neg_r = a < 0;
  u64 r;
  u64 q = udivmod64(a < 0 ? -(u64)a : (u64)a, b < 0 ? -(u64)b : (u64)b, &r);
  *rem = neg_r ? -(s64)r : (s64)r;
  return neg_q ? -(s64)q : (s64)q;
}
static u64 isqrt64(u64 x) {
  u64 r = 0, bit = 1ull << 62;
  while (bit > x) bit >>= 2;
  while (bit) {
    if (x >= r + bit) {
      x -= r + bit;
      r = (r >> 1) + bit;
    } else {
      r >>= 1;
    }
    bit >>= 2;
  }
  return r;
}
static u64 rotl64(u64 x, unsigned k) { return (x << (k & 63)) | (x >> ((64 - k) & 63)); }
static u64 mulhi64(u64 a, u64 b) { /* high half of a 128-bit product, from 32-bit pieces */
  u64 al = (u32)a, ah = a >> 32, bl = (u32)b, bh = b >> 32;
  u64 ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
  u64 mid = (ll >> 32) + (u32)lh + (u32)hl;
  return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

/* ---- printf ------------------------------------------------------------------------------------ */

static char *fmt_u64(char *end, u64 v, unsigned base, int upper) {
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  *--end = 0;
  do {
    u64 r;
    v = udivmod64(v, base, &r);
    *--end = digits[r];
  } while (v);
  return end;
}

/* %d %u %x %X %c %s %% with optional '0', width and 'll' (64-bit) */
static void printf(const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  char buf[32];
  for (; *f; f++) {
    if (*f != '%') {
      print_char((u8)*f);
      continue;
    }
    f++;
    char pad = ' ';
    int width = 0, is_long = 0;
    if (*f == '0') pad = '0', f++;
    while (*f >= '0' && *f <= '9') width = width * 10 + (*f++ - '0');
    while (*f == 'l') is_long++, f++;
    const char *s;
    int negative = 0;
    switch (*f) {
      case 'd': {
        s64 v = is_long >= 2 ? va_arg(ap, s64) : va_arg(ap, s32);
        negative = v < 0;
        s = fmt_u64(buf + sizeof buf, negative ? -(u64)v : (u64)v, 10, 0);
        break;
      }
      case 'u':
        s = fmt_u64(buf + sizeof buf, is_long >= 2 ? va_arg(ap, u64) : va_arg(ap, u32), 10, 0);
        break;
      case 'x':
      case 'X':
        s = fmt_u64(buf + sizeof buf, is_long >= 2 ? va_arg(ap, u64) : va_arg(ap, u32), 16, *f == 'X');
        break;
      case 'c':
        buf[0] = (char)va_arg(ap, int);
        buf[1] = 0;
        s = buf;
        break;
      case 's':
        s = va_arg(ap, const char *);
        if (!s) s = "(null)";
        break;
      default:
        print_char((u8)*f);
        continue;
    }
    int len = (int)str_len(s) + negative;
    if (negative && pad == '0') print_char('-');
    for (; len < width; len++) print_char((u8)pad);
    if (negative && pad != '0') print_char('-');
    print_str(s);
  }
  va_end(ap);
}

/* ---- bytecode interpreter ---------------------------------------------------------------------- */

enum op { PUSH, POP, DUP, SWAP, OVER, ADD, SUB, MUL, DIVM, AND, OR, XOR, SHL, SHR, NEG, NOT,
          LT, EQ, JMP, JZ, JNZ, CALL, RET, LOAD, STORE, PRINT, HALT, N_OPS };

struct vm {
  s32 stack[64];
  s32 rstack[16];
  s32 vars[8];
  int sp, rsp;
  u32 steps;
};

/* Program 1: the sum of squares 1..20, gcd(1071, 462) through a subroutine, then the primes
 * below 60 by trial division. Offsets are written next to each instruction. */
enum { GCD = 93, LOOP1 = 8, OUTER = 44, INNER = 48, PRIME = 76, NEXT_N = 79, GCD_END = 103 };
static const s32 program1[] = {
  /*   0 */ PUSH, 0, STORE, 0, PUSH, 1, STORE, 1,
  /*   8 */ LOAD, 1, DUP, MUL, LOAD, 0, ADD, STORE, 0,
  /*  17 */ LOAD, 1, PUSH, 1, ADD, DUP, STORE, 1, PUSH, 21, LT, JNZ, LOOP1,
  /*  30 */ LOAD, 0, PRINT,
  /*  33 */ PUSH, 1071, PUSH, 462, CALL, GCD, PRINT,
  /*  40 */ PUSH, 2, STORE, 2,
  /*  44 */ PUSH, 2, STORE, 3,
  /*  48 */ LOAD, 3, DUP, MUL, LOAD, 2, SWAP, LT, JNZ, PRIME,
  /*  58 */ LOAD, 2, LOAD, 3, DIVM, SWAP, POP, JZ, NEXT_N,
  /*  67 */ LOAD, 3, PUSH, 1, ADD, STORE, 3, JMP, INNER,
  /*  76 */ LOAD, 2, PRINT,
  /*  79 */ LOAD, 2, PUSH, 1, ADD, DUP, STORE, 2, PUSH, 60, LT, JNZ, OUTER,
  /*  92 */ HALT,
  /*  93 */ DUP, JZ, GCD_END, SWAP, OVER, DIVM, SWAP, POP, JMP, GCD,
  /* 103 */ POP, RET,
};
/* Program 2: every arithmetic and logic operation once. */
static const s32 program2[] = {
  PUSH, 0x1234, PUSH, 4, SHL, PUSH, 0xff, XOR, NOT, NEG, PUSH, 3, SHR, PUSH, 0x0f0f, AND,
  PUSH, 0x100, OR, PUSH, 7, SUB, DUP, PRINT, PUSH, 0x1234, EQ, PRINT,
  PUSH, -100, PUSH, 7, DIVM, PRINT, PRINT, PUSH, -1, PUSH, 28, SHR, PRINT, HALT,
};

static s32 vm_out[64];
static int vm_outs;

static s32 pop(struct vm *m) { return m->stack[--m->sp]; }
static void push(struct vm *m, s32 v) { m->stack[m->sp++] = v; }

static int run_switch(struct vm *m, const s32 *c) {
  int pc = 0;
  for (;;) {
    m->steps++;
    s32 a, b;
    switch ((enum op)c[pc++]) {
      case PUSH: push(m, c[pc++]); break;
      case POP: m->sp--; break;
      case DUP: a = pop(m); push(m, a); push(m, a); break;
      case SWAP: a = pop(m); b = pop(m); push(m, a); push(m, b); break;
      case OVER: a = pop(m); b = pop(m); push(m, b); push(m, a); push(m, b); break;
      case ADD: a = pop(m); b = pop(m); push(m, b + a); break;
      case SUB: a = pop(m); b = pop(m); push(m, b - a); break;
      case MUL: a = pop(m); b = pop(m); push(m, b * a); break;
      case DIVM: a = pop(m); b = pop(m); push(m, b / a); push(m, b % a); break;
      case AND: a = pop(m); b = pop(m); push(m, b & a); break;
      case OR: a = pop(m); b = pop(m); push(m, b | a); break;
      case XOR: a = pop(m); b = pop(m); push(m, b ^ a); break;
      case SHL: a = pop(m); b = pop(m); push(m, b << (a & 31)); break;
      case SHR: a = pop(m); b = pop(m); push(m, b >> (a & 31)); break;
      case NEG: push(m, -pop(m)); break;
      case NOT: push(m, ~pop(m)); break;
      case LT: a = pop(m); b = pop(m); push(m, b < a); break;
      case EQ: a = pop(m); b = pop(m); push(m, b == a); break;
      case JMP: pc = c[pc]; break;
      case JZ: pc = pop(m) == 0 ? c[pc] : pc + 1; break;
      case JNZ: pc = pop(m) != 0 ? c[pc] : pc + 1; break;
      case CALL: m->rstack[m->rsp++] = pc + 1; pc = c[pc]; break;
      case RET: pc = m->rstack[--m->rsp]; break;
      case LOAD: push(m, m->vars[c[pc++]]); break;
      case STORE: m->vars[c[pc++]] = pop(m); break;
      case PRINT: vm_out[vm_outs++] = pop(m); break;
      case HALT: return pc - 1;
      default: return -1;
    }
  }
}

static int run_threaded(struct vm *m, const s32 *c) {
  static const void *labels[N_OPS] = {
    &&l_push, &&l_pop, &&l_dup, &&l_swap, &&l_over, &&l_add, &&l_sub, &&l_mul, &&l_divm,
    &&l_and, &&l_or, &&l_xor, &&l_shl, &&l_shr, &&l_neg, &&l_not, &&l_lt, &&l_eq, &&l_jmp,
    &&l_jz, &&l_jnz, &&l_call, &&l_ret, &&l_load, &&l_store, &&l_print, &&l_halt,
  };
  int pc = 0;
  s32 a, b;
#define NEXT do { m->steps++; goto *labels[c[pc++]]; } while (0)
  NEXT;
l_push: push(m, c[pc++]); NEXT;
l_pop: m->sp--; NEXT;
l_dup: a = pop(m); push(m, a); push(m, a); NEXT;
l_swap: a = pop(m); b = pop(m); push(m, a); push(m, b); NEXT;
l_over: a = pop(m); b = pop(m); push(m, b); push(m, a); push(m, b); NEXT;
l_add: a = pop(m); b = pop(m); push(m, b + a); NEXT;
l_sub: a = pop(m); b = pop(m); push(m, b - a); NEXT;
l_mul: a = pop(m); b = pop(m); push(m, b * a); NEXT;
l_divm: a = pop(m); b = pop(m); push(m, b / a); push(m, b % a); NEXT;
l_and: a = pop(m); b = pop(m); push(m, b & a); NEXT;
l_or: a = pop(m); b = pop(m); push(m, b | a); NEXT;
l_xor: a = pop(m); b = pop(m); push(m, b ^ a); NEXT;
l_shl: a = pop(m); b = pop(m); push(m, b << (a & 31)); NEXT;
l_shr: a = pop(m); b = pop(m); push(m, b >> (a & 31)); NEXT;
l_neg: push(m, -pop(m)); NEXT;
l_not: push(m, ~pop(m)); NEXT;
l_lt: a = pop(m); b = pop(m); push(m, b < a); NEXT;
l_eq: a = pop(m); b = pop(m); push(m, b == a); NEXT;
l_jmp: pc = c[pc]; NEXT;
l_jz: pc = pop(m) == 0 ? c[pc] : pc + 1; NEXT;
l_jnz: pc = pop(m) != 0 ? c[pc] : pc + 1; NEXT;
l_call: m->rstack[m->rsp++] = pc + 1; pc = c[pc]; NEXT;
l_ret: pc = m->rstack[--m->rsp]; NEXT;
l_load: push(m, m->vars[c[pc++]]); NEXT;
l_store: m->vars[c[pc++]] = pop(m); NEXT;
l_print: vm_out[vm_outs++] = pop(m); NEXT;
l_halt: return pc - 1;
#undef NEXT
}

static void test_interpreter(void) {
  static const struct {
    const s32 *code;
    const char *name;
  } programs[] = {{program1, "p1"}, {program2, "p2"}};
  struct vm m;
  for (unsigned p = 0; p < 2; p++)
    for (int pass = 0; pass < 2; pass++) {
      memset(&m, 0, sizeof m);
      vm_outs = 0;
      int end = pass == 0 ? run_switch(&m, programs[p].code) : run_threaded(&m, programs[p].code);
      printf("vm %s %s: halt@%d steps=%u sp=%d out:", programs[p].name, pass == 0 ? "switch" : "goto", end, m.steps,
             m.sp);
      for (int i = 0; i < vm_outs; i++) printf(" %d", vm_out[i]);
      printf("\n");
    }
}

/* ---- recursion ------------------------------------------------------------------------------- */

static u32 ackermann(u32 m, u32 n) {
  if (m == 0) return n + 1;
  if (n == 0) return ackermann(m - 1, 1);
  return ackermann(m - 1, ackermann(m, n - 1));
}

static int queens(int n, int row, u32 cols, u32 diag1, u32 diag2) {
  if (row == n) return 1;
  int count = 0;
  for (u32 free = ~(cols | diag1 | diag2) & ((1u << n) - 1); free; free &= free - 1) {
    u32 bit = free & -free;
    count += queens(n, row + 1, cols | bit, (diag1 | bit) << 1, (diag2 | bit) >> 1);
  }
  return count;
}

static u32 hanoi_hash;
static void hanoi(int n, int from, int to, int via) {
  if (!n) return;
  hanoi(n - 1, from, via, to);
  hanoi_hash = hanoi_hash * 31 + (u32)(n * 9 + from * 3 + to);
  hanoi(n - 1, via, to, from);
}

/* Recursive-descent parser and evaluator for + - * / % ( ) unary - and decimal numbers. */
static const char *expr_p;
static int expr_error;
static s32 parse_expr(void);
static void skip_spaces(void) {
  while (*expr_p == ' ') expr_p++;
}
static s32 parse_primary(void) {
  skip_spaces();
  if (*expr_p == '(') {
    expr_p++;
    s32 v = parse_expr();
    skip_spaces();
    if (*expr_p++ != ')') expr_error = 1;
    return v;
  }
  if (*expr_p == '-') {
    expr_p++;
    return -parse_primary();
  }
  if (*expr_p < '0' || *expr_p > '9') {
    expr_error = 1;
    return 0;
  }
  s32 v = 0;
  while (*expr_p >= '0' && *expr_p <= '9') v = v * 10 + (*expr_p++ - '0');
  return v;
}
static s32 parse_term(void) {
  s32 v = parse_primary();
  for (;;) {
    skip_spaces();
    char op = *expr_p;
    if (op != '*' && op != '/' && op != '%') return v;
    expr_p++;
    s32 r = parse_primary();
    if ((op == '/' || op == '%') && r == 0) {
      expr_error = 2;
      return 0;
    }
    v = op == '*' ? v * r : op == '/' ? v / r : v % r;
  }
}
static s32 parse_expr(void) {
  s32 v = parse_term();
  for (;;) {
    skip_spaces();
    char op = *expr_p;
    if (op != '+' && op != '-') return v;
    expr_p++;
    s32 r = parse_term();
    v = (s32)(op == '+' ? (u32)v + (u32)r : (u32)v - (u32)r); /* wraps like the CPU */
  }
}

static void test_recursion(void) {
  printf("ackermann(2,3)=%u ackermann(3,3)=%u\n", ackermann(2, 3), ackermann(3, 3));
  printf("queens:");
  for (int n = 1; n <= 9; n++) printf(" %d", queens(n, 0, 0, 0, 0));
  printf("\n");
  hanoi_hash = 0;
  hanoi(12, 0, 2, 1);
  printf("hanoi(12) hash=%08x\n", hanoi_hash);
  static const char *exprs[] = {
    "1 + 2 * 3", "(1 + 2) * 3", "-7 / 2", "-7 % 2", "7 % -3", "2 * (3 + 4) * (5 - -6) - 100 / 7",
    "((((((42))))))", "1 / 0", "3 + ", "2147483647 + 1",
  };
  for (unsigned i = 0; i < sizeof exprs / sizeof *exprs; i++) {
    expr_p = exprs[i];
    expr_error = 0;
    s32 v = parse_expr();
    if (expr_error) printf("  %s -> error %d\n", exprs[i], expr_error);
    else printf("  %s -> %d\n", exprs[i], v);
  }
}

/* ---- function pointers and a generic sort ----------------------------------------------------- */

typedef int (*compare_fn)(const void *, const void *);

static void swap_bytes(u8 *a, u8 *b, unsigned size) {
  while (size--) {
    u8 t = *a;
    *a++ = *b;
    *b++ = t;
  }
}
/* Heap sort over elements of any size: indices and the comparator are all indirect. */
static void sift_down(u8 *base, unsigned size, unsigned n, unsigned i, compare_fn cmp) {
  for (;;) {
    unsigned big = i, l = 2 * i + 1, r = l + 1;
    if (l < n && cmp(base + l * size, base + big * size) > 0) big = l;
    if (r < n && cmp(base + r * size, base + big * size) > 0) big = r;
    if (big == i) return;
    swap_bytes(base + i * size, base + big * size, size);
    i = big;
  }
}
static void heap_sort(void *base, unsigned n, unsigned size, compare_fn cmp) {
  for (unsigned i = n / 2; i-- > 0;) sift_down(base, size, n, i, cmp);
  for (unsigned end = n; end-- > 1;) {
    swap_bytes(base, (u8 *)base + end * size, size);
    sift_down(base, size, end, 0, cmp);
  }
}

struct person {
  char name[12];
  s16 age;
  u8 flags;
  s64 balance;
};
static int by_age_then_name(const void *a, const void *b) {
  const struct person *p = a, *q = b;
  if (p->age != q->age) return p->age - q->age;
  return str_cmp(p->name, q->name);
}
static int by_balance_desc(const void *a, const void *b) {
  const struct person *p = a, *q = b;
  return p->balance < q->balance ? 1 : p->balance > q->balance ? -1 : 0;
}
static int by_name_nocase(const void *a, const void *b) {
  const char *p = ((const struct person *)a)->name, *q = ((const struct person *)b)->name;
  while (*p && to_lower(*p) == to_lower(*q)) p++, q++;
  return to_lower(*p) - to_lower(*q);
}
static int s8_compare(const void *a, const void *b) { return *(const s8 *)a - *(const s8 *)b; }

static s32 op_add(s32 a, s32 b) { return (s32)((u32)a + (u32)b); } /* wrapping, not UB */
static s32 op_sub(s32 a, s32 b) { return (s32)((u32)a - (u32)b); }
static s32 op_mul(s32 a, s32 b) { return (s32)((u32)a * (u32)b); }
static s32 op_min(s32 a, s32 b) { return a < b ? a : b; }
static s32 op_max(s32 a, s32 b) { return a > b ? a : b; }
static s32 op_avg(s32 a, s32 b) { return (a & b) + ((a ^ b) >> 1); }

static const struct {
  const char *name;
  s32 (*fn)(s32, s32);
} binary_ops[] = {
  {"add", op_add}, {"sub", op_sub}, {"mul", op_mul}, {"min", op_min}, {"max", op_max}, {"avg", op_avg},
};

static s32 fold(s32 (*fn)(s32, s32), const s32 *v, int n, s32 init) {
  for (int i = 0; i < n; i++) init = fn(init, v[i]);
  return init;
}

static void test_function_pointers(void) {
  static struct person people[] = {
    {"mallory", 41, 1, -120000000000ll}, {"Alice", 30, 0, 5000}, {"bob", 25, 2, 123456789012ll},
    {"carol", 30, 0, -1}, {"Dave", 25, 1, 0}, {"eve", 99, 3, 1ll << 40}, {"trent", 30, 2, 77},
  };
  const unsigned n = sizeof people / sizeof *people;
  static const struct {
    const char *name;
    compare_fn fn;
  } orders[] = {{"age,name", by_age_then_name}, {"balance desc", by_balance_desc}, {"name nocase", by_name_nocase}};
  for (unsigned k = 0; k < sizeof orders / sizeof *orders; k++) {
    heap_sort(people, n, sizeof *people, orders[k].fn);
    printf("sort %s:", orders[k].name);
    for (unsigned i = 0; i < n; i++) printf(" %s/%d/%lld", people[i].name, people[i].age, people[i].balance);
    printf("\n");
  }
  s8 small[] = {5, -3, 127, -128, 0, 9, -1, 64, -64, 1};
  heap_sort(small, sizeof small, 1, s8_compare);
  printf("sort s8:");
  for (unsigned i = 0; i < sizeof small; i++) printf(" %d", small[i]);
  printf("\n");
  static const s32 v[] = {3, -17, 250, 4096, -99999, 12, 7, 0x7fffffff};
  printf("fold:");
  for (unsigned i = 0; i < sizeof binary_ops / sizeof *binary_ops; i++)
    printf(" %s=%d", binary_ops[i].name, fold(binary_ops[i].fn, v, 8, i == 2 ? 1 : 0));
  printf("\n");
}

/* ---- bit tricks -------------------------------------------------------------------------------- */

static int popcount32(u32 x) {
  x = x - ((x >> 1) & 0x55555555u);
  x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
  x = (x + (x >> 4)) & 0x0f0f0f0fu;
  return (int)((x * 0x01010101u) >> 24);
}
static u32 reverse_bits(u32 x) {
  x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
  x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
  x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
  return __builtin_bswap32(x);
}
static u32 next_pow2(u32 x) {
  x--;
  x |= x >> 1, x |= x >> 2, x |= x >> 4, x |= x >> 8, x |= x >> 16;
  return x + 1;
}
static u32 gray(u32 x) { return x ^ (x >> 1); }
static u32 gray_inverse(u32 g) {
  for (u32 s = 1; s < 32; s <<= 1) g ^= g >> s;
  return g;
}
static u32 next_same_popcount(u32 x) { /* Gosper's hack */
  u32 c = x & -x, r = x + c;
  return (((r ^ x) >> 2) / c) | r;
}
static s32 sign_of(s32 x) { return (x > 0) - (x < 0); }
static s32 abs_branchless(s32 x) {
  s32 m = x >> 31;
  return (x ^ m) - m;
}

static void test_bits(void) {
  static const u32 samples[] = {0, 1, 0x80000000u, 0xdeadbeefu, 0x12345678u, 0xffffffffu, 0x00f000f0u, 6};
  for (unsigned i = 0; i < sizeof samples / sizeof *samples; i++) {
    u32 x = samples[i];
    printf("%08x: pop=%d rev=%08x bswap=%08x clz=%d ctz=%d np2=%08x gray=%08x/%08x\n", x, popcount32(x),
           reverse_bits(x), __builtin_bswap32(x), x ? __builtin_clz(x) : 32, x ? __builtin_ctz(x) : 32,
           next_pow2(x), gray(x), gray_inverse(gray(x)));
  }
  printf("gosper from 7:");
  u32 x = 7;
  for (int i = 0; i < 8; i++, x = next_same_popcount(x)) printf(" %x", x);
  printf("\nsign/abs:");
  static const s32 ints[] = {0, 5, -5, 0x7fffffff, (s32)0x80000000, -1};
  for (unsigned i = 0; i < sizeof ints / sizeof *ints; i++) printf(" %d/%d", sign_of(ints[i]), abs_branchless(ints[i]));
  printf("\n");
}

/* ---- 64-bit ----------------------------------------------------------------------------------- */

static void test_u64(void) {
  u64 fact = 1;
  for (u32 i = 1; i <= 20; i++) fact *= i;
  printf("20!=%llu (%llx)\n", fact, fact);
  u64 r;
  u64 q = udivmod64(fact, 1000000007ull, &r);
  printf("20!/1e9+7 = %llu r %llu\n", q, r);
  s64 sr;
  s64 sq = sdiv64(-9223372036854775807ll, 1000003, &sr);
  printf("sdiv: %lld r %lld\n", sq, sr);
  sq = sdiv64(123456789012345ll, -98765, &sr);
  printf("sdiv: %lld r %lld\n", sq, sr);
  printf("isqrt: %llu %llu %llu\n", isqrt64(fact), isqrt64(~0ull), isqrt64(1000000000000ull));
  u64 h = 0xcbf29ce484222325ull; /* FNV-1a 64 of a string */
  for (const char *s = "wasmvisor"; *s; s++) h = (h ^ (u8)*s) * 0x100000001b3ull;
  printf("fnv64=%016llx rotl13=%016llx mulhi=%016llx\n", h, rotl64(h, 13), mulhi64(h, 0x9e3779b97f4a7c15ull));
  s64 a = -5, b = 3;
  printf("s64: %d %d %d %lld %lld %llx\n", a < b, (u64)a < (u64)b, a >> 1 == -3, a * b, (s64)((u64)a << 40), (u64)a >> 3);
  /* variable shifts across the 32-bit halves */
  printf("shifts:");
  for (unsigned k = 0; k < 64; k += 9) printf(" %llx/%llx", 0x8123456789abcdefull >> k, (s64)0x8123456789abcdefull >> k);
  printf("\n");
  /* xorshift64* sequence */
  u64 st = 88172645463325252ull;
  printf("xorshift:");
  for (int i = 0; i < 4; i++) {
    st ^= st >> 12, st ^= st << 25, st ^= st >> 27;
    printf(" %016llx", st * 2685821657736338717ull);
  }
  printf("\n");
}

/* ---- hash table -------------------------------------------------------------------------------- */

#define TABLE_SIZE 64 /* power of two, open addressing with linear probing */
struct entry {
  const char *key; /* 0 = empty, TOMBSTONE = deleted */
  s32 value;
};
static const char TOMBSTONE[] = "";
static struct entry table[TABLE_SIZE];
static u32 probes;

static u32 fnv1a(const char *s) {
  u32 h = 2166136261u;
  while (*s) h = (h ^ (u8)*s++) * 16777619u;
  return h;
}
static struct entry *lookup(const char *key, int insert) {
  struct entry *free_slot = 0;
  for (u32 i = fnv1a(key) & (TABLE_SIZE - 1), n = 0; n < TABLE_SIZE; i = (i + 1) & (TABLE_SIZE - 1), n++) {
    probes++;
    struct entry *e = &table[i];
    if (!e->key) return insert ? (free_slot ? free_slot : e) : 0;
    if (e->key == TOMBSTONE) {
      if (!free_slot) free_slot = e;
    } else if (str_cmp(e->key, key) == 0) {
      return e;
    }
  }
  return insert ? free_slot : 0;
}

static void test_hash_table(void) {
  static const char text[] =
      "the quick brown fox jumps over the lazy dog and the dog sleeps while the fox runs over "
      "the hill to the river where a quick fish jumps and the lazy fox watches the river run";
  static char words[64][16];
  int nwords = 0, distinct = 0;
  for (const char *p = text; *p;) {
    while (*p == ' ') p++;
    int k = 0;
    while (*p && *p != ' ') words[nwords][k++] = *p++;
    words[nwords][k] = 0;
    struct entry *e = lookup(words[nwords], 1);
    if (!e->key || e->key == TOMBSTONE) {
      e->key = words[nwords];
      e->value = 0;
      distinct++;
    }
    e->value++;
    nwords++;
  }
  printf("words=%d distinct=%d probes=%u\n", nwords, distinct, probes);
  static const char *queries[] = {"the", "fox", "quick", "river", "cat", "run", "runs"};
  printf("counts:");
  for (unsigned i = 0; i < sizeof queries / sizeof *queries; i++) {
    struct entry *e = lookup(queries[i], 0);
    printf(" %s=%d", queries[i], e ? e->value : -1);
  }
  printf("\n");
  /* delete every word seen once, then check lookups still find the rest through tombstones */
  int deleted = 0;
  for (int i = 0; i < TABLE_SIZE; i++)
    if (table[i].key && table[i].key != TOMBSTONE && table[i].value == 1) table[i].key = TOMBSTONE, deleted++;
  u32 sum = 0;
  for (int i = 0; i < nwords; i++) {
    struct entry *e = lookup(words[i], 0);
    sum = sum * 3 + (e ? (u32)e->value : 0);
  }
  struct entry *e = lookup("zebra", 1);
  printf("deleted=%d lookup-sum=%08x zebra-slot=%d\n", deleted, sum, (int)(e - table));
}

/* ---- structs, bitfields, unions, signed arithmetic ------------------------------------------- */

struct packet {
  unsigned version : 3;
  unsigned kind : 5;
  signed delta : 6;
  unsigned length : 12;
  unsigned last : 1;
};
union word {
  u32 u;
  s16 h[2];
  u8 b[4];
  struct packet p;
};
struct big {
  u32 a[23];
  u8 tail[3];
};

static struct big make_big(u32 seed) {
  struct big b;
  for (int i = 0; i < 23; i++) b.a[i] = seed = seed * 69069u + 1;
  b.tail[0] = (u8)seed, b.tail[1] = (u8)(seed >> 8), b.tail[2] = (u8)(seed >> 16);
  return b;
}

static void test_structs(void) {
  union word w;
  w.u = 0;
  w.p.version = 5;
  w.p.kind = 19;
  w.p.delta = -7;
  w.p.length = 0xabc;
  w.p.last = 1;
  printf("bitfields: %08x v=%u k=%u d=%d len=%x last=%u h=%d,%d b=%x,%x,%x,%x\n", w.u, w.p.version, w.p.kind,
         w.p.delta, w.p.length, w.p.last, w.h[0], w.h[1], w.b[0], w.b[1], w.b[2], w.b[3]);
  struct big x = make_big(1), y;
  y = x; /* a struct copy (rep movs or a copy loop) */
  y.a[11] ^= 0xffff;
  u32 sum = 0;
  for (int i = 0; i < 23; i++) sum += x.a[i] ^ (y.a[i] >> (i & 7));
  printf("struct copy: sum=%08x tail=%x%x%x differ=%d\n", sum, y.tail[0], y.tail[1], y.tail[2],
         mem_cmp(&x, &y, sizeof x) != 0);
  /* signed division and modulo of every sign combination, and char/short conversions */
  static const s32 num[] = {17, -17, 0x7fffffff, (s32)0x80000000};
  static const s32 den[] = {5, -5, 1, -2};
  printf("divmod:");
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) printf(" %d,%d", num[i] / den[j], num[i] % den[j]);
  printf("\n");
  volatile s32 big_value = 0x12345f80;
  s8 c = (s8)big_value;
  s16 s = (s16)big_value;
  u8 uc = (u8)big_value;
  printf("narrow: %d %d %u %d %u\n", c, s, uc, (s32)(s8)0x80 >> 1, (u32)(u16)-1);
}

/* ---- strings ---------------------------------------------------------------------------------- */

static void test_strings(void) {
  char buf[80];
  str_cpy(buf, "Hello, wasmvisor world");
  printf("len=%u cmp=%d,%d,%d\n", str_len(buf), str_cmp(buf, "Hello") > 0, str_cmp("abc", "abd") < 0,
         str_cmp("same", "same"));
  const char *f = str_str(buf, "visor");
  printf("strstr=%d missing=%d\n", f ? (int)(f - buf) : -1, str_str(buf, "qemu") ? 1 : 0);
  mem_move(buf + 4, buf, 10); /* overlapping, forwards */
  buf[30] = 0;
  printf("memmove fwd: %s\n", buf);
  mem_move(buf, buf + 6, 12); /* overlapping, backwards */
  printf("memmove back: %s\n", buf);
  str_rev(buf);
  printf("reversed: %s\n", buf);
  memset(buf, 'x', 20);
  buf[20] = 0;
  printf("memset: %s\n", buf);
  printf("fmt: [%5d] [%d] [%05d] [%x] [%X] [%08x] [%c%c] [%s] [%lld] [%llu]\n", 42, -42, -42, 0xbeef, 0xbeef, 255, 'o',
         'k', "str", -1234567890123ll, 18446744073709551615ull);
}

void test_main(void) {
  test_strings();
  test_u64();
  test_bits();
  test_structs();
  test_function_pointers();
  test_recursion();
  test_interpreter();
  test_hash_table();
}
