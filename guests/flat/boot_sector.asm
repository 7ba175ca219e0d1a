; boot_sector.asm — a flat binary: a 512-byte boot sector in real mode at 0000:7C00. QEMU boots it
; from a floppy through its BIOS; wasmvisor loads it with `--flat`. It relies on nothing a BIOS
; sets up: segments, stack and interrupts are its own. Prints results on COM1 and exits through
; isa-debug-exit.
bits 16
org 0x7c00
start:
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7c00
        jmp 0:.here                     ; normalise CS:IP (a BIOS may enter at 07C0:0000)
.here:
        mov si, banner
        call puts
        ; real-mode arithmetic and a string copy through ES:DI
        mov ax, 0x1234
        mov bx, 0x00ff
        mul bx                          ; DX:AX = 0x0012:0x22cc (0x1234 * 0xff)
        call hex16                      ; AX
        mov ax, dx
        call hex16
        mov si, banner
        mov di, 0x8000
        mov cx, 4
        cld
        rep movsb
        mov ax, [0x8000]
        call hex16
        ; a far call through a segment other than 0
        call 0x07c0:(farproc - 0x7c00)
        call hex16
        ; an interrupt through the real-mode vector table
        mov word [4 * 0x80], isr
        mov word [4 * 0x80 + 2], 0
        int 0x80
        call hex16
        mov al, 10
        call putc
        mov al, 0
        out 0xf4, al
.hang:  hlt
        jmp .hang

farproc:                                ; runs with CS = 07C0
        mov ax, cs
        retf

isr:
        mov ax, 0xbeef
        iret

puts:   lodsb
        test al, al
        jz .done
        call putc
        jmp puts
.done:  ret

putc:   push dx
        push ax
        mov dx, 0x3fd
.wait:  in al, dx
        test al, 0x20
        jz .wait
        pop ax
        mov dx, 0x3f8
        out dx, al
        pop dx
        ret

hex16:  push ax
        push cx
        mov cx, 4
.digit: rol ax, 4
        push ax
        and al, 15
        add al, '0'
        cmp al, '9'
        jbe .out
        add al, 'a' - '9' - 1
.out:   call putc
        pop ax
        loop .digit
        mov al, ' '
        call putc
        pop cx
        pop ax
        ret

banner: db "boot sector in real mode", 10, 0
        times 510 - ($ - $$) db 0
        dw 0xaa55
