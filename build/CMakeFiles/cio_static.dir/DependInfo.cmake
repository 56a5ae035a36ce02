
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  "ASM"
  )
# The set of files for implicit dependencies of each language:
set(CMAKE_DEPENDS_CHECK_ASM
  "/work/main/src/arch/switch_x86_64.S" "/work/main/build/CMakeFiles/cio_static.dir/src/arch/switch_x86_64.S.o"
  )
set(CMAKE_ASM_COMPILER_ID "GNU")

# Preprocessor definitions for this target.
set(CMAKE_TARGET_DEFINITIONS_ASM
  "_GNU_SOURCE"
  )

# The include file search paths:
set(CMAKE_ASM_TARGET_INCLUDE_PATH
  "/work/main/include"
  "/work/main/src"
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/base/error.c" "CMakeFiles/cio_static.dir/src/base/error.c.o" "gcc" "CMakeFiles/cio_static.dir/src/base/error.c.o.d"
  "/work/main/src/base/heap.c" "CMakeFiles/cio_static.dir/src/base/heap.c.o" "gcc" "CMakeFiles/cio_static.dir/src/base/heap.c.o.d"
  "/work/main/src/core/callback.c" "CMakeFiles/cio_static.dir/src/core/callback.c.o" "gcc" "CMakeFiles/cio_static.dir/src/core/callback.c.o.d"
  "/work/main/src/core/debug.c" "CMakeFiles/cio_static.dir/src/core/debug.c.o" "gcc" "CMakeFiles/cio_static.dir/src/core/debug.c.o.d"
  "/work/main/src/core/future.c" "CMakeFiles/cio_static.dir/src/core/future.c.o" "gcc" "CMakeFiles/cio_static.dir/src/core/future.c.o.d"
  "/work/main/src/core/io.c" "CMakeFiles/cio_static.dir/src/core/io.c.o" "gcc" "CMakeFiles/cio_static.dir/src/core/io.c.o.d"
  "/work/main/src/core/loop.c" "CMakeFiles/cio_static.dir/src/core/loop.c.o" "gcc" "CMakeFiles/cio_static.dir/src/core/loop.c.o.d"
  "/work/main/src/core/run.c" "CMakeFiles/cio_static.dir/src/core/run.c.o" "gcc" "CMakeFiles/cio_static.dir/src/core/run.c.o.d"
  "/work/main/src/core/stack.c" "CMakeFiles/cio_static.dir/src/core/stack.c.o" "gcc" "CMakeFiles/cio_static.dir/src/core/stack.c.o.d"
  "/work/main/src/core/task.c" "CMakeFiles/cio_static.dir/src/core/task.c.o" "gcc" "CMakeFiles/cio_static.dir/src/core/task.c.o.d"
  "/work/main/src/core/timeout.c" "CMakeFiles/cio_static.dir/src/core/timeout.c.o" "gcc" "CMakeFiles/cio_static.dir/src/core/timeout.c.o.d"
  "/work/main/src/core/wait.c" "CMakeFiles/cio_static.dir/src/core/wait.c.o" "gcc" "CMakeFiles/cio_static.dir/src/core/wait.c.o.d"
  "/work/main/src/core/wakeup.c" "CMakeFiles/cio_static.dir/src/core/wakeup.c.o" "gcc" "CMakeFiles/cio_static.dir/src/core/wakeup.c.o.d"
  "/work/main/src/os/offload.c" "CMakeFiles/cio_static.dir/src/os/offload.c.o" "gcc" "CMakeFiles/cio_static.dir/src/os/offload.c.o.d"
  "/work/main/src/os/pool.c" "CMakeFiles/cio_static.dir/src/os/pool.c.o" "gcc" "CMakeFiles/cio_static.dir/src/os/pool.c.o.d"
  "/work/main/src/poll/epoll.c" "CMakeFiles/cio_static.dir/src/poll/epoll.c.o" "gcc" "CMakeFiles/cio_static.dir/src/poll/epoll.c.o.d"
  "/work/main/src/poll/poll.c" "CMakeFiles/cio_static.dir/src/poll/poll.c.o" "gcc" "CMakeFiles/cio_static.dir/src/poll/poll.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
