// Functions the TypeScript host provides to the engine. Only i32 crosses the boundary
// (../shared/DESIGN.md: an i64 argument would become a BigInt).

/** Port input of `size` bytes; returns the value (all ones for an unclaimed port). */
@external("host", "portIn") export declare function hostPortIn(port: i32, size: i32): i32;
/** Port output of `size` bytes. */
@external("host", "portOut") export declare function hostPortOut(port: i32, size: i32, value: i32): void;
/** Read from a physical address outside RAM (device memory or open bus). */
@external("host", "mmioRead") export declare function hostMmioRead(address: i32, size: i32): i32;
/** Write to a physical address outside RAM. */
@external("host", "mmioWrite") export declare function hostMmioWrite(address: i32, size: i32, value: i32): void;
/** The INTA cycle: returns the vector of the highest-priority pending interrupt, or -1. */
@external("host", "acknowledgeInterrupt") export declare function hostAcknowledgeInterrupt(): i32;
/**
 * Throws a preallocated host value that unwinds out of run(). Used to abandon the current
 * instruction when it raises an exception; the pending exception is in the state block and the
 * next run() delivers it. WebAssembly has no cheaper non-local exit that AssemblyScript emits.
 */
@external("host", "unwind") export declare function hostUnwind(): void;
/**
 * Compile the WebAssembly module of `length` bytes at `address` (jit/module_writer.ts) and put
 * its `count` functions into the table slots listed (i32 each) at `slots`. Returns false if the
 * host could not (those units then stay interpreted).
 */
@external("host", "compileModule") export declare function hostCompileModule(address: usize, length: i32, slots: usize, count: u32): bool;
