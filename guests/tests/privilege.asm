; privilege.asm — ring transitions: IRET to ring 3 (data segment registers with DPL < CPL are
; nulled), privileged and IOPL-sensitive instructions faulting in ring 3, the TSS I/O bitmap,
; sensitive-but-unprivileged instructions (SGDT SIDT SLDT STR SMSW, PUSHF/POPF silently ignoring
; IOPL/IF), INT from ring 3 through a DPL-3 interrupt gate with the TSS stack switch, INT through
; a DPL-0 gate (#GP), far CALL through a call gate copying parameters and RETF imm16 to the outer
; ring, #TS from a bad TSS.SS1, and SYSENTER/SYSEXIT.
%include "guest.inc"
global test_main

SEL_CALLGATE  equ SEL_SPARE + 0x00  ; call gate DPL 3 → ring-0 gate_target, 2 dword parameters
SEL_R1_CODE   equ SEL_SPARE + 0x08  ; ring-1 code (for the #TS case)
SEL_CALLGATE0 equ SEL_SPARE + 0x10  ; call gate DPL 0: a ring-3 caller gets #GP

MSR_SYSENTER_CS  equ 0x174
MSR_SYSENTER_ESP equ 0x175
MSR_SYSENTER_EIP equ 0x176


section .text
test_main:
        mov [kernel_esp], esp
        ; call gate: offset gate_target, selector SEL_CODE32, DPL 3, type 0xC, 2 parameters
        mov eax, gate_target
        mov word [gdt + SEL_CALLGATE], ax
        shr eax, 16
        mov word [gdt + SEL_CALLGATE + 6], ax
        mov word [gdt + SEL_CALLGATE + 2], SEL_CODE32
        mov byte [gdt + SEL_CALLGATE + 4], 2
        mov byte [gdt + SEL_CALLGATE + 5], 0xEC
        mov eax, [gdt + SEL_CALLGATE]
        mov [gdt + SEL_CALLGATE0], eax
        mov eax, [gdt + SEL_CALLGATE + 4]
        mov [gdt + SEL_CALLGATE0 + 4], eax
        mov byte [gdt + SEL_CALLGATE0 + 5], 0x8C
        SET_DESC SEL_R1_CODE, 0, 0xfffff, 0xBA | (FLG_32 << 8)  ; DPL 1 code
        SET_GATE 0x80, syscall_handler, SEL_CODE32, GATE_INT32_U
        SET_GATE 0x81, back_to_ring0, SEL_CODE32, GATE_INT32_U
        SET_GATE 0x82, syscall_handler, SEL_CODE32, GATE_INT32  ; DPL 0
        SET_GATE 0x83, ring1_handler, SEL_R1_CODE, 0xEE         ; DPL 3 gate into ring 1
        ; SYSENTER MSRs
        mov ecx, MSR_SYSENTER_CS
        xor edx, edx
        mov eax, SEL_CODE32
        wrmsr
        mov ecx, MSR_SYSENTER_ESP
        mov eax, sysenter_stack_top
        wrmsr
        mov ecx, MSR_SYSENTER_EIP
        mov eax, sysenter_entry
        wrmsr
        mov ecx, MSR_SYSENTER_CS
        rdmsr
        PUTS "sysenter_cs="
        H32 eax
        NL

        PUTSLN "iret to ring 3 (IOPL 0)"
        mov ax, SEL_DATA32
        mov fs, ax
        mov gs, ax
        push dword SEL_UDATA32          ; SS
        push dword user_stack_top       ; ESP
        push dword 0x002                ; EFLAGS: IOPL 0
        push dword SEL_UCODE32          ; CS
        push dword ring3_main           ; EIP
        iretd

back_to_ring0:                          ; INT 0x81 from ring 3 ends the ring-3 part
        mov ax, SEL_DATA32
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov esp, [kernel_esp]
        PUTSLN "back in ring 0"
        cmp dword [pass], 0
        jne .second_done
        inc dword [pass]
        PUTSLN "iret to ring 3 (IOPL 3)"
        push dword SEL_UDATA32
        push dword user_stack_top
        push dword 0x3002               ; IOPL 3
        push dword SEL_UCODE32
        push dword ring3_iopl3
        iretd
.second_done:
        call reload_idt_default
        ret

; ---- ring 3 ------------------------------------------------------------------------------------
ring3_main:
        ; segment registers after IRET to an outer ring: DS ES FS GS held DPL-0 selectors → null
        mov [ss:seg_dump], ds
        mov [ss:seg_dump + 2], es
        mov [ss:seg_dump + 4], fs
        mov [ss:seg_dump + 6], gs
        mov ax, SEL_UDATA32
        mov ds, ax
        mov es, ax
        PUTS "ring3 cs="
        mov ax, cs
        H16 eax
        PUTS "ss="
        mov ax, ss
        H16 eax
        PUTS "ds,es,fs,gs="
        movzx eax, word [seg_dump]
        H16 eax
        movzx eax, word [seg_dump + 2]
        H16 eax
        movzx eax, word [seg_dump + 4]
        H16 eax
        movzx eax, word [seg_dump + 6]
        H16 eax
        mov eax, esp
        sub eax, user_stack_top
        PUTS "esp=top+"
        H32 eax
        NL

        PUTSLN "privileged in ring 3"
        TRY 13, cli
        TRY 13, sti
        TRY 13, hlt
        TRY 13, mov eax, cr0
        TRY 13, mov cr3, eax
        TRY 13, lgdt [gdtr]
        TRY 13, lidt [idtr]
        TRY 13, invlpg [0]
        TRY 13, wrmsr
        TRY 13, rdmsr
        TRY 13, clts
        TRY 13, lmsw ax
        TRY 13, in al, 0x80            ; denied by the I/O bitmap
        mov dx, 0x3f7
        TRY 13, out dx, al             ; 0x3f7 denied; 0x3f8..0x3ff allowed
        mov dx, 0x3ff
        TRY 13, in ax, dx              ; word at 0x3ff also covers 0x400, which is denied
        mov dx, 0x3fc
        in al, dx                       ; allowed: MCR
        PUTS "mcr="
        H8 eax
        NL
        mov ax, SEL_DATA32
        TRY 13, mov ds, ax             ; DPL 0 data from CPL 3
        mov ax, SEL_CODE32
        TRY 13, mov ss, ax
        TRY 13, int 0x82               ; DPL 0 gate: #GP(vector*8+2)
        TRY 13, call SEL_CALLGATE0:0   ; DPL 0 call gate
        TRY 13, jmp SEL_CODE32:0       ; JMP to a more privileged nonconforming segment

        PUTSLN "sensitive, unprivileged"
        sgdt [desc_buf]
        movzx eax, word [desc_buf]
        PUTS "sgdt limit="
        H16 eax
        mov eax, [desc_buf + 2]
        sub eax, gdt
        PUTS "base=gdt+"
        H32 eax
        sidt [desc_buf]
        movzx eax, word [desc_buf]
        PUTS "sidt limit="
        H16 eax
        mov eax, [desc_buf + 2]
        sub eax, idt
        PUTS "base=idt+"
        H32 eax
        NL
        str ax
        PUTS "str="
        H16 eax
        sldt ax
        PUTS "sldt="
        H16 eax
        smsw eax
        PUTS "smsw="
        H16 eax
        ; POPF in ring 3 with IOPL 0 leaves IF and IOPL alone without faulting
        pushfd
        pop ebx
        push dword 0x3202 | 0x8d5
        popfd
        pushfd
        pop eax
        PUTS "popf="
        H32 eax
        push ebx
        popfd
        NL

        PUTSLN "int 0x80 from ring 3"
        mov eax, 0x1234
        SETFLAGS 0x8d7
        int 0x80
        DUMP UF_NONE
        PUTS "after int: ds="
        mov ax, ds
        H16 eax
        NL
        mov ax, SEL_UDATA32             ; the null DS would #GP on use
        mov ds, ax

        PUTSLN "call gate"
        mov ebx, esp
        push dword 0x11111111
        push dword 0x22222222
        call SEL_CALLGATE:0xdeadbeef    ; the offset is ignored for call gates
        sub ebx, esp
        PUTS "ring3 esp change="
        H32 ebx
        PUTS "eax="
        H32 eax
        mov ax, cs
        PUTS "cs="
        H16 eax
        mov ax, ds                      ; RETF to an outer ring nulls DS (it held SEL_DATA32)
        PUTS "ds="
        H16 eax
        NL
        mov ax, SEL_UDATA32
        mov ds, ax

        PUTSLN "#TS: gate into ring 1 with TSS.SS1 null, then with RPL != 1"
        TRY 10, int 0x83
        mov eax, 0                      ; (kernel data segment is writable from ring 3 here:
        mov dword [tss + 16], SEL_DATA32 ;  paging is off and DS is flat)
        TRY 10, int 0x83

        PUTSLN "sysenter"
        mov ecx, 0x5555
        mov ebp, esp
        sysenter
sysexit_return:
        mov ebx, eax
        PUTS "back in ring 3: cs="
        mov ax, cs
        H16 eax
        PUTS "ss="
        mov ax, ss
        H16 eax
        PUTS "eax="
        H32 ebx
        mov eax, esp
        sub eax, ebp
        PUTS "esp-delta="
        H32 eax
        NL
        int 0x81

ring3_iopl3:
        mov ax, SEL_UDATA32
        mov ds, ax
        mov es, ax
        ; IOPL 3: CLI/STI and every port allowed without consulting the bitmap
        cli
        in al, 0x80
        pushfd
        pop eax
        PUTS "iopl3 eflags="
        H32 eax
        ; POPF at CPL 3 with IOPL 3 can change IF but not IOPL
        push dword 0x0202
        popfd
        pushfd
        pop eax
        PUTS "popf="
        H32 eax
        cli
        NL
        int 0x81

; ---- ring 0 entry points -----------------------------------------------------------------------
syscall_handler:                        ; interrupt gate from ring 3: frame has SS:ESP
        push ebp
        mov ebp, esp
        push eax
        mov ax, SEL_DATA32
        mov ds, ax
        PUTS "handler cs="
        mov ax, cs
        H16 eax
        PUTS "ss="
        mov ax, ss
        H16 eax
        mov eax, ebp
        sub eax, ring0_stack_top
        PUTS "esp=esp0+"
        H32 eax
        PUTS "frame: eip="
        mov eax, [ebp + 4]
        sub eax, test_main
        H32 eax
        PUTS "cs="
        H16 [ebp + 8]
        PUTS "efl="
        H32 [ebp + 12]
        mov eax, [ebp + 16]
        sub eax, user_stack_top
        PUTS "esp=top+"
        H32 eax
        PUTS "ss="
        H16 [ebp + 20]
        NL
        pop eax
        add eax, 1
        mov dx, SEL_DATA32              ; IRET back to ring 3 will null DS (DPL 0 < CPL 3)
        mov ds, dx
        pop ebp
        iretd

gate_target:                            ; ring 0 through the call gate
        push ebp
        mov ebp, esp
        mov ax, SEL_DATA32
        mov ds, ax
        PUTS "gate: cs="
        mov ax, cs
        H16 eax
        PUTS "frame: eip="
        mov eax, [ebp + 4]
        sub eax, test_main
        H32 eax
        PUTS "cs="
        H16 [ebp + 8]
        PUTS "params="
        H32 [ebp + 12]
        H32 [ebp + 16]
        mov eax, [ebp + 20]
        sub eax, user_stack_top
        PUTS "esp=top+"
        H32 eax
        PUTS "ss="
        H16 [ebp + 24]
        mov eax, ebp
        sub eax, ring0_stack_top
        PUTS "r0esp=esp0+"
        H32 eax
        NL
        mov eax, [ebp + 12]
        add eax, [ebp + 16]
        pop ebp
        retf 8                          ; to ring 3: pops params on both stacks

ring1_handler:
        PUTSLN "ring 1 reached (wrong)"
        int 0x81

sysenter_entry:                         ; CPL 0, CS = SYSENTER_CS, SS = CS + 8, ESP from MSR
        mov ax, SEL_DATA32
        mov ds, ax
        PUTS "sysenter: cs="
        mov ax, cs
        H16 eax
        PUTS "ss="
        mov ax, ss
        H16 eax
        mov eax, esp
        sub eax, sysenter_stack_top
        PUTS "esp=msr+"
        H32 eax
        pushfd
        pop eax
        PUTS "efl="
        H32 eax                         ; SYSENTER clears IF, VM (and RF)
        NL
        mov ax, SEL_UDATA32
        mov ds, ax
        mov es, ax
        mov edx, sysexit_return         ; SYSEXIT: EIP = EDX, ESP = ECX
        mov ecx, ebp
        mov eax, 0x5e5e
        sysexit

section .data
align 4
kernel_esp: dd 0
pass:       dd 0
seg_dump:   dw 0, 0, 0, 0
desc_buf:   times 8 db 0

section .bss
alignb 16
        resb 8192
user_stack_top:
        resb 4096
sysenter_stack_top:
