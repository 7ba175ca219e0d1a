; bitops.asm — BT BTS BTR BTC (register and imm8 bit offsets, register and memory operands, the
; memory bit-string form with large and negative offsets), BSF BSR (16/32), BSWAP.
%include "guest.inc"
%include "loops.inc"
global test_main

; BT_SWEEP mnemonic, size — RA = value, bit offset from `offsets` through RB (register form:
; offset taken modulo the operand size)
%macro BT_SWEEP 2
        REGS %2
        PUTS %str(%1)
        PUTS " "
        PUTS %str(%2)
        NL
        xor esi, esi
%%value:
        xor edi, edi
%%off:
        mov eax, [test_values + esi*4]
        mov ebx, [offsets + edi*4]
        SETFLAGS 0x8d6
        %1 RA, RB
        pushfd
        pop edx
        H32 [test_values + esi*4]
        H32 ebx
        H32 eax
        push edx
        push dword UF_BT
        call print_flags
        NL
        inc edi
        cmp edi, NOFFSETS
        jb %%off
        add esi, 1
        cmp esi, NVALUES
        jb %%value
%endmacro

; BSX_SWEEP mnemonic, size — prints the destination only when the source was non-zero (ZF=0)
%macro BSX_SWEEP 2
        REGS %2
        PUTS %str(%1)
        PUTS " "
        PUTS %str(%2)
        NL
        xor esi, esi
%%value:
        mov ebx, [test_values + esi*4]
        mov eax, 0xcccccccc
        SETFLAGS 0x002
        %1 RA, RB
        pushfd
        pop edx
        H32 ebx
        test edx, EFLAGS_ZF
        jnz %%zero
        H32 eax
        jmp %%flags
%%zero: PUTS "-------- "
%%flags:
        push edx
        push dword UF_BSX
        call print_flags
        NL
        inc esi
        cmp esi, NVALUES
        jb %%value
%endmacro

section .text
test_main:
        BT_SWEEP bt, 32
        BT_SWEEP bts, 32
        BT_SWEEP btr, 32
        BT_SWEEP btc, 32
        BT_SWEEP bt, 16
        BT_SWEEP bts, 16
        BT_SWEEP btr, 16
        BT_SWEEP btc, 16
        BSX_SWEEP bsf, 32
        BSX_SWEEP bsr, 32
        BSX_SWEEP bsf, 16
        BSX_SWEEP bsr, 16

        PUTSLN "bt imm8 (offset modulo size)"
        mov eax, 0x80000001
        bt eax, 31
        FLAGS UF_BT
        bt eax, 33                      ; imm8 33 → bit 1
        FLAGS UF_BT
        bts eax, 63                     ; → bit 31, already set
        FLAGS UF_BT
        btr ax, 16                      ; → bit 0
        FLAGS UF_BT
        btc eax, 4
        FLAGS UF_BT
        H32 eax
        NL

        PUTSLN "bit string in memory"
        ; register offsets address a bit string: byte offset = offset >> 3 (signed)
        mov ecx, bitstr + 8
        mov ebx, 0
        bts dword [ecx], ebx
        mov ebx, 37
        bts dword [ecx], ebx            ; bit 5 of bitstr+12
        mov ebx, -1
        bts dword [ecx], ebx            ; bit 7 of bitstr+7
        mov ebx, -33
        btc dword [ecx], ebx            ; bit 31 of bitstr+0..3 → bitstr+3 bit 7
        mov ebx, 100
        btr dword [ecx], ebx
        FLAGS UF_BT
        mov ebx, 70
        bt dword [ecx], ebx
        FLAGS UF_BT
        mov bx, -9                      ; 16-bit form: byte offset from a signed 16-bit offset
        bts word [ecx], bx
        FLAGS UF_BT
        bt word [ecx], 17               ; imm8 memory form: offset modulo 16 → bit 1
        FLAGS UF_BT
        NL
        mov esi, bitstr
        mov ecx, 6
.dump:  H32 [esi]
        add esi, 4
        loop .dump
        NL

        PUTSLN "bswap"
        xor esi, esi
.bswap: mov eax, [test_values + esi*4]
        mov edx, eax
        bswap edx
        H32 eax
        H32 edx
        NL
        inc esi
        cmp esi, NVALUES
        jb .bswap
        mov ecx, 0x11223344
        mov ebp, 0x55667788
        bswap ecx
        bswap ebp
        DUMP UF_NONE
        ret

section .data
        VALUES32
offsets: dd 0, 1, 7, 15, 16, 31, 32, 33, 63, 0xffffffff, 0x80000000
NOFFSETS equ ($ - offsets) / 4
align 4
bitstr: dd 0, 0xffff0000, 0x12345678, 0, 0x0000ffff, 0x80000000
