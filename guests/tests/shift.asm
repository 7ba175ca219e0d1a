; shift.asm — SHL SHR SAR ROL ROR RCL RCR (8/16/32 bits; counts 0 1 7 8 9 16 31 32 33 through CL,
; plus the by-1 and imm8 encodings and memory operands) and SHLD/SHRD (16/32 bits, CL and imm8).
; The undefined-flag mask depends on the masked count (see undefined_flags.inc), so it is
; computed per case.
%include "guest.inc"
%include "loops.inc"
global test_main

NCOUNTS equ 9

; SHIFT_SWEEP mnemonic, size, kind (1 = SHL/SHR, 2 = SAR, 3 = rotate), initial-eflags
%macro SHIFT_SWEEP 4
        REGS %2
        PUTS %str(%1)
        PUTS " "
        PUTS %str(%2)
        PUTS " in-fl="
        H32 %4
        NL
        xor esi, esi
%%value:
        xor edi, edi
%%count:
        ; undefined-flag mask for this masked count → [mask]
        movzx ecx, byte [counts + edi]
        and ecx, 31
        mov dword [mask], 0
        jz %%mask_done
%if %3 == 3
        cmp ecx, 1
        je %%mask_done
        mov dword [mask], UF_ROTN
%else
        mov dword [mask], UF_SHIFT1
        cmp ecx, 1
        je %%mask_big
        mov dword [mask], UF_SHIFTN
%%mask_big:
%if %3 == 1 && %2 < 32
        cmp ecx, %2
        jb %%mask_done
        or dword [mask], UF_SHIFT_BIG
%endif
%endif
%%mask_done:
        mov eax, [test_values + esi*4]
        mov cl, [counts + edi]
        SETFLAGS %4
        %1 RA, cl
        pushfd
        pop edx
        H32 [test_values + esi*4]
        H8 ecx
        H32 eax
        push edx
        push dword [mask]
        call print_flags
        NL
        inc edi
        cmp edi, NCOUNTS
        jb %%count
        inc esi
        cmp esi, NVALUES
        jb %%value
%endmacro

; DOUBLE_SWEEP mnemonic, size — SHLD/SHRD RA, RB, CL over values × counts; RB = values reversed.
%macro DOUBLE_SWEEP 2
        REGS %2
        PUTS %str(%1)
        PUTS " "
        PUTS %str(%2)
        NL
        xor esi, esi
%%value:
        xor edi, edi
%%count:
        movzx ecx, byte [counts + edi]
        and ecx, 31
%if %2 == 16
        cmp ecx, 16                     ; result and flags undefined for counts > 16
        ja %%skip
%endif
        mov dword [mask], 0
        test ecx, ecx
        jz %%mask_done
        mov dword [mask], UF_SHXD1
        cmp ecx, 1
        je %%mask_done
        mov dword [mask], UF_SHXDN
%%mask_done:
        mov eax, [test_values + esi*4]
        mov ebx, NVALUES - 1
        sub ebx, esi
        mov ebx, [test_values + ebx*4]
        SETFLAGS 0x8d7
        %1 RA, RB, cl
        pushfd
        pop edx
        H32 [test_values + esi*4]
        H32 ebx
        H8 ecx
        H32 eax
        push edx
        push dword [mask]
        call print_flags
        NL
%%skip:
        inc edi
        cmp edi, NCOUNTS
        jb %%count
        inc esi
        cmp esi, NVALUES
        jb %%value
%endmacro

section .text
test_main:
%assign sz 32
%rep 3
        SHIFT_SWEEP shl, sz, 1, 0x8d7
        SHIFT_SWEEP shr, sz, 1, 0x002
        SHIFT_SWEEP sar, sz, 2, 0x8d7
        SHIFT_SWEEP rol, sz, 3, 0x002
        SHIFT_SWEEP ror, sz, 3, 0x8d7
        SHIFT_SWEEP rcl, sz, 3, 0x002
        SHIFT_SWEEP rcl, sz, 3, 0x8d7
        SHIFT_SWEEP rcr, sz, 3, 0x002
        SHIFT_SWEEP rcr, sz, 3, 0x8d7
%if sz == 32
%assign sz 16
%else
%assign sz 8
%endif
%endrep
        DOUBLE_SWEEP shld, 32
        DOUBLE_SWEEP shrd, 32
        DOUBLE_SWEEP shld, 16
        DOUBLE_SWEEP shrd, 16

        PUTSLN "encodings"
        mov eax, 0x80000001
        SETFLAGS 0x002
        shl eax, 1                      ; D1 /4
        DUMP UF_SHIFT1
        db 0xc1, 0xe0, 0x01             ; shl eax, 1 as C1 /4 ib
        DUMP UF_SHIFT1
        mov eax, 0x40000000
        sar eax, 1
        DUMP UF_SHIFT1
        shr eax, 1
        DUMP UF_SHIFT1
        mov eax, 0xc0000000
        rol eax, 1                      ; OF = CF xor MSB(result)
        DUMP UF_ROT1
        ror eax, 1
        DUMP UF_ROT1
        SETFLAGS 0x001
        rcr eax, 1
        DUMP UF_ROT1
        rcl al, 1
        DUMP UF_ROT1
        mov dword [scratch], 0x12345678
        shl dword [scratch], 4          ; C1 /4 ib, memory
        mov eax, [scratch]
        DUMP UF_SHIFTN
        mov cl, 12
        ror word [scratch], cl          ; D3 /1, memory
        mov eax, [scratch]
        DUMP UF_ROTN
        sar byte [scratch], 1           ; D0 /7, memory
        mov eax, [scratch]
        DUMP UF_SHIFT1
        mov ebx, 0xfedcba98
        shld [scratch], ebx, 8          ; 0F A4, memory
        mov eax, [scratch]
        DUMP UF_SHXDN
        shrd [scratch], ebx, 1          ; 0F AC, memory
        mov eax, [scratch]
        DUMP UF_SHXD1
        mov cl, 20
        shrd [scratch], ebx, cl         ; 0F AD, memory
        mov eax, [scratch]
        DUMP UF_SHXDN
        mov eax, 0x11111111
        SETFLAGS 0x8d7
        shl eax, 0                      ; count 0: flags unchanged
        DUMP UF_NONE
        shld eax, ebx, 32               ; masked to 0: nothing changes
        DUMP UF_NONE
        ret

section .data
        VALUES32
counts: db 0, 1, 7, 8, 9, 16, 31, 32, 33
align 4
mask:   dd 0
scratch: dd 0, 0
