; exceptions.asm — faults with their error codes and EIPs: #UD (several encodings), #GP/#NP/#SS
; from segment-register loads, far jumps and INT through bad gates, #DE then a not-present #DE
; gate (→ #DF), and the segment checks QEMU models.
;
; Not tested because QEMU's TCG does not model them: limit checks and write-protection checks on
; ordinary data accesses through DS/ES/SS (QEMU only adds the segment base), accesses through a
; null selector, LOCK on MOV (QEMU 7.2 ignores that LOCK instead of raising #UD), alignment checks (EFLAGS.AC), the saved EIP of #DF (architecturally undefined).
%include "guest.inc"
global test_main

SEL_NP_DATA   equ SEL_SPARE + 0x00  ; data, not present
SEL_RO_DATA   equ SEL_SPARE + 0x08  ; data, read-only
SEL_XO_CODE   equ SEL_SPARE + 0x10  ; code, execute-only
SEL_SMALL_CODE equ SEL_SPARE + 0x18 ; code32, limit 0xfff bytes
SEL_R3_DATA   equ SEL_SPARE + 0x20  ; data, DPL 3
SEL_RX_CODE   equ SEL_SPARE + 0x28  ; code, readable
SEL_NP_CODE   equ SEL_SPARE + 0x30  ; code32, not present


section .text
test_main:
        SET_DESC SEL_NP_DATA, 0, 0xfffff, (ACC_DATA_R0 & 0x7f) | (FLG_32 << 8)
        SET_DESC SEL_RO_DATA, 0, 0xfffff, 0x90 | (FLG_32 << 8)
        SET_DESC SEL_XO_CODE, 0, 0xfffff, 0x98 | (FLG_32 << 8)
        SET_DESC SEL_SMALL_CODE, 0, 0xfff, ACC_CODE_R0 | (0x4 << 8)
        SET_DESC SEL_R3_DATA, 0, 0xfffff, ACC_DATA_R3 | (FLG_32 << 8)
        SET_DESC SEL_RX_CODE, 0, 0xfffff, ACC_CODE_R0 | (FLG_32 << 8)
        SET_DESC SEL_NP_CODE, 0, 0xfffff, (ACC_CODE_R0 & 0x7f) | (FLG_32 << 8)

        PUTSLN "#UD"
        TRY 6, ud2
        TRY 6, db 0x0f, 0xff                    ; reserved opcode 0F FF
        TRY 6, db 0x8e, 0xc8                    ; MOV CS, AX
        TRY 6, db 0x0f, 0x20, 0xc8              ; MOV EAX, CR1
        TRY 6, db 0x0f, 0xc7, 0xc8              ; CMPXCHG8B with a register operand
        TRY 6, db 0x8d, 0xc0                    ; LEA with a register operand
        TRY 6, db 0x62, 0xc0                    ; BOUND with a register operand
        TRY 6, db 0xc4, 0xc0                    ; LES with a register operand
        TRY 6, db 0xff, 0xd8                    ; CALL FAR with a register operand
        TRY 6, db 0xf0, 0x01, 0xc0              ; LOCK ADD with a register destination

        PUTSLN "segment loads"
        mov ax, SEL_NP_DATA
        TRY 11, mov ds, ax                      ; #NP(selector)
        mov ax, SEL_NP_DATA
        TRY 12, mov ss, ax                      ; #SS(selector): not-present stack segment
        mov ax, SEL_RO_DATA
        TRY 13, mov ss, ax                      ; read-only data is no stack
        mov ax, SEL_XO_CODE
        TRY 13, mov es, ax                      ; execute-only code is not readable
        mov ax, SEL_RX_CODE
        mov es, ax                              ; readable code: fine
        mov ax, SEL_R3_DATA | 3
        TRY 13, mov ss, ax                      ; SS: RPL and DPL must equal CPL
        mov ax, SEL_DATA32 | 3
        TRY 13, mov fs, ax                      ; DPL 0 < max(CPL, RPL 3)
        mov ax, 0x1000
        TRY 13, mov gs, ax                      ; beyond the GDT limit
        mov ax, 0x0c
        TRY 13, mov ds, ax                      ; TI=1 with a null LDTR
        xor eax, eax
        TRY 13, mov ss, ax                      ; null SS
        mov ds, ax                              ; null DS: loading is fine
        mov es, ax
        mov ax, SEL_DATA32
        mov ds, ax
        mov es, ax
        mov ax, SEL_RO_DATA
        mov ds, ax                              ; read-only into DS: fine
        mov ax, SEL_DATA32
        mov ds, ax
        mov ax, SEL_TSS
        TRY 13, mov ds, ax                      ; system descriptor
        TRY 13, lds eax, [far_bad_data]         ; LDS with a code... execute-only selector
        TRY 11, lfs eax, [far_np_data]
        PUTS "lgs ok: "
        lgs ebx, [far_ok]
        mov ax, gs
        H16 eax
        H32 ebx
        NL
        mov ax, SEL_DATA32
        mov gs, ax

        PUTSLN "far transfers"
        TRY 13, jmp SEL_DATA32:0                ; JMP to a data segment
        TRY 13, jmp SEL_SMALL_CODE:0x2000       ; beyond the code segment limit: #GP(0)
        TRY 11, jmp SEL_NP_CODE:0               ; not present
        TRY 13, call SEL_NP_DATA:0              ; CALL to a data segment
        TRY 13, jmp 0:0                         ; null CS

        PUTSLN "int through bad gates"
        mov byte [idt + 0x91*8 + 5], 0x0e       ; not present
        TRY 11, int 0x91                        ; #NP(0x91*8 + 2)
        mov byte [idt + 0x92*8 + 5], 0x80 | 0x05 ; a task gate with a null TSS selector
        mov word [idt + 0x92*8 + 2], 0
        TRY 13, int 0x92
        mov byte [idt + 0x93*8 + 5], 0x80 | 0x0c ; a call-gate type is not valid in the IDT
        TRY 13, int 0x93
        mov word [idt + 0x94*8 + 2], SEL_DATA32 ; gate pointing at a data segment
        TRY 13, int 0x94
        sub esp, 8                              ; IDT limit below the vector
        sidt [esp]
        mov word [esp], 0x50*8 - 1
        lidt [esp]
        TRY 13, int 0x60                        ; #GP(0x60*8 + 2)
        mov word [esp], 256*8 - 1
        lidt [esp]
        add esp, 8
        call reload_idt_default

        PUTSLN "double fault"
        mov byte [idt + 0*8 + 5], 0x0e          ; #DE gate not present
        xor ecx, ecx
        mov eax, 1
        EXPECT 8, .df
        div ecx                                 ; #DE → #NP on delivery → #DF(0)
        PUTS "no fault (wrong) "
.df:    REPORT                                  ; (saved EIP of #DF is undefined: not printed)
        NL
        call reload_idt_default
        ; #GP while delivering #GP: the #GP gate points at a data segment
        mov word [idt + 13*8 + 2], SEL_DATA32
        mov ax, 0x1000
        EXPECT 8, .df2
        mov ds, ax
        PUTS "no fault (wrong) "
.df2:   REPORT
        NL
        call reload_idt_default
        ; a benign-then-contributory pair is not a double fault: #BP trap then nothing
        ret

section .data
align 4
far_bad_data: dd 0
              dw SEL_XO_CODE
far_np_data:  dd 0
              dw SEL_NP_DATA
far_ok:       dd 0x12345678
              dw SEL_RO_DATA
