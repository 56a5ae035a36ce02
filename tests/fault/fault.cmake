# Included from the top-level CMakeLists.txt (the POST_BUILD step must be
# declared where cio_static is).
# -DCIO_FAULT_INJECTION=ON: the static library's calls to every name in
# calls.txt go to tests/fault/fault.c's __wrap_NAME instead, which can fail
# them on demand (see fault.c's header and scripts/fault.sh). Renaming the
# references inside libcio.a (objcopy) rather than linking with -Wl,--wrap
# keeps the tests' own calls, and cmocka's, out of the count: only cio's
# error paths are exercised. The shared library is left as it is.
file(READ ${CMAKE_CURRENT_LIST_DIR}/calls.txt cio_fault_calls)
string(REGEX MATCHALL "[A-Za-z0-9_]+" cio_fault_calls "${cio_fault_calls}")
set(cio_fault_syms "")
foreach(call ${cio_fault_calls})
  string(APPEND cio_fault_syms "${call} __wrap_${call}\n")
endforeach()
file(WRITE ${PROJECT_BINARY_DIR}/tests/fault/redefine.syms "${cio_fault_syms}")

add_library(cio_fault STATIC ${CMAKE_CURRENT_LIST_DIR}/fault.c)
target_compile_options(cio_fault PRIVATE -Wall -Wextra)
target_link_libraries(cio_fault PRIVATE ${CMAKE_DL_LIBS})
if(TARGET PkgConfig::LIBURING)
  target_link_libraries(cio_fault PRIVATE PkgConfig::LIBURING)
elseif(TARGET cio_liburing)
  target_link_libraries(cio_fault PRIVATE cio_liburing)
endif()

if(NOT CMAKE_OBJCOPY)
  message(FATAL_ERROR "cio: CIO_FAULT_INJECTION needs objcopy (binutils)")
endif()
add_custom_command(TARGET cio_static POST_BUILD
  COMMAND ${CMAKE_OBJCOPY} --redefine-syms=${PROJECT_BINARY_DIR}/tests/fault/redefine.syms $<TARGET_FILE:cio_static>
  COMMENT "cio: routing libcio.a's syscalls and allocations through tests/fault")
target_link_libraries(cio_static PUBLIC $<BUILD_INTERFACE:cio_fault>)
