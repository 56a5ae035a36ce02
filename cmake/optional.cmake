# Optional libraries that parts of cio use when present (included from the
# top-level CMakeLists.txt after the cio and cio_static targets exist).
#
# liburing: io_uring file I/O (src/os/uring.c). Without it every file
# operation runs on the thread pool. -DCIO_WITH_LIBURING=OFF builds without it
# even when it is installed.
option(CIO_WITH_LIBURING "Use liburing for file I/O when it is found" ON)
set(CIO_PC_LIBS_PRIVATE "${CIO_PC_LIBS_PRIVATE}")

if(CIO_WITH_LIBURING)
  set(cio_liburing_found FALSE)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(LIBURING QUIET IMPORTED_TARGET liburing>=2.0)
    if(LIBURING_FOUND)
      set(cio_liburing_target PkgConfig::LIBURING)
      set(cio_liburing_found TRUE)
    endif()
  endif()
  if(NOT cio_liburing_found)
    find_path(LIBURING_INCLUDE_DIR liburing.h)
    find_library(LIBURING_LIBRARY uring)
    if(LIBURING_INCLUDE_DIR AND LIBURING_LIBRARY)
      add_library(cio_liburing UNKNOWN IMPORTED)
      set_target_properties(cio_liburing PROPERTIES IMPORTED_LOCATION ${LIBURING_LIBRARY}
        INTERFACE_INCLUDE_DIRECTORIES ${LIBURING_INCLUDE_DIR})
      set(cio_liburing_target cio_liburing)
      set(cio_liburing_found TRUE)
    endif()
  endif()
  if(cio_liburing_found)
    foreach(target cio cio_static)
      target_compile_definitions(${target} PRIVATE CIO_HAVE_LIBURING=1)
      # PRIVATE for the shared library; the static one must carry it to its users.
      if(target STREQUAL "cio")
        target_link_libraries(${target} PRIVATE ${cio_liburing_target})
      else()
        target_link_libraries(${target} PUBLIC $<BUILD_INTERFACE:${cio_liburing_target}> $<INSTALL_INTERFACE:uring>)
      endif()
    endforeach()
    string(APPEND CIO_PC_LIBS_PRIVATE " -luring")
    message(STATUS "cio: io_uring file I/O = on (liburing)")
  else()
    message(STATUS "cio: io_uring file I/O = off (liburing not found; install liburing-dev)")
  endif()
endif()

# libcurl: the HTTP client (src/http/client*.c, include/cio/http_client.h).
# Without it the cio_http_* functions exist and return -ENOTSUP.
# -DCIO_WITH_CURL=OFF builds without it even when it is installed.
option(CIO_WITH_CURL "Build the HTTP client on libcurl when it is found" ON)
set(cio_curl_found FALSE)
if(CIO_WITH_CURL AND PKG_CONFIG_FOUND)
  pkg_check_modules(LIBCURL QUIET IMPORTED_TARGET libcurl>=7.68)
  if(LIBCURL_FOUND)
    set(cio_curl_found TRUE)
    foreach(target cio cio_static)
      target_compile_definitions(${target} PRIVATE CIO_HAVE_CURL=1)
      if(target STREQUAL "cio")
        target_link_libraries(${target} PRIVATE PkgConfig::LIBCURL)
      else()
        target_link_libraries(${target} PUBLIC $<BUILD_INTERFACE:PkgConfig::LIBCURL> $<INSTALL_INTERFACE:curl>)
      endif()
    endforeach()
    string(APPEND CIO_PC_LIBS_PRIVATE " -lcurl")
    message(STATUS "cio: HTTP client = on (libcurl ${LIBCURL_VERSION})")
  endif()
endif()
if(NOT cio_curl_found)
  message(STATUS "cio: HTTP client = off (libcurl not found or CIO_WITH_CURL=OFF; install libcurl4-openssl-dev)")
endif()

# OpenSSL 3: TLS for streams and servers (src/net/tls_*.c, include/cio/tls.h).
# Without it the cio_tls_* and TLS stream functions exist and return -ENOTSUP.
# -DCIO_WITH_OPENSSL=OFF builds without it even when it is installed.
option(CIO_WITH_OPENSSL "Build TLS on OpenSSL 3 when it is found" ON)
set(CIO_HAVE_OPENSSL FALSE)
if(CIO_WITH_OPENSSL)
  # CMake 3.25's FindOpenSSL calls pkg_check_modules unconditionally, which
  # does not exist where a parent project disabled PkgConfig: a stub that
  # finds nothing lets it look in the usual places instead.
  if(NOT COMMAND pkg_check_modules)
    macro(pkg_check_modules)
    endmacro()
  endif()
  find_package(OpenSSL 3.0 QUIET COMPONENTS SSL Crypto)
  if(OPENSSL_FOUND)
    set(CIO_HAVE_OPENSSL TRUE)
    foreach(target cio cio_static)
      target_compile_definitions(${target} PRIVATE CIO_HAVE_OPENSSL=1)
      if(target STREQUAL "cio")
        target_link_libraries(${target} PRIVATE OpenSSL::SSL OpenSSL::Crypto)
      else()
        target_link_libraries(${target} PUBLIC $<BUILD_INTERFACE:OpenSSL::SSL> $<BUILD_INTERFACE:OpenSSL::Crypto>
          $<INSTALL_INTERFACE:ssl> $<INSTALL_INTERFACE:crypto>)
      endif()
    endforeach()
    string(APPEND CIO_PC_LIBS_PRIVATE " -lssl -lcrypto")
    message(STATUS "cio: TLS = on (OpenSSL ${OPENSSL_VERSION})")
  endif()
endif()
if(NOT CIO_HAVE_OPENSSL)
  message(STATUS "cio: TLS = off (OpenSSL 3 not found or CIO_WITH_OPENSSL=OFF; install libssl-dev)")
endif()

# zlib: permessage-deflate for WebSockets (src/http/websocket_deflate.c).
# Without it the extension is never negotiated. -DCIO_WITH_ZLIB=OFF builds
# without it even when it is installed.
option(CIO_WITH_ZLIB "Use zlib for WebSocket permessage-deflate when it is found" ON)
if(CIO_WITH_ZLIB)
  find_package(ZLIB QUIET)
  if(ZLIB_FOUND)
    foreach(target cio cio_static)
      target_compile_definitions(${target} PRIVATE CIO_HAVE_ZLIB=1)
      if(target STREQUAL "cio")
        target_link_libraries(${target} PRIVATE ZLIB::ZLIB)
      else()
        target_link_libraries(${target} PUBLIC $<BUILD_INTERFACE:ZLIB::ZLIB> $<INSTALL_INTERFACE:z>)
      endif()
    endforeach()
    string(APPEND CIO_PC_LIBS_PRIVATE " -lz")
    message(STATUS "cio: WebSocket permessage-deflate = on (zlib)")
  else()
    message(STATUS "cio: WebSocket permessage-deflate = off (zlib not found; install zlib1g-dev)")
  endif()
endif()
