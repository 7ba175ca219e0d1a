; descriptors.asm — LAR LSL VERR VERW (ZF and the returned rights/limit for every GDT selector,
; RPL 0 and 3, including system descriptors and beyond-limit selectors), ARPL, SGDT SIDT SLDT
; STR SMSW, LMSW (can set PE/MP/EM/TS but never clear PE), LLDT with an LDT and an LDT selector.
; LAR's accessed bit (bit 8) is masked: the CPU sets it in the descriptor when a segment register
; is loaded, but QEMU 7.2 does so only for data-segment loads, not for far jumps/calls into CS.
%include "guest.inc"
global test_main

SEL_LDT_DESC equ SEL_SPARE + 0x00       ; LDT descriptor
SEL_CONFORM  equ SEL_SPARE + 0x08       ; conforming readable code, DPL 3
SEL_XO3      equ SEL_SPARE + 0x10       ; execute-only code DPL 3
SEL_TRAPGATE equ SEL_SPARE + 0x18       ; a call gate (LAR yes, LSL no)

section .text
test_main:
        SET_DESC SEL_LDT_DESC, ldt, 4*8 - 1, 0x82
        SET_DESC SEL_CONFORM, 0x1000, 0x12345, 0xFE | (0x4 << 8)
        SET_DESC SEL_XO3, 0, 0xfffff, 0xF8 | (FLG_32 << 8)
        mov dword [gdt + SEL_TRAPGATE], 0x00081234
        mov dword [gdt + SEL_TRAPGATE + 4], 0x0000EC00
        ; LDT: entry 1 = data DPL 3, base 0x4000, limit 0x0fff bytes
        mov dword [ldt + 8], 0x40000fff
        mov dword [ldt + 12], 0x0000f200
        mov ax, SEL_LDT_DESC
        lldt ax

        PUTSLN "sel  lar-zf rights     lsl-zf limit      verr verw"
        xor esi, esi
.sel:   mov ebx, esi
        H16 ebx
        mov eax, 0xaaaaaaaa
        lar eax, ebx
        setz cl
        H8 ecx
        jnz .no_lar
        and eax, ~0x100                 ; accessed bit: QEMU does not set it on CS loads
        H32 eax
        jmp .lsl
.no_lar: PUTS "-------- "
.lsl:   mov eax, 0xbbbbbbbb
        lsl eax, ebx
        setz cl
        H8 ecx
        jnz .no_lsl
        H32 eax
        jmp .ver
.no_lsl: PUTS "-------- "
.ver:   verr bx
        setz cl
        H8 ecx
        verw bx
        setz cl
        H8 ecx
        NL
        add esi, 1                      ; every RPL of every selector 0..0x77, then LDT ones
        cmp esi, 0x78
        jb .sel
        cmp esi, 0x100
        jae .done_sel
        mov esi, 0x100                  ; then a beyond-limit selector
        jmp .sel
.done_sel:
        mov ebx, 0x0c
        lar eax, ebx
        setz cl
        H8 ecx
        H32 eax
        mov ebx, 0x0f
        lsl eax, ebx
        setz cl
        H8 ecx
        H32 eax
        NL

        PUTSLN "arpl"
        mov ax, 0x0010
        mov bx, 0x0003
        arpl ax, bx
        setz cl
        H16 eax
        H8 ecx
        mov ax, 0x0013
        arpl ax, bx
        setz cl
        H16 eax
        H8 ecx
        mov word [scratch], 0x0021
        mov bx, 0x0002
        arpl [scratch], bx
        setz cl
        H16 [scratch]
        H8 ecx
        NL

        PUTSLN "system registers"
        sgdt [scratch]
        movzx eax, word [scratch]
        H16 eax
        mov eax, [scratch + 2]
        sub eax, gdt
        H32 eax
        sidt [scratch]
        movzx eax, word [scratch]
        H16 eax
        mov eax, [scratch + 2]
        sub eax, idt
        H32 eax
        sldt eax
        H32 eax
        str eax
        H32 eax
        mov eax, 0xffffffff
        smsw eax                        ; register form: bits 31:16 undefined (SDM vol. 2B SMSW)
        H16 eax
        mov word [scratch], 0xffff
        smsw [scratch]
        H16 [scratch]
        NL
        mov eax, cr0
        H32 eax
        mov ax, 0x000e                  ; LMSW cannot clear PE; sets MP EM TS
        lmsw ax
        mov eax, cr0
        H32 eax
        and eax, ~0xe
        mov cr0, eax
        clts
        mov eax, cr0
        H32 eax
        NL
        xor eax, eax
        lldt ax
        ret

section .data
align 8
ldt:    times 4 dq 0
scratch: dd 0, 0
