; boot.asm — multiboot v1 header and entry, GDT, TSS, IDT with reporting exception handlers, exit.
;
; Machine state at entry (multiboot spec 0.6.96 §3.2): 32-bit protected mode, flat CS/DS/ES/SS
; (selectors unknown), paging off, IF=0, EAX=0x2BADB002, EBX=physical address of the info block.
; We trust none of the loader's tables: load our own GDT, IDT, TSS and stack, then call test_main.

%define GUEST_LIB_BOOT
%include "guest.inc"

MB_MAGIC        equ 0x1BADB002
MB_FLAGS        equ 0x00000000      ; ELF kernel: no a.out address fields needed, no info requested
MB_LOADER_MAGIC equ 0x2BADB002

extern test_main

global _start, exit_guest, set_idt_gate, set_gdt_desc, reload_idt_default
global gdt, idt, tss, gdtr, idtr
global kernel_stack_top, ring0_stack_top
global expect_vector, expect_resume
global fault_vector, fault_error, fault_eip, fault_cr2, fault_count, fault_cs, fault_esp
global fault_frame_eip_ptr
global multiboot_info

section .multiboot
align 4
        dd MB_MAGIC
        dd MB_FLAGS
        dd -(MB_MAGIC + MB_FLAGS)

section .text
_start:
        cld
        mov esp, kernel_stack_top
        mov [multiboot_info], ebx
        push eax
        lgdt [gdtr]
        jmp SEL_CODE32:.reload_cs
.reload_cs:
        mov cx, SEL_DATA32
        mov ds, cx
        mov es, cx
        mov fs, cx
        mov gs, cx
        mov ss, cx
        pop eax

        call serial_init
        ; mask every 8259 line: the firmware may have left the PIT ticking on IRQ 0 (mapped to
        ; vector 8 by a BIOS), and a guest that briefly sets IF must not see timing-dependent IRQs
        push eax
        mov al, 0xff
        out 0xa1, al
        out 0x21, al
        pop eax
        cmp eax, MB_LOADER_MAGIC
        je .magic_ok
        PUTS "bad multiboot magic "
        H32 eax
        NL
        EXIT EXIT_BAD_BOOT
.magic_ok:
        call build_tss
        call reload_idt_default
        lidt [idtr]
        mov ax, SEL_TSS
        ltr ax
        xor eax, eax                    ; a null LDTR (the loader may leave the reset-time cache)
        lldt ax
        ; a clean, known EFLAGS: IF=0, DF=0, IOPL=0, status flags clear
        push dword 0x2
        popfd
        xor eax, eax
        xor ebx, ebx
        xor ecx, ecx
        xor edx, edx
        xor esi, esi
        xor edi, edi
        xor ebp, ebp
        call test_main
        mov esp, kernel_stack_top
        PUTSLN "done"
        EXIT EXIT_OK

; serial_init: 115200 8N1, FIFOs on, interrupts off (16550 register map, PC16550D datasheet).
serial_init:
        push eax
        push edx
        mov dx, 0x3f9           ; IER
        xor al, al
        out dx, al
        mov dx, 0x3fb           ; LCR: DLAB
        mov al, 0x80
        out dx, al
        mov dx, 0x3f8           ; DLL = 1
        mov al, 1
        out dx, al
        mov dx, 0x3f9           ; DLM = 0
        xor al, al
        out dx, al
        mov dx, 0x3fb           ; LCR: 8 data bits, no parity, 1 stop
        mov al, 0x03
        out dx, al
        mov dx, 0x3fa           ; FCR: enable and clear FIFOs
        mov al, 0x07
        out dx, al
        mov dx, 0x3fc           ; MCR: DTR RTS
        mov al, 0x03
        out dx, al
        pop edx
        pop eax
        ret

; exit_guest(value): write value to isa-debug-exit (port 0xf4). Never returns.
exit_guest:
        mov eax, [esp+4]
        out 0xf4, al
.hang:  cli
        hlt
        jmp .hang

; build_tss: the TSS's ring-0 stack and I/O map. The I/O permission bitmap allows COM1
; (0x3f8-0x3ff) and isa-debug-exit (0xf4-0xf7) so that ring-3 code run with IOPL<3 can still
; print and exit; every other port is denied.
build_tss:
        pushad
        mov dword [tss + 4], ring0_stack_top    ; ESP0
        mov dword [tss + 8], SEL_DATA32         ; SS0
        mov word [tss + 102], tss_iomap - tss   ; I/O map base
        mov edi, tss_iomap
        mov ecx, 8192/4
        mov eax, 0xffffffff
        rep stosd
        mov byte [tss_iomap + 8192], 0xff       ; the byte past the map must have all bits set
        mov byte [tss_iomap + 0x3f8/8], 0x00    ; 0x3f8-0x3ff allowed
        and byte [tss_iomap + 0xf4/8], 0x0f     ; 0xf4-0xf7 allowed (bits 4-7 of byte 0x1e)
        ; TSS descriptor: base tss, limit covers the map plus the trailing byte
        SET_DESC SEL_TSS, tss, tss_end - tss - 1, 0x89 | (0x0 << 8)
        popad
        ret

; set_gdt_desc(selector, base, limit20, access | flags<<8): write one descriptor
; (SDM vol. 3 §3.4.5). `flags` is the high nibble of byte 6 (G, D/B, L, AVL).
set_gdt_desc:
        push eax
        push ebx
        push ecx
        push edx
        mov ebx, [esp+16+16]    ; selector
        and ebx, 0xfff8
        add ebx, gdt
        mov ecx, [esp+16+8]     ; limit
        mov word [ebx], cx
        shr ecx, 16
        and cl, 0x0f
        mov edx, [esp+16+4]     ; access | flags << 8
        shl dh, 4
        or cl, dh
        mov byte [ebx+6], cl
        mov byte [ebx+5], dl
        mov eax, [esp+16+12]    ; base
        mov word [ebx+2], ax
        shr eax, 16
        mov byte [ebx+4], al
        mov byte [ebx+7], ah
        pop edx
        pop ecx
        pop ebx
        pop eax
        ret 16

; set_idt_gate(vector, selector, offset, type): one 8-byte gate (SDM vol. 3 §6.11).
set_idt_gate:
        push eax
        push ebx
        mov ebx, [esp+8+16]     ; vector
        and ebx, 0xff
        lea ebx, [idt + ebx*8]
        mov eax, [esp+8+8]      ; offset
        mov word [ebx], ax
        shr eax, 16
        mov word [ebx+6], ax
        mov eax, [esp+8+12]     ; selector
        mov word [ebx+2], ax
        mov byte [ebx+4], 0
        mov eax, [esp+8+4]      ; type byte
        mov byte [ebx+5], al
        pop ebx
        pop eax
        ret 16

; reload_idt_default: every vector → its reporting stub, 32-bit interrupt gate, DPL 0.
reload_idt_default:
        pushad
        xor ecx, ecx
.next:  mov eax, [isr_stub_table + ecx*4]
        SET_GATE ecx, eax, SEL_CODE32, GATE_INT32
        inc ecx
        cmp ecx, 256
        jb .next
        popad
        ret

; ---- exception entry ------------------------------------------------------------------------
; Vectors that push an error code (SDM vol. 3 §6.13, table 6-1): 8, 10-14, 17.
%macro ISR_STUB 1
isr_stub_%1:
%if %1 = 8 || (%1 >= 10 && %1 <= 14) || %1 = 17
        push dword %1
%else
        push dword 0
        push dword %1
%endif
        jmp isr_common
%endmacro

%assign v 0
%rep 256
        ISR_STUB v
%assign v v+1
%endrep

section .rodata
align 4
isr_stub_table:
%assign v 0
%rep 256
        dd isr_stub_ %+ v
%assign v v+1
%endrep

section .text
; Frame after isr_common's pushes (offsets from ESP):
;   0 gs  4 fs  8 es  12 ds  16 edi 20 esi 24 ebp 28 esp' 32 ebx 36 edx 40 ecx 44 eax
;   48 vector  52 error  56 eip  60 cs  64 eflags  [68 esp  72 ss  if from an outer ring]
F_VEC   equ 48
F_ERR   equ 52
F_EIP   equ 56
F_CS    equ 60
F_EFL   equ 64
F_ESP   equ 68
isr_common:
        pushad
        push ds
        push es
        push fs
        push gs
        mov ax, SEL_DATA32
        mov ds, ax
        mov es, ax
        cld
        mov eax, [esp + F_VEC]
        cmp eax, [expect_vector]
        jne .unexpected
        ; expected: record and resume at the armed label
        mov [fault_vector], eax
        mov eax, [esp + F_ERR]
        mov [fault_error], eax
        mov eax, [esp + F_EIP]
        mov [fault_eip], eax
        mov eax, [esp + F_CS]
        mov [fault_cs], eax
        lea eax, [esp + F_ESP]          ; ESP of the interrupted code when no ring change
        test dword [esp + F_CS], 3
        jz .same_ring
        mov eax, [esp + F_ESP]
        jmp .esp_done
.same_ring:
        ; ESP before the exception = just above EFLAGS
.esp_done:
        mov [fault_esp], eax
        mov eax, cr2
        mov [fault_cr2], eax
        inc dword [fault_count]
        lea eax, [esp + F_EIP]
        mov [fault_frame_eip_ptr], eax
        mov eax, [expect_resume]
        mov [esp + F_EIP], eax
        mov dword [expect_vector], 0xffffffff
        pop gs
        pop fs
        pop es
        pop ds
        popad
        add esp, 8
        iretd

.unexpected:
        ; (guests keep SS flat in every protected-mode test, so ESP addresses the frame)
        NL
        PUTS "UNEXPECTED EXCEPTION vec="
        H8 [esp + F_VEC]
        PUTS "err="
        H32 [esp + F_ERR]
        PUTS "eip="
        H32 [esp + F_EIP]
        PUTS "cs="
        H16 [esp + F_CS]
        PUTS "cr2="
        mov eax, cr2
        H32 eax
        NL
        EXIT EXIT_EXCEPTION

section .data
align 8
gdt:
        dq 0                                    ; 0x00 null
        dq 0x00CF9A000000FFFF                   ; 0x08 code32 ring 0
        dq 0x00CF92000000FFFF                   ; 0x10 data32 ring 0
        dq 0x00CFFA000000FFFF                   ; 0x18 code32 ring 3
        dq 0x00CFF2000000FFFF                   ; 0x20 data32 ring 3
        dq 0x00009A020000FFFF                   ; 0x28 code16 ring 0, base LOW_BASE
        dq 0x000092020000FFFF                   ; 0x30 data16 ring 0, base LOW_BASE
        dq 0                                    ; 0x38 TSS (filled by build_tss)
        times GDT_SPARE_COUNT dq 0              ; 0x40.. spare for tests
gdt_end:

align 4
        dw 0
gdtr:   dw gdt_end - gdt - 1
        dd gdt
        dw 0
idtr:   dw 256*8 - 1
        dd idt

expect_vector:  dd 0xffffffff
expect_resume:  dd 0
fault_vector:   dd 0xff
fault_error:    dd 0xffffffff
fault_eip:      dd 0
fault_cs:       dd 0
fault_esp:      dd 0
fault_cr2:      dd 0
fault_count:    dd 0
fault_frame_eip_ptr: dd 0
multiboot_info: dd 0

section .bss
alignb 4096
idt:    resb 256*8
alignb 16
tss:    resb 104
tss_iomap:
        resb 8192 + 1
tss_end:
alignb 16
        resb 16384
ring0_stack_top:
        resb 65536
kernel_stack_top:
