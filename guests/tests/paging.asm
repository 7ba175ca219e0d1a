; paging.asm — two-level 4 KiB paging and 4 MiB PSE pages: translation, accessed/dirty bits set
; by the CPU (PTE and PDE), #PF error codes and CR2 (not present, write to read-only with CR0.WP
; off and on, user access to supervisor pages, user writes to read-only pages, instruction
; fetch), INVLPG, CR3 reload, global pages flushed by toggling CR4.PGE.
;
; Not printed because it is not architecturally determined (and QEMU's TLB does not model it):
; whether a stale TLB entry is still used after a PTE change without INVLPG/CR3 reload, and
; whether a global entry survives a CR3 reload. Only values read after a required flush are shown.
%include "guest.inc"
global test_main

PTE_P   equ 0x001
PTE_W   equ 0x002
PTE_U   equ 0x004
PTE_A   equ 0x020
PTE_D   equ 0x040
PDE_PS  equ 0x080
PTE_G   equ 0x100
CR0_PG  equ 0x80000000
CR0_WP  equ 0x00010000
CR4_PSE equ 0x10
CR4_PGE equ 0x80

TEST_VA   equ 0x40000000            ; PDE 256 → pt_test
FRAMES    equ 0x600000              ; physical frames the test pages map (identity-visible)
BIG_VA    equ 0x80000000            ; PDE 512: a 4 MiB page → physical 4 MiB

; page N of TEST_VA: 0 RW user, 1 RW user, 2 RW supervisor, 3 RO user, 4 RO supervisor,
;                    5 not present, 6 RW user global, 7 not present (fetch test)
%macro PTE_OF 1                 ; address of the PTE for TEST_VA page %1
        (pt_test + (%1) * 4)
%endmacro

%macro PTRY 2+                  ; vector 14 expected: print err, cr2 and eip offset
        EXPECT 14, %%resume
%%insn: %2
        PUTS "no fault (wrong) "
%%resume:
        push eax
        PUTS "vec="
        H8 [fault_vector]
        PUTS "err="
        H32 [fault_error]
        PUTS "cr2="
        H32 [fault_cr2]
        mov eax, [fault_eip]
        sub eax, %%insn
        PUTS "eip=insn+"
        H32 eax
        NL
        mov dword [fault_vector], 0xff
        mov dword [fault_error], 0xffffffff
        pop eax
%endmacro

%macro SHOW_PTE 1               ; print the low 12 bits of PTE for TEST_VA page %1
        push eax
        mov eax, [pt_test + (%1) * 4]
        and eax, 0xfff
        PUTS "pte"
        PUTS %str(%1)
        PUTS "="
        H16 eax
        pop eax
%endmacro

section .text
test_main:
        mov [kernel_esp], esp
        ; frames: fill the first dword of each of 8 frames with a marker
        xor ecx, ecx
.mark:  mov eax, ecx
        shl eax, 12
        mov edx, ecx
        or edx, 0xf0f0f000
        mov [FRAMES + eax], edx
        inc ecx
        cmp ecx, 16
        jb .mark
        ; identity map 0..8 MiB, user RW (so ring 3 can run the guest's code and stack)
        xor ecx, ecx
.id:    mov eax, ecx
        shl eax, 12
        or eax, PTE_P | PTE_W | PTE_U
        mov [pt_id + ecx*4], eax
        inc ecx
        cmp ecx, 2048
        jb .id
        mov dword [pd + 0*4], pt_id + (PTE_P | PTE_W | PTE_U)
        mov dword [pd + 1*4], pt_id + 4096 + (PTE_P | PTE_W | PTE_U)
        mov dword [pd + 256*4], pt_test + (PTE_P | PTE_W | PTE_U)
        mov dword [pt_test + 0*4], FRAMES + 0x0000 + (PTE_P | PTE_W | PTE_U)
        mov dword [pt_test + 1*4], FRAMES + 0x1000 + (PTE_P | PTE_W | PTE_U)
        mov dword [pt_test + 2*4], FRAMES + 0x2000 + (PTE_P | PTE_W)
        mov dword [pt_test + 3*4], FRAMES + 0x3000 + (PTE_P | PTE_U)
        mov dword [pt_test + 4*4], FRAMES + 0x4000 + (PTE_P)
        mov dword [pt_test + 5*4], FRAMES + 0x5000
        mov dword [pt_test + 6*4], FRAMES + 0x6000 + (PTE_P | PTE_W | PTE_U | PTE_G)
        mov dword [pt_test + 7*4], 0
        mov eax, pd
        mov cr3, eax
        mov eax, cr0
        or eax, CR0_PG
        mov cr0, eax
        jmp .paged                      ; (flat identity: the next fetch is at the same address)
.paged:
        PUTSLN "paging on"
        mov eax, cr0
        PUTS "cr0="
        H32 eax
        mov eax, cr3
        sub eax, pd
        PUTS "cr3=pd+"
        H32 eax
        NL

        PUTSLN "translation and A/D bits"
        SHOW_PTE 0
        SHOW_PTE 1
        mov eax, [pd + 256*4]
        and eax, 0xfbf                  ; PDE bit 6 is ignored for a PDE that maps a page table
        PUTS "pde="
        H16 eax
        NL
        mov eax, [TEST_VA]              ; read: A set in PDE and PTE 0
        PUTS "read="
        H32 eax
        mov dword [TEST_VA + 0x1004], 0x12345678 ; write: A and D in PTE 1
        mov eax, [FRAMES + 0x1004]
        PUTS "via-identity="
        H32 eax
        NL
        SHOW_PTE 0
        SHOW_PTE 1
        mov eax, [pd + 256*4]
        and eax, 0xfbf
        PUTS "pde="
        H16 eax
        NL

        PUTSLN "#PF in ring 0"
        PTRY 14, mov eax, [TEST_VA + 0x5010]    ; not present, read: err 0
        PTRY 14, mov dword [TEST_VA + 0x5ffc], 1 ; not present, write: err 2
        PTRY 14, mov eax, [0x40400000]          ; PDE not present
        mov dword [TEST_VA + 0x3000], 0x77      ; RO page, CR0.WP=0: supervisor write allowed
        mov dword [TEST_VA + 0x4000], 0x88
        mov eax, [FRAMES + 0x3000]
        PUTS "wp0 writes="
        H32 eax
        mov eax, [FRAMES + 0x4000]
        H32 eax
        SHOW_PTE 3
        SHOW_PTE 4
        NL
        mov eax, cr0
        or eax, CR0_WP
        mov cr0, eax
        PTRY 14, mov dword [TEST_VA + 0x3008], 0x99   ; WP=1: err 3
        PTRY 14, add byte [TEST_VA + 0x4001], 1       ; read-modify-write: err 3
        ; A read-modify-write faults as a write before it changes anything: EFLAGS in the
        ; frame (which the handler's IRET restores) are those from before the instruction.
        EXPECT 14, .rmw_faulted
        SETFLAGS 0x844                  ; OF ZF PF set
        add byte [TEST_VA + 0x4001], 0x7f ; (0 + 0x7f would clear all three)
.rmw_faulted:
        PUTS "flags after a faulting add="
        FLAGS 0
        NL
        mov eax, [TEST_VA + 0x3008]
        PUTS "ro-after="
        H32 eax
        NL
        ; instruction fetch from a not-present page: CR2 = EIP = the target
        mov dword [expect_vector], 14
        mov dword [expect_resume], .fetch_resume
        mov eax, TEST_VA + 0x7000
        jmp eax
.fetch_resume:
        PUTS "fetch: err="
        H32 [fault_error]
        PUTS "cr2="
        H32 [fault_cr2]
        PUTS "eip="
        H32 [fault_eip]
        NL

        PUTSLN "ring 3"
        SET_GATE 0x81, back_to_ring0, SEL_CODE32, GATE_INT32_U
        push dword SEL_UDATA32
        push dword user_stack_top
        push dword 0x002
        push dword SEL_UCODE32
        push dword ring3_main
        iretd
ring3_main:
        mov ax, SEL_UDATA32
        mov ds, ax
        mov es, ax
        mov eax, [TEST_VA + 0x0100]     ; user RW: fine
        mov [TEST_VA + 0x1100], eax
        mov eax, [TEST_VA + 0x3000]     ; user RO: read fine
        PUTS "user reads ok "
        H32 eax
        NL
        PTRY 14, mov eax, [TEST_VA + 0x2000]    ; supervisor page: err 5
        PTRY 14, mov [TEST_VA + 0x2000], eax    ; err 7
        PTRY 14, mov [TEST_VA + 0x3000], eax    ; user RO write: err 7
        PTRY 14, mov eax, [TEST_VA + 0x5000]    ; not present, user read: err 4
        PTRY 14, mov [TEST_VA + 0x5000], eax    ; not present, user write: err 6
        ; A call to a PC thunk (translated in line) whose push faults: the fault comes before
        ; the thunk's two instructions, which must not count as run (test/machine/lockstep).
        call user_pc_thunk                      ; (its page in the TLB when the caller translates)
        mov ebp, esp
        EXPECT 14, .thunk_faulted
        mov esp, TEST_VA + 0x6000               ; the push goes to page 5: not present
.thunk_call:
        call user_pc_thunk
        mov esp, ebp
        PUTS "no fault (wrong) "
.thunk_faulted:
        mov esp, ebp
        PUTS "thunk call: err="
        H32 [fault_error]
        PUTS "cr2="
        H32 [fault_cr2]
        mov eax, [fault_eip]
        sub eax, .thunk_call
        PUTS "eip=call+"
        H32 eax
        NL
        mov eax, [pd + 256*4]                   ; identity pages are user: no fault
        and eax, 0xfbf
        PUTS "user read of the pde="
        H16 eax
        NL
        int 0x81

user_pc_thunk:
        mov ebx, [esp]
        ret

back_to_ring0:
        mov ax, SEL_DATA32
        mov ds, ax
        mov es, ax
        mov esp, [kernel_esp]
        call reload_idt_default
        SHOW_PTE 3                      ; (pte2's A bit after only faulting accesses: not
        NL                              ;  architecturally pinned down, so not printed)

        PUTSLN "invlpg and cr3 reload"
        mov eax, [TEST_VA]              ; TLB now caches page 0 → frame 0
        mov dword [pt_test], FRAMES + 0x8000 + (PTE_P | PTE_W | PTE_U)
        invlpg [TEST_VA]
        mov eax, [TEST_VA]
        PUTS "after invlpg="
        H32 eax
        mov dword [pt_test], FRAMES + 0x9000 + (PTE_P | PTE_W | PTE_U)
        mov eax, cr3
        mov cr3, eax
        mov eax, [TEST_VA]
        PUTS "after cr3 reload="
        H32 eax
        ; INVLPG of one page leaves the others' new mappings to be picked up only after a flush
        mov dword [pt_test + 1*4], FRAMES + 0xa000 + (PTE_P | PTE_W | PTE_U)
        invlpg [TEST_VA + 0x1000]
        mov eax, [TEST_VA + 0x1000]
        PUTS "page1="
        H32 eax
        NL

        PUTSLN "global pages"
        mov eax, cr4
        or eax, CR4_PGE
        mov cr4, eax
        mov eax, [TEST_VA + 0x6000]     ; global entry cached
        PUTS "g="
        H32 eax
        mov dword [pt_test + 6*4], FRAMES + 0xb000 + (PTE_P | PTE_W | PTE_U | PTE_G)
        mov eax, cr4                    ; toggling PGE flushes global entries too
        and eax, ~CR4_PGE
        mov cr4, eax
        or eax, CR4_PGE
        mov cr4, eax
        mov eax, [TEST_VA + 0x6000]
        PUTS "after pge toggle="
        H32 eax
        mov dword [pt_test + 6*4], FRAMES + 0xc000 + (PTE_P | PTE_W | PTE_U | PTE_G)
        invlpg [TEST_VA + 0x6000]       ; INVLPG also removes a global entry
        mov eax, [TEST_VA + 0x6000]
        PUTS "after invlpg="
        H32 eax
        SHOW_PTE 6
        NL

        PUTSLN "pse 4 MiB pages"
        mov eax, cr4
        or eax, CR4_PSE
        mov cr4, eax
        mov dword [pd + 512*4], 0x400000 + (PDE_PS | PTE_P | PTE_W)
        mov dword [pd + 513*4], 0x400000 + (PDE_PS | PTE_P)     ; read-only 4 MiB page
        mov eax, [BIG_VA + (FRAMES - 0x400000) + 0x2000]
        PUTS "read="
        H32 eax
        mov eax, [pd + 512*4]
        PUTS "pde="
        H32 eax
        mov dword [BIG_VA + (FRAMES - 0x400000) + 0x2004], 0xabcdef01
        mov eax, [FRAMES + 0x2004]
        PUTS "written="
        H32 eax
        mov eax, [pd + 512*4]
        PUTS "pde="
        H32 eax
        NL
        PTRY 14, mov dword [BIG_VA + 0x400000 + 0x123456], 0    ; WP=1, RO 4 MiB page: err 3
        mov eax, cr0
        and eax, ~CR0_WP
        mov cr0, eax

        ; paging off again (identity-mapped code keeps running)
        mov eax, cr0
        and eax, ~CR0_PG
        mov cr0, eax
        jmp .unpaged
.unpaged:
        xor eax, eax
        mov cr4, eax
        PUTSLN "paging off"
        ret

section .data
align 4
kernel_esp: dd 0

section .bss
alignb 4096
pd:      resb 4096
pt_id:   resb 8192
pt_test: resb 4096
        resb 4096
user_stack_top:
