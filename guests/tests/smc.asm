; smc.asm — self-modifying code: an emulator that caches decoded or translated code must notice
; every write to it (SDM vol. 3 §11.6: a write to a code location is visible to the next fetch
; after a jump, and always after a serializing instruction).
;   1. a loop that increments the immediate of an instruction it executes each time round;
;   2. a routine in another page rewritten by MOV, then by REP MOVSB, between calls;
;   3. the same physical page mapped at two linear addresses: written through one, run through
;      the other, and the other way round;
;   4. in a hot loop, a store into the very next instruction (P6 and later see it at once).
%include "guest.inc"
global test_main

PTE_P   equ 0x001
PTE_W   equ 0x002
CR0_PG  equ 0x80000000
ALIAS_VA equ 0x40000000                 ; PDE 256 → pt_alias, page 0 → routine's frame

section .text
test_main:
        PUTSLN "patch the next iteration"
        mov ecx, 4
.loop:  jmp .target                     ; a jump before the patched instruction, as the SDM asks
.target:
        mov eax, 0x11111111
        H32 eax
        NL
        inc byte [.target + 1]          ; the low byte of the immediate
        dec ecx
        jnz .loop

        PUTSLN "rewrite the next instruction"
        mov ecx, 300                    ; often enough for a translator to compile the loop
.next_loop:
        mov [.patched + 1], cl          ; the immediate of the instruction right after this one
.patched:
        mov al, 0
        cmp al, cl
        jne .stale
        dec ecx
        jnz .next_loop
        PUTSLN "fresh"
        jmp .next_done
.stale: PUTSLN "stale"
.next_done:

        PUTSLN "patch a routine in another page"
        call routine
        H32 eax
        mov dword [routine + 1], 0x22222222
        call routine
        H32 eax
        ; REP MOVSB copies a whole new body over it: mov eax, 0x33333333 / ret
        mov esi, new_body
        mov edi, routine
        mov ecx, new_body_end - new_body
        cld
        rep movsb
        call routine
        H32 eax
        NL

        PUTSLN "two linear mappings of one frame"
        ; identity map 0..8 MiB, and map ALIAS_VA to the routine's page
        xor ecx, ecx
.id:    mov eax, ecx
        shl eax, 12
        or eax, PTE_P | PTE_W
        mov [pt_id + ecx*4], eax
        inc ecx
        cmp ecx, 2048
        jb .id
        mov dword [pd + 0*4], pt_id + (PTE_P | PTE_W)
        mov dword [pd + 1*4], pt_id + 4096 + (PTE_P | PTE_W)
        mov dword [pd + 256*4], pt_alias + (PTE_P | PTE_W)
        mov dword [pt_alias], routine + (PTE_P | PTE_W)
        mov eax, pd
        mov cr3, eax
        mov eax, cr0
        or eax, CR0_PG
        mov cr0, eax
        jmp .paged
.paged:
        call routine                    ; through the identity mapping
        H32 eax
        mov eax, ALIAS_VA
        call eax                        ; the same code through the alias
        H32 eax
        mov dword [ALIAS_VA + 1], 0x44444444   ; write through the alias...
        call routine                    ; ...run through the identity mapping
        H32 eax
        mov dword [routine + 1], 0x55555555    ; write through the identity mapping...
        mov eax, ALIAS_VA
        call eax                        ; ...run through the alias
        H32 eax
        NL
        mov eax, cr0
        and eax, ~CR0_PG
        mov cr0, eax
        jmp .unpaged
.unpaged:
        ret

section .data
new_body:
        mov eax, 0x33333333
        ret
new_body_end:

; The routine sits alone in its own page.
section .routine progbits alloc exec write align=4096
routine:
        mov eax, 0x11110000
        ret
        align 4096, db 0xcc

section .bss
alignb 4096
pd:       resb 4096
pt_id:    resb 8192
pt_alias: resb 4096
