; fpu_control.asm — x87 control against QEMU: the Linux FPU probe (FNINIT, FNSTSW, FNSTCW), #NM from
; CR0.TS/EM for escape opcodes, WAIT with CR0.MP+TS, FXSAVE/FXRSTOR (#NM, alignment #GP), unmasked
; exceptions delivered as #MF at the next FWAIT with CR0.NE, FNCLEX, FLDCW, FNSTENV/FLDENV and
; FNSAVE/FRSTOR (32- and 16-bit operand size) and FXSAVE/FXRSTOR round trips.
;
; Not printed, because QEMU 7.2 deviates from hardware: the instruction and operand pointers and
; the opcode (FIP/FCS/FDP/FDS/FOP) in the saved images, the reserved upper halves of the 32-bit
; environment's words, and the reserved bytes of FXSAVE register slots; #MF at a non-WAIT x87
; instruction (QEMU only checks at FWAIT, so every test waits right after the faulting operation);
; the destination and TOP after an unmasked exception (QEMU writes the masked response and pops);
; the control word after FNSTENV (QEMU does not mask the exceptions); C1 after rounding up and C2
; after FSQRT (QEMU does not report the one and sets the other for negative operands).
%include "guest.inc"
global test_main

; SAVEWORDS buf, n — print n 16-bit words of buf
%macro PRINT_TWORD 1
        H16 [%1 + 8]
        H32 [%1 + 4]
        H32 [%1]
%endmacro

section .text
test_main:
        ; ---- the Linux probe (arch/x86/kernel/fpu/init.c fpu__init_system_early_generic)
        mov eax, cr0
        and eax, ~((1 << 2) | (1 << 3))         ; EM=0, TS=0
        or eax, (1 << 1) | (1 << 5)             ; MP=1, NE=1
        mov cr0, eax
        mov word [scratch], 0xffff
        mov word [scratch + 2], 0xffff
        fninit
        fnstsw [scratch]
        fnstcw [scratch + 2]
        PUTS "probe sw="
        H16 [scratch]
        PUTS "cw="
        H16 [scratch + 2]
        fnstsw ax
        H16 eax
        NL

        ; ---- #NM
        mov eax, cr0
        or eax, 1 << 3                          ; TS
        mov cr0, eax
        EXPECT 7, .nm1
        fld1
        PUTS "no fault "
.nm1:   PUTS "ts fld1 "
        REPORT
        NL
        EXPECT 7, .nm2
        fwait                                   ; MP=1, TS=1: #NM
        PUTS "no fault "
.nm2:   PUTS "ts wait "
        REPORT
        NL
        EXPECT 7, .nm3
        fxsave [fxarea]
        PUTS "no fault "
.nm3:   PUTS "ts fxsave "
        REPORT
        NL
        clts
        mov eax, cr0
        and eax, ~(1 << 1)                      ; MP=0, TS=1: WAIT does not fault
        or eax, 1 << 3
        mov cr0, eax
        fwait
        PUTSLN "mp0 ts wait ok"
        mov eax, cr0
        or eax, (1 << 2) | (1 << 1)             ; EM=1
        and eax, ~(1 << 3)
        mov cr0, eax
        EXPECT 7, .nm4
        fnstsw ax
        PUTS "no fault "
.nm4:   PUTS "em fnstsw "
        REPORT
        NL
        fwait                                   ; EM does not affect WAIT
        mov eax, cr0
        and eax, ~(1 << 2)
        mov cr0, eax
        PUTSLN "em wait ok"

        ; ---- FXSAVE alignment
        EXPECT 13, .gp1
        fxsave [fxarea + 8]
        PUTS "no fault "
.gp1:   PUTS "fxsave misaligned "
        REPORT
        NL

        ; ---- unmasked exceptions and #MF at FWAIT
        fninit
        mov word [scratch], 0x037b              ; unmask ZE
        fldcw [scratch]
        fld1
        fldz
        fdivp st1, st0                          ; 1/0: ZE unmasked
        fnstsw ax
        PUTS "zdiv sw="
        and eax, 0x80ff
        H16 eax
        EXPECT 16, .mf1
        fwait
        PUTS "no fault "
.mf1:   REPORT
        fnstsw ax
        PUTS "sw="
        and eax, 0x80ff
        H16 eax
        fnclex
        fnstsw ax
        PUTS "after fnclex="
        and eax, 0x80ff
        H16 eax
        NL
        ; unmasked IE from sqrt(-1): the destination is unchanged
        fninit
        mov word [scratch], 0x037e
        fldcw [scratch]
        fld1
        fchs
        fsqrt
        fnstsw ax
        PUTS "sqrt-1 sw="
        and eax, 0x80ff
        H16 eax
        EXPECT 16, .mf2
        fwait
        PUTS "no fault "
.mf2:   REPORT
        fnclex
        NL
        ; masked: the indefinite, and FNSTSW AX shows IE without a fault
        fninit
        fld1
        fchs
        fsqrt
        fwait
        fnstsw ax
        PUTS "masked sqrt-1 sw="
        and eax, ~0x4700
        H16 eax
        fstp tword [tword_buf]
        PRINT_TWORD tword_buf
        NL
        ; overflow and precision, masked, all rounding modes
        mov ecx, 0
.rc_loop:
        fninit
        mov eax, ecx
        shl eax, 10
        or eax, 0x037f
        mov [scratch], ax
        fldcw [scratch]
        fld tword [big]
        fmul st0, st0
        fnstsw ax
        PUTS "ovf rc="
        H8 ecx
        and eax, ~0x4700
        H16 eax
        fstp tword [tword_buf]
        PRINT_TWORD tword_buf
        fld tword [small]
        fmul st0, st0
        fnstsw ax
        PUTS "unf "
        and eax, ~0x4700
        H16 eax
        fstp tword [tword_buf]
        PRINT_TWORD tword_buf
        NL
        inc ecx
        cmp ecx, 4
        jb .rc_loop

        ; ---- FNSTENV / FLDENV, 32-bit and 16-bit
        fninit
        fld tword [big]
        fld1
        fldz
        fldpi
        fincstp                                 ; a non-empty register below TOP
        mov word [scratch], 0x0c7a
        fldcw [scratch]
        call fill_area
        fnstenv [area]
        PUTS "fnstenv32 "
        H16 [area]
        H16 [area + 4]
        H16 [area + 8]
        NL
        fldcw [scratch]                         ; FNSTENV masked everything (QEMU does not)
        call fill_area
        o16 fnstenv [area]
        PUTS "fnstenv16 "
        H16 [area]
        H16 [area + 2]
        H16 [area + 4]
        NL
        ; FLDENV an image with a different control word, TOP and tags
        mov word [area], 0x0f7f
        mov word [area + 2], 0x2801             ; TOP=5, IE flag (masked)
        mov word [area + 4], 0x5fff             ; regs 6,7 zero-tagged, others empty
        o16 fldenv [area]
        fnstsw ax
        PUTS "fldenv16 sw="
        H16 eax
        fnstcw [scratch]
        PUTS "cw="
        H16 [scratch]
        call fill_area
        fnstenv [area]
        PUTS "tag="
        H16 [area + 8]
        NL

        ; ---- FNSAVE / FRSTOR round trip
        fninit
        fld tword [big]
        fld tword [small]
        fld1
        fldpi
        fldz
        fchs
        fld tword [denormal]
        call fill_area
        fnsave [area]
        fnstsw ax
        PUTS "after fnsave sw="
        H16 eax
        fnstcw [scratch]
        H16 [scratch]
        NL
        PUTS "save32 "
        H16 [area]
        H16 [area + 4]
        H16 [area + 8]
        NL
        mov esi, area + 28
        call print_registers
        frstor [area]
        fnstsw ax
        PUTS "after frstor sw="
        H16 eax
        fstp tword [tword_buf]
        PRINT_TWORD tword_buf
        fstp tword [tword_buf]
        PRINT_TWORD tword_buf
        NL
        ; 16-bit image of the same state
        frstor [area]
        call fill_area
        o16 fnsave [area]
        PUTS "save16 "
        H16 [area]
        H16 [area + 2]
        H16 [area + 4]
        NL
        mov esi, area + 14
        call print_registers
        o16 frstor [area]
        fnstsw ax
        PUTS "after frstor16 sw="
        H16 eax
        fstp tword [tword_buf]
        PRINT_TWORD tword_buf
        NL

        ; ---- FXSAVE / FXRSTOR round trip (CR4.OSFXSR clear, then set)
        fninit
        fld tword [big]
        fld1
        fldpi
        mov word [scratch], 0x0b72
        fldcw [scratch]
        call fill_fx
        fxsave [fxarea]
        PUTS "fxsave "
        H16 [fxarea]
        H16 [fxarea + 2]
        H8 [fxarea + 4]
        H8 [fxarea + 5]
        H32 [fxarea + 24]
        H32 [fxarea + 28]
        H32 [fxarea + 160]
        NL
        mov esi, fxarea + 32
        call print_fx_registers
        fninit
        fxrstor [fxarea]
        fnstsw ax
        PUTS "after fxrstor sw="
        H16 eax
        fnstcw [scratch]
        H16 [scratch]
        fstp tword [tword_buf]
        PRINT_TWORD tword_buf
        NL
        mov eax, cr4
        or eax, 1 << 9
        mov cr4, eax
        call fill_fx
        fxsave [fxarea]
        PUTS "osfxsr fxsave "
        H16 [fxarea]
        H16 [fxarea + 2]
        H8 [fxarea + 4]
        H32 [fxarea + 24]
        H32 [fxarea + 28]
        H32 [fxarea + 160]
        H32 [fxarea + 284]
        H32 [fxarea + 288]
        NL                                      ; no SSE: MXCSR and XMM stay untouched
        mov byte [fxarea + 4], 0x81             ; only ST(0)'s and physical 7's registers valid
        fxrstor [fxarea]
        call fill_area
        fnstenv [area]
        PUTS "tag after fxrstor="
        H16 [area + 8]
        NL
        mov eax, cr4
        and eax, ~(1 << 9)
        mov cr4, eax
        fninit
        ret

; print 8 registers of 10 bytes at esi
print_registers:
        push ecx
        mov ecx, 8
.next:  H16 [esi + 8]
        H32 [esi + 4]
        H32 [esi]
        NL
        add esi, 10
        loop .next
        pop ecx
        ret

print_fx_registers:
        push ecx
        mov ecx, 8
.next:  H16 [esi + 8]
        H32 [esi + 4]
        H32 [esi]
        NL
        add esi, 16
        loop .next
        pop ecx
        ret

fill_area:
        push eax
        push ecx
        push edi
        mov edi, area
        mov ecx, 128
        mov al, 0xa5
        rep stosb
        pop edi
        pop ecx
        pop eax
        ret

fill_fx:
        push eax
        push ecx
        push edi
        mov edi, fxarea
        mov ecx, 512
        mov al, 0xa5
        rep stosb
        pop edi
        pop ecx
        pop eax
        ret

section .data
align 16
big:      dq 0xc000000000000000
          dw 0x6000
align 16
small:    dq 0xc000000000000000
          dw 0x2000
align 16
denormal: dq 0x0000000012345678
          dw 0x0000

section .bss
alignb 16
fxarea:   resb 512
area:     resb 128
tword_buf: resb 16
scratch:  resb 16
