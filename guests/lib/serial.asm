; serial.asm — COM1 output routines. Each preserves every register and EFLAGS, takes its
; arguments on the stack and pops them (ret N). Callable from ring 0, and from ring 3 because the
; TSS I/O bitmap allows the COM1 ports.

%define GUEST_LIB_SERIAL
%include "guest.inc"

COM1_DATA equ 0x3f8
COM1_LSR  equ 0x3fd
LSR_THRE  equ 0x20              ; transmitter holding register empty (16550 LSR bit 5)

global print_char, print_str, print_hex8, print_hex16, print_hex32, print_nl, print_space
global print_flags, dump_regs, print_hex_digits

section .text

; print_char(ch)
print_char:
        pushfd
        push eax
        push edx
        mov dx, COM1_LSR
.wait:  in al, dx
        test al, LSR_THRE
        jz .wait
        mov eax, [esp+16]
        mov dx, COM1_DATA
        out dx, al
        pop edx
        pop eax
        popfd
        ret 4

; print_str(ptr)
print_str:
        pushfd
        push eax
        push esi
        mov esi, [esp+16]
.next:  movzx eax, byte [ss:esi]         ; SS is flat in every caller; DS may not be
        test eax, eax
        jz .done
        push eax
        call print_char
        inc esi
        jmp .next
.done:  pop esi
        pop eax
        popfd
        ret 4

print_nl:
        push dword 10
        call print_char
        ret

print_space:
        push dword ' '
        call print_char
        ret

; print_hex_digits: EAX = value, ECX = digit count (internal; clobbers nothing else but EFLAGS)
print_hex_digits:
        push eax
        push ecx
        push edx
        mov edx, eax
        lea eax, [ecx*4]
        ; rotate so the first digit to print is in the top nibble
        mov cl, 32
        sub cl, al
        shl edx, cl
        mov ecx, [esp+4]
.digit: rol edx, 4
        mov eax, edx
        and eax, 0xf
        movzx eax, byte [ss:hex_digits + eax]
        push eax
        call print_char
        dec ecx
        jnz .digit
        pop edx
        pop ecx
        pop eax
        ret

%macro HEX_ROUTINE 2            ; name, digits
%1:
        pushfd
        push eax
        push ecx
        mov eax, [esp+16]
        mov ecx, %2
        call print_hex_digits
        pop ecx
        pop eax
        popfd
        ret 4
%endmacro

HEX_ROUTINE print_hex8, 2
HEX_ROUTINE print_hex16, 4
HEX_ROUTINE print_hex32, 8

; print_flags(eflags, undefined_mask): "fl=xxxxxxxx" with the undefined bits cleared.
; Stack: [esp+4] mask, [esp+8] eflags. Pops both.
print_flags:
        pushfd
        push eax
        PUTS "fl="
        mov eax, [esp+12]
        not eax
        and eax, [esp+16]
        push eax
        call print_hex32
        pop eax
        popfd
        ret 8

; dump_regs — used by the DUMP macro: stack holds [ret][mask][pushad frame][eflags].
dump_regs:
        push ebp
        lea ebp, [esp+12]       ; → pushad frame: edi esi ebp esp ebx edx ecx eax
        PUTS "EAX="
        H32 [ebp+28]
        PUTS "EBX="
        H32 [ebp+16]
        PUTS "ECX="
        H32 [ebp+24]
        PUTS "EDX="
        H32 [ebp+20]
        PUTS "ESI="
        H32 [ebp+4]
        PUTS "EDI="
        H32 [ebp+0]
        PUTS "EBP="
        H32 [ebp+8]
        PUTS "ESP="
        mov eax, [ebp+12]
        add eax, 4              ; pushad saw ESP after the macro's pushfd
        H32 eax
        push dword [ebp+32]
        push dword [ebp-4]
        call print_flags
        NL
        pop ebp
        ret 4

section .rodata
hex_digits: db "0123456789abcdef"
