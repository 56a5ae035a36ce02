file(REMOVE_RECURSE
  "CMakeFiles/cio_testutil.dir/testutil.c.o"
  "CMakeFiles/cio_testutil.dir/testutil.c.o.d"
  "libcio_testutil.a"
  "libcio_testutil.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/cio_testutil.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
