#----------------------------------------------------------------
# Generated CMake target import file for configuration "RelWithDebInfo".
#----------------------------------------------------------------

# Commands may need to know the format version.
set(CMAKE_IMPORT_FILE_VERSION 1)

# Import target "cio::cio" for configuration "RelWithDebInfo"
set_property(TARGET cio::cio APPEND PROPERTY IMPORTED_CONFIGURATIONS RELWITHDEBINFO)
set_target_properties(cio::cio PROPERTIES
  IMPORTED_LOCATION_RELWITHDEBINFO "${_IMPORT_PREFIX}/lib/libcio.so.0.1.0"
  IMPORTED_SONAME_RELWITHDEBINFO "libcio.so.0"
  )

list(APPEND _cmake_import_check_targets cio::cio )
list(APPEND _cmake_import_check_files_for_cio::cio "${_IMPORT_PREFIX}/lib/libcio.so.0.1.0" )

# Import target "cio::cio_static" for configuration "RelWithDebInfo"
set_property(TARGET cio::cio_static APPEND PROPERTY IMPORTED_CONFIGURATIONS RELWITHDEBINFO)
set_target_properties(cio::cio_static PROPERTIES
  IMPORTED_LINK_INTERFACE_LANGUAGES_RELWITHDEBINFO "ASM;C"
  IMPORTED_LOCATION_RELWITHDEBINFO "${_IMPORT_PREFIX}/lib/libcio.a"
  )

list(APPEND _cmake_import_check_targets cio::cio_static )
list(APPEND _cmake_import_check_files_for_cio::cio_static "${_IMPORT_PREFIX}/lib/libcio.a" )

# Commands beyond this point should not need to know the version.
set(CMAKE_IMPORT_FILE_VERSION)
