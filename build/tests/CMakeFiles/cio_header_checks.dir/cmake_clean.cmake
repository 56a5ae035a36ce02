file(REMOVE_RECURSE
  "CMakeFiles/cio_header_checks.dir/headers/check_base.c.o"
  "CMakeFiles/cio_header_checks.dir/headers/check_base.c.o.d"
  "CMakeFiles/cio_header_checks.dir/headers/check_cio.c.o"
  "CMakeFiles/cio_header_checks.dir/headers/check_cio.c.o.d"
  "CMakeFiles/cio_header_checks.dir/headers/check_compose.c.o"
  "CMakeFiles/cio_header_checks.dir/headers/check_compose.c.o.d"
  "CMakeFiles/cio_header_checks.dir/headers/check_fd.c.o"
  "CMakeFiles/cio_header_checks.dir/headers/check_fd.c.o.d"
  "CMakeFiles/cio_header_checks.dir/headers/check_file.c.o"
  "CMakeFiles/cio_header_checks.dir/headers/check_file.c.o.d"
  "CMakeFiles/cio_header_checks.dir/headers/check_future.c.o"
  "CMakeFiles/cio_header_checks.dir/headers/check_future.c.o.d"
  "CMakeFiles/cio_header_checks.dir/headers/check_group.c.o"
  "CMakeFiles/cio_header_checks.dir/headers/check_group.c.o.d"
  "CMakeFiles/cio_header_checks.dir/headers/check_loop.c.o"
  "CMakeFiles/cio_header_checks.dir/headers/check_loop.c.o.d"
  "CMakeFiles/cio_header_checks.dir/headers/check_net.c.o"
  "CMakeFiles/cio_header_checks.dir/headers/check_net.c.o.d"
  "CMakeFiles/cio_header_checks.dir/headers/check_process.c.o"
  "CMakeFiles/cio_header_checks.dir/headers/check_process.c.o.d"
  "CMakeFiles/cio_header_checks.dir/headers/check_queue.c.o"
  "CMakeFiles/cio_header_checks.dir/headers/check_queue.c.o.d"
  "CMakeFiles/cio_header_checks.dir/headers/check_signal.c.o"
  "CMakeFiles/cio_header_checks.dir/headers/check_signal.c.o.d"
  "CMakeFiles/cio_header_checks.dir/headers/check_sync.c.o"
  "CMakeFiles/cio_header_checks.dir/headers/check_sync.c.o.d"
  "CMakeFiles/cio_header_checks.dir/headers/check_task.c.o"
  "CMakeFiles/cio_header_checks.dir/headers/check_task.c.o.d"
  "CMakeFiles/cio_header_checks.dir/headers/check_thread.c.o"
  "CMakeFiles/cio_header_checks.dir/headers/check_thread.c.o.d"
  "CMakeFiles/cio_header_checks.dir/headers/check_timeout.c.o"
  "CMakeFiles/cio_header_checks.dir/headers/check_timeout.c.o.d"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/cio_header_checks.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
