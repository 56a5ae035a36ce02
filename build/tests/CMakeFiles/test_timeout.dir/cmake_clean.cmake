file(REMOVE_RECURSE
  "CMakeFiles/test_timeout.dir/core/test_timeout.c.o"
  "CMakeFiles/test_timeout.dir/core/test_timeout.c.o.d"
  "test_timeout"
  "test_timeout.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_timeout.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
