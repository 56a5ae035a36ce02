# tools/cio-gdb.py - gdb commands for cio programs (docs/debugging.md).
#
#   (gdb) source /usr/local/share/cio/cio-gdb.py     (or: gdb -x cio-gdb.py)
#   (gdb) info cio-tasks             every task of the loops this process runs
#   (gdb) cio-bt ID|ADDRESS          backtrace of a suspended task
#
# Loops are found through each thread's cio__running_loop (the loop that
# thread runs), so the program must be stopped while its loops run - which
# is when there is something to see. A task is named by its id (as `info
# cio-tasks` prints it) or by the address of its struct cio_task.
#
# A target that cannot read thread-local storage (qemu-user's gdbstub has no
# qGetTLSAddr) is searched instead for a `loop` variable in the frames of each
# thread (cio's task_main and the loop's run functions hold one).
#
# cio-bt switches gdb's registers to the task's saved context, prints `bt`,
# and puts them back. On x86-64 the switch (src/arch/switch_x86_64.S) leaves
# on the suspended stack, from the saved stack pointer up: an 8-byte FPU
# slot (absent with CIO_SWITCH_NO_FPU_STATE), r15, r14, r13, r12, rbx, rbp,
# and the resume address. On aarch64 (src/arch/switch_aarch64.S): x19-x28,
# x29 (the frame pointer), x30 (the resume address), d8-d15 and FPCR, 0xb0
# bytes (0xa0 without the FPU state). With the portable ucontext switch
# (cmake -DCIO_SWITCH=ucontext, src/arch/switch_ucontext.c) the context is
# a record whose first member is the ucontext_t swapcontext saved the
# registers in. Needs a live process (a core file's
# registers cannot be written) and the library's debug info (RelWithDebInfo
# does).
import gdb

STATES = {0: "created", 1: "ready", 2: "running", 3: "waiting", 4: "done"}
SAVED_REGS = ("r15", "r14", "r13", "r12", "rbx", "rbp")


def _kind_name(kind):
    try:
        return str(gdb.parse_and_eval("(cio_wait_kind)%d" % kind)).replace("CIO_WAIT_", "").lower().replace("_", "-")
    except gdb.error:
        return str(kind)


def _loop_in_frames():
    """A `loop` (struct cio_loop *) held by a frame of the selected thread, or None."""
    frame = gdb.newest_frame()
    while frame is not None:
        try:
            loop = frame.read_var("loop")
            if loop.type.strip_typedefs().code == gdb.TYPE_CODE_PTR and int(loop) \
                    and loop.type.target().strip_typedefs().tag == "cio_loop":
                return loop
        except (gdb.error, ValueError):
            pass
        frame = frame.older()
    return None


def _running_loop():
    """The loop the selected thread runs: its cio__running_loop, else a frame's."""
    try:
        return gdb.parse_and_eval("cio__running_loop")
    except gdb.error:
        return _loop_in_frames()  # no thread-local storage on this target


def _loops():
    """The distinct loops the process's threads are running."""
    seen, loops = set(), []
    current = gdb.selected_thread()
    for thread in gdb.selected_inferior().threads():
        thread.switch()
        loop = _running_loop()
        if loop is None:
            continue
        if int(loop) and int(loop) not in seen:
            seen.add(int(loop))
            loops.append((thread.num, loop))
    if current:
        current.switch()
    return loops


def _tasks(loop):
    task_type = gdb.lookup_type("struct cio_task")
    offset = next(f.bitpos // 8 for f in task_type.fields() if f.name == "all")
    head = loop["tasks"].address
    node = loop["tasks"]["next"]
    while int(node) != int(head):
        yield gdb.Value(int(node) - offset).cast(task_type.pointer())
        node = node["next"]


def _name(task):
    if int(task["name"]):
        return task["name"].string()
    if int(task["name_buf"][0]):
        return task["name_buf"].string()
    return "Task-%d" % int(task["id"])  # a default name is written out only when asked for


def _find(spec):
    for _, loop in _loops():
        for task in _tasks(loop):
            if spec == int(task["id"]) or spec == int(task):
                return task
    return None


class InfoCioTasks(gdb.Command):
    """List the tasks of every loop this process runs: id, state, name, wait, address."""

    def __init__(self):
        super().__init__("info cio-tasks", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        loops = _loops()
        if not loops:
            print("no cio loop is running in any thread")
        for thread, loop in loops:
            print("loop %s (thread %d): %d unfinished tasks"
                  % (hex(int(loop)), thread, int(loop["unfinished_tasks"])))
            print("%6s  %-8s %-20s %-12s %s" % ("id", "state", "name", "waits on", "task"))
            for task in _tasks(loop):
                state = int(task["state"])
                if state == 4:
                    continue
                tag = task["tag"]  # an operation's label (core.h) wins over its inner wait
                kind = int(tag["label"].dereference()["kind"]) if int(tag["label"]) else int(tag["kind"])
                wait = _kind_name(kind) if state == 3 else "-"
                if state == 3 and wait == "none":
                    wait = "other"
                print("%6d  %-8s %-20s %-12s %s" % (int(task["id"]), STATES.get(state, state),
                                                   _name(task), wait, hex(int(task))))


class CioBt(gdb.Command):
    """cio-bt ID|ADDRESS: the backtrace of a suspended cio task."""

    def __init__(self):
        super().__init__("cio-bt", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        if not arg.strip():
            raise gdb.GdbError("usage: cio-bt TASK-ID | TASK-ADDRESS")
        task = _find(int(gdb.parse_and_eval(arg)))
        if task is None:
            raise gdb.GdbError("no task %s in the running loops (see info cio-tasks)" % arg)
        if int(task["state"]) not in (1, 3):
            raise gdb.GdbError("task %s is %s: only a suspended task has a saved context"
                               % (arg, STATES.get(int(task["state"]))))
        print("task %d '%s':" % (int(task["id"]), _name(task)))
        _with_context(int(task["ctx"]), lambda: gdb.execute("bt"))


def _fpu_slot(ctx):
    """8 when the switch keeps the FPU slot: the resume address is then code."""
    ulong = gdb.lookup_type("unsigned long").pointer()
    for slot in (8, 0):
        pc = int(gdb.Value(ctx + slot + 48).cast(ulong).dereference())
        if gdb.block_for_pc(pc) is not None or gdb.find_pc_line(pc).symtab is not None:
            return slot
    return 8


def _arch():
    if gdb.lookup_type("void").pointer().sizeof != 8:
        return None
    name = gdb.selected_frame().architecture().name()
    return "x86-64" if "x86-64" in name else "aarch64" if "aarch64" in name else None


def _x86_64_context(ctx):
    """{register: value} of a suspended task on x86-64."""
    ulong = gdb.lookup_type("unsigned long").pointer()
    slot = _fpu_slot(ctx)
    words = [int(gdb.Value(ctx + slot + 8 * i).cast(ulong).dereference()) for i in range(7)]
    regs = dict(zip(SAVED_REGS, words))
    regs.update(rsp=ctx + slot + 56, rip=words[6])
    return regs


def _aarch64_context(ctx):
    """{register: value} of a suspended task on aarch64 (switch_aarch64.S's layout)."""
    ulong = gdb.lookup_type("unsigned long").pointer()
    words = [int(gdb.Value(ctx + 8 * i).cast(ulong).dereference()) for i in range(12)]
    regs = {"x%d" % (19 + i): words[i] for i in range(12)}  # x19 .. x28, x29, x30
    regs.update(sp=ctx + 0xb0, pc=words[11])  # resumes at x30, sp above the saved block
    return regs


def _ucontext_switch():
    """True if the program was built with the ucontext switch (its symbol)."""
    return gdb.lookup_global_symbol("cio__ctx_saved_frame") is not None


# glibc's gregs indices (sys/ucontext.h) of the registers a switch keeps on x86-64.
X86_64_GREGS = {"r12": 4, "r13": 5, "r14": 6, "r15": 7, "rbp": 10, "rbx": 11, "rsp": 15, "rip": 16}


def _ucontext_context(ctx, arch):
    """{register: value} saved by swapcontext in the ucontext_t at ctx."""
    uc = gdb.Value(ctx).cast(gdb.lookup_type("ucontext_t").pointer()).dereference()
    mc = uc["uc_mcontext"]
    if arch == "x86-64":
        return {reg: int(mc["gregs"][i]) for reg, i in X86_64_GREGS.items()}
    regs = {"x%d" % i: int(mc["regs"][i]) for i in range(19, 31)}
    regs.update(sp=int(mc["sp"]), pc=int(mc["pc"]))
    return regs


def _with_context(ctx, fn):
    arch = _arch()
    if arch is None:
        raise gdb.GdbError("cio-bt knows the x86-64 and aarch64 switches only")
    if _ucontext_switch():
        regs = _ucontext_context(ctx, arch)
    else:
        regs = _x86_64_context(ctx) if arch == "x86-64" else _aarch64_context(ctx)
    gdb.execute("select-frame 0")
    saved = {r: int(gdb.parse_and_eval("$" + r)) for r in regs}
    try:
        for reg, value in regs.items():
            gdb.execute("set $%s = %d" % (reg, value))
        fn()
    finally:
        for reg, value in saved.items():
            gdb.execute("set $%s = %d" % (reg, value))


InfoCioTasks()
CioBt()
