file(REMOVE_RECURSE
  "CMakeFiles/test_fd.dir/core/test_fd.c.o"
  "CMakeFiles/test_fd.dir/core/test_fd.c.o.d"
  "test_fd"
  "test_fd.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_fd.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
