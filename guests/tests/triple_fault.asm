; triple_fault.asm — prints a line, then shuts the CPU down with a triple fault: with an IDT of
; limit 0, INT3 finds no gate (#GP), delivering the #GP finds none either (#DF), and delivering
; the #DF fails too, which is a shutdown (SDM vol. 3 §6.15, "Interrupt 8—Double Fault Exception").
;
; Unlike every other guest this one never reaches its success exit: QEMU with -no-reboot exits
; with status 0 on the shutdown, and so must wasmvisor with --no-reboot (the differential test
; expects status 0 for it). Without --no-reboot wasmvisor resets and boots it again
; (test/cli/shutdown.test.ts).
%include "guest.inc"
global test_main

section .text
test_main:
        PUTSLN "triple fault guest: booted"
        sub esp, 8
        mov word [esp], 0               ; limit 0: not even vector 0's gate fits
        mov dword [esp + 2], idt
        lidt [esp]
        int3
        PUTSLN "still running after the triple fault (wrong)"
        EXIT EXIT_FAIL
