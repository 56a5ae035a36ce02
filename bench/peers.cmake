# Peers that benchmarks compare against, linked only when found. Each block
# belongs to one benchmark; a missing peer leaves that benchmark measuring the
# rest and saying what to install.

# switch_roundtrip: Boost.Context's jump_fcontext (Debian: libboost-context-dev).
find_library(CIO_BOOST_CONTEXT_LIB boost_context)
if(CIO_BOOST_CONTEXT_LIB)
  target_link_libraries(switch_roundtrip PRIVATE ${CIO_BOOST_CONTEXT_LIB})
  target_compile_definitions(switch_roundtrip PRIVATE HAVE_BOOST_CONTEXT=1)
else()
  message(STATUS "bench: switch_roundtrip without Boost.Context (apt install libboost-context-dev)")
endif()

# core_timers_uv: the libuv side of core_timers (Debian: libuv1-dev).
find_library(UV_LIBRARY uv)
if(UV_LIBRARY)
  target_link_libraries(core_timers_uv PRIVATE ${UV_LIBRARY})
else()
  set_target_properties(core_timers_uv PROPERTIES EXCLUDE_FROM_ALL TRUE)
  message(STATUS "bench: core_timers_uv not built (apt install libuv1-dev)")
endif()

# echo (bench/echo.sh): libuv's peer server (Debian: libuv1-dev).
find_library(CIO_UV_LIB uv)
find_path(CIO_UV_INCLUDE uv.h)
if(CIO_UV_LIB AND CIO_UV_INCLUDE)
  target_link_libraries(echo_uv PRIVATE ${CIO_UV_LIB})
  target_include_directories(echo_uv PRIVATE ${CIO_UV_INCLUDE})
else()
  set_target_properties(echo_uv PROPERTIES EXCLUDE_FROM_ALL TRUE)
  message(STATUS "bench: echo without libuv (apt install libuv1-dev)")
endif()
