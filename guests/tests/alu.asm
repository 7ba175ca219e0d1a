; alu.asm — ADD ADC SUB SBB AND OR XOR CMP TEST, INC DEC NEG NOT over boundary operands in all
; three operand sizes, plus the other encodings (accumulator/immediate, sign-extended imm8,
; memory destinations, LOCK). Every case prints its result and EFLAGS (AF masked after logic ops).
%include "guest.inc"
%include "loops.inc"
global test_main
section .text
test_main:
%assign sz 32
%rep 3
        BINARY_SWEEP add, sz, 0x002, UF_NONE
        BINARY_SWEEP adc, sz, 0x002, UF_NONE
        BINARY_SWEEP adc, sz, 0x8d7, UF_NONE
        BINARY_SWEEP sub, sz, 0x8d7, UF_NONE
        BINARY_SWEEP sbb, sz, 0x002, UF_NONE
        BINARY_SWEEP sbb, sz, 0x8d7, UF_NONE
        BINARY_SWEEP cmp, sz, 0x002, UF_NONE
        BINARY_SWEEP and, sz, 0x8d7, UF_LOGIC
        BINARY_SWEEP or,  sz, 0x002, UF_LOGIC
        BINARY_SWEEP xor, sz, 0x8d7, UF_LOGIC
        BINARY_SWEEP test, sz, 0x002, UF_LOGIC
        UNARY_SWEEP inc, sz, 0x002, UF_NONE
        UNARY_SWEEP inc, sz, 0x8d7, UF_NONE
        UNARY_SWEEP dec, sz, 0x002, UF_NONE
        UNARY_SWEEP dec, sz, 0x8d7, UF_NONE
        UNARY_SWEEP neg, sz, 0x002, UF_NONE
        UNARY_SWEEP neg, sz, 0x8d7, UF_NONE
        UNARY_SWEEP not, sz, 0x8d7, UF_NONE
%if sz == 32
%assign sz 16
%else
%assign sz 8
%endif
%endrep

        PUTSLN "encodings"
        mov eax, 0x7ffffff0
        SETFLAGS 0x002
        add eax, 0x10                   ; 83 /0 ib
        DUMP UF_NONE
        add eax, -1                     ; 83 /0 ib, sign-extended 0xff
        DUMP UF_NONE
        add eax, 0x12345678             ; 05 id
        DUMP UF_NONE
        mov al, 0x7f
        add al, 1                       ; 04 ib
        DUMP UF_NONE
        mov ax, 0x8000
        sub ax, 1                       ; 66 2d iw
        DUMP UF_NONE
        mov ebx, 0xffff
        sub bx, -2                      ; 66 83 /5 ib
        DUMP UF_NONE
        mov cl, 0x80
        cmp cl, 0x7f                    ; 80 /7 ib
        DUMP UF_NONE
        mov byte [scratch], 0xf0
        or byte [scratch], 0x0f         ; 80 /1 ib, memory
        movzx eax, byte [scratch]
        DUMP UF_LOGIC
        mov dword [scratch], 0x80000000
        SETFLAGS 0x003
        sbb dword [scratch], 0          ; 83 /3 ib, memory, with borrow
        mov eax, [scratch]
        DUMP UF_NONE
        mov dword [scratch], 0xfffffffe
        lock add dword [scratch], 2
        mov eax, [scratch]
        DUMP UF_NONE
        mov word [scratch], 0x7fff
        lock inc word [scratch]
        mov eax, [scratch]
        DUMP UF_NONE
        mov edx, 0x55
        mov dword [scratch], 0xaaaa5555
        xor [scratch], edx              ; 31 /r, memory destination
        and edx, [scratch]              ; 23 /r, memory source
        mov eax, [scratch]
        DUMP UF_LOGIC
        mov ah, 0x80
        mov ch, 0x80
        add ah, ch                      ; high-byte registers
        DUMP UF_NONE
        mov dh, 0xff
        neg dh
        inc ch
        dec bh
        DUMP UF_NONE
        mov dword [scratch], 0
        not dword [scratch]
        neg dword [scratch]
        mov eax, [scratch]
        DUMP UF_NONE
        test byte [scratch], 0x80
        DUMP UF_LOGIC
        test eax, 0x10000               ; a9 id
        DUMP UF_LOGIC
        ret

section .data
        VALUES32
scratch: dd 0, 0
