; boot_protocol_probe.asm — a minimal bzImage for testing the Linux 32-bit boot protocol loader
; (Documentation/arch/x86/boot.rst): a setup header, one setup sector, and a protected-mode body
; that checks the entry state the protocol promises and reports boot_params on COM1, then exits
; through isa-debug-exit. Built with `nasm -f bin`.
%macro NL_ 0
        mov al, 10
        call putc
%endmacro

bits 16
org 0
setup:
        times 0x1f1 - ($ - $$) db 0
hdr:    db 1                            ; 0x1f1 setup_sects
        dw 0                            ; root_flags
        dd 0                            ; syssize
        dw 0                            ; ram_size
        dw 0xffff                       ; vid_mode
        dw 0                            ; root_dev
        dw 0xaa55                       ; boot_flag
        db 0xeb, header_end - 0x202     ; 0x200 jump; its length byte ends the header
        db "HdrS"                       ; 0x202
        dw 0x020f                       ; 0x206 protocol 2.15
        dd 0                            ; realmode_swtch
        dw 0                            ; start_sys_seg
        dw 0                            ; kernel_version
        db 0                            ; 0x210 type_of_loader
        db 1                            ; 0x211 loadflags: LOADED_HIGH
        dw 0                            ; setup_move_size
        dd 0x100000                     ; 0x214 code32_start
        dd 0                            ; 0x218 ramdisk_image
        dd 0                            ; 0x21c ramdisk_size
        dd 0                            ; bootsect_kludge
        dw 0                            ; 0x224 heap_end_ptr
        db 0, 0                         ; ext_loader_ver, ext_loader_type
        dd 0                            ; 0x228 cmd_line_ptr
        dd 0x37ffffff                   ; 0x22c initrd_addr_max
        dd 0x1000                       ; kernel_alignment
        db 0, 0                         ; relocatable_kernel, min_alignment
        dw 0                            ; xloadflags
        dd 255                          ; 0x238 cmdline_size
        dd 0                            ; 0x23c hardware_subarch
header_end:
        times 1024 - ($ - $$) db 0      ; 1 + setup_sects sectors

bits 32
section body vstart=0x100000
body:
        ; CS and DS/ES/SS are __BOOT_CS / __BOOT_DS; EBP, EDI, EBX are zero; IF is clear
        mov eax, ebp                    ; report EBP|EDI|EBX (must be 0) before using them
        or eax, edi
        or eax, ebx
        mov esp, 0x90000                ; the protocol gives no stack
        push eax
        mov ebp, esi                    ; boot_params
        mov esi, msg_entry
        call puts
        mov ax, cs
        call hex16
        mov ax, ds
        call hex16
        mov ax, ss
        call hex16
        pushfd
        pop eax
        and eax, 0x200
        call hex16
        pop eax                         ; EBP|EDI|EBX at entry
        call hex32
        NL_
        ; the GDT behind those selectors must hold them: reload DS from it
        mov ax, 0x18
        mov ds, ax
        mov esi, msg_params
        call puts
        mov eax, [ebp + 0x228]          ; cmd_line_ptr: print the command line
        mov esi, eax
        call puts
        NL_
        mov al, [ebp + 0x210]           ; type_of_loader
        call hex8
        movzx eax, byte [ebp + 0x1e8]   ; e820 entries
        call hex8
        mov eax, [ebp + 0x21c]          ; ramdisk_size
        call hex32
        mov esi, [ebp + 0x218]          ; ramdisk_image: print its first bytes (text)
        test esi, 0xfff                 ; page aligned
        setz al
        call hex8
        NL_
        mov ecx, [ebp + 0x21c]
        call putn
        NL_
        mov al, 0
        out 0xf4, al
        hlt

puts:   lodsb
        test al, al
        jz .done
        call putc
        jmp puts
.done:  ret
putn:   jecxz .done                     ; print ECX bytes from ESI
.next:  lodsb
        call putc
        loop .next
.done:  ret
putc:   push edx
        mov dx, 0x3f8
        out dx, al
        pop edx
        ret
hex32:  push eax
        shr eax, 16
        call hex16_
        pop eax
hex16:  call hex16_
        mov al, ' '
        jmp putc
hex16_: push eax
        mov al, ah
        call hex8_
        pop eax
        jmp hex8_
hex8:   call hex8_
        mov al, ' '
        jmp putc
hex8_:  push eax
        shr al, 4
        call nibble
        pop eax
nibble: and al, 15
        add al, '0'
        cmp al, '9'
        jbe putc
        add al, 7
        jmp putc
msg_entry:  db "entry cs ds ss if: ", 0
msg_params: db "cmdline: ", 0
