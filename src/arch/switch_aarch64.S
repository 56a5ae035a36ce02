/* src/arch/switch_aarch64.S - the context switch for AArch64, AAPCS64.
 *
 * Implements src/arch/switch.h. A suspended context is its saved stack
 * pointer; everything it needs to resume lies on its own stack:
 *
 *     ctx + 0x00  x19 x20 x21 x22 x23 x24 x25 x26 x27 x28
 *     ctx + 0x50  x29 (frame pointer), x30 (where to resume)
 *     ctx + 0x60  d8 .. d15 (the low halves of v8-v15, callee-saved)
 *     ctx + 0xa0  FPCR, padding   (absent with CIO_SWITCH_NO_FPU_STATE)
 *
 * cio__ctx_jump(to, data): x0 = to, x1 = data. Returns the transfer
 * {from, data} in x0:x1, which is also how entry receives it as its argument
 * on a context's first run.
 *
 * Resuming uses `ret` (x86-64 uses it for hand-offs only): with BTI, an indirect `br`
 * may only land on a `bti j` pad, and return addresses have none, whereas
 * `ret` is exempt. Both global functions start with `bti c` (`hint #34`, a NOP
 * before Armv8.5), and the start trampoline is reached only through `ret`, so
 * the object is BTI-compatible and says so when the build asks for BTI. It
 * does not claim PAC: cio__ctx_jump does not sign the return address it
 * stores (the C callers sign their own, against an sp we restore exactly). */

#if defined(CIO_SWITCH_NO_FPU_STATE)
#define SAVED_BYTES 0xa0
#else
#define SAVED_BYTES 0xb0
#endif

/* Zero bytes cio__ctx_make leaves above the initial frame: a null frame
 * record for debuggers; keeps sp 16-byte aligned as AArch64 requires. */
#define TOP_PAD 16

    .text

/* The frame every suspended context has (see the top of the file); FPCR is
 * left in x9 for cio__ctx_jump's comparison. */
.macro SAVE_CONTEXT
    sub     sp, sp, #SAVED_BYTES
    stp     x19, x20, [sp, #0x00]
    stp     x21, x22, [sp, #0x10]
    stp     x23, x24, [sp, #0x20]
    stp     x25, x26, [sp, #0x30]
    stp     x27, x28, [sp, #0x40]
    stp     x29, x30, [sp, #0x50]
    stp     d8,  d9,  [sp, #0x60]
    stp     d10, d11, [sp, #0x70]
    stp     d12, d13, [sp, #0x80]
    stp     d14, d15, [sp, #0x90]
#if !defined(CIO_SWITCH_NO_FPU_STATE)
    mrs     x9, fpcr
    str     x9, [sp, #0xa0]
#endif
.endm

/* The registers of that frame (FPCR is the caller's business), and sp
 * above it. */
.macro RESTORE_REGISTERS
    ldp     x19, x20, [sp, #0x00]
    ldp     x21, x22, [sp, #0x10]
    ldp     x23, x24, [sp, #0x20]
    ldp     x25, x26, [sp, #0x30]
    ldp     x27, x28, [sp, #0x40]
    ldp     x29, x30, [sp, #0x50]
    ldp     d8,  d9,  [sp, #0x60]
    ldp     d10, d11, [sp, #0x70]
    ldp     d12, d13, [sp, #0x80]
    ldp     d14, d15, [sp, #0x90]
    add     sp, sp, #SAVED_BYTES
.endm

/* cio__transfer cio__ctx_jump(cio__ctx to, void *data) */
    .globl  cio__ctx_jump
    .hidden cio__ctx_jump
    .type   cio__ctx_jump, %function
    .p2align 4
cio__ctx_jump:
    hint    #34                 /* bti c */
    SAVE_CONTEXT
    mov     x2, sp              /* transfer.from: this context, now suspended */
    mov     sp, x0              /* switch stacks: from here on we are `to` */
#if !defined(CIO_SWITCH_NO_FPU_STATE)
    /* Writing FPCR can stall the pipeline on some cores; skip it when the two
     * contexts already agree, which is the common case. x9 holds our FPCR. */
    ldr     x10, [sp, #0xa0]
    cmp     x9, x10
    b.eq    1f
    msr     fpcr, x10
1:
#endif
    RESTORE_REGISTERS
    mov     x0, x2              /* transfer = {from, data}; x1 is data already */
    ret
    .size   cio__ctx_jump, .-cio__ctx_jump

/* cio__transfer cio__ctx_call(void *stack_top, size_t size,
 *                             void (*entry)(void *), void *arg, cio__ctx *caller)
 * x0 = stack_top, x1 = size (not needed here), x2 = entry, x3 = arg,
 * x4 = caller. The frame saved here is the one cio__ctx_jump leaves, x30
 * being our return address, so *caller resumes there like any suspended
 * context. If entry returns, we come back the ordinary way: sp (kept at
 * the new stack's top) and the registers are restored; FPCR is left as
 * entry left it, as any call leaves it. */
    .globl  cio__ctx_call
    .hidden cio__ctx_call
    .type   cio__ctx_call, %function
    .p2align 4
cio__ctx_call:
    hint    #34                 /* bti c */
    SAVE_CONTEXT
    mov     x9, sp
    str     x9, [x4]            /* *caller: this context, resumable by a jump */
    and     x10, x0, #~15
    mov     sp, x10             /* onto the new stack */
    stp     x9, xzr, [sp, #-16]!    /* the way back */
    mov     x29, #0             /* the end of the new stack's frame chain */
    mov     x0, x3
    /* entry's return address lies in this CFI region, which marks the
     * outermost frame (as start does): unwinders and debuggers stop at
     * entry instead of walking into the caller's stack. */
    .cfi_startproc
    .cfi_undefined x30
    blr     x2
    ldr     x9, [sp]            /* entry returned: back on the caller's stack */
    mov     sp, x9
    RESTORE_REGISTERS
    mov     x0, #0              /* transfer {NULL, NULL}: entry returned */
    mov     x1, #0
    ret
    .cfi_endproc
    .size   cio__ctx_call, .-cio__ctx_call

/* cio__ctx cio__ctx_make(void *stack_top, size_t size, cio__ctx_entry entry)
 * Builds a suspended frame that resumes at the start trampoline with entry in
 * x19 and a zero frame pointer (the end of the frame chain). FPCR is copied
 * from the creating context, as a new thread inherits its creator's
 * floating-point environment. size is not needed: only the top
 * SAVED_BYTES + TOP_PAD bytes are written. */
    .globl  cio__ctx_make
    .hidden cio__ctx_make
    .type   cio__ctx_make, %function
    .p2align 4
cio__ctx_make:
    hint    #34                 /* bti c */
    and     x0, x0, #~15
    sub     x0, x0, #(SAVED_BYTES + TOP_PAD)
    adr     x9, start
    stp     x2,  xzr, [x0, #0x00]       /* x19 = entry, x20 */
    stp     xzr, xzr, [x0, #0x10]
    stp     xzr, xzr, [x0, #0x20]
    stp     xzr, xzr, [x0, #0x30]
    stp     xzr, xzr, [x0, #0x40]
    stp     xzr, x9,  [x0, #0x50]       /* x29 = 0, x30 = start */
    stp     xzr, xzr, [x0, #0x60]
    stp     xzr, xzr, [x0, #0x70]
    stp     xzr, xzr, [x0, #0x80]
    stp     xzr, xzr, [x0, #0x90]
#if !defined(CIO_SWITCH_NO_FPU_STATE)
    mrs     x10, fpcr
    stp     x10, xzr, [x0, #0xa0]
#endif
    stp     xzr, xzr, [x0, #SAVED_BYTES]  /* TOP_PAD: null frame record */
    ret
    .size   cio__ctx_make, .-cio__ctx_make

/* A new context's first instructions: x0:x1 hold the transfer, x19 the
 * entry, sp is 16-byte aligned. entry must never return; if it does, it
 * comes back here and we abort rather than run off the top of the stack. The
 * CFI marks this as the outermost frame so unwinders stop here. */
    .type   start, %function
    .p2align 4
start:
    .cfi_startproc
    .cfi_undefined x30
    blr     x19
    bl      abort
    brk     #1
    .cfi_endproc
    .size   start, .-start

    .section .note.GNU-stack, "", %progbits

#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
/* GNU_PROPERTY_AARCH64_FEATURE_1_AND = BTI only (see the header comment). */
    .section .note.gnu.property, "a"
    .p2align 3
    .long   4               /* name size: "GNU\0" */
    .long   16              /* descriptor size */
    .long   5               /* NT_GNU_PROPERTY_TYPE_0 */
    .asciz  "GNU"
    .long   0xc0000000      /* GNU_PROPERTY_AARCH64_FEATURE_1_AND */
    .long   4               /* data size */
    .long   1               /* GNU_PROPERTY_AARCH64_FEATURE_1_BTI */
    .p2align 3
#endif
