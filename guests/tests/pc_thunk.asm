; pc_thunk.asm — calls to PC thunks (`mov r32, [esp]; ret`, as position-independent i386 code
; uses them), which the translator runs in line: the register gets the return address, the
; return address is left in the stack slot below ESP, ESP is unchanged; a loop calls them many
; times (so the caller is translated with the thunk in the TLB). Then the thunk is rewritten
; into another register's thunk and into a plain `ret` imm16 one, which a translated caller
; must notice.
%include "guest.inc"
global test_main

%macro THUNK_CASE 1             ; call thunk %1 from a loop; print what the last call left
        mov ecx, 40
%%again:
        xor eax, eax
        xor ebx, ebx
        xor edx, edx
        mov esi, 0x5a5a5a5a
        call %1
%%after:
        dec ecx
        jnz %%again
        mov edi, [esp - 4]              ; the slot the CALL pushed into
        sub edi, %%after
        H32 edi
        mov edi, %%after
        sub eax, edi
        sub ebx, edi
        sub edx, edi
        sub esi, edi
        DUMP 0
%endmacro

section .text
test_main:
        call thunk_bx                   ; (the thunks' page is in the TLB before the loops run)
        PUTSLN "thunk ebx"
        call calls_thunk_bx
        PUTSLN "thunk eax, edx, esi"
        THUNK_CASE thunk_ax
        THUNK_CASE thunk_dx
        THUNK_CASE thunk_si
        PUTSLN "rewritten: thunk_bx loads EDX"
        mov byte [thunk_bx + 1], 0x14   ; mov edx, [esp]
        call calls_thunk_bx             ; (the same call site as before)
        PUTSLN "rewritten: thunk_bx is now add eax, 7; ret"
        mov dword [thunk_bx], 0xc307c083
        call calls_thunk_bx
        ret

calls_thunk_bx:
        THUNK_CASE thunk_bx
        ret

; The thunks sit in their own page, away from their callers.
section .thunks progbits alloc exec write align=4096
thunk_bx:
        mov ebx, [esp]
        ret
thunk_ax:
        mov eax, [esp]
        ret
thunk_dx:
        mov edx, [esp]
        ret
thunk_si:
        mov esi, [esp]
        ret
        align 4096, db 0xcc
