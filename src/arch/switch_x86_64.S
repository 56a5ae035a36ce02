/* src/arch/switch_x86_64.S - the context switch for x86-64, System V ABI.
 *
 * Implements src/arch/switch.h. A suspended context is its saved stack
 * pointer; everything it needs to resume lies on its own stack:
 *
 *     ctx + 0   MXCSR (4 bytes), x87 control word (2), padding (2)
 *               (this 8-byte slot is absent with CIO_SWITCH_NO_FPU_STATE)
 *     ctx + F   r15, r14, r13, r12, rbx, rbp   (F = 8, or 0 without the slot)
 *     ctx + F+48  the address to resume at
 *
 * cio__ctx_jump(to, data): rdi = to, rsi = data. Returns the transfer
 * {from, data} in rax:rdx. For a context's first run the same registers also
 * hold it as entry's argument: a two-pointer struct is passed in rdi:rsi.
 *
 * How `to` is resumed depends on who jumps. A `ret` returns into another
 * call chain than the one that called us, so the return-stack buffer's top
 * entry (pushed by our caller's call) is the wrong guess for that return,
 * but it is consumed, and the resumed side's next returns pop the entries
 * below it, which are right when both sides suspended through the same
 * calls. A pop and an indirect jump leaves that entry behind, but the jump
 * itself is predicted by its own history. So:
 * - cio__ctx_jump pops and jumps: the scheduler and a task suspend through
 *   different calls, and then the jump predicts better (glibc-free round
 *   trip 26.9 -> 16.3 ns in bench/switch_roundtrip; create-and-await one
 *   task, bench/core_eager spawn_one, 197 -> 187 ns, with `ret` here);
 * - cio__ctx_handoff returns: a task handing off to another task, which as
 *   a rule suspended in the same wait (yield ping-pong 24.8 -> 19.4 ns a
 *   switch against the jump, bench/core_yield; the compact swapper's
 *   cio__ctx_jump_via found the same first).
 * The start trampoline is reached either way.
 *
 * CET: every global function starts with endbr64. The resume jump carries the
 * notrack prefix because its target is a return address, which has no
 * endbr64; notrack is how IBT allows such a jump (GCC's jump tables use it
 * too); `ret` is not subject to IBT. We claim IBT in the property note only when the build asks for it
 * (__CET__ & 1) and never claim SHSTK: a shadow stack would need the switch to
 * swap shadow-stack pointers too, which this code does not do. */

#if defined(CIO_SWITCH_NO_FPU_STATE)
#define FPU_SLOT 0
#else
#define FPU_SLOT 8
#endif

/* Bytes cio__ctx_jump keeps on a suspended stack: the FPU slot, six
 * callee-saved registers and the resume address. */
#define SAVED_BYTES (FPU_SLOT + 6 * 8 + 8)

/* cio__ctx_make leaves this many zero bytes above the initial frame: a
 * null "caller" for debuggers, and it makes rsp 16-byte aligned right after
 * the resume address is popped, which is where the start trampoline's call
 * needs it. */
#define TOP_PAD 16

    .text

/* The frame every suspended context has (see the top of the file): the
 * callee-saved registers, then the FPU slot. */
.macro SAVE_CONTEXT
    pushq   %rbp
    pushq   %rbx
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
#if FPU_SLOT
    subq    $8, %rsp
    stmxcsr (%rsp)
    fnstcw  4(%rsp)
#endif
.endm

/* The registers of that frame, once the FPU slot is dealt with. */
.macro RESTORE_REGISTERS
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
.endm

/* The body of cio__ctx_jump and cio__ctx_handoff, which differ only in how
 * they resume `to` (RESUME: see the top of the file). */
.macro JUMP RESUME
    endbr64
    SAVE_CONTEXT
#if FPU_SLOT
    movl    (%rsp), %r8d        /* ours, to compare with `to`'s below */
    movzwl  4(%rsp), %r9d
#endif
    movq    %rsp, %rax          /* transfer.from: this context, now suspended */
    movq    %rdi, %rsp          /* switch stacks: from here on we are `to` */
#if FPU_SLOT
    /* Loading MXCSR and the control word is slow (they are serializing on
     * some cores); skip it when the two contexts already agree, which is
     * the common case (as the aarch64 switch does for FPCR). */
    cmpl    (%rsp), %r8d
    jne     .Lload_fpu_state\@
    cmpw    4(%rsp), %r9w
    jne     .Lload_fpu_state\@
.Lfpu_state_loaded\@:
    addq    $8, %rsp
#endif
    RESTORE_REGISTERS
    movq    %rsi, %rdx          /* transfer.data as a return value ... */
    movq    %rax, %rdi          /* ... and {rdi, rsi} as entry's argument */
    \RESUME
#if FPU_SLOT
.Lload_fpu_state\@:
    ldmxcsr (%rsp)
    fldcw   4(%rsp)
    jmp     .Lfpu_state_loaded\@
#endif
.endm

.macro RESUME_BY_JMP
    popq    %rcx                /* where `to` resumes */
    notrack jmp *%rcx
.endm

.macro RESUME_BY_RET
    ret                         /* to where `to` resumes */
.endm

/* cio__transfer cio__ctx_jump(cio__ctx to, void *data) */
    .globl  cio__ctx_jump
    .hidden cio__ctx_jump
    .type   cio__ctx_jump, @function
    .p2align 4
cio__ctx_jump:
    JUMP RESUME_BY_JMP
    .size   cio__ctx_jump, .-cio__ctx_jump

/* cio__transfer cio__ctx_handoff(cio__ctx to, void *data): cio__ctx_jump,
 * resuming with `ret`. */
    .globl  cio__ctx_handoff
    .hidden cio__ctx_handoff
    .type   cio__ctx_handoff, @function
    .p2align 4
cio__ctx_handoff:
    JUMP RESUME_BY_RET
    .size   cio__ctx_handoff, .-cio__ctx_handoff

/* cio__transfer cio__ctx_jump_via(void *stack_top, void *data,
 *                                 cio__ctx_via_fn fn, void *arg)
 * rdi = stack_top, rsi = data, rdx = fn, rcx = arg. Suspends like
 * cio__ctx_jump, then calls fn(arg, from) on stack_top's stack and resumes
 * the context fn returns (rax) as cio__ctx_jump resumes `to`. from and data
 * wait in rbx and r12 across the call: fn preserves them, and the suspended
 * context's own values are already on its stack. rbp is zeroed for the
 * call, so a frame-pointer walk from fn ends there rather than wandering
 * into the stack it leaves (which fn may be overwriting).
 *
 * It resumes with `ret`, as cio__ctx_handoff does (the top of the file): the
 * context it resumes was suspended by this same function, from the same
 * call site as a rule (two compact tasks of one shared stack taking turns),
 * so even that first return is predicted. With the pop and jmp the switch
 * used before, the resumed side's next two returns mispredicted: 68 -> 55
 * ns per switch in bench/core_yield 2 (bench/results/compact-switch.md). */
    .globl  cio__ctx_jump_via
    .hidden cio__ctx_jump_via
    .type   cio__ctx_jump_via, @function
    .p2align 4
cio__ctx_jump_via:
    endbr64
    SAVE_CONTEXT
    movq    %rsp, %rbx          /* from: this context, now suspended */
    movq    %rsi, %r12          /* data */
    movq    %rdi, %rsp          /* onto fn's stack, 16-byte aligned before the call */
    xorl    %ebp, %ebp
    movq    %rcx, %rdi
    movq    %rbx, %rsi
    call    *%rdx               /* fn(arg, from): the context to resume */
    movq    %rax, %rsp          /* switch stacks: from here on we are `to` */
    movq    %rbx, %rax          /* transfer.from ... */
    movq    %r12, %rdx          /* ... and .data, as cio__ctx_jump returns them */
    movq    %rbx, %rdi          /* and {rdi, rsi} as entry's argument */
    movq    %r12, %rsi
#if FPU_SLOT
    ldmxcsr (%rsp)
    fldcw   4(%rsp)
    addq    $8, %rsp
#endif
    RESTORE_REGISTERS
    ret
    .size   cio__ctx_jump_via, .-cio__ctx_jump_via

/* cio__transfer cio__ctx_call(void *stack_top, size_t size,
 *                             void (*entry)(void *), void *arg, cio__ctx *caller)
 * rdi = stack_top, rsi = size (not needed here), rdx = entry, rcx = arg,
 * r8 = caller. The frame pushed
 * here, above our return address, is the one cio__ctx_jump leaves, so
 * *caller resumes at our return address like any suspended context. If
 * entry returns, we come back the ordinary way: the old stack pointer
 * (kept at the new stack's top) and the registers are restored, the FPU
 * control state is left as entry left it (as any call leaves it), and
 * `ret` keeps the return-stack buffer in step. */
    .globl  cio__ctx_call
    .hidden cio__ctx_call
    .type   cio__ctx_call, @function
    .p2align 4
cio__ctx_call:
    endbr64
    SAVE_CONTEXT
    movq    %rsp, (%r8)         /* *caller: this context, resumable by a jump */
    movq    %rsp, %rax
    movq    %rdi, %rsp          /* onto the new stack */
    andq    $-16, %rsp
    pushq   %rax                /* the way back */
    pushq   $0                  /* keeps rsp 16-byte aligned for the call */
    xorl    %ebp, %ebp          /* the end of the new stack's frame chain */
    movq    %rcx, %rdi
    /* entry's return address lies in this CFI region, which marks the
     * outermost frame (as start does): unwinders and debuggers stop at
     * entry instead of walking into the caller's stack. */
    .cfi_startproc
    .cfi_undefined rip
    call    *%rdx
    movq    8(%rsp), %rsp       /* entry returned: back on the caller's stack */
    addq    $FPU_SLOT, %rsp
    RESTORE_REGISTERS
    xorl    %eax, %eax          /* transfer {NULL, NULL}: entry returned */
    xorl    %edx, %edx
    ret
    .cfi_endproc
    .size   cio__ctx_call, .-cio__ctx_call

/* cio__ctx cio__ctx_make(void *stack_top, size_t size, cio__ctx_entry entry)
 * Builds a suspended frame whose resume address is the start trampoline,
 * with entry in rbx's slot and rbp zero (the end of the frame-pointer chain).
 * The FPU control state is copied from the creating context, as a new thread
 * inherits its creator's floating-point environment. size is not needed
 * here: the frame only touches the top SAVED_BYTES + TOP_PAD bytes. */
    .globl  cio__ctx_make
    .hidden cio__ctx_make
    .type   cio__ctx_make, @function
    .p2align 4
cio__ctx_make:
    endbr64
    movq    %rdi, %rax
    andq    $-16, %rax
    subq    $(SAVED_BYTES + TOP_PAD), %rax
#if FPU_SLOT
    movq    $0, (%rax)
    stmxcsr (%rax)
    fnstcw  4(%rax)
#endif
    xorl    %ecx, %ecx
    movq    %rcx, FPU_SLOT + 0(%rax)    /* r15 */
    movq    %rcx, FPU_SLOT + 8(%rax)    /* r14 */
    movq    %rcx, FPU_SLOT + 16(%rax)   /* r13 */
    movq    %rcx, FPU_SLOT + 24(%rax)   /* r12 */
    movq    %rdx, FPU_SLOT + 32(%rax)   /* rbx: entry */
    movq    %rcx, FPU_SLOT + 40(%rax)   /* rbp: end of frame chain */
    leaq    start(%rip), %rdx
    movq    %rdx, FPU_SLOT + 48(%rax)   /* resume address */
    movq    %rcx, SAVED_BYTES(%rax)     /* TOP_PAD: null return address */
    movq    %rcx, SAVED_BYTES + 8(%rax)
    ret
    .size   cio__ctx_make, .-cio__ctx_make

/* A new context's first instructions. rdi:rsi hold the transfer, rbx the
 * entry, and rsp is 16-byte aligned, so `call` gives entry the alignment the
 * ABI promises (rsp + 8 aligned at its first instruction). entry must never
 * return; if it does, it returns here and we abort rather than run off the
 * top of the stack. The CFI marks this frame as the outermost one, so
 * debuggers and unwinders stop here instead of walking into garbage. */
    .type   start, @function
    .p2align 4
start:
    .cfi_startproc
    .cfi_undefined rip
    endbr64
    call    *%rbx
    call    abort@PLT
    ud2
    .cfi_endproc
    .size   start, .-start

    .section .note.GNU-stack, "", @progbits

#if defined(__CET__) && (__CET__ & 1)
/* GNU_PROPERTY_X86_FEATURE_1_AND = IBT only (see the header comment). */
    .section .note.gnu.property, "a"
    .p2align 3
    .long   4               /* name size: "GNU\0" */
    .long   16              /* descriptor size */
    .long   5               /* NT_GNU_PROPERTY_TYPE_0 */
    .asciz  "GNU"
    .long   0xc0000002      /* GNU_PROPERTY_X86_FEATURE_1_AND */
    .long   4               /* data size */
    .long   1               /* GNU_PROPERTY_X86_FEATURE_1_IBT */
    .p2align 3
#endif
