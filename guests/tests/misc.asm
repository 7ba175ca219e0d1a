; misc.asm — CMOVcc and SETcc for all 16 conditions under many flag states, Jcc agreement,
; CMPXCHG (8/16/32, equal and not), CMPXCHG8B, XADD, XCHG, CBW CWDE CWD CDQ, MOVZX MOVSX, XLAT,
; LAHF SAHF, LEA address forms, CMC CLC STC, hint NOPs.
%include "guest.inc"
%include "loops.inc"
global test_main


section .text
test_main:
        PUTSLN "setcc/cmovcc/jcc: flags -> 16 conditions (o no b ae e ne be a s ns p np l ge le g)"
        xor esi, esi
.flagstate:
        mov ebx, [flag_states + esi*4]
        H32 ebx
        ; SETcc into a byte array
        push ebx
        popfd
        seto  [cond_set + 0]
        setno [cond_set + 1]
        setb  [cond_set + 2]
        setae [cond_set + 3]
        sete  [cond_set + 4]
        setne [cond_set + 5]
        setbe [cond_set + 6]
        seta  [cond_set + 7]
        sets  [cond_set + 8]
        setns [cond_set + 9]
        setp  [cond_set + 10]
        setnp [cond_set + 11]
        setl  [cond_set + 12]
        setge [cond_set + 13]
        setle [cond_set + 14]
        setg  [cond_set + 15]
        xor ecx, ecx
.printset:
        movzx eax, byte [cond_set + ecx]
        add eax, '0'
        push eax
        call print_char
        inc ecx
        cmp ecx, 16
        jb .printset
        call print_space
        ; CMOVcc: condition true → EAX = 1 else stays 0; both register and memory sources
        xor edi, edi
%assign cc 0
%rep 16
        xor eax, eax
        mov edx, 1
        push ebx
        popfd
        db 0x0f, 0x40 + cc, 0xc2        ; cmovcc eax, edx
        shl edi, 1
        or edi, eax
        xor eax, eax
        push ebx
        popfd
        db 0x0f, 0x40 + cc, 0x05        ; cmovcc eax, [one]
        dd one
        add edi, eax                    ; same bit twice → value is 2× when both agree
%assign cc cc+1
%endrep
        H32 edi
        ; Jcc (short and near forms): bit set when taken
        xor edi, edi
%assign cc 0
%rep 16
        push ebx
        popfd
        db 0x70 + cc, 0x01              ; jcc +1 (short)
        db 0xf9                         ; stc (skipped when taken)
        setc al                         ; flags now: CF from stc or from ebx
        push ebx
        popfd
        db 0x0f, 0x80 + cc              ; jcc near +1
        dd 1
        inc edi                         ; 1-byte instruction skipped when taken
        shl edi, 1
%assign cc cc+1
%endrep
        H32 edi
        NL
        inc esi
        cmp esi, NFLAG_STATES
        jb .flagstate

        PUTSLN "cmpxchg"
        xor esi, esi
.cx:    mov eax, [test_values + esi*4]
        mov edx, [test_values + 4]      ; 1
        mov dword [scratch], 0x80
        SETFLAGS 0x002
        cmpxchg [scratch], edx          ; equal only when EAX = 0x80
        DUMP UF_NONE
        H32 [scratch]
        mov ecx, 0x12345678
        mov eax, 0x9abcdef0
        cmpxchg cx, dx
        DUMP UF_NONE
        mov eax, 0x77
        mov ecx, 0x77
        cmpxchg cl, dl                  ; equal → CL = DL
        DUMP UF_NONE
        add esi, 3
        cmp esi, NVALUES
        jb .cx

        PUTSLN "cmpxchg8b"
        mov dword [qw8], 0x11111111
        mov dword [qw8+4], 0x22222222
        mov eax, 0x11111111
        mov edx, 0x22222222
        mov ebx, 0xaaaaaaaa
        mov ecx, 0xbbbbbbbb
        SETFLAGS 0x8d6
        cmpxchg8b [qw8]               ; equal: store ECX:EBX, ZF=1
        DUMP UF_CMPXCHG8B
        H32 [qw8]
        H32 [qw8+4]
        NL
        mov eax, 0
        mov edx, 0
        SETFLAGS 0x0897
        lock cmpxchg8b [qw8]          ; not equal: EDX:EAX ← memory, ZF=0
        DUMP UF_CMPXCHG8B

        PUTSLN "xadd xchg"
        mov eax, 0x7fffffff
        mov dword [scratch], 1
        xadd [scratch], eax
        DUMP UF_NONE
        H32 [scratch]
        NL
        mov bx, 0x8000
        mov cx, 0x8000
        xadd bx, cx
        DUMP UF_NONE
        mov al, 0xff
        mov ah, 0x01
        xadd al, ah
        DUMP UF_NONE
        mov eax, 0x11
        mov ebx, 0x22
        xchg eax, ebx                   ; 93
        xchg bl, bh
        xchg [scratch], ecx
        lock xchg [scratch], dx
        xchg ax, si
        DUMP UF_NONE
        H32 [scratch]
        NL

        PUTSLN "cbw cwde cwd cdq movzx movsx"
        xor esi, esi
.ext:   mov ebx, [test_values + esi*4]
        mov eax, ebx
        cbw
        H32 eax
        mov eax, ebx
        cwde
        H32 eax
        mov eax, ebx
        mov edx, 0x5a5a5a5a
        cwd
        H32 edx
        mov eax, ebx
        cdq
        H32 edx
        movzx eax, bl
        H32 eax
        movzx eax, bx
        H32 eax
        movsx eax, bl
        H32 eax
        movsx eax, bx
        H32 eax
        mov eax, 0x33333333
        movsx ax, bl
        H32 eax
        movzx ax, bl
        H32 eax
        NL
        inc esi
        cmp esi, NVALUES
        jb .ext
        mov dword [scratch], 0x89abcdef
        movsx ecx, byte [scratch+1]
        movzx edx, word [scratch+1]
        movsx esi, word [scratch+2]
        DUMP UF_NONE

        PUTSLN "xlat lahf sahf"
        mov ebx, xlat_table
        mov eax, 0x12345603
        xlatb
        DUMP UF_NONE
        mov al, 0xff
        xlatb
        DUMP UF_NONE
        xor esi, esi
.lahf:  mov ebx, [flag_states + esi*4]
        push ebx
        popfd
        mov eax, 0x11111111
        lahf
        H32 eax
        mov ah, bl
        not ah
        sahf                            ; SF ZF AF PF CF ← AH; OF and others unchanged
        FLAGS UF_NONE
        NL
        inc esi
        cmp esi, NFLAG_STATES
        jb .lahf
        stc
        cmc
        FLAGS UF_NONE
        cmc
        FLAGS UF_NONE
        clc
        FLAGS UF_NONE
        NL

        PUTSLN "lea"
        mov eax, 0x1000
        mov ebx, 0x20
        mov ecx, 0x3
        mov esi, 0xfffffff0
        lea edx, [eax + ecx*8 + 0x7f]
        lea edi, [ebx + esi*2 - 4]
        lea ebp, [ecx*4]
        lea esi, [esi + esi*4 + 0x12345678]
        lea cx, [eax + ebx + 0xffff]    ; 16-bit destination truncates
        DUMP UF_NONE
        lea eax, [bx + si + 0x10]       ; 16-bit address size (67)
        lea ebx, [bp - 1]
        DUMP UF_NONE

        PUTSLN "hint nops (0f 19-0f 1f, endbr32)"
        mov eax, 0x11111111
        mov ebx, 0x22222222
        db 0xf3, 0x0f, 0x1e, 0xfb               ; endbr32
        db 0x0f, 0x19, 0xc3                     ; nop ebx (0f 19 /0)
        db 0x0f, 0x1a, 0x00                     ; nop [eax] (not accessed)
        db 0x0f, 0x1b, 0x7c, 0x98, 0x10         ; nop [eax + ebx*4 + 0x10] (/7, SIB)
        db 0x0f, 0x1c, 0xd8                     ; nop eax (/3)
        db 0x0f, 0x1d, 0x64, 0x24, 0x04         ; nop [esp + 4] (/4)
        db 0x66, 0x0f, 0x1e, 0xe9               ; nop cx (/5, 16-bit)
        db 0x0f, 0x1f, 0x44, 0x00, 0x00         ; nop dword [eax + eax + 0] (the 5-byte NOP)
        db 0x0f, 0x1f, 0xb0, 0x44, 0x33, 0x22, 0x11 ; nop [eax + 0x11223344] (/6)
        DUMP UF_NONE
        ret

section .data
        VALUES32
; flag states for the condition tests: every status-flag combination that distinguishes the 16
; conditions (OF, SF, ZF, CF, PF alone and combined)
flag_states:
        dd 0x002, 0x003, 0x006, 0x042, 0x043, 0x082, 0x802, 0x882, 0x8c2, 0x842
        dd 0x083, 0x803, 0x0c7, 0x8d7, 0x016, 0x883
NFLAG_STATES equ ($ - flag_states) / 4
one:    dd 1
cond_set: times 16 db 0
align 8
qw8:  dd 0, 0
scratch: dd 0, 0
xlat_table:
%assign i 0
%rep 256
        db (i * 7 + 3) & 0xff
%assign i i+1
%endrep
