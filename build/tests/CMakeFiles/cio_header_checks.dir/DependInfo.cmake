
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/build/tests/headers/check_base.c" "tests/CMakeFiles/cio_header_checks.dir/headers/check_base.c.o" "gcc" "tests/CMakeFiles/cio_header_checks.dir/headers/check_base.c.o.d"
  "/work/main/build/tests/headers/check_cio.c" "tests/CMakeFiles/cio_header_checks.dir/headers/check_cio.c.o" "gcc" "tests/CMakeFiles/cio_header_checks.dir/headers/check_cio.c.o.d"
  "/work/main/build/tests/headers/check_compose.c" "tests/CMakeFiles/cio_header_checks.dir/headers/check_compose.c.o" "gcc" "tests/CMakeFiles/cio_header_checks.dir/headers/check_compose.c.o.d"
  "/work/main/build/tests/headers/check_fd.c" "tests/CMakeFiles/cio_header_checks.dir/headers/check_fd.c.o" "gcc" "tests/CMakeFiles/cio_header_checks.dir/headers/check_fd.c.o.d"
  "/work/main/build/tests/headers/check_file.c" "tests/CMakeFiles/cio_header_checks.dir/headers/check_file.c.o" "gcc" "tests/CMakeFiles/cio_header_checks.dir/headers/check_file.c.o.d"
  "/work/main/build/tests/headers/check_future.c" "tests/CMakeFiles/cio_header_checks.dir/headers/check_future.c.o" "gcc" "tests/CMakeFiles/cio_header_checks.dir/headers/check_future.c.o.d"
  "/work/main/build/tests/headers/check_group.c" "tests/CMakeFiles/cio_header_checks.dir/headers/check_group.c.o" "gcc" "tests/CMakeFiles/cio_header_checks.dir/headers/check_group.c.o.d"
  "/work/main/build/tests/headers/check_loop.c" "tests/CMakeFiles/cio_header_checks.dir/headers/check_loop.c.o" "gcc" "tests/CMakeFiles/cio_header_checks.dir/headers/check_loop.c.o.d"
  "/work/main/build/tests/headers/check_net.c" "tests/CMakeFiles/cio_header_checks.dir/headers/check_net.c.o" "gcc" "tests/CMakeFiles/cio_header_checks.dir/headers/check_net.c.o.d"
  "/work/main/build/tests/headers/check_process.c" "tests/CMakeFiles/cio_header_checks.dir/headers/check_process.c.o" "gcc" "tests/CMakeFiles/cio_header_checks.dir/headers/check_process.c.o.d"
  "/work/main/build/tests/headers/check_queue.c" "tests/CMakeFiles/cio_header_checks.dir/headers/check_queue.c.o" "gcc" "tests/CMakeFiles/cio_header_checks.dir/headers/check_queue.c.o.d"
  "/work/main/build/tests/headers/check_signal.c" "tests/CMakeFiles/cio_header_checks.dir/headers/check_signal.c.o" "gcc" "tests/CMakeFiles/cio_header_checks.dir/headers/check_signal.c.o.d"
  "/work/main/build/tests/headers/check_sync.c" "tests/CMakeFiles/cio_header_checks.dir/headers/check_sync.c.o" "gcc" "tests/CMakeFiles/cio_header_checks.dir/headers/check_sync.c.o.d"
  "/work/main/build/tests/headers/check_task.c" "tests/CMakeFiles/cio_header_checks.dir/headers/check_task.c.o" "gcc" "tests/CMakeFiles/cio_header_checks.dir/headers/check_task.c.o.d"
  "/work/main/build/tests/headers/check_thread.c" "tests/CMakeFiles/cio_header_checks.dir/headers/check_thread.c.o" "gcc" "tests/CMakeFiles/cio_header_checks.dir/headers/check_thread.c.o.d"
  "/work/main/build/tests/headers/check_timeout.c" "tests/CMakeFiles/cio_header_checks.dir/headers/check_timeout.c.o" "gcc" "tests/CMakeFiles/cio_header_checks.dir/headers/check_timeout.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
