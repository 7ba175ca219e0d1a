; muldiv.asm — MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV over boundary operands in
; 8/16/32 bits, including #DE for division by zero and for quotient overflow (the fault leaves the
; registers unchanged and EIP at the faulting instruction).
%include "guest.inc"
%include "loops.inc"
global test_main

; MUL_SWEEP mnemonic, size — one-operand form: (E)AX/AL × RB → (E)DX:(E)AX / AX
%macro MUL_SWEEP 2
        REGS %2
        PUTS %str(%1)
        PUTS " "
        PUTS %str(%2)
        NL
        xor esi, esi
%%outer:
        xor edi, edi
%%inner:
        mov eax, [test_values + esi*4]
        mov ebx, [test_values + edi*4]
        mov edx, 0x5555aaaa
        SETFLAGS 0x002
        %1 RB
        pushfd
        pop ecx
        H32 [test_values + esi*4]
        H32 ebx
        H32 eax
        H32 edx
        push ecx
        push dword UF_MUL
        call print_flags
        NL
        inc edi
        cmp edi, NVALUES
        jb %%inner
        inc esi
        cmp esi, NVALUES
        jb %%outer
%endmacro

; DIV_SWEEP mnemonic, size, high-mode: 0 = high half zero (DIV) or sign extension (IDIV),
; 1 = high half from another table entry (often overflows → #DE).
%macro DIV_SWEEP 3
        REGS %2
        PUTS %str(%1)
        PUTS " "
        PUTS %str(%2)
        PUTS " hi="
        PUTS %str(%3)
        NL
        xor esi, esi
%%outer:
        xor edi, edi
%%inner:
        mov eax, [test_values + esi*4]
        mov ebx, [test_values + edi*4]
        lea ecx, [esi + edi + 5]
        cmp ecx, NVALUES
        jb %%idx_ok
        sub ecx, NVALUES
        cmp ecx, NVALUES
        jb %%idx_ok
        sub ecx, NVALUES
%%idx_ok:
        mov edx, [test_values + ecx*4]
%if %3 == 0
%ifidn %1, div
        xor edx, edx
%if %2 == 8
        mov ah, 0
%endif
%else
%if %2 == 8
        cbw
%elif %2 == 16
        cwd
%else
        cdq
%endif
%endif
%elif %2 == 8
        mov ah, dl
%endif
        H32 edx
        H32 eax
        H32 ebx
        EXPECT 0, %%faulted
        SETFLAGS 0x002
%%insn: %1 RB
        mov dword [expect_vector], -1
        pushfd
        pop ecx
        PUTS "q/r "
        H32 eax
        H32 edx
        push ecx
        push dword UF_DIV
        call print_flags
        jmp %%next
%%faulted:
        PUTS "#DE "
        H32 eax
        H32 edx
        mov ecx, [fault_eip]
        sub ecx, %%insn                 ; 0 when EIP points at the faulting DIV
        H32 ecx
%%next:
        NL
        inc edi
        cmp edi, NVALUES
        jb %%inner
        inc esi
        cmp esi, NVALUES
        jb %%outer
%endmacro

section .text
test_main:
%assign sz 32
%rep 3
        MUL_SWEEP mul, sz
        MUL_SWEEP imul, sz
%if sz > 8
        BINARY_SWEEP imul, sz, 0x002, UF_MUL    ; two-operand 0F AF
%endif
        DIV_SWEEP div, sz, 0
        DIV_SWEEP div, sz, 1
        DIV_SWEEP idiv, sz, 0
        DIV_SWEEP idiv, sz, 1
%if sz == 32
%assign sz 16
%else
%assign sz 8
%endif
%endrep

        PUTSLN "three-operand imul"
        mov ebx, 0x12345
        imul eax, ebx, 0x7f             ; 6B /r ib
        DUMP UF_MUL
        imul eax, ebx, -2
        DUMP UF_MUL
        imul eax, ebx, 0x10000          ; 69 /r id, overflow
        DUMP UF_MUL
        imul ax, bx, 0x7fff             ; 66 69 /r iw
        DUMP UF_MUL
        imul cx, bx, -1
        DUMP UF_MUL
        mov dword [scratch], 0x80000000
        imul edx, [scratch], -1         ; memory source, overflow
        DUMP UF_MUL
        imul esi, [scratch], 1
        DUMP UF_MUL
        mov dword [scratch], 0xfffffff0
        mov eax, 0x10
        mul dword [scratch]             ; memory operand
        DUMP UF_MUL
        mov ax, 0x8000
        imul word [scratch]
        DUMP UF_MUL
        mov eax, 0x123
        mov edx, 0
        mov dword [scratch], 7
        div dword [scratch]
        DUMP UF_DIV
        mov ax, -300
        mov byte [scratch], 7
        idiv byte [scratch]             ; remainder takes the dividend's sign
        DUMP UF_DIV
        ; the IDIV boundary: -128 / -1 in 8 bits overflows; -0x80000000/-1 too
        mov eax, 0x80000000
        cdq
        mov ebx, -1
        EXPECT 0, .de1
.idiv1: idiv ebx
        PUTSLN "no #DE (wrong)"
.de1:   REPORT
        mov eax, [fault_eip]
        sub eax, .idiv1
        H32 eax
        NL
        mov ax, 0xff80
        mov bl, -1
        EXPECT 0, .de2
        idiv bl
        PUTSLN "no #DE (wrong)"
.de2:   REPORT
        DUMP UF_DIV
        ret

section .data
        VALUES32
scratch: dd 0, 0
