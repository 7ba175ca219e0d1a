// The commands the Linux benchmarks run in the guest (bench/linux-guest.js, bench/ab.js).
export const CBENCH_ROUNDS = 150; // about 1.5 s under QEMU (TCG), 0.3 s native on a 2-core build machine

export const WORKLOADS = [
  { key: "shell", name: "shell loop (30k iterations)", command: "i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; echo $i" },
  { key: "dd", name: "dd 16 MiB | md5sum", command: "dd if=/dev/zero bs=1M count=16 2>/dev/null | md5sum" },
  { key: "gzip", name: "gzip -9 round trip (seq 1 100000)", command: "seq 1 100000 | gzip -9 | gzip -d | md5sum" },
  { key: "cbench", name: `C benchmark (cbench ${CBENCH_ROUNDS})`, command: `cbench ${CBENCH_ROUNDS}` },
];
