; stack.asm — PUSH/POP forms (PUSH ESP, POP ESP, POP to [ESP]-relative memory, imm8/imm32,
; 16-bit operand size, segment registers), PUSHA/POPA (16/32), PUSHF/POPF (which EFLAGS bits
; ring 0 may change), ENTER (levels 0, 1, 3; 32- and 16-bit) and LEAVE, CALL/RET (near relative,
; indirect, RET imm16, far same-privilege), LOOP/LOOPE/LOOPNE/JCXZ/JECXZ (ECX and CX), BOUND
; with #BR, INT3 / INTO / INT n through the IDT and IRET.
; Stack pointers are printed relative to the value at the start of each case, so the text does
; not depend on where the stack is.
%include "guest.inc"
global test_main

%macro SP_DELTA 0               ; print ESP - [sp0]
        push eax
        lea eax, [esp + 4]
        sub eax, [sp0]
        PUTS "dsp="
        H32 eax
        pop eax
%endmacro
%macro SP_MARK 0
        mov [sp0], esp
%endmacro

section .text
test_main:
        PUTSLN "push/pop"
        SP_MARK
        mov eax, 0x11111111
        push esp                        ; pushes the value before the push
        pop ebx
        sub ebx, esp
        H32 ebx
        push dword -2                   ; 6A ib, sign-extended
        push dword 0x12345678           ; 68 id
        push word 0xbeef                ; 66 68 iw
        push word -1                    ; 66 6A ib
        SP_DELTA
        pop ax
        pop cx
        pop edx
        pop esi
        DUMP UF_NONE
        ; POP ESP loads the popped value; POP [ESP+n] computes the address after the increment
        SP_MARK
        mov dword [esp - 4], 0
        push dword 0xa5a5a5a5
        push dword 0x5a5a5a5a
        pop dword [esp]                 ; lands where 0xa5a5a5a5 was
        pop eax
        H32 eax
        mov eax, esp
        push eax
        pop esp
        SP_DELTA
        ; PUSH/POP memory operands and segment registers (only the low 16 bits of a pushed
        ; segment selector are architecturally defined: P6 may write 16 bits or zero-extend)
        mov dword [scratch], 0xcafef00d
        push dword [scratch]
        pop dword [scratch + 4]
        H32 [scratch + 4]
        push dword 0xffffffff
        pop eax
        push ds
        pop eax
        H16 eax
        push ss
        mov dword [esp], SEL_DATA32
        pop es
        mov ax, es
        H16 eax
        push fs
        push gs
        pop fs
        pop gs
        o16 push ds
        o16 pop eax                     ; 66 58
        H16 eax
        SP_DELTA
        NL

        PUTSLN "pusha/popa"
        SP_MARK
        mov eax, 0xa0a0a0a0
        mov ebx, 0xb0b0b0b0
        mov ecx, 0xc0c0c0c0
        mov edx, 0xd0d0d0d0
        mov esi, 0x50505050
        mov edi, 0xd1d1d1d1
        mov ebp, 0xb1b1b1b1
        pushad
        mov ecx, 8
        mov esi, esp
.pa:    mov eax, [esi]
        cmp ecx, 5                      ; the saved ESP slot: print it relative to sp0
        jne .pa_plain
        sub eax, [sp0]
.pa_plain:
        H32 eax
        add esi, 4
        loop .pa
        NL
        mov dword [esp + 12], 0         ; POPAD ignores the saved ESP
        xor eax, eax
        popad
        SP_DELTA
        DUMP UF_NONE
        pushaw                          ; 16-bit form: 8 words
        SP_DELTA
        mov word [esp], 0x1234          ; DI slot
        mov word [esp + 14], 0x4321     ; AX slot
        popaw
        SP_DELTA
        DUMP UF_NONE

        PUTSLN "pushf/popf"
        pushfd
        pop eax
        H32 eax
        ; try to set every bit: ring 0 may change status, TF(no), DF, IOPL, NT, AC, ID;
        ; VM and RF are not loaded by POPF; bits 1 is always 1, 3 5 15 22-31 always 0
        mov eax, 0xfffffeff & ~EFLAGS_IF
        and eax, ~0x100                 ; keep TF clear
        push eax
        popfd
        pushfd
        pop ebx
        H32 ebx
        push dword 0
        popfd
        pushfd
        pop ebx
        H32 ebx
        o16 pushf
        o16 push word 0x08d5
        o16 popf                        ; 16-bit POPF: upper half unchanged
        pushfd
        pop ebx
        H32 ebx
        o16 popf
        push dword 0x2
        popfd
        NL

        PUTSLN "enter/leave"
        SP_MARK
        mov ebp, 0xbbbb0000 | 0
        mov ebp, esp
        sub ebp, 0x40                   ; a fake outer frame chain below: 3 display pointers
        mov dword [ebp - 4], 0x0d0d0001
        mov dword [ebp - 8], 0x0d0d0002
        mov dword [ebp - 12], 0x0d0d0003
        sub esp, 0x80
        SP_MARK
        mov [bp_saved], ebp
        enter 8, 0
        mov ecx, 1
        call show_frame
        leave
        SP_DELTA
        NL
        enter 0x10, 1
        mov ecx, 2
        call show_frame
        leave
        SP_DELTA
        NL
        mov ebp, [bp_saved]
        enter 4, 3
        mov ecx, 4
        call show_frame
        leave
        SP_DELTA
        NL
        mov ebp, [bp_saved]
        o16 enter 6, 3                  ; 16-bit operand size: pushes BP and words
        mov eax, esp
        sub eax, [sp0]
        PUTS "esp="
        H32 eax
        movzx eax, word [ebp]
        H16 eax
        movzx eax, word [ebp - 2]
        H16 eax
        movzx eax, word [ebp - 4]
        H16 eax
        movzx eax, word [ebp - 6]
        H16 eax
        o16 leave                       ; LEAVE with 16-bit operand: pops BP only
        SP_DELTA
        mov eax, ebp
        sub eax, [bp_saved]
        H32 eax
        NL
        add esp, 0x80
        mov ebp, 0

        PUTSLN "call/ret"
        SP_MARK
        call near_fn
        H32 eax
        mov ebx, near_fn
        call ebx
        call [fn_ptr]
        SP_DELTA
        push dword 0xaaaa
        push dword 0xbbbb
        call ret_imm_fn
        SP_DELTA
        call SEL_CODE32:far_fn          ; 9A: pushes CS and EIP
        H32 eax
        call far [far_ptr]              ; FF /3
        mov ecx, 0
        jmp far [far_jmp_ptr]           ; FF /5
        mov ecx, 0xbad
.after_far_jmp:
        H32 ecx
        SP_DELTA
        NL

        PUTSLN "loop/jcxz"
        mov ecx, 5
        xor eax, eax
.l1:    inc eax
        loop .l1
        H32 eax
        H32 ecx
        mov ecx, 10
        xor eax, eax
        mov ebx, 0
.l2:    inc eax
        cmp eax, 4
        loopne .l2                      ; stops when EAX = 4 (ZF=1)
        H32 eax
        H32 ecx
        mov ecx, 10
        xor eax, eax
.l3:    inc eax
        cmp eax, eax                    ; ZF=1
        loope .l3                       ; runs until ECX = 0
        H32 eax
        H32 ecx
        mov ecx, 0x12340002             ; a16 loop uses CX only
        xor eax, eax
.l4:    inc eax
        a16 loop .l4
        H32 eax
        H32 ecx
        mov ecx, 0x10000                ; CX = 0 but ECX != 0
        mov eax, 1
        a16 jcxz .cx_zero
        mov eax, 2
.cx_zero:
        H32 eax
        mov eax, 1
        jecxz .ecx_zero
        mov eax, 2
.ecx_zero:
        H32 eax
        xor ecx, ecx
        mov eax, 1
        jecxz .ecx_zero2
        mov eax, 2
.ecx_zero2:
        H32 eax
        mov ecx, 0                      ; LOOP with ECX = 0 runs 2^32 times: do not; ECX=1 once
        inc ecx
        loop .never
        H32 ecx
        NL
        jmp .bound
.never: PUTSLN "loop taken with ECX=1 (wrong)"

.bound:
        PUTSLN "bound"
        mov dword [bounds], -5
        mov dword [bounds + 4], 10
        mov word [bounds16], 0xfff0
        mov word [bounds16 + 2], 0x0010
        mov eax, -5
        bound eax, [bounds]
        mov eax, 10
        bound eax, [bounds]
        mov ax, 0xfff0
        bound ax, [bounds16]
        PUTS "in-range ok "
        mov eax, 11
        EXPECT 5, .br1
.b1:    bound eax, [bounds]
        PUTS "no #BR (wrong) "
.br1:   REPORT
        mov eax, [fault_eip]
        sub eax, .b1
        H32 eax
        mov eax, -6
        EXPECT 5, .br2
        bound eax, [bounds]
        PUTS "no #BR (wrong) "
.br2:   REPORT
        mov ax, 0x11
        EXPECT 5, .br3
        bound ax, [bounds16]
        PUTS "no #BR (wrong) "
.br3:   REPORT
        NL

        PUTSLN "int3 into int n iret"
        SP_MARK
        EXPECT 3, .bp
.i3:    int3
.after_i3:
        PUTS "resumed (wrong) "
.bp:    REPORT
        mov eax, [fault_eip]            ; #BP is a trap: EIP after the INT3
        sub eax, .after_i3
        H32 eax
        EXPECT 3, .bp2
        int 3                           ; CD 03
.after_int3:
.bp2:   mov eax, [fault_eip]
        sub eax, .after_int3
        H32 eax
        REPORT
        mov eax, 0x7fffffff
        add eax, 1                      ; OF=1
        EXPECT 4, .of
        into
.after_into:
        PUTS "no #OF (wrong) "
.of:    REPORT
        mov eax, [fault_eip]
        sub eax, .after_into
        H32 eax
        mov eax, 1
        add eax, 1                      ; OF=0: INTO does nothing
        into
        PUTS "into-nop "
        NL
        ; INT n through a trap gate to a handler that returns with IRET and changes EAX
        SET_GATE 0x40, int40_handler, SEL_CODE32, GATE_TRAP32
        SET_GATE 0x41, int41_handler, SEL_CODE32, GATE_INT32
        SETFLAGS 0x8d7
        mov eax, 1
        int 0x40
        DUMP UF_NONE
        int 0x41
        DUMP UF_NONE
        SETFLAGS 0x002
        SP_DELTA
        NL
        call reload_idt_default
        ret

; handlers: report the saved EFLAGS and what IF looks like inside (trap gate keeps IF, interrupt
; gate clears it — IF is 0 here anyway, so also check the frame layout)
int40_handler:
        add eax, 0x100
        pushfd
        pop ebx
        mov ecx, [esp + 8]              ; saved EFLAGS
        mov edx, [esp + 4]              ; saved CS
        iretd
int41_handler:
        or dword [esp + 8], EFLAGS_CF   ; modify the saved EFLAGS: IRET restores it
        mov esi, [esp]
        sub esi, test_main
        iretd

show_frame:                             ; EBP, ESP and ECX frame dwords, relative to sp0
        push eax
        push ecx
        push esi
        push ebx
        mov eax, ebp
        sub eax, [sp0]
        PUTS "ebp="
        H32 eax
        lea eax, [esp + 20]
        sub eax, [sp0]
        PUTS "esp="
        H32 eax
        mov esi, ebp
.w:     mov eax, [esi]
        mov ebx, eax
        sub ebx, [sp0]
        cmp ebx, 0x1000                 ; looks like a stack address: print relative
        jb .rel
        cmp ebx, -0x1000
        jbe .abs
.rel:   mov eax, ebx
        PUTS "s"
.abs:   H32 eax
        sub esi, 4
        loop .w
        pop ebx
        pop esi
        pop ecx
        pop eax
        ret

near_fn:
        mov eax, [esp]
        sub eax, test_main
        ret
ret_imm_fn:
        ret 8
far_fn:
        mov eax, [esp + 4]              ; pushed CS
        retf
far_target:
        mov ecx, 0x600d
        jmp test_main.after_far_jmp

section .data
align 4
sp0:    dd 0
bp_saved: dd 0
scratch: dd 0, 0
fn_ptr: dd near_fn
far_ptr: dd far_fn
        dw SEL_CODE32
far_jmp_ptr: dd far_target
        dw SEL_CODE32
align 4
bounds: dd 0, 0
bounds16: dw 0, 0
