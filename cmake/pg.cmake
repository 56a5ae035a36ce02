# cio_pg: PostgreSQL on cio (src/pg/), a library of its own beside cio so
# that a program that only wants the runtime never links libpq. Built when
# libpq is found (Debian: libpq-dev); -DCIO_WITH_PG=OFF skips it.
option(CIO_WITH_PG "Build cio_pg (PostgreSQL) when libpq is found" ON)
set(CIO_HAVE_PG FALSE)
if(CIO_WITH_PG AND PKG_CONFIG_FOUND)
  pkg_check_modules(LIBPQ QUIET IMPORTED_TARGET libpq)
  if(LIBPQ_FOUND)
    set(CIO_HAVE_PG TRUE)
  endif()
endif()

if(CIO_HAVE_PG)
  file(GLOB CIO_PG_SOURCES CONFIGURE_DEPENDS src/pg/*.c)
  # The shared library links the shared cio; the static one the static cio
  # (tests link that one: one copy of the runtime per process).
  add_library(cio_pg SHARED ${CIO_PG_SOURCES})
  target_link_libraries(cio_pg PUBLIC cio PRIVATE PkgConfig::LIBPQ)
  set_target_properties(cio_pg PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
  add_library(cio_pg_static STATIC ${CIO_PG_SOURCES})
  target_link_libraries(cio_pg_static PUBLIC cio_static $<BUILD_INTERFACE:PkgConfig::LIBPQ> $<INSTALL_INTERFACE:pq>)
  set_target_properties(cio_pg_static PROPERTIES OUTPUT_NAME cio_pg)
  foreach(target cio_pg cio_pg_static)
    target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:C>:${CIO_WARNINGS}>)
    target_compile_definitions(${target} PRIVATE _GNU_SOURCE)
    set_target_properties(${target} PROPERTIES C_VISIBILITY_PRESET hidden POSITION_INDEPENDENT_CODE ON)
  endforeach()
  add_library(cio::pg ALIAS cio_pg)
  install(TARGETS cio_pg cio_pg_static EXPORT cioTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  configure_file(cmake/cio-pg.pc.in ${PROJECT_BINARY_DIR}/cio-pg.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/cio-pg.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
  message(STATUS "cio: PostgreSQL (cio_pg) = on")
else()
  message(STATUS "cio: PostgreSQL (cio_pg) = off (libpq not found; install libpq-dev)")
endif()
