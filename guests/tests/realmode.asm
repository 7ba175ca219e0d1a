; realmode.asm — 16-bit protected mode and real mode.
;  * 16-bit protected mode: a far CALL from 32-bit code into a 16-bit code segment; 16-bit
;    default operand and address size (PUSH/CALL/RET/LOOP use 16 bits; 66/67 prefixes switch to
;    32), a #GP raised in 16-bit code and delivered through the 32-bit IDT, O32 RETF back.
;  * real mode: down through a 16-bit segment with CR0.PE cleared, arithmetic, string ops,
;    segment:offset addressing, far CALL/RET, INT through the real-mode IVT (our own vectors),
;    #DE through IVT vector 0, SMSW; then back to protected mode.
; Results are stored in a table in low memory and printed from 32-bit code.
%include "guest.inc"
global test_main

RESULTS equ 0xe000              ; offset of the result table inside the low segment
NRESULTS equ 40
REAL_SP equ 0xfff0

%define LOW(x) ((x) - blob)

section .text
test_main:
        mov [kernel_esp], esp
        ; copy the blob to LOW_BASE and clear the result table
        mov esi, blob
        mov edi, LOW_BASE
        mov ecx, blob_end - blob
        rep movsb
        mov edi, LOW_BASE + RESULTS
        mov ecx, NRESULTS
        mov eax, 0xeeeeeeee
        rep stosd
        ; the GDTR copy real-mode code reloads on the way back
        mov eax, [gdtr + 2]
        mov [LOW_BASE + LOW(rm_gdtr) + 2], eax
        mov ax, [gdtr]
        mov [LOW_BASE + LOW(rm_gdtr)], ax

        PUTSLN "16-bit protected mode"
        mov dword [expect_vector], 13
        mov dword [expect_resume], LOW(pm16_gp_resume)
        mov ebx, 0x11112222
        call SEL_CODE16:LOW(pm16_entry)
        PUTS "back: eax="
        H32 eax
        PUTS "ebx="
        H32 ebx
        PUTS "gp vec="
        H8 [fault_vector]
        PUTS "err="
        H32 [fault_error]
        PUTS "cs="
        H16 [fault_cs]
        PUTS "eip="
        H32 [fault_eip]
        NL
        call print_results

        PUTSLN "real mode"
        mov edi, LOW_BASE + RESULTS
        mov ecx, NRESULTS
        mov eax, 0xeeeeeeee
        rep stosd
        ; IVT: vector 0 → rm_de_handler, vector 0x30 → rm_int30 (segment LOW_SEG)
        mov word [0x0 * 4], LOW(rm_de_handler)
        mov word [0x0 * 4 + 2], LOW_SEG
        mov word [0x30 * 4], LOW(rm_int30)
        mov word [0x30 * 4 + 2], LOW_SEG
        jmp SEL_CODE16:LOW(rm_down)
pm_return:                              ; 32-bit, CS = SEL_CODE32, from the real-mode part
        mov ax, SEL_DATA32
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov esp, [kernel_esp]
        lidt [idtr]
        PUTSLN "back in protected mode"
        call print_results
        ret

print_results:
        xor ecx, ecx
.r:     mov eax, [LOW_BASE + RESULTS + ecx*4]
        cmp eax, 0xeeeeeeee
        je .skip
        H8 ecx
        H32 eax
        NL
.skip:  inc ecx
        cmp ecx, NRESULTS
        jb .r
        ret

; ---------------------------------------------------------------------------------------------
; Everything from here to blob_end runs at LOW_BASE, with CS base LOW_BASE (16-bit PM selector or
; real-mode segment LOW_SEG), so label offsets are LOW(label).
align 16
blob:
bits 16
%define R(n) [ds:RESULTS + (n) * 4]     ; result slot n, DS-relative (DS base = LOW_BASE)
%define RH(n) [ds:RESULTS + (n) * 4 + 2] ; its upper half

pm16_entry:                             ; CS = SEL_CODE16 (16-bit), SS = flat 32-bit
        mov ax, SEL_DATA16
        mov ds, ax
        mov ax, sp                      ; stack is 32-bit (SS.B=1): pushes use ESP
        mov eax, esp
        push ax                         ; 16-bit push: ESP -= 2
        sub eax, esp
        mov dword R(0), eax             ; 2
        pop ax
        push dword 0x12345678           ; 66 68: ESP -= 4
        pop ecx
        mov R(1), ecx
        mov ax, 0x7fff
        add ax, 1
        pushf
        pop dx
        and dx, 0x8d5
        mov R(2), ax
        mov RH(2), dx
        mov eax, esp
        call pm16_near                  ; near CALL pushes a 16-bit IP
        mov R(3), eax
        mov cx, 3
        mov ecx, 0x10003                ; LOOP uses CX (address size 16): 3 iterations
        xor dx, dx
.l:     inc dx
        loop .l
        mov R(4), dx
        mov RH(4), cx
        mov bx, RESULTS
        mov si, 5 * 4
        mov word [bx + si], 0xabcd      ; 16-bit addressing [bx+si]
        mov word [bx + si + 2], 0x1234
        mov esi, RESULTS + 6 * 4
        mov dword [esi], 0x600d600d     ; 67: 32-bit addressing in 16-bit code
        ; #GP in 16-bit code, delivered through the 32-bit interrupt gate, resumes below
        mov ax, 0x1000
        mov es, ax
        nop
pm16_gp_resume:
        mov ax, SEL_DATA32
        mov ds, ax
        mov es, ax
        mov eax, 0x16161616
        o32 retf                        ; back to 32-bit code: pops 32-bit EIP and CS

pm16_near:
        sub eax, esp                    ; 2 when the return address is 16 bits
        ret                             ; C3: pops 16 bits

; ---- real mode ----------------------------------------------------------------------------------
rm_down:                                ; 16-bit PM, CS = SEL_CODE16
        mov ax, SEL_DATA16              ; 64 KiB limits in every cache before leaving PM
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov eax, cr0
        and eax, ~1
        mov cr0, eax
        jmp LOW_SEG:LOW(rm_start)
rm_start:
        mov ax, LOW_SEG
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, REAL_SP
        lidt [LOW(rm_idtr)]
        smsw ax
        and ax, 0x1
        mov R(0), ax                    ; PE = 0
        ; arithmetic, 16 and 32 bit
        mov ax, 0xffff
        add ax, 2
        pushf
        pop bx
        and bx, 0x8d5
        mov R(1), ax
        mov RH(1), bx
        mov eax, 0x7fffffff
        inc eax
        mov R(2), eax
        mov ax, 1234
        mov bx, 10
        mul bx
        mov R(3), ax
        mov RH(3), dx
        ; segment:offset: write through ES = 0x3000 at offset 0x10 (physical 0x30010)
        mov ax, 0x3000
        mov es, ax
        mov word [es:0x10], 0x5a5a
        mov dword R(4), 0
        mov ax, 0x2ff0                  ; the same byte through another segment:offset pair
        mov es, ax
        mov ax, [es:0x110]
        mov R(4), ax
        ; string ops in real mode
        mov ax, LOW_SEG
        mov es, ax
        mov si, LOW(rm_text)
        mov di, RESULTS + 5 * 4
        mov cx, 8
        cld
        rep movsb                       ; R(5), R(6) = "REALMODE"
        mov di, LOW(rm_text)
        mov al, 'M'
        mov cx, 8
        repne scasb
        mov R(7), cx
        ; far call / far ret, through an immediate and through memory
        mov ax, sp
        call LOW_SEG:LOW(rm_far)
        mov R(8), bx
        call far [LOW(rm_far_ptr)]
        mov RH(8), bx
        ; INT 0x30 through the IVT: FLAGS, CS, IP pushed; IF and TF cleared
        mov ax, 0x0100
        sti
        int 0x30
        mov R(9), ax
        mov R(10), bx
        mov RH(10), cx
        ; #DE through IVT vector 0: IP pushed points at the DIV
        xor bx, bx
        mov ax, 1
rm_div: div bl
        mov R(12), ax
        ; 32-bit operand and address size in real mode
        mov ebx, 0x9000
        mov dword [ebx], 0x01020304     ; 67 66: [ebx] within the 64 KiB limit
        mov eax, [ebx]
        mov R(13), eax
        mov ax, sp
        mov R(14), ax

        ; back to protected mode
        cli
        o32 lgdt [LOW(rm_gdtr)]
        mov eax, cr0
        or eax, 1
        mov cr0, eax
        jmp dword SEL_CODE32:pm_return

rm_far:
        mov bx, sp
        sub bx, ax                      ; -4: far return address is CS:IP
        neg bx
        retf
rm_int30:
        mov bx, sp
        mov cx, [ss:bx + 4]             ; pushed FLAGS
        and cx, 0x0200                  ; IF was set by STI before INT
        pushf
        pop bx
        and bx, 0x0300                  ; IF and TF cleared inside
        add ax, 0x30
        iret
rm_de_handler:
        push bp
        mov bp, sp
        mov ax, [bp + 2]                ; IP of the faulting DIV
        sub ax, LOW(rm_div)
        mov R(11), ax
        add word [bp + 2], 2            ; skip the 2-byte DIV
        mov ax, 0xde
        pop bp
        iret

align 4
rm_far_ptr: dw LOW(rm_far), LOW_SEG
rm_idtr:    dw 0x3ff
            dd 0
rm_gdtr:    dw 0
            dd 0
rm_text:    db "REALMODE"
bits 32
blob_end:

section .data
align 4
kernel_esp: dd 0
