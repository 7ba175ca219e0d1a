; bcd.asm — DAA DAS AAA AAS over every AL with each CF/AF input; AAM/AAD with bases 10, 16 and 7
; (imm8 forms); AAM 0 raises #DE. Undefined flags masked per undefined_flags.inc.
%include "guest.inc"
global test_main

; BCD_SWEEP mnemonic, undefined-mask, ah — AL = 0..255, input flags = the 4 CF/AF combinations
%macro BCD_SWEEP 3
        PUTSLN %str(%1)
        xor esi, esi
%%al:
        xor edi, edi
%%fl:
        mov eax, esi
        mov ah, %3
        mov ebx, [in_flags + edi*4]
        push ebx
        popfd
        %1
        pushfd
        pop edx
        H16 esi
        H8 ebx
        H16 eax
        push edx
        push dword %2
        call print_flags
        NL
        inc edi
        cmp edi, 4
        jb %%fl
        inc esi
        cmp esi, 256
        jb %%al
%endmacro

; AAM_SWEEP base — AL = 0..255
%macro AAM_SWEEP 1
        PUTS "aam "
        H8 %1
        NL
        xor esi, esi
%%al:
        mov eax, esi
        mov ah, 0x5a
        SETFLAGS 0x8d7
        aam %1
        pushfd
        pop edx
        H16 esi
        H16 eax
        push edx
        push dword UF_AAM
        call print_flags
        NL
        add esi, 3
        cmp esi, 256
        jb %%al
%endmacro

%macro AAD_SWEEP 1
        PUTS "aad "
        H8 %1
        NL
        xor esi, esi
%%ax:
        mov eax, esi
        SETFLAGS 0x002
        aad %1
        pushfd
        pop edx
        H16 esi
        H16 eax
        push edx
        push dword UF_AAM
        call print_flags
        NL
        add esi, 0x0257                 ; walks AH and AL through many digit pairs
        cmp esi, 0x10000
        jb %%ax
%endmacro

section .text
test_main:
        BCD_SWEEP daa, UF_DAA, 0x00
        BCD_SWEEP das, UF_DAA, 0x00
        BCD_SWEEP aaa, UF_AAA, 0x12
        BCD_SWEEP aas, UF_AAA, 0x12
        BCD_SWEEP aaa, UF_AAA, 0xff
        BCD_SWEEP aas, UF_AAA, 0x00
        AAM_SWEEP 10
        AAM_SWEEP 16
        AAM_SWEEP 7
        AAD_SWEEP 10
        AAD_SWEEP 16
        AAD_SWEEP 7
        PUTSLN "aam 0"
        mov eax, 0x1234
        EXPECT 0, .de
.aam0:  aam 0
        PUTSLN "no #DE (wrong)"
.de:    REPORT
        mov ecx, [fault_eip]
        sub ecx, .aam0
        H32 ecx
        H32 eax
        NL
        ret

section .data
in_flags: dd 0x002, 0x003, 0x012, 0x013
