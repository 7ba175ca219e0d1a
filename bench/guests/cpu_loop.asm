; CPU-bound benchmark guest: a mix of register ALU work, loads and stores to a small array, a
; stack push/pop and conditional branches, 23 instructions an iteration. The iteration count is
; the decimal number after the first word (the kernel's name) of the multiboot command line
; (default 2000000). Prints a checksum on COM1
; (so every emulator can be checked to compute the same thing) and exits via isa-debug-exit.
bits 32
section .multiboot
align 4
        dd 0x1BADB002, 0, -0x1BADB002
section .text
global _start
_start:
        mov esp, stack_top
        ; iterations from the command line (multiboot info flags bit 2, cmdline at +16)
        mov ecx, 2000000
        test dword [ebx], 1 << 2
        jz .start
        mov esi, [ebx + 16]
.skip:  lodsb                           ; skip the kernel's name
        test al, al
        jz .start
        cmp al, ' '
        jne .skip
        xor ecx, ecx
.digit: movzx eax, byte [esi]
        sub eax, '0'
        cmp eax, 9
        ja .parsed
        imul ecx, ecx, 10
        add ecx, eax
        inc esi
        jmp .digit
.parsed:
        test ecx, ecx
        jnz .start
        mov ecx, 2000000
.start:
        xor eax, eax
        mov ebx, 0x12345678
        xor esi, esi
.loop:
        mov edx, ebx
        shl edx, 5
        add edx, eax
        xor ebx, edx
        mov edi, esi
        and edi, 255
        mov edx, [array + edi*4]
        add edx, ebx
        mov [array + edi*4], edx
        add eax, edx
        rol eax, 3
        inc esi
        test eax, 1
        jz .even
        sub ebx, eax
        jmp .next
.even:
        add ebx, 7
        nop
.next:
        lea edx, [eax + ebx*2]
        cmp edx, ecx
        adc eax, 0
        push eax
        pop edx
        dec ecx
        jnz .loop
        ; print EAX in hex
        mov ecx, 8
.hex:   rol eax, 4
        mov edx, eax
        and edx, 15
        mov dl, [digits + edx]
        push eax
        mov al, dl
        mov dx, 0x3f8
        out dx, al
        pop eax
        dec ecx
        jnz .hex
        mov al, 10
        mov dx, 0x3f8
        out dx, al
        mov al, 0
        out 0xf4, al
        hlt
section .data
digits: db "0123456789abcdef"
section .bss
alignb 4
array:  resd 256
        resb 4096
stack_top:
