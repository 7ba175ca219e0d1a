; strings.asm — MOVS STOS LODS CMPS SCAS (b/w/d) and INS/OUTS (through the 16550 scratch register),
; with REP/REPE/REPNE, counts 0/1/n, DF=0 and DF=1, in 32-bit and 16-bit address size (67 prefix:
; SI/DI/CX, with 16-bit wrap-around of SI/DI). Each case prints the registers and the buffer.
%include "guest.inc"
global test_main

BUF_LEN equ 48
SEL_LOWDATA equ SEL_SPARE       ; data32, base LOW_DATA: 16-bit offsets address LOW_DATA+0..0xffff
LOW_DATA equ 0x30000

section .text
; reset: src = 00 11 22 .. (i*0x11), dst = 0xcc.., EAX EBX ECX EDX ESI EDI = known values
reset:
        push eax
        push ecx
        xor ecx, ecx
.l:     mov al, cl
        imul eax, eax, 0x11
        mov [src + ecx], al
        mov byte [dst + ecx], 0xcc
        inc ecx
        cmp ecx, BUF_LEN
        jb .l
        mov byte [src + 20], 0x7e       ; a mismatch for CMPS/SCAS to find
        pop ecx
        pop eax
        ret

; show: registers (ESI/EDI printed as offsets from src/dst) and the destination buffer
show:
        pushfd
        pushad
        PUTS "  eax="
        H32 eax
        PUTS "ecx="
        H32 ecx
        sub esi, src
        sub edi, dst
        PUTS "si=src+"
        H32 esi
        PUTS "di=dst+"
        H32 edi
        push dword [esp+32]
        push dword UF_NONE
        call print_flags
        NL
        PUTS "  dst="
        xor ecx, ecx
.d:     movzx eax, byte [dst + ecx]
        push eax
        call print_hex8
        inc ecx
        cmp ecx, BUF_LEN
        jb .d
        NL
        popad
        popfd
        ret

; CASE "name", setup..., instruction — runs with DF cleared unless the instruction line sets it
%macro CASE 1
        PUTSLN %1
        call reset
%endmacro

test_main:
        CASE "rep movsb 0"
        mov esi, src
        mov edi, dst
        mov ecx, 0
        rep movsb
        call show
        CASE "rep movsb 1"
        mov esi, src
        mov edi, dst
        mov ecx, 1
        rep movsb
        call show
        CASE "rep movsb 13"
        mov esi, src + 3
        mov edi, dst + 1
        mov ecx, 13
        rep movsb
        call show
        CASE "rep movsw 7"
        mov esi, src
        mov edi, dst + 2
        mov ecx, 7
        rep movsw
        call show
        CASE "rep movsd 5"
        mov esi, src + 1
        mov edi, dst
        mov ecx, 5
        rep movsd
        call show
        CASE "std rep movsd 4"
        mov esi, src + 12
        mov edi, dst + 40
        mov ecx, 4
        std
        rep movsd
        cld
        call show
        CASE "std rep movsb 9 (overlapping move backwards)"
        mov esi, dst + 8
        mov edi, dst + 12
        mov dword [dst + 4], 0x44332211
        mov dword [dst + 8], 0x88776655
        mov ecx, 9
        std
        rep movsb
        cld
        call show
        CASE "rep movsb 9 (overlapping move forwards: repeats the first bytes)"
        mov esi, dst + 4
        mov edi, dst + 6
        mov dword [dst + 4], 0x44332211
        mov dword [dst + 8], 0x88776655
        mov ecx, 9
        rep movsb
        call show
        CASE "rep movsd 3 (overlapping move forwards by less than a dword)"
        mov esi, dst + 4
        mov edi, dst + 6
        mov dword [dst + 4], 0x44332211
        mov dword [dst + 8], 0x88776655
        mov ecx, 3
        rep movsd
        call show
        CASE "movsb without rep"
        mov esi, src + 5
        mov edi, dst + 5
        movsb
        movsw
        movsd
        call show
        CASE "rep stosb/stosw/stosd"
        mov edi, dst
        mov eax, 0x12345678
        mov ecx, 3
        rep stosb
        mov ecx, 3
        rep stosw
        mov ecx, 3
        rep stosd
        call show
        CASE "std stosd"
        mov edi, dst + 40
        mov eax, 0xa1b2c3d4
        mov ecx, 3
        std
        rep stosd
        stosw
        stosb
        cld
        call show
        CASE "lodsb lodsw lodsd, rep lodsb"
        mov esi, src + 2
        lodsb
        lodsw
        mov ebx, eax
        lodsd
        mov ecx, 4
        rep lodsb
        call show
        CASE "repe cmpsb (stops at mismatch)"
        mov esi, src
        mov edi, dst
        mov ecx, BUF_LEN
        mov edx, 0
.copy:  mov al, [src + edx]             ; dst = src except the planted mismatch
        mov [dst + edx], al
        inc edx
        cmp edx, BUF_LEN
        jb .copy
        mov byte [dst + 20], 0x14
        repe cmpsb
        call show
        CASE "repe cmpsd count 0 (flags unchanged)"
        mov esi, src
        mov edi, dst
        xor ecx, ecx
        SETFLAGS 0x8d7
        repe cmpsd
        call show
        CASE "repne cmpsw"
        mov esi, src
        mov edi, dst
        mov word [dst + 10], 0x5544     ; equal to src+10 (0xaa 0xbb)? no: src+10 = aa bb
        mov word [dst + 10], 0xbbaa
        mov ecx, 30
        repne cmpsw
        call show
        CASE "cmpsb/cmpsd single, std"
        mov esi, src + 20
        mov edi, dst + 20
        std
        cmpsb
        cmpsd
        cld
        call show
        CASE "repne scasb (find 0x7e)"
        mov edi, src
        mov al, 0x7e
        mov ecx, BUF_LEN
        repne scasb
        sub edi, src
        add edi, dst
        call show
        CASE "repne scasb (not found)"
        mov edi, src
        mov al, 0x7f
        mov ecx, 16
        repne scasb
        sub edi, src
        add edi, dst
        call show
        CASE "repe scasd"
        mov dword [dst], 0x01010101
        mov dword [dst + 4], 0x01010101
        mov dword [dst + 8], 0x01010102
        mov edi, dst
        mov eax, 0x01010101
        mov ecx, 10
        repe scasd
        call show
        CASE "std repe scasw"
        mov edi, dst + 30
        mov ax, 0xcccc
        mov ecx, 100
        std
        repe scasw
        cld
        call show

        ; ---- 16-bit address size: SI/DI/CX relative to a segment based at LOW_DATA ----------
        SET_DESC SEL_LOWDATA, LOW_DATA, 0xfffff, ACC_DATA_R0 | (FLG_32 << 8)
        ; fill LOW_DATA+0..0x1f and LOW_DATA+0xfff0..0xffff
        xor ecx, ecx
.fill:  mov byte [LOW_DATA + ecx], cl
        mov byte [LOW_DATA + 0xfff0 + ecx], cl
        add byte [LOW_DATA + 0xfff0 + ecx], 0xf0
        mov byte [LOW_DATA + 0x100 + ecx], 0xcc
        inc ecx
        cmp ecx, 0x20
        jb .fill
        mov ax, SEL_LOWDATA
        mov ds, ax
        mov es, ax
        PUTSLN "a16 rep movsb (SI wraps 0xfffe → 0x0001)"
        mov esi, 0xabcdfffe             ; upper halves must be ignored and preserved
        mov edi, 0x12340100
        mov ecx, 0x55550005
        a16 rep movsb
        DUMP UF_NONE
        PUTSLN "a16 std rep stosw (DI wraps 0x0002 → 0xfffe)"
        mov edi, 0x00000002
        mov eax, 0x9999
        mov ecx, 0x00010004             ; CX = 4
        std
        a16 rep stosw
        cld
        DUMP UF_NONE
        PUTSLN "a16 repne scasb"
        mov edi, 0xffff0000
        mov al, 0x07
        mov ecx, 0xffff0020
        a16 repne scasb
        DUMP UF_NONE
        PUTSLN "a16 repe cmpsd"
        mov esi, 0
        mov edi, 0x0100
        mov ecx, 3
        a16 repe cmpsd
        DUMP UF_NONE
        PUTSLN "a16 lodsw"
        mov esi, 0xffff
        a16 lodsw                       ; word at 0xffff: straddles the 64 KiB offset limit?
        DUMP UF_NONE
        mov ax, SEL_DATA32
        mov ds, ax
        mov es, ax
        PUTS "low:"
        xor ecx, ecx
.dl:    movzx eax, byte [LOW_DATA + 0x100 + ecx]
        push eax
        call print_hex8
        inc ecx
        cmp ecx, 8
        jb .dl
        PUTS " top:"
        xor ecx, ecx
.dt:    movzx eax, byte [LOW_DATA + 0xfff0 + ecx]
        push eax
        call print_hex8
        inc ecx
        cmp ecx, 16
        jb .dt
        PUTS " bottom:"
        xor ecx, ecx
.db:    movzx eax, byte [LOW_DATA + ecx]
        push eax
        call print_hex8
        inc ecx
        cmp ecx, 8
        jb .db
        NL

        ; ---- INS/OUTS through the 16550 scratch register (0x3ff): OUTS writes, INS reads back
        PUTSLN "rep outsb / insb via COM1 scratch"
        call reset
        mov dx, 0x3ff
        mov esi, src + 3
        mov ecx, 4
        rep outsb                       ; scratch register ends with the last byte (0x66)
        mov edi, dst
        mov ecx, 3
        rep insb
        mov esi, src + 8
        outsb
        insb
        ; (no word-sized OUTS to the UART: QEMU 7.2's serial device asserts on non-byte I/O)
        call show
        ret

section .data
align 4
src:    times BUF_LEN db 0
        dd 0
dst:    times BUF_LEN db 0
        dd 0
