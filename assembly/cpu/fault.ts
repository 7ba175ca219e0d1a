// Raising an exception abandons the current instruction: the vector and error code go into the
// state block and control unwinds to the host, which calls run() again; run() then delivers it
// (with double- and triple-fault escalation) before executing anything else.
import { EXCEPTION_VECTOR, EXCEPTION_ERROR_CODE, STAT_EXCEPTIONS } from "../layout";
import { hostUnwind } from "../host";

/** No error code is pushed for this exception. */
export const NO_ERROR_CODE: i32 = -1;

export function raiseFault(vector: u32, errorCode: i32): void {
  store<u32>(EXCEPTION_VECTOR, vector);
  store<i32>(EXCEPTION_ERROR_CODE, errorCode);
  store<u32>(STAT_EXCEPTIONS, load<u32>(STAT_EXCEPTIONS) + 1);
  hostUnwind();
  unreachable();
}
