; cpuid.asm — CPUID leaves 0 and 1 as a P6-class CPU reports them.
;
; The reference is QEMU's `-cpu pentium2` (the runner's default): vendor "GenuineIntel", maximum
; leaf 2, family 6 model 5 stepping 2, and the i686 feature set in EDX. wasmvisor models a P6 and
; should report the same leaf 0/1 EAX/EDX. Masked, because they describe the host's topology or
; QEMU's extras rather than the architecture of a P6:
;   leaf 1 EBX (brand index, CLFLUSH line size, logical CPU count, initial APIC ID)
;   leaf 1 ECX (reserved on a P6; QEMU may set bits such as the hypervisor bit)
;   leaf 2 (cache descriptors differ between models and implementations)
;   leaf 1 EDX bits outside WASMVISOR_FEATURES: QEMU's pentium2 also reports VME, DE, PAE,
;   MCE, MTRR, MCA, PAT, PSE36 and MMX, which wasmvisor does not implement yet, and a
;   CPU must report only what it implements. Add a bit here when its feature lands.
; Also checks that EFLAGS.ID (bit 21) can be toggled, which is how software detects CPUID.
%include "guest.inc"
; FPU(0) PSE(3) TSC(4) MSR(5) CX8(8) APIC(9) SEP(11) PGE(13) CMOV(15) FXSR(24) — SDM vol. 2, CPUID, table 3-11
WASMVISOR_FEATURES equ (1 << 0) | (1 << 24) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 8) | (1 << 9) | (1 << 11) | (1 << 13) | (1 << 15)
global test_main
section .text
test_main:
        PUTSLN "cpuid"
        ; EFLAGS.ID toggles on a CPU with CPUID (SDM vol. 1 §3.4.3.3)
        pushfd
        pop eax
        mov ebx, eax
        xor eax, 1 << 21
        push eax
        popfd
        pushfd
        pop eax
        xor eax, ebx
        PUTS "id-toggles="
        H32 eax
        push ebx
        popfd
        NL

        xor eax, eax
        cpuid
        PUTS "leaf0 max="
        H32 eax
        PUTS "vendor="
        mov [vendor], ebx
        mov [vendor+4], edx
        mov [vendor+8], ecx
        push dword vendor
        call print_str
        NL

        mov eax, 1
        cpuid
        PUTS "leaf1 eax="
        H32 eax
        PUTS "edx&implemented="
        push edx
        and edx, WASMVISOR_FEATURES
        H32 edx
        pop edx
        NL
        ; individual features the guests rely on
        PUTS "cmov="
        bt edx, 15
        setc al
        H8 eax
        PUTS "cx8="
        bt edx, 8
        setc al
        H8 eax
        PUTS "sep="
        bt edx, 11
        setc al
        H8 eax
        PUTS "pse="
        bt edx, 3
        setc al
        H8 eax
        PUTS "pge="
        bt edx, 13
        setc al
        H8 eax
        PUTS "tsc="
        bt edx, 4
        setc al
        H8 eax
        NL
        ret
section .data
vendor: times 16 db 0
