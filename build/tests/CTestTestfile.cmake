# CMake generated Testfile for 
# Source directory: /work/main/tests
# Build directory: /work/main/build/tests
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test(test_switch "/work/main/build/tests/test_switch")
set_tests_properties(test_switch PROPERTIES  ENVIRONMENT "CIO_TEST_SOURCE_DIR=/work/main;CIO_TEST_BUILD_DIR=/work/main/build" TIMEOUT "120" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;19;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(test_fd "/work/main/build/tests/test_fd")
set_tests_properties(test_fd PROPERTIES  ENVIRONMENT "CIO_TEST_SOURCE_DIR=/work/main;CIO_TEST_BUILD_DIR=/work/main/build" TIMEOUT "120" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;19;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(test_future "/work/main/build/tests/test_future")
set_tests_properties(test_future PROPERTIES  ENVIRONMENT "CIO_TEST_SOURCE_DIR=/work/main;CIO_TEST_BUILD_DIR=/work/main/build" TIMEOUT "120" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;19;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(test_loop "/work/main/build/tests/test_loop")
set_tests_properties(test_loop PROPERTIES  ENVIRONMENT "CIO_TEST_SOURCE_DIR=/work/main;CIO_TEST_BUILD_DIR=/work/main/build" TIMEOUT "120" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;19;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(test_seed "/work/main/build/tests/test_seed")
set_tests_properties(test_seed PROPERTIES  ENVIRONMENT "CIO_TEST_SOURCE_DIR=/work/main;CIO_TEST_BUILD_DIR=/work/main/build" TIMEOUT "120" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;19;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(test_stack "/work/main/build/tests/test_stack")
set_tests_properties(test_stack PROPERTIES  ENVIRONMENT "CIO_TEST_SOURCE_DIR=/work/main;CIO_TEST_BUILD_DIR=/work/main/build" TIMEOUT "120" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;19;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(test_task "/work/main/build/tests/test_task")
set_tests_properties(test_task PROPERTIES  ENVIRONMENT "CIO_TEST_SOURCE_DIR=/work/main;CIO_TEST_BUILD_DIR=/work/main/build" TIMEOUT "120" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;19;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(test_timeout "/work/main/build/tests/test_timeout")
set_tests_properties(test_timeout PROPERTIES  ENVIRONMENT "CIO_TEST_SOURCE_DIR=/work/main;CIO_TEST_BUILD_DIR=/work/main/build" TIMEOUT "120" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;19;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(test_poller "/work/main/build/tests/test_poller")
set_tests_properties(test_poller PROPERTIES  ENVIRONMENT "CIO_TEST_SOURCE_DIR=/work/main;CIO_TEST_BUILD_DIR=/work/main/build" TIMEOUT "120" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;19;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(exported_symbols "/usr/bin/cmake" "-DLIB=/work/main/build/libcio.so.0.1.0" "-P" "/work/main/tests/check_exports.cmake")
set_tests_properties(exported_symbols PROPERTIES  _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;39;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(output_seed1_hello_world "/usr/bin/cmake" "-DPROGRAM=/work/main/build/seed1_hello_world" "-DEXPECTED=/work/main/tests/expected/seed1_hello_world.txt" "-P" "/work/main/tests/check_output.cmake")
set_tests_properties(output_seed1_hello_world PROPERTIES  ENVIRONMENT "CIO_CLOCK=virtual" TIMEOUT "30" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;43;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(output_seed2_tasks "/usr/bin/cmake" "-DPROGRAM=/work/main/build/seed2_tasks" "-DEXPECTED=/work/main/tests/expected/seed2_tasks.txt" "-P" "/work/main/tests/check_output.cmake")
set_tests_properties(output_seed2_tasks PROPERTIES  ENVIRONMENT "CIO_CLOCK=virtual" TIMEOUT "30" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;43;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(output_seed3_event_loop "/usr/bin/cmake" "-DPROGRAM=/work/main/build/seed3_event_loop" "-DEXPECTED=/work/main/tests/expected/seed3_event_loop.txt" "-P" "/work/main/tests/check_output.cmake")
set_tests_properties(output_seed3_event_loop PROPERTIES  ENVIRONMENT "CIO_CLOCK=virtual" TIMEOUT "30" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;43;add_test;/work/main/tests/CMakeLists.txt;0;")
