; Fixed part of every randomized differential-test guest (test/random/). The generated source
; defines GUEST_ID, GUEST_SEED, TEST_COUNT, VERBOSE and CHECK_EVERY, then %includes this file, then
; emits the test code (section .tests) and one TEST_REC_SIZE record per test (section .records,
; label test_records).
;
; Per test the driver: points the 16-bit code descriptor at the test code if needed, zeroes the 48
; bytes below the stack pointer (so "16-bit or zero-extended push of a selector" cannot differ),
; copies the record's memory preset into scratch, loads SS, EFLAGS and the eight GPRs from the
; record and far-jumps to the test code. The test code is the instruction followed by two far
; jumps back (exit A: fell through, exit B: branched). A fault or software interrupt lands in an
; IDT stub instead. Either way the outcome (GPRs, masked EFLAGS, selectors, exception frame, and
; the memory windows the instruction may touch) is hashed and printed as one line on COM1, or, in
; VERBOSE builds, printed in full.
;
; Memory: everything the tests may touch is the scratch area [0, SCRATCH_END) of low memory; the
; harness itself lives at 1 MiB and above. Every data segment a test can load into SS has base 0
; and a 4 GiB limit, so the exit paths can save state through SS: before any other segment is
; trusted.

bits 32

SCRATCH_END     equ 0x11400
COM1            equ 0x3f8
DEBUG_EXIT_PORT equ 0xf4

SEL_CODE32      equ 0x08   ; flat 32-bit code
SEL_DATA32      equ 0x10   ; flat data, 32-bit stack (B=1)
SEL_CODE16      equ 0x18   ; 16-bit code, base = current 16-bit test (patched per test)
SEL_DATA16      equ 0x20   ; flat data, 16-bit stack (B=0)
SEL_FSDATA      equ 0x28   ; DPL3 data, base 0x1230: FS of every test
SEL_TSS         equ 0x30
SEL_CODE32_TEST equ 0x58   ; 32-bit code, base = current 32-bit test (patched per test)

; Test record layout (must match test/random/generate.ts).
R_CODE_OFF      equ 0      ; offset for the far jump into the test
R_CODE_SEL      equ 4      ; SEL_CODE32_TEST or SEL_CODE16
R_CODE_BASE     equ 8      ; linear address of the test code: base of that selector
R_SS            equ 12
R_EAX           equ 16     ; EAX ECX EDX EBX ESP EBP ESI EDI
R_ESP           equ 32
R_ESI           equ 40
R_EFLAGS        equ 48
R_FLAGMASK      equ 52     ; EFLAGS bits compared (undefined flags of the instruction removed)
R_PRESET_ADDR   equ 56
R_PRESET_LEN    equ 60     ; 0..16
R_PRESET        equ 64     ; 16 bytes
R_WINDOWS       equ 80     ; 3 x (linear address, length)
TEST_REC_SIZE   equ 104

; Outcome block, hashed as a whole (all dwords).
O_TAG           equ 0      ; 1 exit A, 2 exit B, 0x100+vector for an exception/interrupt
O_EAX           equ 4      ; .. O_EDI = 32
O_EFLAGS        equ 36     ; masked
O_DS            equ 40
O_ES            equ 44
O_FS            equ 48
O_GS            equ 52
O_SS            equ 56
O_FRAME_SIZE    equ 60     ; bytes the CPU pushed on delivery (12, or 16 with an error code)
O_ERROR         equ 64
O_FRAME_EIP     equ 68
O_FRAME_CS      equ 72
O_FRAME_EFLAGS  equ 76     ; masked like O_EFLAGS
OUT_SIZE        equ 80

section .multiboot
align 4
    dd 0x1BADB002
    dd 0x00000003
    dd -(0x1BADB002 + 0x00000003)

section .text
global _start
_start:
    cli
    lgdt [gdt_desc]
    jmp SEL_CODE32:.flat
.flat:
    mov ax, SEL_DATA32
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, harness_stack_top
    cld

    ; No interrupt sources: mask both PICs so STI/POPF with IF=1 in a test stays deterministic.
    mov al, 0xff
    out 0x21, al
    out 0xa1, al

    ; A known CR0 low word (SMSW is tested): PE and ET only; CR4 clear.
    mov eax, cr0
    and eax, 0x7fff0000
    or eax, 0x00000011
    mov cr0, eax
    xor eax, eax
    mov cr4, eax

    ; TSS descriptor base (STR is tested, so TR holds a known selector), then LDTR = 0.
    mov eax, tss
    mov [gdt + SEL_TSS + 2], ax
    shr eax, 16
    mov [gdt + SEL_TSS + 4], al
    mov [gdt + SEL_TSS + 7], ah
    mov ax, SEL_TSS
    ltr ax
    xor eax, eax
    lldt ax

    ; IDT: 256 interrupt gates to 16-byte stubs.
    mov edi, idt
    mov ebx, vector_stubs
    mov ecx, 256
.idt_fill:
    mov eax, ebx
    mov [edi], ax
    mov word [edi + 2], SEL_CODE32
    mov word [edi + 4], 0x8e00
    shr eax, 16
    mov [edi + 6], ax
    add edi, 8
    add ebx, 16
    loop .idt_fill
    lidt [idt_desc]

    ; Scratch memory starts as xorshift32 noise.
    mov eax, GUEST_SEED
    or eax, 1
    xor edi, edi
.fill:
    mov edx, eax
    shl edx, 13
    xor eax, edx
    mov edx, eax
    shr edx, 17
    xor eax, edx
    mov edx, eax
    shl edx, 5
    xor eax, edx
    mov [edi], eax
    add edi, 4
    cmp edi, SCRATCH_END
    jb .fill

    mov esi, msg_header
    call puts
    mov eax, GUEST_ID
    call puthex32
    mov esi, msg_tests
    call puts
    mov eax, TEST_COUNT
    call puthex32
    mov al, 10
    call putc

    mov dword [test_index], 0
    mov dword [cur_rec], test_records

; ---------------------------------------------------------------------------------------------
next_test:
    mov eax, [test_index]
    cmp eax, TEST_COUNT
    jae all_done
    mov esi, [cur_rec]

    ; A test runs at offset 0 of a code segment based at the test, so branch targets, return
    ; addresses and far pointers are small numbers known to the generator.
    mov ebx, [esi + R_CODE_SEL]
    and ebx, 0xfff8
    mov eax, [esi + R_CODE_BASE]
    mov [gdt + ebx + 2], ax
    shr eax, 16
    mov [gdt + ebx + 4], al
    mov [gdt + ebx + 7], ah
    mov eax, [esi + R_CODE_OFF]
    mov [test_farptr], eax
    mov eax, [esi + R_CODE_SEL]
    mov [test_farptr + 4], ax

    ; Zero the 48 bytes below the stack pointer.
    call stack_linear_in
    lea edi, [eax - 48]
    mov ecx, 12
    xor eax, eax
    rep stosd

    ; Memory preset.
    mov edi, [esi + R_PRESET_ADDR]
    mov ecx, [esi + R_PRESET_LEN]
    push esi
    add esi, R_PRESET
    rep movsb
    pop esi

    mov ax, SEL_DATA32
    mov ds, ax
    mov es, ax
    mov gs, ax
    mov ax, SEL_FSDATA
    mov fs, ax

    ; Load the input state: EFLAGS through the record itself, then SS, then the GPRs (ESI last).
    lea esp, [esi + R_EFLAGS]
    popfd
    mov ss, [esi + R_SS]
    mov eax, [esi + R_EAX]
    mov ecx, [esi + R_EAX + 4]
    mov edx, [esi + R_EAX + 8]
    mov ebx, [esi + R_EAX + 12]
    mov esp, [esi + R_EAX + 16]
    mov ebp, [esi + R_EAX + 20]
    mov edi, [esi + R_EAX + 28]
    mov esi, [esi + R_EAX + 24]
    jmp far dword [test_farptr]

; Linear address of the test's input stack pointer, for the record in ESI (all stack bases are 0).
stack_linear_in:
    mov eax, [esi + R_ESP]
    cmp dword [esi + R_SS], SEL_DATA16
    jne .wide
    movzx eax, ax
.wide:
    ret

; ---------------------------------------------------------------------------------------------
; Exits. Nothing here may change a register or flag before it is saved, and only SS is trusted.
exit_fell_through:
    mov dword [ss:outcome + O_TAG], 1
    jmp save_state
exit_branched:
    mov dword [ss:outcome + O_TAG], 2
    jmp save_state

; One 16-byte stub per vector.
align 16
vector_stubs:
%assign v 0
%rep 256
    mov dword [ss:outcome + O_TAG], 0x100 + v
    jmp near save_state
    align 16
%assign v v + 1
%endrep

save_state:
    mov [ss:outcome + O_EAX], eax
    mov [ss:outcome + O_EAX + 4], ecx
    mov [ss:outcome + O_EAX + 8], edx
    mov [ss:outcome + O_EAX + 12], ebx
    mov [ss:outcome + O_EAX + 16], esp
    mov [ss:outcome + O_EAX + 20], ebp
    mov [ss:outcome + O_EAX + 24], esi
    mov [ss:outcome + O_EAX + 28], edi
    mov dword [ss:outcome + O_DS], 0
    mov dword [ss:outcome + O_ES], 0
    mov dword [ss:outcome + O_FS], 0
    mov dword [ss:outcome + O_GS], 0
    mov dword [ss:outcome + O_SS], 0
    mov [ss:outcome + O_DS], ds
    mov [ss:outcome + O_ES], es
    mov [ss:outcome + O_FS], fs
    mov [ss:outcome + O_GS], gs
    mov [ss:outcome + O_SS], ss
    mov ss, [ss:harness_ss]
    mov esp, harness_stack_top
    pushfd
    pop dword [ss:outcome + O_EFLAGS]
    mov ax, SEL_DATA32
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    cld

    mov esi, [cur_rec]
    mov eax, [esi + R_FLAGMASK]
    and [outcome + O_EFLAGS], eax
    xor eax, eax
    mov [outcome + O_FRAME_SIZE], eax
    mov [outcome + O_ERROR], eax
    mov [outcome + O_FRAME_EIP], eax
    mov [outcome + O_FRAME_CS], eax
    mov [outcome + O_FRAME_EFLAGS], eax
    cmp dword [outcome + O_TAG], 0x100
    jb .recorded

    ; Exception frame: where it is and how big (12 bytes, or 16 with an error code).
    mov ebx, [outcome + O_EAX + 16]
    mov ecx, [esi + R_ESP]
    sub ecx, ebx
    cmp dword [outcome + O_SS], SEL_DATA16
    jne .wide_frame
    movzx ebx, bx
    movzx ecx, cx
.wide_frame:
    mov [outcome + O_FRAME_SIZE], ecx
    cmp ecx, 16
    je .with_error
    cmp ecx, 12
    jne .recorded
    lea edi, [ebx - 4]
    jmp .frame
.with_error:
    mov eax, [ebx]
    mov [outcome + O_ERROR], eax
    mov edi, ebx
.frame:
    mov eax, [edi + 4]
    mov [outcome + O_FRAME_EIP], eax
    mov eax, [edi + 8]
    mov [outcome + O_FRAME_CS], eax
    mov eax, [edi + 12]
    and eax, [esi + R_FLAGMASK]
    mov [outcome + O_FRAME_EFLAGS], eax
    mov [edi + 12], eax           ; scratch keeps only the compared bits of the pushed EFLAGS
.recorded:

%if VERBOSE
    call print_verbose
%else
    call hash_outcome
    call puthex32
    mov al, 10
    call putc
%endif

    inc dword [test_index]
    add dword [cur_rec], TEST_REC_SIZE
    mov eax, [test_index]
    xor edx, edx
    mov ecx, CHECK_EVERY
    div ecx
    test edx, edx
    jnz next_test
    call print_scratch_sum
    jmp next_test

all_done:
    call print_scratch_sum
    mov esi, msg_end
    call puts
    mov al, 0
    out DEBUG_EXIT_PORT, al
    cli
.hang:
    hlt
    jmp .hang

; ---------------------------------------------------------------------------------------------
; FNV-1a over a byte range: EAX hash, ESI start, ECX length.
fnv_bytes:
    jecxz .done
.loop:
    xor al, [esi]
    imul eax, eax, 16777619
    inc esi
    dec ecx
    jnz .loop
.done:
    ret

; EAX = hash of the outcome block and the record's memory windows.
hash_outcome:
    push esi
    mov eax, 2166136261
    mov esi, outcome
    mov ecx, OUT_SIZE
    call fnv_bytes
    mov edx, [cur_rec]
    add edx, R_WINDOWS
%rep 3
    mov esi, [edx]
    mov ecx, [edx + 4]
    call fnv_bytes
    add edx, 8
%endrep
    pop esi
    ret

; "=hhhhhhhh" line: hash of the whole scratch area, catching writes outside the windows.
print_scratch_sum:
    mov eax, 2166136261
    xor esi, esi
.loop:
    xor eax, [esi]
    imul eax, eax, 16777619
    add esi, 4
    cmp esi, SCRATCH_END
    jb .loop
    push eax
    mov al, '='
    call putc
    pop eax
    call puthex32
    mov al, 10
    jmp putc

%if VERBOSE
; One line: all outcome dwords, then each window in hex.
print_verbose:
    mov esi, outcome
    mov ebx, OUT_SIZE / 4
.field:
    mov eax, [esi]
    call puthex32
    mov al, ' '
    call putc
    add esi, 4
    dec ebx
    jnz .field
    mov edx, [cur_rec]
    add edx, R_WINDOWS
    mov ebx, 3
.window:
    mov al, 'w'
    call putc
    mov esi, [edx]
    mov ecx, [edx + 4]
    jecxz .window_done
.byte:
    mov al, [esi]
    call puthex8
    inc esi
    dec ecx
    jnz .byte
.window_done:
    mov al, ' '
    call putc
    add edx, 8
    dec ebx
    jnz .window
    mov al, 10
    jmp putc
%endif

; ---------------------------------------------------------------------------------------------
; COM1 output, polling the line status register for an empty transmit holding register.
putc:
    push edx
    push eax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop eax
    mov dx, COM1
    out dx, al
    pop edx
    ret

puts:
    lodsb
    test al, al
    jz .done
    call putc
    jmp puts
.done:
    ret

puthex32:
    push ecx
    mov ecx, 8
.digit:
    rol eax, 4
    push eax
    and al, 15
    call hexdigit
    pop eax
    dec ecx
    jnz .digit
    pop ecx
    ret

puthex8:
    push eax
    shr al, 4
    call hexdigit
    pop eax
    push eax
    and al, 15
    call hexdigit
    pop eax
    ret

hexdigit:
    cmp al, 10
    sbb al, 0x69
    das
    jmp putc

; ---------------------------------------------------------------------------------------------
section .data
align 8
; Access bytes have the accessed bit set, so loading a selector never writes the GDT.
gdt:
    dq 0                                   ; 0x00 null
    dq 0x00cf9b000000ffff                  ; 0x08 code32 flat
    dq 0x00cf93000000ffff                  ; 0x10 data flat, B=1
    dq 0x00009b000000ffff                  ; 0x18 code16, base patched per test
    dq 0x008f93000000ffff                  ; 0x20 data flat, B=0 (16-bit stack)
    dq 0x00cff3001230ffff                  ; 0x28 data DPL3, base 0x1230, limit 4 GiB
    dq 0x0000890000000067                  ; 0x30 32-bit TSS, base patched
    dq 0x00cf13000000ffff                  ; 0x38 data, not present
    dq 0x00cf91000000ffff                  ; 0x40 data read-only flat
    dq 0x00cf9d000000ffff                  ; 0x48 code conforming execute-only
    dq 0x00008c0000080000                  ; 0x50 call gate to 0x08:0 (for LAR/LSL/VERR)
    dq 0x00cf9b000000ffff                  ; 0x58 code32, base patched per test
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dd gdt
align 8
idt_desc:
    dw 256 * 8 - 1
    dd idt
harness_ss:
    dw SEL_DATA32
msg_header:
    db "RANDOM guest=", 0
msg_tests:
    db " tests=", 0
msg_end:
    db "END", 10, 0

section .bss
alignb 16
idt:            resb 256 * 8
tss:            resb 104
test_farptr:    resb 8
test_index:     resd 1
cur_rec:        resd 1
outcome:        resb OUT_SIZE
alignb 16
harness_stack:  resb 4096
harness_stack_top:
