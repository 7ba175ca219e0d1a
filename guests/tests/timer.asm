; timer.asm — timer interrupts through the 8259A pair and 8254 counter 0, printing only facts that
; do not depend on how fast time passes: the vector an IRQ arrives at, that it waits for STI and
; for the unmask, the EIP it interrupts, IRR/ISR/IMR as OCW3 and OCW1 show them around EOIs
; (non-specific, specific, a specific EOI for the wrong level, automatic EOI), the poll command,
; and the 8254's read-back status (programmed bits) and counter latch.
;
; Every wait is for an event (an IRR bit, an OUT level, a number of handler runs), never for a
; time. What is not printed, because QEMU 7.2's 8254 does not follow the datasheet there:
;   - status bit 6 (null count): QEMU never sets it;
;   - OUT in modes 2 and 3 and OUT right after a control word: QEMU computes OUT from the old
;     count until a new one is written, and its mode 2 OUT is high for one pulse per period where
;     the datasheet has it low for one pulse (both give one rising edge per period, so IRQs agree);
;   - BCD counting: QEMU counts in binary whatever the BCD bit says.
; No slave IRQ is tested: nothing on either machine can raise one on demand.
%include "guest.inc"
global test_main

PIC1_CMD        equ 0x20        ; master: ICW1, OCW2, OCW3; reads IRR/ISR/poll word
PIC1_DATA       equ 0x21        ; master: ICW2-4, OCW1 (IMR)
PIC2_CMD        equ 0xa0
PIC2_DATA       equ 0xa1
ICW1_EDGE_IC4   equ 0x11        ; ICW1: edge triggered, cascade, ICW4 follows (8259A Figure 7)
ICW4_8086       equ 0x01
ICW4_8086_AEOI  equ 0x03
OCW2_EOI        equ 0x20        ; non-specific EOI
OCW2_SEOI       equ 0x60        ; specific EOI, level in D2-D0
OCW3_READ_IRR   equ 0x0a
OCW3_READ_ISR   equ 0x0b
OCW3_POLL       equ 0x0c
MASTER_BASE     equ 0x20
SLAVE_BASE      equ 0x28

PIT_CH0         equ 0x40
PIT_CTRL        equ 0x43
PIT_CW_MODE0    equ 0x30        ; counter 0, LSB then MSB, mode 0, binary (8254 Figure 7)
PIT_CW_MODE2    equ 0x34        ; counter 0, LSB then MSB, mode 2
PIT_LATCH0      equ 0x00        ; counter latch command for counter 0
PIT_RB_STATUS0  equ 0xe2        ; read-back: status only, counter 0 (8254 Figure 10)
PIT_RB_BOTH0    equ 0xc2        ; read-back: count and status, counter 0
STATUS_OUT      equ 0x80
STATUS_NULL     equ 0x40        ; null count: not printed (QEMU does not model it)

WAIT_LIMIT      equ 50000000    ; polls before a wait gives up (a failure, never reached normally)

; PIT_COUNT cw, count — program counter 0 with control word `cw` and a 16-bit count
%macro PIT_COUNT 2
        mov al, %1
        out PIT_CTRL, al
        mov al, (%2) & 0xff
        out PIT_CH0, al
        mov al, (%2) >> 8
        out PIT_CH0, al
%endmacro

%macro OUTB 2                   ; OUTB port, value
        mov al, %2
        out %1, al
%endmacro

section .text
test_main:
        call install_irq_gates

        ; Quiesce counter 0 first (a BIOS may have left it in mode 3): a short mode-0 count
        ; leaves OUT high for good once it ends. Wait for that edge to reach the (masked) IRR so
        ; no late edge lands after the PICs are re-initialised.
        PIT_COUNT PIT_CW_MODE0, 2
        call wait_pit_out_high
        call wait_irr0

        PUTSLN "pic init"
        call init_pics
        PUTS "imr after icw: "
        in al, PIC1_DATA
        H8 eax
        in al, PIC2_DATA
        H8 eax
        NL
        OUTB PIC1_DATA, 0xff
        OUTB PIC2_DATA, 0xff
        OUTB PIC1_DATA, 0x5a
        PUTS "imr written 5a/ff: "
        in al, PIC1_DATA
        H8 eax
        in al, PIC2_DATA
        H8 eax
        NL
        OUTB PIC1_DATA, 0xff
        call print_irr_isr
        NL

        ; --- one mode-0 interrupt: waits for STI, arrives after the STI shadow ---------------
        PUTSLN "mode 0, irq0 unmasked, IF=0"
        OUTB PIC1_DATA, 0xfe
        PIT_COUNT PIT_CW_MODE0, 0x20
        call wait_irr0
        PUTS "pending: runs="
        H8 [irq_count]
        call print_irr_isr
        PUTS "pit status="
        call pit_status
        and eax, ~STATUS_NULL
        H8 eax
        NL
        mov dword [eoi_first], OCW2_EOI
        mov dword [eoi_second], 0
        sti
        nop                             ; the STI shadow: delivered after this instruction
.after_shadow:
        cli
        mov dword [eip_base], .after_shadow
        call print_irq_record
        PUTS "pit status after terminal count="
        call pit_status
        and eax, ~STATUS_NULL
        H8 eax
        NL

        ; --- a masked request stays in IRR until unmasked; specific EOIs ---------------------
        PUTSLN "masked irq0"
        OUTB PIC1_DATA, 0xff
        PIT_COUNT PIT_CW_MODE0, 0x20
        call wait_irr0
        sti
        mov ecx, 20000                  ; IF=1 but masked: nothing may arrive
.masked_spin:
        dec ecx
        jnz .masked_spin
        cli
        PUTS "still pending: runs="
        H8 [irq_count]
        call print_irr_isr
        NL
        mov dword [eoi_first], OCW2_SEOI | 3    ; specific EOI for a level not in service
        mov dword [eoi_second], OCW2_SEOI | 0
        OUTB PIC1_DATA, 0xfe
        PUTSLN "unmasked, sti+hlt"
        sti
        hlt                             ; the pending request wakes the HLT
.after_hlt:
        cli
        mov dword [eip_base], .after_hlt
        call print_irq_record

        ; --- fully nested mode: IR0 in service (no EOI yet) holds back another IR0 request ---
        PUTSLN "in service blocks its own level"
        mov dword [eoi_first], 0
        mov dword [eoi_second], 0
        PIT_COUNT PIT_CW_MODE0, 0x20
        mov ebx, 3
        call wait_irq_count
        mov dword [eip_base], 0
        call print_irq_record
        PIT_COUNT PIT_CW_MODE0, 0x20
        call wait_irr0
        sti
        mov ecx, 20000
.nested_spin:
        dec ecx
        jnz .nested_spin
        cli
        PUTS "blocked: runs="
        H8 [irq_count]
        call print_irr_isr
        NL
        mov dword [eoi_first], OCW2_EOI
        OUTB PIC1_CMD, OCW2_EOI         ; ends the first: the second is delivered
        sti
        hlt
        cli
        call print_irq_record

        ; --- automatic EOI: ISR stays clear ------------------------------------------------
        PUTSLN "auto eoi"
        OUTB PIC1_DATA, 0xff
        PIT_COUNT PIT_CW_MODE0, 0x40    ; (edge before re-init: ICW1 clears the request)
        call wait_irr0
        mov byte [master_icw4], ICW4_8086_AEOI
        call init_pics                  ; IRQ0's input is high: ICW1 needs a new edge
        OUTB PIC1_DATA, 0xfe
        PUTS "after icw1: "
        call print_irr_isr
        NL
        mov dword [eoi_first], 0
        mov dword [eoi_second], 0
        PIT_COUNT PIT_CW_MODE0, 0x40
        mov ebx, 5                      ; the fifth run in all
        call wait_irq_count
        mov dword [eip_base], 0
        call print_irq_record
        OUTB PIC1_DATA, 0xff
        mov byte [master_icw4], ICW4_8086
        call init_pics
        OUTB PIC1_DATA, 0xff
        OUTB PIC2_DATA, 0xff

        ; --- poll command: the read acts as INTA -------------------------------------------
        PUTSLN "poll"
        OUTB PIC1_DATA, 0xfe            ; IF=0: the poll finds the request, the CPU does not
        PIT_COUNT PIT_CW_MODE0, 0x20
        call wait_irr0
        OUTB PIC1_CMD, OCW3_POLL
        in al, PIC1_CMD
        PUTS "poll word="
        H8 eax
        call print_irr_isr
        OUTB PIC1_CMD, OCW2_EOI
        PUTS "after eoi: "
        call print_irr_isr
        NL
        OUTB PIC1_DATA, 0xff

        ; --- an IRQ pending when IRET enters ring 3 with IF=1: taken before the first ring-3
        ; instruction, on the TSS's ring-0 stack --------------------------------------------
        PUTSLN "irq on iret to ring 3"
        PIT_COUNT PIT_CW_MODE0, 0x20
        call wait_irr0
        OUTB PIC1_DATA, 0xfe
        mov dword [eoi_first], OCW2_EOI
        SET_GATE 0x81, back_from_ring3, SEL_CODE32, GATE_INT32_U
        mov [kernel_esp], esp
        mov ax, SEL_UDATA32             ; DPL-3 data segments survive the IRET (and are flat)
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        push dword SEL_UDATA32          ; SS
        push dword user_stack_top       ; ESP
        push dword 0x202                ; EFLAGS: IF, IOPL 0
        push dword SEL_UCODE32          ; CS
        push dword ring3_code           ; EIP
        iretd
ring3_code:
        int 0x81
back_from_ring3:
        mov ax, SEL_DATA32
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov esp, [kernel_esp]
        OUTB PIC1_DATA, 0xff
        mov dword [eip_base], ring3_code
        call print_irq_record
        PUTS "frame: cs="
        H16 [irq_cs]
        PUTS "eflags="
        H32 [irq_eflags]
        mov eax, [irq_user_esp]
        sub eax, user_stack_top
        PUTS "esp=top+"
        H32 eax
        PUTS "ss="
        H16 [irq_user_ss]
        mov eax, [irq_frame_at]
        sub eax, ring0_stack_top
        PUTS "frame=esp0+"
        H32 eax
        NL
        call reload_idt_default         ; (vector 0x81 back to its default gate)
        call install_irq_gates

        ; --- 8254 status read-back and counter latch ----------------------------------------
        PUTSLN "pit read-back"
        PIT_COUNT PIT_CW_MODE0, 0xffff  ; 55 ms to terminal count: OUT stays low below
        call pit_status
        and eax, ~STATUS_NULL
        PUTS "mode 0 counting: status="
        H8 eax
        OUTB PIT_CTRL, PIT_LATCH0
        call read_count0
        mov esi, eax
        mov ecx, 5000
.spin1: dec ecx
        jnz .spin1
        OUTB PIT_CTRL, PIT_LATCH0
        call read_count0
        mov edi, eax
        PUTS "latched counts decrease:"
        cmp edi, esi
        setb al
        movzx eax, al
        H8 eax
        ; read-back latching both: status first, then the count
        mov ecx, 5000
.spin2: dec ecx
        jnz .spin2
        OUTB PIT_CTRL, PIT_RB_BOTH0
        in al, PIT_CH0
        and eax, STATUS_OUT | 0x3f
        PUTS "read-back status="
        H8 eax
        call read_count0
        PUTS "then count decreases:"
        cmp eax, edi
        setb al
        movzx eax, al
        H8 eax
        NL
        ; the programmed bits of the status for other control words (OUT is not printed: see top)
        PUTS "status bits:"
        mov esi, control_words
.cw:    movzx eax, byte [esi]
        test eax, eax
        jz .cw_done
        out PIT_CTRL, al
        mov ebx, eax
        shr ebx, 6                      ; the counter the control word selected
        mov eax, 2
        mov cl, bl
        shl eax, cl
        or eax, 0xe0                    ; read-back: status only, that counter
        out PIT_CTRL, al
        lea edx, [ebx + PIT_CH0]
        in al, dx
        and eax, 0x3f
        H8 eax
        inc esi
        jmp .cw
.cw_done:
        NL

        ; --- mode 2: periodic interrupts ----------------------------------------------------
        PUTSLN "mode 2 rate generator"
        PIT_COUNT PIT_CW_MODE2, 2000    ; ~1.7 ms period
        mov dword [eoi_first], OCW2_SEOI | 0
        mov dword [eoi_second], 0
        mov dword [irq_count], 0
        OUTB PIC1_DATA, 0xfe
        mov ebx, 3
        call wait_irq_count
        OUTB PIC1_DATA, 0xff
        ; (a fourth period could end between IRET and CLI on a stalled host: print the minimum)
        mov dword [irq_count], 3
        mov dword [eip_base], 0
        PUTS "waited for 3: "
        call print_irq_record
        call pit_status
        and eax, 0x3f
        PUTS "status bits="
        H8 eax
        NL
        ret

; install_irq_gates — vectors 0x20-0x2f: stubs that record which vector ran
install_irq_gates:
        pushad
        xor ecx, ecx
.gate:  mov eax, [irq_stub_table + ecx*4]
        lea edx, [ecx + MASTER_BASE]
        SET_GATE edx, eax, SEL_CODE32, GATE_INT32
        inc ecx
        cmp ecx, 16
        jb .gate
        popad
        ret

; init_pics — ICW1-ICW4 to both chips: master base 0x20, slave 0x28 on IR2, 8086 mode.
; The master's ICW4 is [master_icw4].
init_pics:
        push eax
        OUTB PIC1_CMD, ICW1_EDGE_IC4
        OUTB PIC1_DATA, MASTER_BASE
        OUTB PIC1_DATA, 0x04            ; ICW3: a slave on IR2
        mov al, [master_icw4]
        out PIC1_DATA, al
        OUTB PIC2_CMD, ICW1_EDGE_IC4
        OUTB PIC2_DATA, SLAVE_BASE
        OUTB PIC2_DATA, 0x02            ; ICW3: slave ID 2
        OUTB PIC2_DATA, ICW4_8086
        pop eax
        ret

; print_irr_isr — "irr=mm ss isr=mm ss " for master and slave
print_irr_isr:
        push eax
        PUTS "irr="
        OUTB PIC1_CMD, OCW3_READ_IRR
        in al, PIC1_CMD
        H8 eax
        OUTB PIC2_CMD, OCW3_READ_IRR
        in al, PIC2_CMD
        H8 eax
        PUTS "isr="
        OUTB PIC1_CMD, OCW3_READ_ISR
        in al, PIC1_CMD
        H8 eax
        OUTB PIC2_CMD, OCW3_READ_ISR
        in al, PIC2_CMD
        H8 eax
        pop eax
        ret

; print_irq_record — what the last handler run saw, then clear the record
print_irq_record:
        PUTS "runs="
        H8 [irq_count]
        PUTS "vector="
        H8 [irq_vector]
        cmp dword [eip_base], 0
        je .no_eip
        push eax
        mov eax, [irq_eip]
        sub eax, [eip_base]
        PUTS "eip-resume="
        H32 eax
        pop eax
.no_eip:
        PUTS "in handler: irr="
        H8 [irq_irr]
        PUTS "isr="
        H8 [irq_isr]
        PUTS "after eoi 1: isr="
        H8 [irq_isr_eoi1]
        PUTS "after eoi 2: isr="
        H8 [irq_isr_eoi2]
        NL
        mov dword [irq_vector], 0xff
        ret

; pit_status — EAX = counter 0's read-back status byte
pit_status:
        OUTB PIT_CTRL, PIT_RB_STATUS0
        xor eax, eax
        in al, PIT_CH0
        ret

; read_count0 — EAX = counter 0's count (LSB then MSB)
read_count0:
        push edx
        xor eax, eax
        in al, PIT_CH0
        mov dl, al
        in al, PIT_CH0
        mov ah, al
        mov al, dl
        pop edx
        ret

; wait_pit_out_high — poll counter 0's OUT through the read-back status until it is high
wait_pit_out_high:
        push eax
        push ecx
        mov ecx, WAIT_LIMIT
.poll:  call pit_status
        test al, STATUS_OUT
        jnz .done
        dec ecx
        jnz .poll
        PUTSLN "timeout waiting for PIT OUT"
        EXIT EXIT_FAIL
.done:  pop ecx
        pop eax
        ret

; wait_irr0 — poll the master's IRR until IR0 is requested (it latches even while masked)
wait_irr0:
        push eax
        push ecx
        mov ecx, WAIT_LIMIT
        OUTB PIC1_CMD, OCW3_READ_IRR
.poll:  in al, PIC1_CMD
        test al, 1
        jnz .done
        dec ecx
        jnz .poll
        PUTSLN "timeout waiting for IRR bit 0"
        EXIT EXIT_FAIL
.done:  pop ecx
        pop eax
        ret

; wait_irq_count — with IF=1, halt until the handler has run EBX times in all; returns with IF=0.
; CLI before the test and STI;HLT after it: a request that arrives in between wakes the HLT
; (the STI shadow keeps it from being taken before HLT), so no wake-up is lost.
wait_irq_count:
        push ecx
        mov ecx, WAIT_LIMIT
.check: cli
        cmp [irq_count], ebx
        jae .done
        dec ecx
        jz .timeout
        sti
        hlt
        jmp .check
.timeout:
        PUTSLN "timeout waiting for IRQ0"
        EXIT EXIT_FAIL
.done:  pop ecx
        ret

; ---- IRQ handlers for vectors 0x20-0x2f --------------------------------------------------------
%macro IRQ_STUB 1
irq_stub_%1:
        push dword %1 + MASTER_BASE
        jmp irq_common
%endmacro
%assign i 0
%rep 16
        IRQ_STUB i
%assign i i+1
%endrep

; Records the vector, the interrupted EIP and the master's IRR and ISR, then sends [eoi_first]
; and [eoi_second] (0 = none) to the master, recording ISR after each.
irq_common:
        push eax
        mov eax, [esp + 4]
        mov [irq_vector], eax
        mov eax, [esp + 8]              ; EIP of the interrupt frame
        mov [irq_eip], eax
        mov eax, [esp + 12]
        mov [irq_cs], eax
        mov eax, [esp + 16]
        mov [irq_eflags], eax
        mov eax, [esp + 20]             ; outer ESP and SS: only there when CS was ring 3
        mov [irq_user_esp], eax
        mov eax, [esp + 24]
        mov [irq_user_ss], eax
        lea eax, [esp + 8]
        mov [irq_frame_at], eax
        inc dword [irq_count]
        mov al, OCW3_READ_IRR
        out PIC1_CMD, al
        in al, PIC1_CMD
        movzx eax, al
        mov [irq_irr], eax
        mov al, OCW3_READ_ISR
        out PIC1_CMD, al
        in al, PIC1_CMD
        movzx eax, al
        mov [irq_isr], eax
        mov eax, [eoi_first]
        test eax, eax
        jz .eoi1_done
        out PIC1_CMD, al
.eoi1_done:
        in al, PIC1_CMD                 ; (OCW3 still selects ISR)
        movzx eax, al
        mov [irq_isr_eoi1], eax
        mov eax, [eoi_second]
        test eax, eax
        jz .eoi2_done
        out PIC1_CMD, al
.eoi2_done:
        in al, PIC1_CMD
        movzx eax, al
        mov [irq_isr_eoi2], eax
        pop eax
        add esp, 4
        iretd

section .rodata
align 4
irq_stub_table:
%assign i 0
%rep 16
        dd irq_stub_ %+ i
%assign i i+1
%endrep
; control words whose status bits are read back: modes 1-5 of counter 0, LSB-only, MSB-only and
; BCD, and counters 1 and 2 (no counts are written, so nothing starts counting)
control_words:
        db 0x32, 0x34, 0x36, 0x38, 0x3a, 0x3c, 0x3e, 0x10, 0x20, 0x31, 0x74, 0xb6, 0

section .data
align 4
master_icw4:    db ICW4_8086
align 4
eoi_first:      dd 0
eoi_second:     dd 0
eip_base:       dd 0
irq_count:      dd 0
irq_vector:     dd 0xff
irq_eip:        dd 0
irq_irr:        dd 0xff
irq_isr:        dd 0xff
irq_isr_eoi1:   dd 0xff
irq_isr_eoi2:   dd 0xff
irq_cs:         dd 0
irq_eflags:     dd 0
irq_user_esp:   dd 0
irq_user_ss:    dd 0
irq_frame_at:   dd 0
kernel_esp:     dd 0

section .bss
alignb 16
        resb 4096
user_stack_top:
